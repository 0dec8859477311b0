"""Calibrate to a room: a threshold for each command that keeps its false alarms on a recording of the room (no
commands spoken; television, music and talk welcome) within a budget, and what each threshold costs on the user's
own takes of the commands.

    python -m trainer calibrate --model DIR --room ROOM.wav --examples DIR [--budget-per-hour 1]

The thresholds go into the decision settings (``command_thresholds``), which stream-eval, stream-sweep and the app
read. A threshold is never set below the model's own (``--lowest``): a quiet room says nothing about the other
words a user will say, so calibration only raises thresholds where the room needs it.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from kwsapp.core.audio import WavFile
from kwsapp.core.decisions import (
    DEFAULT_HOP_MS,
    DecisionSettings,
    RecognizeCommands,
    format_command_thresholds,
    threshold_grid,
)
from kwsapp.core.examples import read_takes

GRID = threshold_grid(0.01, 0.30, 0.99)
PAD_S = 1.0  # silence before and after each take, so the whole word passes through the 1-s window


class CalibrationError(Exception):
    pass


def announcements_per_label(labels, times_ms, scores, settings: DecisionSettings, verify=None) -> dict[str, int]:
    from trainer.recordings.replay import announcements

    counts: dict[str, int] = {}
    for _, label in announcements(labels, times_ms, scores, settings, verify):
        counts[label] = counts.get(label, 0) + 1
    return counts


def best_averaged_score(labels, times_ms, scores, settings: DecisionSettings, label: str) -> float:
    """The highest averaged score ``label`` reaches while it is the best label: a take is heard at any threshold up
    to this (0 when the label is never on top)."""
    rc = RecognizeCommands(labels, replace(settings, threshold=1.0, command_thresholds=""))
    best = 0.0
    for t, s in zip(times_ms, scores):
        d = rc.process(s, t)
        if d.label == label and rc.results_in_window >= settings.minimum_count:
            best = max(best, d.score)
    return best


def choose_thresholds(labels, room_times_ms, room_scores, room_hours: float, take_scores: dict[str, list[float]],
                      settings: DecisionSettings, budget_per_hour: float, lowest: float, verify=None) -> dict:
    """Per command: the lowest threshold (from ``lowest`` up) whose false alarms on the room are within the budget,
    the curve behind it (threshold, false alarms per hour, share of the takes missed) and the chosen point."""
    commands = [c for c in labels if c not in RecognizeCommands.NOT_ANNOUNCED]  # a word of the user's own too
    grid = [t for t in GRID if t >= lowest] or [lowest]
    fa = {c: [] for c in commands}
    for t in grid:
        counts = announcements_per_label(labels, room_times_ms, room_scores, replace(settings, threshold=t,
                                                                                    command_thresholds=""), verify)
        for c in commands:
            fa[c].append(counts.get(c, 0) / room_hours)
    chosen = {}
    for c in commands:
        ok = [i for i, f in enumerate(fa[c]) if f <= budget_per_hour]
        chosen[c] = grid[ok[0]] if ok else grid[-1]
    # the commands' thresholds act together (one announcement resets another's refractory time): check the set, and
    # raise any command still over its budget
    while True:
        counts = announcements_per_label(labels, room_times_ms, room_scores,
                                         replace(settings, command_thresholds=format_command_thresholds(chosen)), verify)
        over = [c for c in commands if counts.get(c, 0) / room_hours > budget_per_hour and chosen[c] < grid[-1]]
        if not over:
            break
        for c in over:
            chosen[c] = min(t for t in grid if t > chosen[c])
    out = {}
    for c in commands:
        takes = take_scores.get(c, [])
        missed = [float(np.mean([s < t for s in takes])) if takes else None for t in grid]
        i = grid.index(chosen[c])
        out[c] = {"threshold": chosen[c], "false_alarms_per_hour": counts.get(c, 0) / room_hours,
                  "missed": missed[i], "takes": len(takes), "within_budget": counts.get(c, 0) / room_hours <= budget_per_hour,
                  "curve": [[t, f, m] for t, f, m in zip(grid, fa[c], missed)]}
    return out


def calibrate(model_dir, room_wav, examples_dir, budget_per_hour: float = 1.0, lowest: float | None = None,
              hop_ms: float = DEFAULT_HOP_MS, settings: DecisionSettings | None = None) -> dict:
    from kwsapp.core.modelfolder import ModelFolder
    from trainer.recordings.replay import recording_hops

    settings = settings or DecisionSettings()
    lowest = settings.threshold if lowest is None else lowest
    labels = list(ModelFolder.open(model_dir).labels)
    room = WavFile(room_wav)
    if room.seconds < 60:
        raise CalibrationError(f"{room_wav}: {room.seconds:.0f} s of room; record at least a minute (ten is better)")
    # the room's false alarms as the app would raise them (the verifier's scores kept for every hop)
    _, room_times, room_scores, verify, _ = recording_hops(model_dir, room, hop_ms)
    examples = Path(examples_dir)
    if not examples.is_dir():
        raise CalibrationError(f"{examples}: not a folder of <label>/*.wav takes")
    waves, skipped = read_takes(examples, labels)
    takes: dict[str, list[float]] = {}
    for label, recordings in waves.items():
        for rate, x in recordings:
            pad = np.zeros(int(PAD_S * rate), np.float32)
            _, t, s, _, _ = recording_hops(model_dir, np.concatenate([pad, x, pad]), hop_ms, rate_hz=rate)
            takes.setdefault(label, []).append(best_averaged_score(labels, t, s, settings, label))
    per_command = choose_thresholds(labels, room_times, room_scores, room.seconds / 3600, takes, settings,
                                    budget_per_hour, lowest, verify)
    chosen = {c: v["threshold"] for c, v in per_command.items() if v["threshold"] != settings.threshold}
    return {"model": str(model_dir), "room": str(room_wav), "room_minutes": room.seconds / 60,
            "budget_per_hour": budget_per_hour, "lowest": lowest, "decisions": asdict(settings),
            "command_thresholds": format_command_thresholds(chosen), "commands": per_command, "skipped": skipped}
