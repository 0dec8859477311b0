import hashlib
import re

import pytest

from kwsapp.core.labels import LABELS, label_of_word
from tests.helpers import make_tone_dataset
from trainer.data.dataset import (
    MAX_NUM_WAVS_PER_CLASS,
    DatasetError,
    SplitRule,
    index_dataset,
    leave_out_speakers,
    read_speaker_list,
    speaker_of,
    split_warnings,
    which_set,
)

SPEAKERS = [f"{i:08x}" for i in range(0, 400 * 7919, 7919)]


def tf_which_set(filename, validation_percentage, testing_percentage):
    """TensorFlow's speech_commands/input_data.py which_set, verbatim but for compat.as_bytes."""
    base_name = filename.split("/")[-1]
    hash_name = re.sub(r'_nohash_.*$', '', base_name)
    hash_name_hashed = hashlib.sha1(hash_name.encode("utf-8")).hexdigest()
    percentage_hash = ((int(hash_name_hashed, 16) % (MAX_NUM_WAVS_PER_CLASS + 1)) * (100.0 / MAX_NUM_WAVS_PER_CLASS))
    if percentage_hash < validation_percentage:
        result = 'validation'
    elif percentage_hash < (testing_percentage + validation_percentage):
        result = 'testing'
    else:
        result = 'training'
    return result


def test_which_set_is_tensorflows_rule():
    for spk in SPEAKERS:
        name = f"yes/{spk}_nohash_0.wav"
        assert which_set(name, 10, 10) == tf_which_set(name, 10, 10)
    counts = {s: sum(which_set(f"{x}_nohash_0.wav", 10, 10) == s for x in SPEAKERS) for s in ("training", "validation", "testing")}
    assert 0.7 * 400 < counts["training"] < 0.9 * 400 and counts["validation"] > 15 and counts["testing"] > 15


def test_labels_twelve_classes_with_silence():
    assert len(LABELS) == 12 and "silence" in LABELS and "unknown" in LABELS
    assert label_of_word("_background_noise_") == "silence"
    assert label_of_word("yes") == "yes" and label_of_word("marvin") == "unknown"
    assert speaker_of("0a7c2a8d_nohash_3.wav") == "0a7c2a8d"


def test_hash_split_never_puts_a_speaker_in_two_sets(tmp_path):
    root = make_tone_dataset(tmp_path / "d", {"yes": 500, "no": 700, "bed": 900}, SPEAKERS[:60], per_speaker=2)
    ix = index_dataset(root)
    per_speaker = ix.clips.groupby("speaker")["split"].nunique()
    assert per_speaker.max() == 1
    assert set(ix.clips["split"]) == {"training", "validation", "testing"}
    assert len(ix.clips) == 3 * 60 * 2 and len(ix.noise_files) == 1
    assert set(ix.clips["label"]) == {"yes", "no", "unknown"}
    # a salt moves speakers around but still keeps each one whole
    salted = index_dataset(root, SplitRule(salt="x"))
    assert salted.clips.groupby("speaker")["split"].nunique().max() == 1
    assert (salted.clips["split"] != ix.clips["split"]).any()


def test_excluded_speakers_are_neither_trained_nor_validated_on_in_any_folder(tmp_path):
    a = make_tone_dataset(tmp_path / "a", {"yes": 500, "bed": 900}, SPEAKERS[:40])
    b = make_tone_dataset(tmp_path / "b", {"no": 700}, SPEAKERS[20:60])
    listed = tmp_path / "speakers.txt"
    listed.write_text("# people kept for a benchmark\n" + "\n".join(SPEAKERS[15:25]) + "  # and a comment\n\n")
    excluded = read_speaker_list(listed)
    assert excluded == tuple(SPEAKERS[15:25])
    for root, n_speakers_there in ((a, 10), (b, 5)):
        ix = index_dataset(root)
        before = ix.clips.copy()
        was_testing = set(before.loc[before["split"] == "testing", "speaker"])
        left_out = leave_out_speakers(ix, excluded)
        mine = ix.clips["speaker"].isin(excluded)
        assert ix.clips.loc[mine, "split"].isin(("unused", "testing")).all()
        assert left_out == int((mine & before["split"].isin(("training", "validation"))).sum()) > 0
        assert set(ix.clips.loc[mine & (ix.clips["split"] == "testing"), "speaker"]) == was_testing & set(excluded)
        assert (ix.clips.loc[~mine, "split"] == before.loc[~mine, "split"]).all()  # nobody else moves
        assert ix.clips.loc[mine, "speaker"].nunique() == n_speakers_there
    (tmp_path / "empty.txt").write_text("# nobody\n")
    with pytest.raises(DatasetError, match="empty.txt: no speaker ids"):
        read_speaker_list(tmp_path / "empty.txt")
    with pytest.raises(DatasetError, match="nope.txt: cannot read"):
        read_speaker_list(tmp_path / "nope.txt")


def test_split_lists_are_used_when_present(tmp_path):
    root = make_tone_dataset(tmp_path / "d", {"yes": 500, "no": 700}, ["aaaa0001", "bbbb0002", "cccc0003"])
    (root / "train" / "validation_list.txt").write_text("yes/bbbb0002_nohash_0.wav\nno/bbbb0002_nohash_0.wav\n")
    (root / "train" / "testing_list.txt").write_text("yes/cccc0003_nohash_0.wav\nno/cccc0003_nohash_0.wav\n")
    ix = index_dataset(root)
    assert "validation_list" in ix.split_source
    got = dict(zip(ix.clips["path"], ix.clips["split"]))
    assert got["yes/aaaa0001_nohash_0.wav"] == "training"
    assert got["no/bbbb0002_nohash_0.wav"] == "validation"
    assert got["yes/cccc0003_nohash_0.wav"] == "testing"


def test_file_names_repeat_across_words(tmp_path):
    root = make_tone_dataset(tmp_path / "d", {"yes": 500, "no": 700}, ["aaaa0001"])
    ix = index_dataset(root)
    assert sorted(ix.clips["path"]) == ["no/aaaa0001_nohash_0.wav", "yes/aaaa0001_nohash_0.wav"]


@pytest.mark.parametrize("layout,expected", [
    ("missing", "no such folder"),
    ("empty", "found no train/audio folder"),
    ("train_only", "looks like train/ itself"),
    ("no_clips", "no clips found"),
])
def test_wrong_root_is_a_clear_error(tmp_path, layout, expected):
    root = tmp_path / "r"
    if layout != "missing":
        root.mkdir()
    if layout == "train_only":
        (root / "audio").mkdir()
    if layout == "no_clips":
        (root / "train" / "audio" / "yes").mkdir(parents=True)
    with pytest.raises(DatasetError, match=expected) as e:
        index_dataset(root)
    assert "\n" not in str(e.value)


@pytest.mark.shared
def test_shared_sample_split_by_speaker(shared_sample):
    plain = index_dataset(shared_sample)
    assert len(plain.clips) == 4235 and plain.clips["speaker"].nunique() == 239
    # the trap in its README: the default rule calls nearly all of it "testing", and we say so
    assert (plain.clips["split"] == "testing").mean() > 0.99
    assert any("--split-salt" in w for w in split_warnings(plain))
    ix = index_dataset(shared_sample, SplitRule(10, 15, "kwsapp"))
    assert ix.clips.groupby("speaker")["split"].nunique().max() == 1
    n = ix.clips.groupby("split").size()
    assert n["training"] > 3000 and n["testing"] > 400 and n["validation"] > 300
    assert not split_warnings(ix)
