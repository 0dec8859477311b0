import gc
import json
import os

import numpy as np

from kwsapp.core.features import DEFAULT_SETTINGS as S
from kwsapp.core.features import features_from_wave, log_specgram
from tests.helpers import make_tone_dataset, tone
from trainer.data.augment import (
    AugmentSettings,
    apply_gain_db,
    augment_batch,
    mix_power,
    shift_frames,
    to_log,
    to_power,
)
from trainer.data.cache import FeatureCache
from trainer.data.dataset import SplitRule, index_dataset
from trainer.data.sources import load_source


def test_bad_wavs_are_skipped_counted_and_named(tmp_path):
    root = make_tone_dataset(tmp_path / "d", {"yes": 500, "no": 700}, ["aaaa0001", "bbbb0002"])
    bad1 = root / "train" / "audio" / "yes" / "cccc0003_nohash_0.wav"
    bad1.write_bytes(b"RIFF\x00\x00garbage")
    bad2 = root / "train" / "audio" / "no" / "dddd0004_nohash_0.wav"
    bad2.write_bytes(b"")
    src = load_source(root, SplitRule(), FeatureCache(tmp_path / "cache", S), workers=1, desc=None)
    assert len(src.index.clips) == 6
    assert int(src.ok.sum()) == 4
    assert len(src.feats.errors) == 2
    assert any(str(bad1) in e for e in src.feats.errors) and any(str(bad2) in e for e in src.feats.errors)


def _cached_tones(tmp_path):
    root = make_tone_dataset(tmp_path / "d", {"yes": 500, "no": 700}, ["aaaa0001", "bbbb0002"])
    ix = index_dataset(root)
    cache = FeatureCache(tmp_path / "cache", S)
    paths = list(ix.clips["path"])
    first = cache.features_for(ix.audio_dir, paths, workers=1, desc=None)
    folder = next((tmp_path / "cache").glob("*/*"))
    return ix, cache, paths, first, folder


def test_cache_second_run_computes_nothing_and_sees_changes(tmp_path):
    ix, cache, paths, first, _ = _cached_tones(tmp_path)
    assert first.computed == 4
    second = cache.features_for(ix.audio_dir, paths, workers=1, desc=None)
    assert second.computed == 0
    np.testing.assert_array_equal(first.get(np.arange(4)), second.get(np.arange(4)))
    # the cached features are the feature function's output
    from kwsapp.core.audio import read_wav
    rate, x = read_wav(ix.audio_dir / paths[0])
    np.testing.assert_allclose(second.get(np.array([0]))[0], features_from_wave(x, rate), atol=1e-6)
    # a changed file is recomputed, the rest are not
    from kwsapp.core.audio import write_wav
    write_wav(ix.audio_dir / paths[1], tone(3000), 16000)
    os.utime(ix.audio_dir / paths[1], ns=(1, 1))
    third = cache.features_for(ix.audio_dir, paths, workers=1, desc=None)
    assert third.computed == 1
    assert int(np.argmax(third.get(np.array([1]))[0][50])) == 60  # 3 kHz / 50 Hz per bin
    # other feature settings use another cache
    other = FeatureCache(tmp_path / "cache", type(S)(frame_step_ms=20.0))
    assert other.features_for(ix.audio_dir, paths, workers=1, desc=None).computed == 4


def test_parallel_extraction_equals_serial(tmp_path):
    from trainer.data.extract import iter_feature_chunks

    root = make_tone_dataset(tmp_path / "d", {"yes": 500, "no": 700, "up": 900}, [f"{i:08x}" for i in range(6)])
    paths = sorted(str(p) for p in (root / "train" / "audio").glob("*/*.wav") if "_background" not in str(p))
    serial = np.concatenate([f for _, f, _ in iter_feature_chunks(paths, S, workers=1, chunk_size=5, desc=None)])
    parallel = np.concatenate([f for _, f, _ in iter_feature_chunks(paths, S, workers=2, chunk_size=5, desc=None)])
    np.testing.assert_array_equal(serial, parallel)


def test_gain_in_feature_domain_equals_gain_on_wave():
    x = tone(440, 8000) + np.random.default_rng(0).normal(0, 0.01, 8000).astype(np.float32)
    f = log_specgram(x)
    np.testing.assert_allclose(apply_gain_db(f, 6.0, S.log_eps), log_specgram(x * 10 ** (6 / 20)), atol=1e-3)


def test_shift_in_feature_domain_equals_shift_on_wave():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.1, 8000)
    f = log_specgram(x)
    hop = 80
    k = 7
    shifted_wave = np.concatenate([np.zeros(k * hop), x[:-k * hop]])
    g = log_specgram(shifted_wave)
    # every frame that lies wholly inside the shifted wave is identical
    np.testing.assert_allclose(shift_frames(f, k, S.floor)[k + 1:], g[k + 1:], atol=1e-3)
    assert np.allclose(shift_frames(f, k, S.floor)[:k], S.floor)


def test_noise_mixed_with_a_random_phase_looks_like_a_waveform_mix():
    rng = np.random.default_rng(0)
    t = np.arange(8000) / 8000
    speech = 0.1 * np.sin(2 * np.pi * 440 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t)) + rng.normal(0, 0.02, 8000)
    noise = rng.normal(0, 0.05, 8000)
    real = log_specgram(speech + noise)  # what a microphone hears
    ps, pn = (to_power(log_specgram(w), S.log_eps) for w in (speech, noise))
    drawn = to_log(mix_power(ps, pn, rng), S.log_eps)
    added = to_log(mix_power(ps, pn, None), S.log_eps)
    # with the cross term drawn, the level and the bin-to-bin spread of the log spectrogram are the real mix's
    assert abs(drawn.mean() - real.mean()) < 0.05 and abs(drawn.std() - real.std()) < 0.08
    # powers simply added are too loud in the log and too smooth
    assert added.mean() - real.mean() > 0.15 and real.std() - added.std() > 0.2
    # in expectation the cross term is zero: the mean power is the sum of the powers
    many = np.mean([mix_power(ps, pn, rng) for _ in range(200)], axis=0)
    assert abs(many.sum() / (ps + pn).sum() - 1) < 0.01


def test_augment_batch_changes_speech_but_keeps_shape():
    rng = np.random.default_rng(0)
    x = np.stack([log_specgram(tone(f, 8000)) for f in (300, 600, 900, 1200)])
    bank = np.stack([log_specgram(rng.normal(0, 0.05, 8000)) for _ in range(3)])
    y = augment_batch(x, bank, rng, AugmentSettings(), S.floor, S.log_eps)
    assert y.shape == x.shape and y.dtype == np.float32 and np.isfinite(y).all()
    assert not np.allclose(x, y)
    # the tone stays the loudest bin of the middle frame
    assert [int(np.argmax(v[50])) for v in y] == [6, 12, 18, 24]


def test_spec_masks_set_whole_bands_and_runs_to_the_clip_mean():
    from trainer.data.augment import spec_masks

    rng = np.random.default_rng(3)
    x = np.stack([log_specgram(tone(f, 8000) + rng.normal(0, 0.01, 8000).astype(np.float32)) for f in (300, 900)])
    y = x.copy()
    settings = AugmentSettings(freq_masks=2, max_freq_mask_bins=8, time_masks=2, max_time_mask_frames=10)
    spec_masks(y, rng, settings)
    for before, after in zip(x, y):
        changed = before != after
        assert changed.any()
        assert np.allclose(after[changed], before.mean())  # masked cells hold the clip's mean
        rows = np.nonzero(changed.all(axis=1))[0]   # whole frames masked: at most 2 runs of <= 10
        cols = np.nonzero(changed.all(axis=0))[0]   # whole bins masked: at most 2 bands of <= 8
        assert len(rows) <= 20 and len(cols) <= 16
        # every changed cell lies in a masked frame or a masked bin
        assert np.array_equal(changed, np.isin(np.arange(99), rows)[:, None] | np.isin(np.arange(81), cols)[None, :])
    # off by default
    z = x.copy()
    spec_masks(z, rng, AugmentSettings())
    assert np.array_equal(z, x)


def test_a_truncated_cache_array_is_rebuilt_with_a_warning(tmp_path, capsys):
    ix, cache, paths, first, folder = _cached_tones(tmp_path)
    expected = first.get(np.arange(4))  # a copy: the mapping itself breaks when its file is cut
    del first
    array = next(folder.glob("features-*.npy"))
    array.write_bytes(array.read_bytes()[:len(array.read_bytes()) // 2])  # cut short (a full disk, a crash)
    again = cache.features_for(ix.audio_dir, paths, workers=1, desc=None)
    err = capsys.readouterr().err
    assert again.computed == 4 and str(folder) in err and "damaged" in err and err.count("\n") == 1
    np.testing.assert_array_equal(again.get(np.arange(4)), expected)
    assert cache.features_for(ix.audio_dir, paths, workers=1, desc=None).computed == 0  # mended for good


def test_a_crafted_index_never_touches_a_file_outside_the_cache(tmp_path, capsys):
    ix, cache, paths, first, folder = _cached_tones(tmp_path)
    victim = tmp_path / "precious.npy"
    np.save(victim, np.zeros((4,) + S.shape, np.float32))
    index = json.loads((folder / "index.json").read_text())
    index["array"] = os.path.relpath(victim, folder)  # ../../../precious.npy
    (folder / "index.json").write_text(json.dumps(index))
    os.utime(ix.audio_dir / paths[0], ns=(1, 1))  # one changed file: the update replaces (deletes) the old array
    again = cache.features_for(ix.audio_dir, paths, workers=1, desc=None)
    assert victim.is_file() and "damaged" in capsys.readouterr().err
    np.testing.assert_array_equal(again.get(np.arange(4)), first.get(np.arange(4)))


def test_a_full_disk_is_a_one_line_error_and_leaves_no_temporary_file(tmp_path):
    import subprocess

    import pytest

    from trainer.data.cache import CacheError

    root = make_tone_dataset(tmp_path / "d", {"yes": 500, "no": 700}, [f"{i:08x}" for i in range(40)])
    ix = index_dataset(root)
    small = tmp_path / "small"
    small.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(small)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small file system here (needs root)")
    try:
        cache = FeatureCache(small, S)  # 80 clips x 99 x 81 x 4 bytes = 2.6 MB into 1 MB
        with pytest.raises(CacheError) as e:
            cache.features_for(ix.audio_dir, list(ix.clips["path"]), workers=1, desc=None)
        msg = str(e.value)
        assert "feature cache" in msg and str(small) in msg and "\n" not in msg
        assert not list(small.rglob("*.tmp")) and not list(small.rglob("*.npy"))
        gc.collect()
        assert subprocess.run(["umount", str(small)], capture_output=True).returncode == 0  # nothing left open there
    finally:
        subprocess.run(["umount", "-l", str(small)], capture_output=True)
