"""Training-only augmentation, applied to log power spectrograms.

Working on the cached features keeps training from re-reading and re-transforming audio:
- gain: scaling a wave by g scales its power by g**2; exact.
- time shift: shifting a wave by whole 10 ms hops shifts the frames; exact but for the edge frame,
  with the vacated frames at the value of digital silence (the wave is zero-padded).
- background noise: the power of (speech + noise) in a bin is ``S + N + 2 sqrt(S N) cos(phi)``, phi the
  phase between them, which for noise is uniformly random. By default the powers are added: the cross term's
  mean is zero, but it is what makes a noisy bin's level vary (and lowers the mean of the log), so such mixtures
  are smoother than what a microphone hears (the bundled model hears 84 % of test commands at 10 dB in them,
  82 % in real waveform mixtures; ``bench/bench_noise.py --feature-mix``, which also measures :func:`mix_power`
  with the cross term drawn at a random phase per bin). Training with that cross term, and a frequency / time warp,
  were tried and did no better (docs/experiments.md; the code is in the tag experiments-2026-12-02 (commit 291929e)).
- SpecAugment masks (Park et al. 2019), off by default: bands of frequency bins and runs of frames set to
  the clip's mean log power, last of all.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class AugmentSettings:
    max_shift_frames: int = 10          # +-100 ms at a 10 ms hop
    noise_probability: float = 0.8
    snr_db_range: tuple[float, float] = (0.0, 25.0)
    gain_db_range: tuple[float, float] = (-10.0, 10.0)
    freq_masks: int = 0                 # SpecAugment: how many bands of bins to mask ...
    max_freq_mask_bins: int = 8         # ... each up to this wide (50 Hz per bin at 8 kHz / 20 ms)
    time_masks: int = 0                 # how many runs of frames ...
    max_time_mask_frames: int = 10      # ... each up to this long

    def to_dict(self) -> dict:
        return asdict(self)


def to_power(logspec: np.ndarray, eps: float) -> np.ndarray:
    """The power spectrogram a log spectrogram was made from: the inverse of :func:`to_log`."""
    return np.exp(logspec.astype(np.float32)) - eps


def to_log(power: np.ndarray, eps: float) -> np.ndarray:
    return np.log(np.maximum(power, 0.0) + np.float32(eps)).astype(np.float32)


def shift_frames(logspec: np.ndarray, shift: int, floor: float) -> np.ndarray:
    """Shift along the time axis (-2) by ``shift`` frames; positive = later. Vacated frames get ``floor``."""
    if shift == 0:
        return logspec
    out = np.full_like(logspec, floor)
    if shift > 0:
        out[..., shift:, :] = logspec[..., :-shift, :]
    else:
        out[..., :shift, :] = logspec[..., -shift:, :]
    return out


def apply_gain_db(logspec: np.ndarray, gain_db: float | np.ndarray, eps: float) -> np.ndarray:
    g2 = np.float32(10.0) ** (np.asarray(gain_db, dtype=np.float32) / 10.0)
    if np.ndim(g2):
        g2 = g2.reshape((-1,) + (1,) * (logspec.ndim - 1))
    return to_log(to_power(logspec, eps) * g2, eps)


def mix_power(speech: np.ndarray, noise: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
    """Power spectrum of speech + noise from theirs: with ``rng``, the cross term at a random phase per bin
    (the distribution a waveform mix has); without, the sum of the powers (its mean)."""
    out = speech + noise
    if rng is not None:
        cos = np.cos(rng.uniform(0.0, 2 * np.pi, size=out.shape)).astype(np.float32)
        out += 2.0 * np.sqrt(np.maximum(speech, 0.0) * np.maximum(noise, 0.0)) * cos
    return out


def augment_batch(x: np.ndarray, noise_bank: np.ndarray | None, rng: np.random.Generator,
                  settings: AugmentSettings, floor: float, eps: float) -> np.ndarray:
    """Augment a batch (n, frames, bins) of log spectrograms of speech; returns a new array."""
    n = len(x)
    out = np.empty_like(x)
    shifts = rng.integers(-settings.max_shift_frames, settings.max_shift_frames + 1, size=n)
    for i in range(n):
        out[i] = shift_frames(x[i], int(shifts[i]), floor)
    power = to_power(out, eps)
    if noise_bank is not None and len(noise_bank):
        use = rng.random(n) < settings.noise_probability
        if use.any():
            k = rng.integers(len(noise_bank), size=int(use.sum()))
            noise = to_power(noise_bank[k], eps)
            snr = rng.uniform(*settings.snr_db_range, size=len(k)).astype(np.float32)
            sig = power[use].mean(axis=(1, 2)) + 1e-20
            noi = noise.mean(axis=(1, 2)) + 1e-20
            scale = sig / noi / (10.0 ** (snr / 10.0))
            power[use] = mix_power(power[use], noise * scale[:, None, None], None)  # powers added
    gains = rng.uniform(*settings.gain_db_range, size=n).astype(np.float32)
    power *= (10.0 ** (gains / 10.0))[:, None, None]
    out = to_log(power, eps)
    if settings.freq_masks or settings.time_masks:
        spec_masks(out, rng, settings)
    return out


def spec_masks(x: np.ndarray, rng: np.random.Generator, settings: AugmentSettings) -> None:
    """Mask, in place, bands of bins and runs of frames of each (frames, bins) example with its mean."""
    n, frames, bins = x.shape
    means = x.mean(axis=(1, 2))
    for i in range(n):
        for _ in range(settings.freq_masks):
            w = int(rng.integers(0, settings.max_freq_mask_bins + 1))
            b = int(rng.integers(0, bins - w + 1))
            x[i, :, b:b + w] = means[i]
        for _ in range(settings.time_masks):
            w = int(rng.integers(0, settings.max_time_mask_frames + 1))
            f = int(rng.integers(0, frames - w + 1))
            x[i, f:f + w, :] = means[i]
