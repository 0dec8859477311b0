"""Where the word is in a clip: the frames whose energy is within ``within_db`` of the loudest frame. One rule for
every place that needs it (a stream's word times and levels, the made negatives of training, cutting a recorded take)."""

from __future__ import annotations

import numpy as np

from .audio import samples

# a frame belongs to the word when its energy is within this many dB of the loudest frame's
WORD_WITHIN_DB = 10.0
FRAME_MS = 10.0  # frames of a waveform, for its energies


def frame_length(sample_rate_hz: int, frame_ms: float = FRAME_MS) -> int:
    """Samples in a frame of ``frame_ms``."""
    return max(1, samples(sample_rate_hz, frame_ms))


def frame_energies(wave: np.ndarray, sample_rate_hz: int, frame_ms: float = FRAME_MS) -> np.ndarray:
    """Mean square of each whole frame of ``wave``, in its own dtype (a partial last frame is left out; empty when
    the wave is shorter than a frame)."""
    frame = frame_length(sample_rate_hz, frame_ms)
    n = wave.size // frame
    return np.square(wave[: n * frame].reshape(n, frame)).mean(axis=1)


def loud_frames(energies: np.ndarray, within_db: float = WORD_WITHIN_DB) -> np.ndarray:
    """Which frames are within ``within_db`` of the loudest (all False when every frame is silent)."""
    top = energies.max() if energies.size else 0.0
    if top <= 0:
        return np.zeros(energies.shape, bool)
    return energies >= top * 10.0 ** (-within_db / 10.0)


def word_span(energies: np.ndarray, within_db: float = WORD_WITHIN_DB) -> tuple[int, int] | None:
    """First and last+1 loud frame: where the word is; None when there is no loud frame."""
    idx = np.nonzero(loud_frames(energies, within_db))[0]
    return (int(idx[0]), int(idx[-1]) + 1) if idx.size else None


def word_window(x: np.ndarray, rate: int, seconds: float = 1.0) -> np.ndarray:
    """The second of a take around its word (the rule above); a shorter take is returned whole (the features pad
    it at the front, as the training clips are)."""
    n = int(round(seconds * rate))
    if x.size <= n:
        return x
    span = word_span(frame_energies(x, rate))
    if span is None:
        return x[:n]
    middle = (span[0] + span[1]) * frame_length(rate) // 2
    start = int(np.clip(middle - n // 2, 0, x.size - n))
    return x[start:start + n]


MIN_TAKE_S = 0.25         # a take shorter than this holds no word
SILENT_DBFS = -60.0       # a take whose loudest 10 ms are quieter than this is silence
STANDS_OUT_DB = 12.0      # the word's loudest 10 ms must be this far above the take's quietest tenth of frames
QUIET_PERCENTILE = 10     # (not the median: an imported take cut tight around its word is word from end to end)


def take_problem(x: np.ndarray, rate: int) -> str | None:
    """Why a recorded take holds no word to learn from (too short, silent, nothing standing out of the background),
    or None."""
    x = np.asarray(x, np.float64)
    if x.size < MIN_TAKE_S * rate:
        return f"{x.size / rate:.2f} s long: too short to hold a word"
    e = frame_energies(x, rate)
    top = float(e.max()) if e.size else 0.0
    if top <= 10 ** (SILENT_DBFS / 10):
        return "silent (nothing above -60 dBFS)"
    quiet = float(np.percentile(e, QUIET_PERCENTILE))
    if quiet > 0 and 10 * np.log10(top / quiet) < STANDS_OUT_DB:
        return (f"no word stands out of the background (the loudest part is {10 * np.log10(top / quiet):.0f} dB above "
                "the quietest)")
    return None
