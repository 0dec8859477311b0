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
from dataclasses import asdict, dataclass, fields

import numpy as np

from .audio import fix_length, resample


@dataclass(frozen=True)
class FeatureSettings:
    sample_rate_hz: int = 8000
    clip_duration_ms: int = 1000
    window_ms: float = 20.0
    hop_ms: float = 10.0
    window: str = "hann"
    log_eps: float = 1e-10
    # The notebook fed int16 samples to the spectrogram; kwsapp keeps float waves in [-1, 1]
    # and scales them here so the numbers match the notebook's exactly.
    input_scale: float = 32768.0

    @property
    def clip_samples(self) -> int:
        return int(round(self.sample_rate_hz * self.clip_duration_ms / 1000))

    @property
    def nperseg(self) -> int:
        return int(round(self.window_ms * self.sample_rate_hz / 1e3))

    @property
    def noverlap(self) -> int:
        # The notebook names the step "noverlap"; with 20 ms / 10 ms the two coincide.
        return self.nperseg - int(round(self.hop_ms * self.sample_rate_hz / 1e3))

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
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown feature settings: {', '.join(sorted(unknown))}")
        return cls(**data)

    def key(self) -> str:
        """A short stable hash, used to key the feature cache."""
        blob = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha1(blob).hexdigest()[:12]


DEFAULT_SETTINGS = FeatureSettings()


def prepare_wave(samples: np.ndarray, sample_rate_hz: int, settings: FeatureSettings = DEFAULT_SETTINGS) -> np.ndarray:
    """Bring float samples (last axis = time) to one clip at the feature rate: pad/trim, then resample.

    Works in float64 like the notebook (which resampled int16 arrays): float32 rounding of the
    resampled wave would show in the near-silent bins after the log."""
    n_in = int(round(sample_rate_hz * settings.clip_duration_ms / 1000))
    clip = fix_length(np.asarray(samples, dtype=np.float64), n_in)
    return resample(clip, sample_rate_hz, settings.sample_rate_hz)


def log_specgram(wave: np.ndarray, settings: FeatureSettings = DEFAULT_SETTINGS) -> np.ndarray:
    """Log spectrogram of prepared clip(s) at the feature rate: (..., n) -> (..., frames, bins) float32."""
    from scipy import signal  # lazily: see kwsapp.core.audio

    x = np.asarray(wave, dtype=np.float64) * settings.input_scale
    _, _, spec = signal.spectrogram(
        x, fs=settings.sample_rate_hz, window=settings.window, nperseg=settings.nperseg,
        noverlap=settings.noverlap, detrend=False, axis=-1,
    )
    spec = np.swapaxes(spec, -1, -2)  # (..., bins, frames) -> (..., frames, bins)
    return np.log(spec.astype(np.float32) + np.float32(settings.log_eps))


def features_from_wave(samples: np.ndarray, sample_rate_hz: int, settings: FeatureSettings = DEFAULT_SETTINGS) -> np.ndarray:
    """The feature function: float samples at any rate -> (frames, bins), 99 x 81 by default."""
    return log_specgram(prepare_wave(samples, sample_rate_hz, settings), settings)
