"""Reading wav files of any common encoding and bringing a clip to the model's rate and length.

All waveforms inside kwsapp are float32 mono in [-1, 1]. The feature settings carry the scale
the model expects (the notebook worked on int16 amplitudes).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

# scipy is imported where it is used: scipy.signal alone takes ~1 s to import, and the app's window
# must appear before that.


# Sample rates a wav file may declare: telephone speech to studio audio. A header can say anything; a 32 KB file
# that claims 100 MHz would make a 1-s window of 100 million samples.
MIN_SAMPLE_RATE_HZ = 1_000
MAX_SAMPLE_RATE_HZ = 384_000


class AudioError(Exception):
    """A wav file that cannot be used; the message names the file and the problem."""


def to_float_mono(samples: np.ndarray) -> np.ndarray:
    """Convert any integer or float PCM array (frames[, channels]) to float32 mono in [-1, 1]."""
    x = np.asarray(samples)
    if x.dtype == np.uint8:  # 8-bit wav is unsigned with a 128 offset
        y = (x.astype(np.float32) - 128.0) / 128.0
    elif np.issubdtype(x.dtype, np.integer):
        y = x.astype(np.float32) / float(-np.iinfo(x.dtype).min)
    elif np.issubdtype(x.dtype, np.floating):
        y = x.astype(np.float32, copy=False)
    else:
        raise ValueError(f"unsupported sample type {x.dtype}")
    if y.ndim == 2:
        y = y.mean(axis=1, dtype=np.float32)
    elif y.ndim != 1:
        raise ValueError(f"unexpected sample array shape {x.shape}")
    return y


def read_wav(path: str | Path, max_seconds: float | None = None) -> tuple[int, np.ndarray]:
    """Read a wav file: (sample_rate_hz, float32 mono samples). Raises AudioError with a clear message.

    ``max_seconds``: only the first that many seconds are read (a clip's window), whatever the file's size."""
    from scipy.io import wavfile

    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", wavfile.WavFileWarning)
            try:  # mapped: a long file costs only what is taken from it
                rate, data = wavfile.read(path, mmap=max_seconds is not None)
            except ValueError:
                if max_seconds is None:
                    raise
                rate, data = wavfile.read(path)  # encodings scipy cannot map (24-bit)
    except FileNotFoundError:
        raise AudioError(f"{path}: no such file") from None
    except Exception as exc:  # scipy raises ValueError, EOFError, struct.error ...
        raise AudioError(f"{path}: not a readable wav file ({type(exc).__name__}: {exc})") from None
    if not MIN_SAMPLE_RATE_HZ <= rate <= MAX_SAMPLE_RATE_HZ:
        raise AudioError(f"{path}: sample rate {rate} Hz is outside {MIN_SAMPLE_RATE_HZ:,}-{MAX_SAMPLE_RATE_HZ:,} Hz")
    if max_seconds is not None:
        data = data[:int(np.ceil(rate * max_seconds))]
    try:
        samples = to_float_mono(data)
    except ValueError as exc:
        raise AudioError(f"{path}: {exc}") from None
    if samples.size == 0:
        raise AudioError(f"{path}: contains no samples")
    if not np.all(np.isfinite(samples)):
        raise AudioError(f"{path}: contains NaN or infinite samples")
    return int(rate), samples


def fix_length(samples: np.ndarray, length: int) -> np.ndarray:
    """Pad with zeros at the front (the notebook's ``pad_audio``) or keep the first ``length`` samples."""
    n = samples.shape[-1]
    if n >= length:
        return samples[..., :length]
    pad = [(0, 0)] * (samples.ndim - 1) + [(length - n, 0)]
    return np.pad(samples, pad)


def resample(samples: np.ndarray, rate_in_hz: int, rate_out_hz: int) -> np.ndarray:
    """FFT resampling along the last axis, as the notebook does (``scipy.signal.resample``).

    Keeps float64 input in float64 (the feature function needs it to match the notebook near the
    log floor); anything else comes back as float32."""
    samples = np.asarray(samples)
    dtype = np.float64 if samples.dtype == np.float64 else np.float32
    if rate_in_hz == rate_out_hz:
        return samples.astype(dtype, copy=False)
    n_out = int(round(samples.shape[-1] * rate_out_hz / rate_in_hz))
    from scipy import signal

    return signal.resample(samples, n_out, axis=-1).astype(dtype, copy=False)


def write_wav(path: str | Path, samples: np.ndarray, sample_rate_hz: int) -> None:
    """Write float samples in [-1, 1] as 16-bit PCM."""
    from scipy.io import wavfile

    pcm = np.clip(np.asarray(samples, dtype=np.float64) * 32767.0, -32768, 32767).astype(np.int16)
    wavfile.write(str(path), int(sample_rate_hz), pcm)
