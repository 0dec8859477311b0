"""The gathered recordings' layout (../shared/tools/gather_more.py): clips shorter than 1 s, 8 kHz clips, speakers
named fsdd-<name> and pv-<id>, no background noise of its own; trained on beside a folder that has noise."""

import json

import numpy as np
import pytest

from kwsapp.core.audio import fix_length, write_wav
from kwsapp.core.features import DEFAULT_SETTINGS, features_from_wave
from kwsapp.core.labels import COMMANDS
from tests.helpers import make_tone_dataset, run_cli, tone
from trainer.data.cache import FeatureCache
from trainer.data.dataset import SplitRule, index_dataset
from trainer.data.sources import load_source

SPEAKERS = [f"{i:08x}" for i in range(0, 60 * 7919, 7919)]


def _gathered(root):
    """A tiny copy of the gathered layout: 7 commands (no on/off/go) at 0.6-0.9 s, digits at 8 kHz, wake phrases."""
    audio = root / "train" / "audio"
    rng = np.random.default_rng(0)
    for k, word in enumerate(["yes", "no", "up", "down", "left", "right", "stop"]):
        (audio / word).mkdir(parents=True)
        for spk in SPEAKERS:
            x = tone(300 + 150 * k, seconds=rng.uniform(0.6, 0.9)) + rng.normal(0, 0.01, 1).astype(np.float32)
            write_wav(audio / word / f"{spk}_nohash_0.wav", x, 16000)
    (audio / "zero").mkdir()
    for name in ("jackson", "nicolas", "theo"):
        for n in range(20):
            write_wav(audio / "zero" / f"fsdd-{name}_nohash_{n}.wav", tone(2500, rate_hz=8000, seconds=0.5), 8000)
    (audio / "computer").mkdir()
    for n in range(40):
        write_wav(audio / "computer" / f"pv-{n:08x}_nohash_0.wav", tone(3100), 16000)
    return root


def test_short_and_8_khz_clips_are_padded_at_the_front_as_the_kaggle_clips_are(tmp_path):
    root = _gathered(tmp_path / "g")
    src = load_source(root, SplitRule(), FeatureCache(tmp_path / "cache", DEFAULT_SETTINGS), workers=1, desc=None)
    assert not src.feats.errors and src.ok.all()
    clips = src.index.clips.reset_index(drop=True)
    from kwsapp.core.audio import read_wav

    for word in ("yes", "zero"):
        pos = int(np.nonzero(clips["word"].to_numpy() == word)[0][0])
        rate, x = read_wav(src.index.audio_dir / clips.loc[pos, "path"])
        assert x.size < rate  # shorter than 1 s
        padded = fix_length(x, rate)  # zeros first, then the clip
        assert np.all(padded[:rate - x.size] == 0)
        cached = src.feats.get(np.array([pos]))[0]
        assert cached.shape == DEFAULT_SETTINGS.shape
        np.testing.assert_allclose(cached, features_from_wave(x, rate), atol=1e-6)
        np.testing.assert_allclose(cached, features_from_wave(padded, rate), atol=1e-6)


def test_one_speaker_lands_on_one_side_of_the_split_in_every_folder(tmp_path):
    a = make_tone_dataset(tmp_path / "a", {"yes": 500}, SPEAKERS)
    b = make_tone_dataset(tmp_path / "b", {"no": 700, "bed": 900}, SPEAKERS[::2], per_speaker=2)
    rule = SplitRule(validation_percent=10, testing_percent=15, salt="kwsapp")
    split_a = index_dataset(a, rule).clips.groupby("speaker")["split"].agg(set)
    split_b = index_dataset(b, rule).clips.groupby("speaker")["split"].agg(set)
    assert all(len(s) == 1 for s in split_b)  # a speaker's clips are together
    both = split_b.index.intersection(split_a.index)
    assert len(both) == 30 and all(split_a[s] == split_b[s] for s in both)
    assert {next(iter(s)) for s in split_a} == {"training", "validation", "testing"}


@pytest.mark.slow
def test_the_gathered_layout_trains_end_to_end_beside_a_folder_with_noise(tmp_path):
    gathered = _gathered(tmp_path / "g")
    sample = make_tone_dataset(tmp_path / "s", {c: 200 + 97 * i for i, c in enumerate(COMMANDS)} | {"bed": 4000},
                               SPEAKERS[:20])
    out = tmp_path / "m"
    r = run_cli("train", "--data", sample, gathered, "--out", out, "--epochs", 1, "--balance-commands",
                "--recipe", "live", "--arch", "dscnn", "--split-salt", "kwsapp", "--test-percent", "15", "--workers", 1)
    assert "the same count of each" in r.stderr
    assert "warning" in r.stderr and "_background_noise_" in r.stderr  # said, not fatal
    info = json.loads((out / "training.json").read_text())
    assert info["balance_commands"] is True and [d["unreadable"] for d in info["data"]] == [0, 0]
    metrics = json.loads((out / "metrics.json").read_text())
    for split in ("validation", "testing"):
        m = metrics[split]
        assert m["weakest_command"]["label"] in COMMANDS and 0 <= m["commands_right"] <= 1
        assert m["unknown_right"] is not None
