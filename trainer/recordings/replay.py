"""Streaming evaluation, like TensorFlow's ``generate_streaming_test_wav`` and ``test_streaming_accuracy``.

``make_stream`` writes a long 16 kHz recording: held-out clips (commands and other words) about every
3 s over background noise at a chosen SNR, and the true ``time_s,label,clip`` of each word (the time of
the middle of the word's energy; the clip it came from). ``stream_eval`` slides the app's own path over it (the same feature
function, the same LiteRT / Keras scorer, the same ``RecognizeCommands``) and scores the announcements by the
rule in :mod:`trainer.recordings.scoring`; ``sweep`` does it for a grid of decision settings.
"""

from __future__ import annotations

import csv
import wave
from dataclasses import asdict
from pathlib import Path

import numpy as np

from kwsapp.core.audio import AudioError, WavFile, read_wav, resample, samples, to_pcm16
from kwsapp.core.decisions import DEFAULT_HOP_MS, DecisionSettings
from kwsapp.core.files import write_atomic
from kwsapp.core.labels import COMMANDS, UNKNOWN
from kwsapp.core.words import frame_energies, frame_length, loud_frames, word_span
from trainer.data.dataset import NOISE_SEGMENTS, SplitRule, index_dataset, load_noise
from trainer.recordings.scoring import score_detections, speaker_intervals

STREAM_RATE_HZ = 16000


class StreamError(Exception):
    pass


def _energy_middle(x: np.ndarray, rate: int) -> float:
    """Seconds from the clip start to the middle of its word (kwsapp.core.words)."""
    span = word_span(frame_energies(x, rate))
    if span is None:
        return x.size / rate / 2
    return float((span[0] + span[1]) / 2 * frame_length(rate) / rate)


def active_rms(x: np.ndarray, rate: int) -> float:
    """RMS over the frames of the word (kwsapp.core.words): its level, not that of the pauses around it.
    ``make_stream``'s SNR is this level over the noise's RMS."""
    e = frame_energies(x, rate)
    if e.size == 0:
        return float(np.sqrt(np.mean(np.square(x)))) if x.size else 0.0
    loud = loud_frames(e)
    return float(np.sqrt(e[loud].mean())) if loud.any() else 0.0


def _clip_name(path: Path) -> str:
    """word/file.wav: enough to find the clip again under ROOT/train/audio."""
    return f"{path.parent.name}/{path.name}"


BLOCK_S = 30.0  # a stream is made, written and scored this many seconds at a time: memory does not grow with it


def _noise_bed(noise, split: str) -> np.ndarray | None:
    """The split's own part of every noise recording, each at unit RMS, joined (looped by the caller)."""
    seg_split = "testing" if split == "all" else split
    lo, hi = NOISE_SEGMENTS[seg_split]
    parts = []
    for rec in noise:
        seg = rec.samples[int(lo * rec.samples.size):int(hi * rec.samples.size)]
        seg = resample(seg.astype(np.float32), rec.sample_rate_hz, STREAM_RATE_HZ).astype(np.float32)
        rms = float(np.sqrt(np.mean(np.square(seg)))) if seg.size else 0.0
        if rms > 1e-6:
            parts.append(seg / rms)
    return np.concatenate(parts) if parts else None


def _placed_clip(path: Path) -> np.ndarray:
    rate, x = read_wav(path)
    return resample(x, rate, STREAM_RATE_HZ).astype(np.float32)[:STREAM_RATE_HZ]


def make_stream(roots, split: str, out_wav, truth_csv, minutes: float = 10.0, snr_db: float = 10.0, seed: int = 0,
                rule: SplitRule = SplitRule(), unknown_share: float = 0.25, gap_s: float = 3.0,
                speech_dbfs: float = -24.0, noise_roots=None) -> dict:
    """Write the stream and its truth; returns a summary. ``split`` is validation, testing or all. The background
    comes from the noise recordings of ``noise_roots`` (default: ``roots``).

    The words are placed first (each clip read once for its level and the middle of its word); then the stream is
    made BLOCK_S at a time, twice: once for its peak, once to write it scaled below full scale. Memory stays that of
    a block and the noise bed, whatever the length."""
    rng = np.random.default_rng(seed)
    commands, unknown, noise_files = _split_clips(roots, split, rule, noise_roots)
    noise, noise_errors = load_noise(noise_files)
    total = int(minutes * 60 * STREAM_RATE_HZ)
    if total < 5 * STREAM_RATE_HZ:
        raise StreamError("--minutes must give at least 5 s of audio")

    # background: the noise bed looped from a random start, or (no noise recordings) white noise of its own seed
    bed = _noise_bed(noise, split)
    bed_start = int(rng.integers(bed.size)) if bed is not None else 0
    speech_rms = 10 ** (speech_dbfs / 20)
    bed_gain = speech_rms / 10 ** (snr_db / 20)
    placed, truth, skipped, used = _place_words(rng, commands, unknown, total, unknown_share, gap_s, speech_rms)

    def blocks():
        return _stream_blocks(total, placed, bed, bed_start, bed_gain, seed)

    out_wav, truth_csv = Path(out_wav), Path(truth_csv)
    _write_stream(out_wav, truth_csv, blocks, truth)
    return {"wav": str(out_wav), "truth": str(truth_csv), "seconds": total / STREAM_RATE_HZ, "words": len(truth),
            "command_words": sum(lab in COMMANDS for _, lab, _ in truth), "distinct_clips": len(used),
            "distinct_unknown_clips": len({p for p, _ in unknown} & used), "snr_db": snr_db, "split": split,
            "noise_files": len(noise), "skipped": skipped[:20] + noise_errors}


def _split_clips(roots, split: str, rule: SplitRule, noise_roots):
    """The split's command clips and other-word clips, (path, label) each, and the noise recordings to use."""
    clips, noise_files = [], []
    for root in roots:
        index = index_dataset(root, rule)
        part = index.split(split)
        clips += [(index.audio_dir / p, lab) for p, lab in zip(part["path"], part["label"])]
        noise_files += index.noise_files
    if noise_roots:
        noise_files = [f for root in noise_roots for f in index_dataset(root, rule).noise_files]
    commands = [c for c in clips if c[1] in COMMANDS]
    unknown = [c for c in clips if c[1] == UNKNOWN]
    if not commands:
        raise StreamError(f"no command clips in the {split} split of {', '.join(map(str, roots))}")
    return commands, unknown, noise_files


def _place_words(rng, commands, unknown, total: int, unknown_share: float, gap_s: float, speech_rms: float):
    """Where each word goes: ``placed`` (first sample, clip path, gain), ``truth`` (time of the word's middle, label,
    clip), the clips ``skipped`` and the set of clips ``used``."""
    # each pool is dealt like a deck: every clip once, in a shuffled order, before any clip comes again,
    # so a few clips cannot dominate the figures by chance
    decks = {"commands": [], "unknown": []}

    def deal(name, pool):
        if not decks[name]:
            decks[name] = [pool[i] for i in rng.permutation(len(pool))]
        return decks[name].pop()

    used = set()
    truth, skipped, placed = [], [], []
    t = 1.0 + rng.uniform(0, 0.5)
    while t + 1.0 < total / STREAM_RATE_HZ:
        if unknown and rng.random() < unknown_share:
            path, label = deal("unknown", unknown)
        else:
            path, label = deal("commands", commands)
        used.add(path)
        try:
            x = _placed_clip(path)
        except AudioError as exc:
            skipped.append(str(exc))
            t += gap_s
            continue
        level = active_rms(x, STREAM_RATE_HZ)
        if level <= 1e-6:
            skipped.append(f"{path}: silent clip")
            t += gap_s
            continue
        placed.append((int(t * STREAM_RATE_HZ), path, speech_rms * 10 ** (rng.uniform(-3, 3) / 20) / level))
        truth.append((round(t + _energy_middle(x, STREAM_RATE_HZ), 3), label, _clip_name(path)))
        t += gap_s + rng.uniform(-0.5, 0.5)
    return placed, truth, skipped, used


def _stream_blocks(total: int, placed, bed, bed_start: int, bed_gain: float, seed: int):
    """The stream BLOCK_S at a time (the same samples every time it is called)."""
    block = int(BLOCK_S * STREAM_RATE_HZ)
    gen = np.random.default_rng([seed, 1]) if bed is None else None  # white noise, the same every pass
    k = 0
    for b0 in range(0, total, block):
        b1 = min(total, b0 + block)
        if gen is not None:
            out = gen.normal(0, 1, b1 - b0).astype(np.float32) * bed_gain
        else:
            out = bed[(bed_start + np.arange(b0, b1)) % bed.size] * bed_gain
        while k < len(placed) and placed[k][0] < b0 - STREAM_RATE_HZ:
            k += 1
        for first, path, gain in placed[k:]:
            if first >= b1:
                break
            x = _placed_clip(path) * gain
            lo, hi = max(first, b0), min(first + x.size, b1)
            if hi > lo:
                out[lo - b0:hi - b0] += x[lo - first:hi - first]
        yield out


def _write_stream(out_wav: Path, truth_csv: Path, blocks, truth) -> None:
    """The wav, 16-bit, scaled below full scale if its peak needs it (one pass for the peak, one to write), and the
    truth CSV; each written atomically."""
    peak = max(float(np.abs(b).max()) for b in blocks())
    scale = 0.99 / peak if peak > 0.99 else None

    def write_audio(p):
        with wave.open(str(p), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(STREAM_RATE_HZ)
            for b in blocks():
                if scale is not None:
                    b *= scale
                w.writeframes(to_pcm16(b).tobytes())

    write_atomic(out_wav, write_audio)

    def write_truth(p):
        with open(p, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["time_s", "label", "clip"])
            w.writerows(truth)

    write_atomic(truth_csv, write_truth)


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


def listener_for(model_dir, rate_hz: int, hop_ms: float = DEFAULT_HOP_MS, runtime: str = "litert",
                 decisions: DecisionSettings = DecisionSettings(), verify_every_hop: bool = False):
    """The Listener (kwsapp.engine.listener) of a model folder for audio at ``rate_hz``; ``runtime`` keras runs the
    folder's model.keras through the same path (trainer.models.keras_model.KerasScorer)."""
    from kwsapp.engine.listener import Listener, open_listener

    if runtime != "keras":
        return open_listener(model_dir, rate_hz, decisions, hop_ms, runtime, verify_every_hop)
    from kwsapp.engine.window import WindowSource, load_verifier
    from trainer.models.keras_model import KerasScorer

    return Listener(WindowSource(KerasScorer(model_dir), rate_hz, hop_ms), rate_hz, decisions, load_verifier(model_dir),
                    verify_every_hop)


PIECE_MS = 100.0  # a recording is fed to the Listener this much at a time, as the app's hops would feed it


def listen(listener, recording) -> list:
    """Every Hop of a recording (a WavFile, read BLOCK_S at a time, or an array at the listener's rate)."""
    if not isinstance(recording, WavFile):
        return listener.feed(np.asarray(recording, np.float32))
    piece = max(1, samples(recording.sample_rate_hz, PIECE_MS))
    block = piece * max(1, int(BLOCK_S * 1000 / PIECE_MS))
    hops = []
    for b0 in range(0, recording.n_frames, block):
        x = recording.read(b0, min(b0 + block, recording.n_frames))
        for a in range(0, x.size, piece):
            hops += listener.feed(x[a:a + piece])
    return hops


def hop_arrays(listener, hops):
    """(labels, times_ms, scores, verify) of a recording's hops, for replaying other decision settings (``replay``);
    ``verify`` is (the verifier, its scores at every hop) when the Listener was asked for them, else None."""
    times = np.array([h.time_ms for h in hops])
    scores = np.array([h.scores for h in hops]) if hops else np.empty((0, len(listener.labels)), np.float32)
    verify = None
    if listener.verify_every_hop:
        verify = listener.verifier, np.array([h.verifier_scores for h in hops])
    return listener.labels, times, scores, verify


def replay(labels, times_ms, scores, settings: DecisionSettings, verify=None):
    """The Listener's gate (the decision class, then the verifier) over per-hop scores kept from a recording, for
    other decision settings: (hop index, Decision, the verifier's score or None, announced) for every hop.
    ``verify``: (the verifier, its scores at every hop) or None."""
    from kwsapp.engine.listener import Gate

    gate = Gate(labels, settings, None if verify is None else verify[0])
    for i, (t, s) in enumerate(zip(times_ms, scores)):
        d, announced, checked = gate.decide(t, s, (lambda i=i: verify[1][i]) if verify is not None else None)
        yield i, d, checked, announced


def announcements(labels, times_ms, scores, settings: DecisionSettings, verify=None) -> list[tuple[int, str]]:
    """(hop index, label) of every announcement (``replay``)."""
    return [(i, d.label) for i, d, _, kept in replay(labels, times_ms, scores, settings, verify) if kept]


def decide(labels, times_ms, scores, settings: DecisionSettings, verify=None) -> list[tuple[float, str]]:
    """The announcements, (time_s, label)."""
    return [(times_ms[i] / 1000.0, lab) for i, lab in announcements(labels, times_ms, scores, settings, verify)]


def model_scores(model_dir, recording, rate_hz: int, hop_ms: float = DEFAULT_HOP_MS):
    """(times_ms, scores): a model's raw scores of every hop of a recording (a WavFile, or an array at ``rate_hz``),
    through its Listener (the benchmarks compare models on them)."""
    listener = listener_for(model_dir, int(rate_hz), hop_ms)
    _, times, scores, _ = hop_arrays(listener, listen(listener, recording))
    return times, scores


def recording_hops(model_dir, recording, hop_ms: float = DEFAULT_HOP_MS, runtime: str = "litert",
                   rate_hz: int | None = None):
    """(labels, times_ms, scores, verify, step_ms) of a recording (a WavFile, or an array at ``rate_hz``) through the
    model's Listener, the verifier scored at every hop, for replaying decision settings; ``step_ms`` is the time
    between results (the hop, or the kind's own step)."""
    rate = recording.sample_rate_hz if isinstance(recording, WavFile) else int(rate_hz)
    listener = listener_for(model_dir, rate, hop_ms, runtime, verify_every_hop=True)
    return (*hop_arrays(listener, listen(listener, recording)), listener.step_ms)


def stream_eval(model_dir, wav, truth_csv, hop_ms: float = DEFAULT_HOP_MS, decisions: DecisionSettings = DecisionSettings(),
                runtime: str = "litert", with_anatomy: bool = False) -> dict:
    """``runtime``: litert or keras (the model on 1-s windows every ``hop_ms``), or incremental (a streaming model's
    step every 40 ms, on features computed as the audio arrives; no verifier). ``with_anatomy``: where each lost word
    was lost, and what each false alarm fired on (trainer.recordings.anatomy), under ``anatomy``."""
    truth = read_truth(truth_csv)
    recording = WavFile(wav)
    listener = listener_for(model_dir, recording.sample_rate_hz, hop_ms, runtime, decisions)
    hops = listen(listener, recording)
    found = [(h.time_ms / 1000.0, h.decision.label) for h in hops if h.announced]
    hop_ms = listener.step_ms
    result = score_detections(found, truth, recording.seconds).to_dict()
    result["intervals"] = speaker_intervals(found, truth, recording.seconds)
    result.update(model=str(model_dir), wav=str(wav), hop_ms=hop_ms, runtime=runtime, decisions=asdict(decisions),
                  verifier=None if listener.verifier is None else {"threshold": listener.verifier.threshold},
                  detections=[{"time_s": round(t, 3), "label": lab} for t, lab in found])
    if with_anatomy:
        from trainer.recordings.anatomy import anatomy

        result["anatomy"] = anatomy(hops, truth)
    return result
