"""The one feature function: a waveform -> a 99 x 81 log spectrogram.

Training, evaluation, export and the live app all call :func:`features_from_wave` (or
:func:`log_specgram` on an already prepared 8 kHz clip), with the settings stored in the model
folder, so a model never sees features it was not trained on.

The defaults are the reference notebook's: 1 s clips padded at the front, FFT-resampled to 8 kHz,
Hann window 20 ms with a 10 ms step, ``log(power + 1e-10)`` on int16-scale amplitudes.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, fields
from functools import lru_cache

import numpy as np

from .audio import MAX_SAMPLE_RATE_HZ, MIN_SAMPLE_RATE_HZ, fix_length, resample
from .audio import samples as samples_in

WINDOWS = ("hann", "hamming", "blackman", "boxcar")
OLD_FRAME_STEP_KEY = "hop_ms"  # what features.json called frame_step_ms before 2026-12-02
# what a model folder's features.json may say: (type, lowest, highest)
SETTING_RANGES = {
    "sample_rate_hz": (int, MIN_SAMPLE_RATE_HZ, MAX_SAMPLE_RATE_HZ), "clip_duration_ms": (int, 100, 10_000),
    "window_ms": (float, 1.0, 1000.0), "frame_step_ms": (float, 1.0, 1000.0), "window": (str, None, None),
    "log_eps": (float, 1e-30, 1.0), "input_scale": (float, 1e-6, 1e9),
}


@dataclass(frozen=True)
class FeatureSettings:
    sample_rate_hz: int = 8000
    clip_duration_ms: int = 1000
    window_ms: float = 20.0
    frame_step_ms: float = 10.0  # from one spectrogram frame to the next (the app's hop_ms is from one window to the next)
    window: str = "hann"
    log_eps: float = 1e-10
    # The notebook fed int16 samples to the spectrogram; kwsapp keeps float waves in [-1, 1]
    # and scales them here so the numbers match the notebook's exactly.
    input_scale: float = 32768.0

    @property
    def clip_samples(self) -> int:
        return samples_in(self.sample_rate_hz, self.clip_duration_ms)

    @property
    def nperseg(self) -> int:
        return int(round(self.window_ms * self.sample_rate_hz / 1e3))

    @property
    def noverlap(self) -> int:
        # The notebook names the step "noverlap"; with 20 ms / 10 ms the two coincide.
        return self.nperseg - int(round(self.frame_step_ms * self.sample_rate_hz / 1e3))

    @property
    def shape(self) -> tuple[int, int]:
        step = self.nperseg - self.noverlap
        frames = (self.clip_samples - self.noverlap) // step
        return frames, self.nperseg // 2 + 1

    @property
    def floor(self) -> float:
        """The feature value of digital silence."""
        return float(np.log(np.float32(0.0) + self.log_eps))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "FeatureSettings":
        """Settings read from a model folder, each checked for its type and range (a ValueError says which)."""
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object of feature settings")
        if OLD_FRAME_STEP_KEY in data:  # model folders written before the rename
            if "frame_step_ms" in data:
                raise ValueError(f"both {OLD_FRAME_STEP_KEY} and frame_step_ms are given")
            data = {("frame_step_ms" if k == OLD_FRAME_STEP_KEY else k): v for k, v in data.items()}
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown feature settings: {', '.join(sorted(unknown))}")
        for name, value in data.items():
            kind, lo, hi = SETTING_RANGES[name]
            if kind is str:
                ok = isinstance(value, str) and value in WINDOWS
                expected = "one of " + ", ".join(WINDOWS)
            else:
                ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
                      and (kind is float or float(value).is_integer()) and math.isfinite(value) and lo <= value <= hi)
                expected = f"{'a whole number' if kind is int else 'a number'} from {lo:g} to {hi:g}"
            if not ok:
                raise ValueError(f"{name} is {value!r}, not {expected}")
        settings = cls(**{k: (int(v) if SETTING_RANGES[k][0] is int else v) for k, v in data.items()})
        if settings.frame_step_ms > settings.window_ms or settings.nperseg < 2:
            raise ValueError(f"frame_step_ms {settings.frame_step_ms:g} and window_ms {settings.window_ms:g} make no spectrogram")
        return settings

    def key(self) -> str:
        """A short stable hash, used to key the feature cache."""
        blob = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha1(blob).hexdigest()[:12]


DEFAULT_SETTINGS = FeatureSettings()


def prepare_wave(samples: np.ndarray, sample_rate_hz: int, settings: FeatureSettings = DEFAULT_SETTINGS) -> np.ndarray:
    """Bring float samples (last axis = time) to one clip at the feature rate: pad/trim, then resample.

    Works in float64 like the notebook (which resampled int16 arrays): float32 rounding of the
    resampled wave would show in the near-silent bins after the log."""
    n_in = samples_in(sample_rate_hz, settings.clip_duration_ms)
    clip = fix_length(np.asarray(samples, dtype=np.float64), n_in)
    return resample(clip, sample_rate_hz, settings.sample_rate_hz)


@lru_cache(maxsize=8)
def _window_and_scale(settings: FeatureSettings) -> tuple[np.ndarray, float]:
    from scipy import signal  # lazily: see kwsapp.core.audio

    win = signal.get_window(settings.window, settings.nperseg)
    return win, 1.0 / (settings.sample_rate_hz * float((win * win).sum()))


def power_spectrogram(x: np.ndarray, settings: FeatureSettings = DEFAULT_SETTINGS) -> np.ndarray:
    """``scipy.signal.spectrogram(x, fs, window, nperseg, noverlap, detrend=False)`` (a one-sided power
    spectral density), frames first: (..., n) -> (..., frames, bins) float64. The same operations in the same
    order, so the same numbers (a test checks they are identical); without scipy's generic set-up and transposes,
    which cost the live path 0.08 ms a hop."""
    import scipy.fft

    win, scale = _window_and_scale(settings)
    step = settings.nperseg - settings.noverlap
    frames = np.lib.stride_tricks.sliding_window_view(x, settings.nperseg, axis=-1)[..., ::step, :]
    spec = scipy.fft.rfft(frames * win, axis=-1)
    power = np.conjugate(spec) * spec  # complex, then scaled, then the real part: scipy's order, to the last bit
    power *= scale
    last = None if settings.nperseg % 2 else -1  # an even length has a Nyquist bin, which is not doubled
    power[..., 1:last] *= 2
    return power.real


def log_specgram(wave: np.ndarray, settings: FeatureSettings = DEFAULT_SETTINGS) -> np.ndarray:
    """Log spectrogram of prepared clip(s) at the feature rate: (..., n) -> (..., frames, bins) float32."""
    x = np.asarray(wave, dtype=np.float64) * settings.input_scale
    return np.log(power_spectrogram(x, settings).astype(np.float32) + np.float32(settings.log_eps))


def features_from_wave(samples: np.ndarray, sample_rate_hz: int, settings: FeatureSettings = DEFAULT_SETTINGS) -> np.ndarray:
    """The feature function: float samples at any rate -> (frames, bins), 99 x 81 by default."""
    return log_specgram(prepare_wave(samples, sample_rate_hz, settings), settings)
