"""Synthetic voices at scale: festival's voices and the vocal-tract warp (trainer.data.synth)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

needs_festival = pytest.mark.skipif(shutil.which("text2wave") is None, reason="festival is not installed")


def test_speakers_without_a_warp_keep_the_ids_earlier_datasets_were_written_with(needs_espeak):
    from trainer.data.synth import Speaker, make_speakers

    # the id of a plain espeak-ng speaker is the hash it always was, so runs/synth_bundle's speakers keep their split
    assert Speaker("en-us", "m3", 50, 140).id == "b2ad7b0c"
    plain = make_speakers(5, np.random.default_rng(3))
    warped = make_speakers(5, np.random.default_rng(3), warp_range=(0.9, 1.1))
    assert all(s.warp == 1.0 and s.engine == "espeak-ng" for s in plain)
    assert all(0.9 <= s.warp <= 1.1 for s in warped)
    assert {s.id for s in plain}.isdisjoint({s.id for s in warped})


def test_a_warp_above_one_shortens_the_word_and_raises_its_spectrum(tmp_path, needs_espeak):
    from trainer.data.synth import RATE_HZ, Speaker, speak_word

    plain = speak_word("seven", Speaker("en-us", "m3", 50, 140), tmp_path)
    warped = speak_word("seven", Speaker("en-us", "m3", 50, 140, warp=1.25), tmp_path)
    assert warped.size / plain.size == pytest.approx(1 / 1.25, abs=0.05)

    def median_hz(x):  # the frequency below which half the word's energy lies
        power = np.cumsum(np.abs(np.fft.rfft(x)) ** 2)
        return float(np.fft.rfftfreq(x.size, 1 / RATE_HZ)[np.searchsorted(power, power[-1] / 2)])

    assert median_hz(warped) / median_hz(plain) == pytest.approx(1.25, abs=0.08)


@needs_festival
def test_festival_voices_speak_a_word_at_the_asked_tempo_and_pitch(tmp_path):
    from trainer.data.synth import FESTIVAL_VOICES, RATE_HZ, Speaker, speak_word

    for voice in FESTIVAL_VOICES:
        x = speak_word("stop", Speaker(voice, "", 50, 150, "festival"), tmp_path)
        assert 0.2 * RATE_HZ < x.size < 1.2 * RATE_HZ and np.abs(x).max() > 0.01, voice
    slow = speak_word("stop", Speaker("kal_diphone", "", 50, 100, "festival"), tmp_path)
    fast = speak_word("stop", Speaker("kal_diphone", "", 50, 200, "festival"), tmp_path)
    assert slow.size > 1.5 * fast.size


@needs_festival
def test_a_festival_dataset_is_written_in_the_kaggle_layout(tmp_path):
    from trainer.data.dataset import SplitRule, index_dataset
    from trainer.data.synth import synthesize

    info = synthesize(tmp_path / "f", per_word=3, test_clips=2, seed=1, words=("go", "cat"), progress=False,
                      noise_seconds=3, engine="festival", warp_range=(0.9, 1.1), n_speakers=4)
    assert info["train_clips"] == 6
    index = index_dataset(tmp_path / "f", SplitRule(use_lists=False))
    assert sorted(set(index.clips["word"])) == ["cat", "go"]


def test_a_missing_engine_is_one_line(monkeypatch, tmp_path):
    import trainer.data.synth as synth

    monkeypatch.setattr(synth.shutil, "which", lambda name: None)
    with pytest.raises(synth.SynthError, match="festival is not installed"):
        synth.synthesize(tmp_path / "x", engine="festival", progress=False)
    with pytest.raises(synth.SynthError, match="'flite' is not one of the engines"):
        synth.synthesize(tmp_path / "x", engine="flite", progress=False)
