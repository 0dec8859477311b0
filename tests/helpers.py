"""Helpers that make small audio datasets in tmp_path."""

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from kwsapp.core.audio import write_wav


def tone(freq_hz: float, rate_hz: int = 16000, seconds: float = 1.0, amp: float = 0.3, phase: float = 0.0) -> np.ndarray:
    t = np.arange(int(rate_hz * seconds)) / rate_hz
    return (amp * np.sin(2 * np.pi * freq_hz * t + phase)).astype(np.float32)


def make_tone_dataset(root: Path, words: dict[str, float], speakers: list[str], per_speaker: int = 1,
                      noise_seconds: int = 5, lists: bool = False) -> Path:
    """A Kaggle-layout dataset where each word is a tone of its own frequency."""
    rng = np.random.default_rng(0)
    audio = root / "train" / "audio"
    for word, f in words.items():
        (audio / word).mkdir(parents=True, exist_ok=True)
        for spk in speakers:
            for n in range(per_speaker):
                x = tone(f, phase=rng.uniform(0, 6)) + rng.normal(0, 0.01, 16000).astype(np.float32)
                write_wav(audio / word / f"{spk}_nohash_{n}.wav", x, 16000)
    (audio / "_background_noise_").mkdir(parents=True, exist_ok=True)
    write_wav(audio / "_background_noise_" / "white.wav", rng.normal(0, 0.1, 16000 * noise_seconds), 16000)
    return root


REPO = Path(__file__).resolve().parents[1]
# the spectrogram model bundled for the Kaggle path and the tests of that kind (the app starts with
# kwsapp.bundled.bundled_model_dir(), the speech-embedding model)
BUNDLED_MODEL = REPO / "assets" / "default_model"
APP_MODEL = REPO / "assets" / "embedding_model"


def run_cli(*args, check=True, timeout=600):
    """``python -m trainer ARGS`` in a subprocess, as a user runs it."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    r = subprocess.run([sys.executable, "-m", "trainer", *map(str, args)], capture_output=True, text=True,
                       cwd=REPO, env=env, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"trainer {args[0]} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    return r


def read_lines(stream, sink: list):
    for line in stream:
        sink.append(line.rstrip("\n"))


def wait_for_line(lines: list, prefix: str, proc, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for line in lines:
            if line.startswith(prefix):
                return line
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"no {prefix!r} line from the app; it printed: {lines}")
