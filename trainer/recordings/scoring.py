"""Scoring a stream's announcements against its truth, as TensorFlow's ``test_streaming_accuracy`` does, and
how far the figures could move with other speakers.

- a command word is *correct* when an announcement of its label comes within the tolerance window
  around it (from ``EARLY_S`` before its middle to ``LATE_S`` after), *wrong* when the first
  announcement in that window has another label, *missed* when none comes;
- every other announcement is a *false alarm*: in noise, on an ``unknown`` word, or a second
  announcement of a word already counted.

Correct, wrong and missed are shares of the command words; false alarms are counted per hour. The intervals come
from a bootstrap over the speakers of the truth's clips (``speaker_intervals``), and two models on one stream are
compared with the same draws for both (``paired_difference``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from kwsapp.core.labels import COMMANDS
from trainer.data.dataset import speaker_of

EARLY_S = 0.5   # an announcement may come this long before the middle of the word ...
LATE_S = 1.5    # ... or this long after it (1-s window + averaging)
TOLERANCE_TEXT = f"an announcement counts for a word from {EARLY_S:g} s before to {LATE_S:g} s after its middle"


def in_reach(t_word: float, t):
    """Whether a time (or an array of times), in s, is in reach of the word whose middle is at ``t_word``."""
    return (t >= t_word - EARLY_S) & (t <= t_word + LATE_S)


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


def match_words(detections, truth) -> tuple[list[str], list[bool]]:
    """The scoring rule's matching: for every truth row, ``correct`` / ``wrong`` / ``missed`` (command words) or ``""``
    (other words); and for every announcement, whether a command word took it (the others are false alarms).
    ``detections`` must be sorted by time."""
    used = [False] * len(detections)
    outcomes = []
    for t_word, label in ((float(row[0]), row[1]) for row in truth):
        if label not in COMMANDS:
            outcomes.append("")
            continue
        inside = [i for i, (t, _) in enumerate(detections) if not used[i] and in_reach(t_word, t)]
        hit = next((i for i in inside if detections[i][1] == label), None)
        if hit is not None:
            used[hit] = True
            outcomes.append("correct")
        elif inside:
            used[inside[0]] = True
            outcomes.append("wrong")
        else:
            outcomes.append("missed")
    return outcomes, used


def match_detections(detections, truth) -> tuple[list[str], list[int]]:
    """The scoring rule (``match_words``): the outcome of every truth row; and for every announcement not taken by a
    command word (a false alarm), the index of the truth row nearest to it in time (-1 when there is none)."""
    outcomes, used = match_words(detections, truth)
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


def speaker_keys(truth) -> list[str]:
    """The speaker of every truth row; a truth without a clip column makes every word its own speaker."""
    return [speaker_of(row[2]) if len(row) > 2 and row[2] else f"word {i}" for i, row in enumerate(truth)]


def _speaker_counts(detections, truth) -> tuple[list[str], np.ndarray]:
    """Per speaker of the truth's clips: correct, wrong, missed, false alarms, words of any label. Every word goes
    with its speaker, every false alarm with the speaker of the word nearest to it; a truth without a clip column
    makes every word its own speaker."""
    detections = sorted((float(d[0]), d[1]) for d in detections)
    outcomes, false_alarms = match_detections(detections, truth)
    keys = speaker_keys(truth)
    speakers = sorted(set(keys))
    column = {k: j for j, k in enumerate(speakers)}
    counts = np.zeros((len(speakers), 5))
    kinds = {"correct": 0, "wrong": 1, "missed": 2}
    for key, outcome in zip(keys, outcomes):
        counts[column[key], 4] += 1
        if outcome:
            counts[column[key], kinds[outcome]] += 1
    for i in false_alarms:
        if i >= 0:  # -1: a truth without words has no speaker to give it to
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


@dataclass(frozen=True)
class WordHearing:
    """What the model's raw scores did while one word of a stream was in reach of the scoring rule
    (the hops from ``EARLY_S`` before its middle to ``LATE_S`` after), before any decision."""
    time_s: float
    label: str
    speaker: str
    is_command: bool
    hops: int          # hops in reach where the word's own label (a command word) or any command (another word)
                       # scored at or above the threshold
    peak: float        # the highest such score in reach
    peak_label: str    # the label with the highest score at the hop of the peak


def word_hearing(labels, times_ms, scores, truth, threshold: float = 0.5) -> list[WordHearing]:
    """Per truth row, how long the model heard it: for a command word, the hops where its own label reaches
    ``threshold``; for another word, the hops where some command does (which can become a false alarm).
    ``times_ms`` are the hops' times (the end of each window), ``scores`` their raw scores (hops x labels)."""
    labels = list(labels)
    times_s = np.asarray(times_ms, dtype=float) / 1000.0
    scores = np.asarray(scores, dtype=float)
    commands = [i for i, lab in enumerate(labels) if lab in COMMANDS]
    out = []
    for row, speaker in zip(truth, speaker_keys(truth)):
        t_word, label = float(row[0]), row[1]
        near = scores[in_reach(t_word, times_s)]
        is_command = label in COMMANDS and label in labels
        if near.size == 0:
            out.append(WordHearing(t_word, label, speaker, is_command, 0, 0.0, ""))
            continue
        own = near[:, labels.index(label)] if is_command else near[:, commands].max(axis=1)
        best = int(np.argmax(own))
        out.append(WordHearing(t_word, label, speaker, is_command, int((own >= threshold).sum()), float(own[best]),
                               labels[int(np.argmax(near[best]))]))
    return out
