"""The feature function against the notebook's own code, on the same input."""


import numpy as np
import pytest
from scipy.io import wavfile

from bench.notebook import features as nb_features  # the notebook's own code
from kwsapp.core.audio import read_wav
from kwsapp.core.features import (
    DEFAULT_SETTINGS,
    FeatureSettings,
    features_from_wave,
    log_specgram,
    power_spectrogram,
    prepare_wave,
)


def speechlike_int16(n, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 16000
    x = 3000 * np.sin(2 * np.pi * (300 + 200 * t) * t) * np.hanning(n) + rng.normal(0, 200, n)
    return np.clip(x, -32768, 32767).astype(np.int16)


@pytest.mark.parametrize("n", [16000, 11000])  # a full clip and a short one (padded at the front)
def test_features_match_notebook(tmp_path, n):
    pcm = speechlike_int16(n)
    path = tmp_path / "clip.wav"
    wavfile.write(path, 16000, pcm)
    rate, samples = wavfile.read(path)          # what the notebook reads
    expected = nb_features(samples, rate)
    rate2, wave = read_wav(path)                 # what kwsapp reads (float in [-1, 1])
    ours = features_from_wave(wave, rate2)
    assert ours.shape == expected.shape == (99, 81)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, expected, rtol=0, atol=2e-4)


@pytest.mark.parametrize("settings", [DEFAULT_SETTINGS, FeatureSettings(window_ms=25.0), FeatureSettings(window_ms=20.125),
                                      FeatureSettings(sample_rate_hz=16000, window="hamming")])
def test_power_spectrogram_is_scipys_to_the_last_bit(settings):
    from scipy import signal

    rng = np.random.default_rng(0)
    n = settings.clip_samples
    for x in (rng.normal(0, 3000, n), rng.normal(0, 1, (3, n)), np.zeros(n)):
        _, _, ref = signal.spectrogram(x, fs=settings.sample_rate_hz, window=settings.window, nperseg=settings.nperseg,
                                       noverlap=settings.noverlap, detrend=False, axis=-1)
        got = power_spectrogram(x, settings)
        assert got.shape == x.shape[:-1] + settings.shape
        assert np.array_equal(got, np.swapaxes(ref, -1, -2))  # identical, not close: cached features stay valid


def test_settings_shape_and_roundtrip():
    s = DEFAULT_SETTINGS
    assert s.shape == (99, 81) and s.nperseg == 160 and s.clip_samples == 8000
    assert FeatureSettings.from_dict(s.to_dict()) == s
    assert FeatureSettings(frame_step_ms=20).key() != s.key()
    with pytest.raises(ValueError, match="unknown feature settings"):
        FeatureSettings.from_dict({**s.to_dict(), "bogus": 1})


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 48000])
def test_any_rate_gives_99x81_and_same_tone_peak(rate):
    t = np.arange(rate) / rate
    x = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    f = features_from_wave(x, rate)
    assert f.shape == (99, 81)
    # 1 kHz falls in bin 1000 / (8000 / 160) = 20, whatever the input rate
    assert int(np.argmax(f[50])) == 20


def test_batch_equals_single():
    rng = np.random.default_rng(1)
    waves = rng.normal(0, 0.1, (3, 16000)).astype(np.float32)
    batch = features_from_wave(waves, 16000)
    for i in range(3):
        np.testing.assert_allclose(batch[i], features_from_wave(waves[i], 16000), atol=1e-5)


def test_silence_is_floor_and_long_clip_trimmed():
    f = log_specgram(np.zeros(8000, np.float32))
    assert np.allclose(f, DEFAULT_SETTINGS.floor)
    assert prepare_wave(np.ones(40000, np.float32), 16000).shape == (8000,)
