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


def _read_checked(path: Path, mmap: bool):
    """scipy's (rate, data) of a wav file, mapped when asked and scipy can (not 24-bit), its rate checked; every
    failure an AudioError naming the file."""
    from scipy.io import wavfile

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", wavfile.WavFileWarning)
            try:
                rate, data = wavfile.read(path, mmap=mmap)
            except ValueError:
                if not mmap:
                    raise
                rate, data = wavfile.read(path)  # encodings scipy cannot map
    except FileNotFoundError:
        raise AudioError(f"{path}: no such file") from None
    except Exception as exc:  # scipy raises ValueError, EOFError, struct.error ...
        raise AudioError(f"{path}: not a readable wav file ({type(exc).__name__}: {exc})") from None
    if not MIN_SAMPLE_RATE_HZ <= rate <= MAX_SAMPLE_RATE_HZ:
        raise AudioError(f"{path}: sample rate {rate} Hz is outside {MIN_SAMPLE_RATE_HZ:,}-{MAX_SAMPLE_RATE_HZ:,} Hz")
    return int(rate), data


def read_wav(path: str | Path, max_seconds: float | None = None) -> tuple[int, np.ndarray]:
    """Read a wav file: (sample_rate_hz, float32 mono samples). Raises AudioError with a clear message.

    ``max_seconds``: only the first that many seconds are read (a clip's window), whatever the file's size."""
    path = Path(path)
    rate, data = _read_checked(path, mmap=max_seconds is not None)  # mapped: a long file costs what is taken
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


class WavFile:
    """A long wav file read in pieces (a day's recording costs what a minute does): its rate and length come from
    the header, samples on demand as float32 mono. Encodings scipy cannot map (24-bit) are read whole."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._whole = None
        rate, data = _read_checked(self.path, mmap=True)
        self.sample_rate_hz = int(rate)
        self.n_frames = int(data.shape[0])
        if self.n_frames == 0:
            raise AudioError(f"{self.path}: contains no samples")
        if isinstance(data, np.memmap):  # where the samples start in the file, then let the mapping go
            self._dtype, self._channels = data.dtype, (data.shape[1] if data.ndim == 2 else 1)
            self._offset = int(data.offset)
        else:
            self._whole = data
        del data

    @property
    def seconds(self) -> float:
        return self.n_frames / self.sample_rate_hz

    def read(self, start: int, stop: int) -> np.ndarray:
        """Frames ``start`` to ``stop`` (clipped to the file) as float32 mono in [-1, 1]."""
        start, stop = max(0, int(start)), min(self.n_frames, int(stop))
        if stop <= start:
            return np.zeros(0, np.float32)
        if self._whole is not None:
            raw = self._whole[start:stop]
        else:
            item = self._dtype.itemsize * self._channels
            raw = np.fromfile(self.path, dtype=self._dtype, count=(stop - start) * self._channels,
                              offset=self._offset + start * item)
            if self._channels > 1:
                raw = raw.reshape(-1, self._channels)
        x = to_float_mono(raw)
        if not np.all(np.isfinite(x)):
            raise AudioError(f"{self.path}: contains NaN or infinite samples")
        return x


def samples(rate_hz: float, ms: float) -> int:
    """How many samples ``ms`` milliseconds are at ``rate_hz``."""
    return int(round(rate_hz * ms / 1000))


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


def to_pcm16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] as 16-bit PCM (clipped)."""
    return np.clip(np.asarray(samples, dtype=np.float64) * 32767.0, -32768, 32767).astype(np.int16)


def write_wav(path: str | Path, samples: np.ndarray, sample_rate_hz: int) -> None:
    """Write float samples in [-1, 1] as 16-bit PCM."""
    from scipy.io import wavfile

    wavfile.write(str(path), int(sample_rate_hz), to_pcm16(samples))
