"""Choosing decision settings on a recording: every combination of a grid replayed over the hops the model gave once
(``trainer.recordings.replay.recording_hops``), and the one rule that picks among them (``choose``). `stream-sweep`
and every bench that chooses settings on the validation stream use these."""

from __future__ import annotations

import copy
import itertools
from dataclasses import asdict, fields
from pathlib import Path

from kwsapp.core.audio import WavFile
from kwsapp.core.decisions import DEFAULT_HOP_MS, DecisionSettings, threshold_grid
from trainer.recordings.replay import decide, read_truth, recording_hops
from trainer.recordings.scoring import score_detections, speaker_intervals

MAX_WRONG = 0.03
MAX_FA_PER_HOUR = 6.0
THRESHOLDS = tuple(threshold_grid(0.05))  # from 0.3: below 0.5 for a model whose verifier filters
WINDOWS_MS = (0.0, 250.0, 500.0, 750.0, 1000.0)
REFRACTORIES_MS = (500.0, 1000.0, 1500.0)
MINIMUM_COUNTS = (1, 2)
PEAK_THRESHOLDS = (0.0, 0.8, 0.85, 0.9)
VERIFIER_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def settings_ties(row: dict) -> tuple:
    """After the most correct, fewer false alarms and fewer wrong: more results averaged, then the longer refractory
    time (a stream's words are about 3 s apart, so it cannot show what a shorter one costs: one word announced twice
    as the 1-s average stays high), last the lower peak threshold (no check when one does no better)."""
    return row["minimum_count"], row["refractory_ms"], -row["peak_threshold"]


def choose(rows: list[dict], max_wrong: float = MAX_WRONG, max_fa_per_hour: float = MAX_FA_PER_HOUR,
           ties=settings_ties) -> dict:
    """The most correct row within ``max_wrong`` and ``max_fa_per_hour`` (then fewer false alarms, fewer wrong, then
    ``ties``); if none is within them, the one with the fewest false alarms plus wrong answers less correct ones."""
    ok = [r for r in rows if r["wrong"] <= max_wrong and r["false_alarms_per_hour"] <= max_fa_per_hour]
    if ok:
        return max(ok, key=lambda r: (r["correct"], -r["false_alarms_per_hour"], -r["wrong"], *ties(r)))
    return min(rows, key=lambda r: r["n_false_alarms"] + r["n_wrong"] - r["n_correct"])


def settings_of(row: dict) -> DecisionSettings:
    return DecisionSettings(**{f.name: row[f.name] for f in fields(DecisionSettings)})


def sweep_hops(labels, times, scores, verify, step_ms: float, truth, seconds: float, thresholds=THRESHOLDS,
               windows_ms=WINDOWS_MS, refractories_ms=REFRACTORIES_MS, minimum_counts=MINIMUM_COUNTS,
               peak_thresholds=PEAK_THRESHOLDS, max_wrong: float = MAX_WRONG,
               max_fa_per_hour: float = MAX_FA_PER_HOUR, command_thresholds: str = "",
               verifier_thresholds=VERIFIER_THRESHOLDS, decide=decide) -> tuple[list[dict], dict]:
    """``decide``: how the hops become announcements (trainer.recordings.replay.decide, the Listener's gate; a bench
    may try another gate). Every combination of the decision settings replayed over one recording's hops (``recording_hops``' arrays),
    chosen by ``choose``; with a verifier, then its threshold at the chosen settings (``best["verifier_threshold"]``:
    what verifier.json should say), kept only when it is more correct."""
    rows = []
    for th, win, ref, count, peak in itertools.product(thresholds, windows_ms, refractories_ms, minimum_counts,
                                                       peak_thresholds):
        if count > 1 + win // step_ms:
            continue  # the window never holds that many results
        s = DecisionSettings(average_window_ms=win, threshold=th, refractory_ms=ref, minimum_count=count,
                             peak_threshold=peak, command_thresholds=command_thresholds)
        r = score_detections(decide(labels, times, scores, s, verify), truth, seconds)
        rows.append({**asdict(s), **r.to_dict()})
    best = choose(rows, max_wrong, max_fa_per_hour)
    chosen = settings_of(best)
    if verify is not None:  # then the verifier's own threshold, the decision settings held at their choice
        tried = []
        for vth in verifier_thresholds:
            v = copy.copy(verify[0])
            v.threshold = vth
            r = score_detections(decide(labels, times, scores, chosen, (v, verify[1])), truth, seconds)
            tried.append({**asdict(chosen), **r.to_dict(), "verifier_threshold": vth})
        rows += tried
        ok = [r for r in tried if r["wrong"] <= max_wrong and r["false_alarms_per_hour"] <= max_fa_per_hour]
        if ok:
            pick = choose(ok, max_wrong, max_fa_per_hour, ties=lambda r: (r["verifier_threshold"],))
            if pick["correct"] > best["correct"]:
                best = pick
        best.setdefault("verifier_threshold", verify[0].threshold)
        verify = (copy.copy(verify[0]), verify[1])
        verify[0].threshold = best["verifier_threshold"]
    best = {**best, "intervals": speaker_intervals(decide(labels, times, scores, chosen, verify), truth, seconds)}
    return rows, best


def sweep(model_dir, wav, truth_csv, hop_ms: float = DEFAULT_HOP_MS, runtime: str = "litert",
          **grid) -> tuple[list[dict], dict]:
    """``sweep_hops`` on one stream (the model runs once; ``runtime`` as in ``stream_eval``); ``grid``: its keyword
    arguments (a grid of its own, the limits, command thresholds)."""
    truth = read_truth(truth_csv)
    recording = WavFile(wav)
    labels, times, scores, verify, step_ms = recording_hops(model_dir, recording, hop_ms, runtime)
    return sweep_hops(labels, times, scores, verify, step_ms, truth, recording.seconds,
                      **{k: v for k, v in grid.items() if v is not None})


def streams_hops(model_dir, streams_dir, names) -> dict:
    """{name: (labels, times_ms, scores, verify, step_ms, truth, seconds)} of the streams ``streams_dir/NAME.wav`` (and
    their ``NAME.csv``) through the model's Listener once, the verifier scored at every hop, for the benches that
    choose and score settings on several streams."""
    out = {}
    for name in names:
        base = Path(streams_dir) / name
        rec = WavFile(f"{base}.wav")
        out[name] = (*recording_hops(model_dir, rec), read_truth(f"{base}.csv"), rec.seconds)
    return out
