"""Which clips make up an epoch when several data folders are trained on together."""

import numpy as np

from kwsapp.core.features import DEFAULT_SETTINGS
from kwsapp.core.labels import COMMANDS, LABELS, UNKNOWN
from tests.helpers import make_tone_dataset
from trainer.data.cache import FeatureCache
from trainer.data.dataset import TRAIN, UNUSED, SplitRule, index_dataset, keep_training_speakers
from trainer.data.epochs import EpochPlan
from trainer.data.sources import load_source
from trainer.models.config import TrainConfig
from trainer.models.train import cosine_learning_rate

SPEAKERS = [f"{i:08x}" for i in range(0, 40 * 7919, 7919)]


def _source(root, words, per_speaker, tmp_path):
    make_tone_dataset(root, words, SPEAKERS, per_speaker=per_speaker)
    # every speaker in training: the plan only looks at the training split
    rule = SplitRule(validation_percent=0, testing_percent=0)
    return load_source(root, rule, FeatureCache(tmp_path / "cache", DEFAULT_SETTINGS), workers=1, desc=None)


def test_unknown_is_drawn_per_folder_in_proportion_to_its_commands(tmp_path):
    commands = {c: 300 + 40 * i for i, c in enumerate(COMMANDS)}
    # "real": 2 clips per speaker of each command and few other words; "synthetic": 1 per speaker and many
    real = _source(tmp_path / "real", {**commands, "marvin": 2000}, 2, tmp_path)
    synth = _source(tmp_path / "synth", {**commands, "bed": 2100, "bird": 2200, "cat": 2300, "dog": 2400}, 1, tmp_path)
    n_real_unknown, n_synth_unknown = 40 * 2, 4 * 40
    cfg = TrainConfig(data=["real", "synth"], out="m", unknown_ratio=1.5)
    plan = EpochPlan([real, synth], cfg)
    # commands: 800 real (2 x 40 speakers x 10) and 400 synthetic; an average command has 120 clips
    assert plan.n_unknown == 180 and list(plan.unknown_per_source) == [120, 60]

    items, ys = plan.epoch(np.random.default_rng(0))
    unknown = items[ys == LABELS.index(UNKNOWN)]
    assert np.bincount(unknown[:, 0], minlength=2).tolist() == [120, 60]
    # more wanted than the real folder has: drawn with replacement, from its own unknown clips only
    assert len(np.unique(unknown[unknown[:, 0] == 0, 1])) <= n_real_unknown
    real_unknown_rows = set(np.nonzero(real.index.clips["label"].to_numpy() == UNKNOWN)[0])
    assert set(unknown[unknown[:, 0] == 0, 1]) <= real_unknown_rows
    # the synthetic folder has enough: no clip twice
    synth_draw = unknown[unknown[:, 0] == 1, 1]
    assert len(np.unique(synth_draw)) == len(synth_draw) <= n_synth_unknown
    # every command clip once
    assert (ys < len(COMMANDS)).sum() == 1200


def test_a_folder_without_other_words_gets_no_unknown_share(tmp_path):
    commands = {c: 300 + 40 * i for i, c in enumerate(COMMANDS)}
    only_commands = _source(tmp_path / "a", commands, 1, tmp_path)
    with_unknown = _source(tmp_path / "b", {**commands, "marvin": 2000}, 1, tmp_path)
    plan = EpochPlan([only_commands, with_unknown], TrainConfig(data=["a", "b"], out="m", unknown_ratio=1.0))
    assert plan.unknown_per_source[0] == 0 and plan.unknown_per_source[1] == 40


def test_a_share_of_training_speakers_is_nested_and_leaves_held_out_speakers_alone(tmp_path):
    root = make_tone_dataset(tmp_path / "d", {"yes": 500, "marvin": 900}, SPEAKERS, per_speaker=2)
    rule = SplitRule(validation_percent=20, testing_percent=20)
    full = index_dataset(root, rule)
    held_out = full.clips[full.clips["split"] != TRAIN]
    speakers = {}
    for share in (0.25, 0.5, 1.0):
        ix = index_dataset(root, rule)
        kept, there = keep_training_speakers(ix, share)
        assert there == full.split(TRAIN)["speaker"].nunique() > 10
        train = ix.split(TRAIN)
        speakers[share] = set(train["speaker"])
        assert kept == len(speakers[share])
        # a speaker is kept or left out whole; validation and testing are as they were
        assert set(ix.clips.loc[ix.clips["split"] == UNUSED, "speaker"]).isdisjoint(speakers[share])
        assert ix.clips[ix.clips["split"].isin(["validation", "testing"])].equals(held_out)
    assert speakers[0.25] <= speakers[0.5] < speakers[1.0] == set(full.split(TRAIN)["speaker"])
    assert 0 < len(speakers[0.25]) < len(speakers[0.5]) < len(speakers[1.0])
    # what an epoch is made of follows: the commands of the kept speakers only
    src = load_source(root, rule, FeatureCache(tmp_path / "cache", DEFAULT_SETTINGS), workers=1, desc=None)
    keep_training_speakers(src.index, 0.5)
    plan = EpochPlan([src], TrainConfig(data=["d"], out="m"))
    rows = plan.by_label["yes"][:, 1]
    assert set(src.index.clips.iloc[rows]["speaker"]) == speakers[0.5]


def test_cosine_learning_rate_falls_from_peak_to_one_percent():
    rates = [cosine_learning_rate(e, 40, 1e-3) for e in range(40)]
    assert rates[0] == 1e-3 and abs(rates[-1] - 1e-5) < 1e-12
    assert all(a > b for a, b in zip(rates, rates[1:]))
    assert abs(cosine_learning_rate(0, 1, 1e-3) - 1e-3) < 1e-12  # one epoch: no division by zero


def test_balanced_commands_draw_the_same_count_of_every_command_afresh_each_epoch(tmp_path):
    # yes..right 3 clips per speaker, on/off/go 1: very different class sizes, as in the gathered data
    sizes = {c: (1 if c in ("on", "off", "go") else 3) for c in COMMANDS}
    sources = [_source(tmp_path / c, {c: 300}, sizes[c], tmp_path) for c in COMMANDS]
    plain = EpochPlan(sources, TrainConfig(data=COMMANDS, out="m"))
    plan = EpochPlan(sources, TrainConfig(data=COMMANDS, out="m", balance_commands=True))
    per_class = {c: len(plan.by_label[c]) for c in COMMANDS}
    assert per_class["yes"] == 120 and per_class["on"] == 40
    mean = round(np.mean(list(per_class.values())))  # (7 x 120 + 3 x 40) / 10 = 96
    assert plan.n_per_command == mean == 96

    counts = []
    draws = []
    for epoch in range(3):
        items, ys = plan.epoch(np.random.default_rng([0, epoch]))
        counted = np.bincount(ys, minlength=len(LABELS))[:len(COMMANDS)]
        counts.append(counted.tolist())
        yes = items[ys == LABELS.index("yes")]
        draws.append(frozenset(map(tuple, yes)))
        on = items[ys == LABELS.index("on")]
        # a small class: every clip twice, the rest (16) of distinct clips
        assert len({tuple(r) for r in on}) == 40
        # a large class: a subset without repeats
        assert len(set(map(tuple, yes))) == 96
    assert counts == [[96] * len(COMMANDS)] * 3
    assert len(set(draws)) == 3  # fresh draws, not one fixed subset
    # without the flag: every clip once, as before
    _, ys = plain.epoch(np.random.default_rng(0))
    assert np.bincount(ys, minlength=len(LABELS))[LABELS.index("yes")] == 120
    assert plan.n_total - plain.n_total == 96 * 10 - sum(per_class.values())


def test_replicas_share_out_each_batch_row_by_row(tmp_path):
    """Multi-worker training: replica r of R prepares rows r, r + R, ... of every batch; together they are the batch,
    and the whole batch (R = 1) is what one machine trains on."""
    from trainer.data.epochs import make_training_dataset

    sources = [_source(tmp_path / "d", {"yes": 300, "no": 500, "bed": 900}, 2, tmp_path)]
    cfg = TrainConfig(data=["d"], out="m", batch_size=16, augment=False)
    data = make_training_dataset(sources, cfg, np.zeros((0,) + DEFAULT_SETTINGS.shape, np.float32))
    data.set_epoch(1)
    for i in (0, len(data) - 1):
        x, y = data[i]
        assert np.array_equal(x, data.part(i, 0, 1)[0])
        parts = [data.part(i, r, 3) for r in range(3)]
        assert sum(len(p[1]) for p in parts) == len(y)
        for r, (xp, yp) in enumerate(parts):
            assert np.array_equal(xp, x[r::3]) and np.array_equal(yp, y[r::3])
