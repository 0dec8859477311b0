"""Streaming evaluation, like TensorFlow's ``generate_streaming_test_wav`` and ``test_streaming_accuracy``.

``make_stream`` writes a long 16 kHz recording: held-out clips (commands and other words) about every
3 s over background noise at a chosen SNR, and the true ``time_s,label,clip`` of each word (the time of
the middle of the word's energy; the clip it came from). ``stream_eval`` slides the app's own path over it (the same feature
function, the same LiteRT / Keras scorer, the same ``RecognizeCommands``) and scores the announcements:

- a command word is *correct* when an announcement of its label comes within the tolerance window
  around it (from ``EARLY_S`` before its middle to ``LATE_S`` after), *wrong* when the first
  announcement in that window has another label, *missed* when none comes;
- every other announcement is a *false alarm*: in noise, on an ``unknown`` word, or a second
  announcement of a word already counted.

Correct, wrong and missed are shares of the command words; false alarms are counted per hour.
"""

from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from kwsapp.core.audio import AudioError, read_wav, resample, write_wav
from kwsapp.core.decisions import DEFAULT_HOP_MS, DecisionSettings, RecognizeCommands
from kwsapp.core.labels import COMMANDS, UNKNOWN

from .dataset import NOISE_SEGMENTS, SplitRule, index_dataset, load_noise

STREAM_RATE_HZ = 16000
EARLY_S = 0.5   # an announcement may come this long before the middle of the word ...
LATE_S = 1.5    # ... or this long after it (1-s window + averaging)
TOLERANCE_TEXT = f"an announcement counts for a word from {EARLY_S:g} s before to {LATE_S:g} s after its middle"


class StreamError(Exception):
    pass


def _energy_middle(x: np.ndarray, rate: int) -> float:
    """Seconds from the clip start to the centre of its loudest part (frame-energy weighted)."""
    frame = max(1, rate // 100)
    n = x.size // frame
    if n == 0:
        return x.size / rate / 2
    e = np.square(x[: n * frame].reshape(n, frame)).mean(axis=1)
    loud = e >= 0.1 * e.max()
    idx = np.nonzero(loud)[0]
    return float((idx[0] + idx[-1] + 1) / 2 * frame / rate)


def active_rms(x: np.ndarray, rate: int) -> float:
    """RMS over the 10-ms frames within 10 dB of the loudest: the level of the word, not of the pauses around it.
    ``make_stream``'s SNR is this level over the noise's RMS."""
    frame = max(1, rate // 100)
    n = x.size // frame
    if n == 0:
        return float(np.sqrt(np.mean(np.square(x)))) if x.size else 0.0
    e = np.square(x[: n * frame].reshape(n, frame)).mean(axis=1)
    return float(np.sqrt(e[e >= 0.1 * e.max()].mean())) if e.max() > 0 else 0.0


def _clip_name(path: Path) -> str:
    """word/file.wav: enough to find the clip again under ROOT/train/audio."""
    return f"{path.parent.name}/{path.name}"


def _write_atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def make_stream(roots, split: str, out_wav, truth_csv, minutes: float = 10.0, snr_db: float = 10.0, seed: int = 0,
                rule: SplitRule = SplitRule(), unknown_share: float = 0.25, gap_s: float = 3.0,
                speech_dbfs: float = -24.0) -> dict:
    """Write the stream and its truth; returns a summary. ``split`` is validation, testing or all."""
    rng = np.random.default_rng(seed)
    clips, noise_files = [], []
    for root in roots:
        index = index_dataset(root, rule)
        part = index.split(split)
        clips += [(index.audio_dir / p, lab) for p, lab in zip(part["path"], part["label"])]
        noise_files += index.noise_files
    commands = [c for c in clips if c[1] in COMMANDS]
    unknown = [c for c in clips if c[1] == UNKNOWN]
    if not commands:
        raise StreamError(f"no command clips in the {split} split of {', '.join(map(str, roots))}")
    noise, noise_errors = load_noise(noise_files)
    total = int(minutes * 60 * STREAM_RATE_HZ)
    if total < 5 * STREAM_RATE_HZ:
        raise StreamError("--minutes must give at least 5 s of audio")

    # background: the split's own part of every noise recording, joined and looped, at unit RMS
    seg_split = "testing" if split == "all" else split
    lo, hi = NOISE_SEGMENTS[seg_split]
    parts = []
    for rec in noise:
        seg = rec.samples[int(lo * rec.samples.size):int(hi * rec.samples.size)]
        seg = resample(seg.astype(np.float32), rec.sample_rate_hz, STREAM_RATE_HZ).astype(np.float32)
        rms = float(np.sqrt(np.mean(np.square(seg)))) if seg.size else 0.0
        if rms > 1e-6:
            parts.append(seg / rms)
    if parts:
        bed = np.concatenate(parts)
        start = int(rng.integers(bed.size))
        reps = int(np.ceil((start + total) / bed.size))
        background = np.tile(bed, reps)[start:start + total]
    else:
        background = rng.normal(0, 1, total).astype(np.float32)
    speech_rms = 10 ** (speech_dbfs / 20)
    stream = background * (speech_rms / 10 ** (snr_db / 20))

    # each pool is dealt like a deck: every clip once, in a shuffled order, before any clip comes again,
    # so a few clips cannot dominate the figures by chance
    decks = {"commands": [], "unknown": []}

    def deal(name, pool):
        if not decks[name]:
            decks[name] = [pool[i] for i in rng.permutation(len(pool))]
        return decks[name].pop()

    used = set()
    truth, skipped = [], []
    t = 1.0 + rng.uniform(0, 0.5)
    while t + 1.0 < total / STREAM_RATE_HZ:
        if unknown and rng.random() < unknown_share:
            path, label = deal("unknown", unknown)
        else:
            path, label = deal("commands", commands)
        used.add(path)
        try:
            rate, x = read_wav(path)
        except AudioError as exc:
            skipped.append(str(exc))
            t += gap_s
            continue
        x = resample(x, rate, STREAM_RATE_HZ).astype(np.float32)[:STREAM_RATE_HZ]
        level = active_rms(x, STREAM_RATE_HZ)
        if level <= 1e-6:
            skipped.append(f"{path}: silent clip")
            t += gap_s
            continue
        x = x * (speech_rms * 10 ** (rng.uniform(-3, 3) / 20) / level)
        b = int(t * STREAM_RATE_HZ)
        seg = x[: total - b]
        stream[b:b + seg.size] += seg
        truth.append((round(t + _energy_middle(x, STREAM_RATE_HZ), 3), label, _clip_name(path)))
        t += gap_s + rng.uniform(-0.5, 0.5)
    peak = float(np.abs(stream).max())
    if peak > 0.99:
        stream *= 0.99 / peak
    out_wav, truth_csv = Path(out_wav), Path(truth_csv)
    _write_atomic(out_wav, lambda p: write_wav(p, stream, STREAM_RATE_HZ))

    def write_truth(p):
        with open(p, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["time_s", "label", "clip"])
            w.writerows(truth)

    _write_atomic(truth_csv, write_truth)
    return {"wav": str(out_wav), "truth": str(truth_csv), "seconds": total / STREAM_RATE_HZ, "words": len(truth),
            "command_words": sum(lab in COMMANDS for _, lab, _ in truth), "distinct_clips": len(used),
            "distinct_unknown_clips": len({p for p, _ in unknown} & used), "snr_db": snr_db, "split": split,
            "noise_files": len(noise), "skipped": skipped[:20] + noise_errors}


def read_truth(path) -> list[tuple[float, str, str]]:
    """The truth CSV: (time_s, label, clip) of every word, by time; clip is "" when the CSV has no clip column."""
    path = Path(path)
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        return sorted((float(r["time_s"]), r["label"], r.get("clip") or "") for r in rows)
    except FileNotFoundError:
        raise StreamError(f"{path}: no such file") from None
    except (KeyError, ValueError, TypeError) as exc:
        raise StreamError(f"{path}: expected a CSV with columns time_s,label ({exc})") from None


@dataclass(frozen=True)
class StreamScore:
    correct: float
    wrong: float
    missed: float
    false_alarms_per_hour: float
    words: int               # command words in the truth
    hours: float
    n_correct: int
    n_wrong: int
    n_missed: int
    n_false_alarms: int
    tolerance: str = TOLERANCE_TEXT

    def to_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        return (f"correct {self.correct:.1%}, wrong {self.wrong:.1%}, missed {self.missed:.1%} of {self.words} "
                f"command words; {self.n_false_alarms} false alarms = {self.false_alarms_per_hour:.1f} per hour "
                f"({self.hours * 60:.1f} min)")


def match_detections(detections, truth) -> tuple[list[str], list[int]]:
    """The scoring rule: for every truth row, ``correct`` / ``wrong`` / ``missed`` (command words) or ``""``
    (other words); and for every announcement not taken by a command word (a false alarm), the index of the
    truth row nearest to it in time (-1 when there is none). ``detections`` must be sorted by time."""
    used = [False] * len(detections)
    outcomes = []
    for t_word, label in ((float(row[0]), row[1]) for row in truth):
        if label not in COMMANDS:
            outcomes.append("")
            continue
        inside = [i for i, (t, _) in enumerate(detections) if not used[i] and t_word - EARLY_S <= t <= t_word + LATE_S]
        hit = next((i for i in inside if detections[i][1] == label), None)
        if hit is not None:
            used[hit] = True
            outcomes.append("correct")
        elif inside:
            used[inside[0]] = True
            outcomes.append("wrong")
        else:
            outcomes.append("missed")
    times = np.array([float(row[0]) for row in truth])
    nearest = [int(np.argmin(np.abs(times - t))) if times.size else -1
               for (t, _), u in zip(detections, used) if not u]
    return outcomes, nearest


def score_detections(detections, truth, seconds: float) -> StreamScore:
    """``detections``: (time_s, label) announcements; ``truth``: (time_s, label[, clip]) of every word."""
    detections = sorted((float(d[0]), d[1]) for d in detections)
    outcomes, false_alarms = match_detections(detections, truth)
    n_correct, n_wrong, n_missed = (outcomes.count(k) for k in ("correct", "wrong", "missed"))
    n_fa = len(false_alarms)
    words = n_correct + n_wrong + n_missed
    hours = seconds / 3600
    share = (lambda k: k / words) if words else (lambda k: 0.0)
    return StreamScore(share(n_correct), share(n_wrong), share(n_missed), n_fa / hours if hours else 0.0, words,
                       hours, n_correct, n_wrong, n_missed, n_fa)


def speaker_of(clip: str) -> str:
    """The speaker of a clip named as in Speech Commands (``word/<speaker>_nohash_<n>.wav``); else the clip."""
    name = Path(clip).name
    return name.split("_nohash_")[0] if "_nohash_" in name else clip


def _speaker_counts(detections, truth) -> tuple[list[str], np.ndarray]:
    """Per speaker of the truth's clips: correct, wrong, missed, false alarms, words of any label. Every word goes
    with its speaker, every false alarm with the speaker of the word nearest to it; a truth without a clip column
    makes every word its own speaker."""
    detections = sorted((float(d[0]), d[1]) for d in detections)
    outcomes, false_alarms = match_detections(detections, truth)
    keys = [speaker_of(row[2]) if len(row) > 2 and row[2] else f"word {i}" for i, row in enumerate(truth)]
    speakers = sorted(set(keys))
    column = {k: j for j, k in enumerate(speakers)}
    counts = np.zeros((len(speakers), 5))
    kinds = {"correct": 0, "wrong": 1, "missed": 2}
    for key, outcome in zip(keys, outcomes):
        counts[column[key], 4] += 1
        if outcome:
            counts[column[key], kinds[outcome]] += 1
    for i in false_alarms:
        counts[column[keys[i]], 3] += 1
    return speakers, counts


def _bootstrap_figures(counts_per_run, seconds: float, draws: int, seed: int):
    """The same draws of speakers (as many as there are, with replacement) for every run's counts:
    per run, the drawn (correct, wrong, missed, false alarms per hour), the hours rescaled by the share of
    the words drawn. Draws without a command word are dropped."""
    n = counts_per_run[0].shape[0]
    weights = np.random.default_rng(seed).multinomial(n, np.full(n, 1 / n), size=draws)
    keep = (weights @ counts_per_run[0][:, :3]).sum(axis=1) > 0
    figures = []
    for counts in counts_per_run:
        totals = (weights @ counts)[keep]
        commands = totals[:, :3].sum(axis=1)
        hours = seconds / 3600 * totals[:, 4] / counts[:, 4].sum()
        figures.append({"correct": totals[:, 0] / commands, "wrong": totals[:, 1] / commands,
                        "missed": totals[:, 2] / commands, "false_alarms_per_hour": totals[:, 3] / hours})
    return figures


FIGURES = ("correct", "wrong", "missed", "false_alarms_per_hour")


def _percentiles(values: np.ndarray, level: float) -> list[float]:
    return [float(x) for x in np.percentile(values, [(1 - level) / 2 * 100, (1 + level) / 2 * 100])]


def speaker_intervals(detections, truth, seconds: float, level: float = 0.95, draws: int = 2000,
                      seed: int = 0) -> dict | None:
    """How far the figures could move with other speakers: a bootstrap over the speakers of the truth's clips
    (see ``_speaker_counts``; on these streams the false alarms are other words heard as commands). Returns the
    ``level`` percentile intervals, or None without command words."""
    speakers, counts = _speaker_counts(detections, truth)
    if not counts[:, :3].any() or seconds <= 0:
        return None
    (fig,) = _bootstrap_figures([counts], seconds, draws, seed)
    iv = {"level": level, "speakers": len(speakers), "draws": int(fig["correct"].size),
          **{k: _percentiles(fig[k], level) for k in FIGURES}}
    pct = lambda k: f"{iv[k][0]:.1%}-{iv[k][1]:.1%}"  # noqa: E731
    fa = iv["false_alarms_per_hour"]
    iv["text"] = (f"{level:.0%} intervals over the stream's {len(speakers)} speakers (bootstrap): correct "
                  f"{pct('correct')}, wrong {pct('wrong')}, missed {pct('missed')}, {fa[0]:.0f}-{fa[1]:.0f} false "
                  f"alarms per hour")
    return iv


def paired_difference(detections_a, detections_b, truth, seconds: float, level: float = 0.95, draws: int = 2000,
                      seed: int = 0) -> dict | None:
    """Two models' announcements on the same stream: B minus A, with ``level`` intervals from the same draws of
    speakers for both (a paired bootstrap), so what the speakers move alike cancels. ``p_better`` is the share of
    draws in which B gets more correct than A."""
    speakers, counts_a = _speaker_counts(detections_a, truth)
    _, counts_b = _speaker_counts(detections_b, truth)
    if not counts_a[:, :3].any() or seconds <= 0:
        return None
    fig_a, fig_b = _bootstrap_figures([counts_a, counts_b], seconds, draws, seed)
    hours = seconds / 3600
    out = {"level": level, "speakers": len(speakers), "draws": int(fig_a["correct"].size)}
    for k in FIGURES:
        point = (counts_b[:, FIGURES.index(k)].sum() - counts_a[:, FIGURES.index(k)].sum())
        point = point / hours if k == "false_alarms_per_hour" else point / counts_a[:, :3].sum()
        out[k] = {"difference": float(point), "interval": _percentiles(fig_b[k] - fig_a[k], level)}
    out["p_better"] = float(np.mean(fig_b["correct"] > fig_a["correct"]))
    c, fa = out["correct"], out["false_alarms_per_hour"]
    out["text"] = (f"correct {c['difference']:+.1%} ({c['interval'][0]:+.1%} to {c['interval'][1]:+.1%}), false alarms "
                   f"{fa['difference']:+.0f} per hour ({fa['interval'][0]:+.0f} to {fa['interval'][1]:+.0f}); more "
                   f"correct in {out['p_better']:.0%} of {out['draws']} draws of the {len(speakers)} speakers")
    return out


def hop_scores(scorer, wave: np.ndarray, rate: int, hop_ms: float):
    """Raw scores of every hop over a recording, as the app computes them: (times_ms, scores)."""
    from kwsapp.core.features import features_from_wave
    from kwsapp.runtime import sliding_windows

    times, scores = [], []
    for time_ms, window in sliding_windows(wave, rate, hop_ms, scorer.settings.clip_duration_ms):
        scores.append(scorer(features_from_wave(window, rate, scorer.settings)))
        times.append(time_ms)
    return np.array(times), np.array(scores)


def decide(labels, times_ms, scores, settings: DecisionSettings) -> list[tuple[float, str]]:
    """Replay the decision class over per-hop scores: the announcements, (time_s, label)."""
    rc = RecognizeCommands(labels, settings)
    out = []
    for t, s in zip(times_ms, scores):
        d = rc.process(s, t)
        if d.is_new_command:
            out.append((t / 1000.0, d.label))
    return out


def stream_eval(model_dir, wav, truth_csv, hop_ms: float = DEFAULT_HOP_MS, decisions: DecisionSettings = DecisionSettings(),
                runtime: str = "litert") -> dict:
    from kwsapp.runtime import load_scorer

    truth = read_truth(truth_csv)
    rate, wave = read_wav(wav)
    scorer = load_scorer(model_dir, prefer=runtime)
    times, scores = hop_scores(scorer, wave, rate, hop_ms)
    found = decide(scorer.labels, times, scores, decisions)
    result = score_detections(found, truth, wave.size / rate).to_dict()
    result["intervals"] = speaker_intervals(found, truth, wave.size / rate)
    result.update(model=str(model_dir), wav=str(wav), hop_ms=hop_ms, decisions=asdict(decisions),
                  detections=[{"time_s": round(t, 3), "label": lab} for t, lab in found])
    return result


def sweep(model_dir, wav, truth_csv, hop_ms: float = DEFAULT_HOP_MS, thresholds=None, windows_ms=None, refractories_ms=None,
          minimum_counts=(1, 2), max_wrong: float = 0.03, max_fa_per_hour: float = 6.0) -> tuple[list[dict], dict]:
    """Score every combination of the three decision settings on one stream (the model runs once).

    The choice: the most correct among those within ``max_wrong`` and ``max_fa_per_hour``; if none is, the
    one with the fewest false alarms plus wrong answers."""
    from kwsapp.runtime import load_scorer

    thresholds = thresholds or [round(x, 2) for x in np.arange(0.5, 0.96, 0.05)]
    windows_ms = windows_ms or [0.0, 250.0, 500.0, 750.0, 1000.0]
    refractories_ms = refractories_ms or [500.0, 1000.0, 1500.0]
    truth = read_truth(truth_csv)
    rate, wave = read_wav(wav)
    scorer = load_scorer(model_dir)
    times, scores = hop_scores(scorer, wave, rate, hop_ms)
    rows = []
    for th in thresholds:
        for win in windows_ms:
            for ref in refractories_ms:
                for count in minimum_counts:
                    if count > 1 + win // hop_ms:
                        continue  # the window never holds that many results
                    s = DecisionSettings(average_window_ms=win, threshold=th, refractory_ms=ref, minimum_count=count)
                    r = score_detections(decide(scorer.labels, times, scores, s), truth, wave.size / rate)
                    rows.append({"threshold": th, "average_window_ms": win, "refractory_ms": ref,
                                 "minimum_count": count, **r.to_dict()})
    ok = [r for r in rows if r["wrong"] <= max_wrong and r["false_alarms_per_hour"] <= max_fa_per_hour]
    if ok:
        # ties: fewer false alarms, fewer wrong, more results averaged, then the shorter refractory time
        best = max(ok, key=lambda r: (r["correct"], -r["false_alarms_per_hour"], -r["wrong"], r["minimum_count"],
                                      -r["refractory_ms"]))
    else:
        best = min(rows, key=lambda r: (r["n_false_alarms"] + r["n_wrong"] - r["n_correct"]))
    chosen = DecisionSettings(**{k: best[k] for k in ("average_window_ms", "threshold", "refractory_ms", "minimum_count")})
    best = {**best, "intervals": speaker_intervals(decide(scorer.labels, times, scores, chosen), truth, wave.size / rate)}
    return rows, best
