"""The user's own examples, ``<label>/*.wav`` in the layout ``trainer personalize`` and ``trainer calibrate`` read,
under the user's data folder (platformdirs; KWSAPP_DATA_DIR=FOLDER puts it elsewhere)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np

from .audio import AudioError, read_wav, write_wav
from .files import write_atomic
from .labels import UNKNOWN, label_problem

# what "That was wrong" keeps around an announcement: the 1-s window it was heard in, and a little more each side
WRONG_BEFORE_S, WRONG_AFTER_S = 1.25, 0.25


def data_dir() -> Path:
    override = os.environ.get("KWSAPP_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("kwsapp", appauthor=False))


def examples_dir() -> Path:
    return data_dir() / "examples"


def room_path() -> Path:
    """The recording of the user's room (Calibrate to my room keeps it; a fine-tune measures false alarms on it)."""
    return data_dir() / "room.wav"


def save_example(label: str, wave: np.ndarray, rate: int, folder: Path | None = None, stem: str = "take") -> Path:
    """Write one example as ``<folder>/<label>/<stem>_<time>.wav`` (atomically) and return its path."""
    problem = label_problem(label)
    if problem:
        raise ValueError(problem)
    out = (folder or examples_dir()) / label / f"{stem}_{dt.datetime.now():%Y%m%d_%H%M%S_%f}.wav"
    write_atomic(out, lambda p: write_wav(p, wave, rate))
    return out


def save_wrong(buffer, announced_time_s: float, folder: Path | None = None) -> Path | None:
    """"That was wrong": the audio around an announcement (its time as the worker reports it, seconds of audio since
    listening started) as an example of ``unknown``; None when that audio has left the ring buffer."""
    rate = buffer.sample_rate_hz
    clip = buffer.span(int((announced_time_s - WRONG_BEFORE_S) * rate), int((announced_time_s + WRONG_AFTER_S) * rate))
    if clip is None:
        return None
    return save_example(UNKNOWN, clip, rate, folder, stem="wrong")


def read_takes(folder: Path, labels=None, max_seconds: float = 10.0):
    """Every usable take under ``folder/<label>/*.wav`` (only ``labels``' folders when given), in name order:
    ({label: [(rate, wave), ...]}, [one line per take or folder left out, and why]). A take that cannot be read or
    holds no word (kwsapp.core.words.take_problem), and a folder whose name is not a label, are left out."""
    from .words import take_problem

    takes: dict[str, list[tuple[int, np.ndarray]]] = {}
    skipped: list[str] = []
    for sub in sorted(p for p in Path(folder).iterdir() if p.is_dir() and (labels is None or p.name in labels)):
        if sub.name.startswith("."):
            continue
        problem = label_problem(sub.name)
        if problem:
            skipped.append(f"{sub}: not a label ({problem})")
            continue
        for wav in sorted(sub.glob("*.wav")):
            try:
                rate, x = read_wav(wav, max_seconds=max_seconds)
            except AudioError as exc:
                skipped.append(str(exc))
                continue
            why = take_problem(x, rate)
            if why:
                skipped.append(f"{wav}: {why}")
                continue
            takes.setdefault(sub.name, []).append((rate, x))
    return takes, skipped
