"""The speech-embedding head's stream-like windows (trainer.data.embedding_cache) and the one rule that chooses decision
settings (trainer.recordings.sweep): pure functions on made signals, then a whole cache of a tone dataset in tmp_path."""

from __future__ import annotations

import numpy as np
import pytest

from kwsapp.engine.embedding import CLIP_BUFFER, clip_buffer
from tests.helpers import make_tone_dataset, tone
from trainer.data.embedding_cache import CUT_SHARE, NEIGHBOUR_SHARE, _stream_buffer, _word_samples


def word_clip(start: int, stop: int, amp: float = 0.5) -> np.ndarray:
    x = np.zeros(16000, np.float32)
    x[start:stop] = tone(700, seconds=(stop - start) / 16000, amp=amp)
    return x


def test_a_cut_command_keeps_only_part_of_its_word_at_one_edge_of_the_buffer():
    clip = word_clip(5000, 11000)
    ws, we = _word_samples(clip)
    assert abs(ws - 5000) <= 160 and abs(we - 11000) <= 160
    rng = np.random.default_rng(0)
    edges = set()
    for _ in range(40):
        b = _stream_buffer("cut", clip, None, rng)
        loud = np.flatnonzero(np.abs(b) > 1e-3)
        share = loud.size / (we - ws)
        assert CUT_SHARE[0] - 0.03 <= share <= CUT_SHARE[1] + 0.03
        assert loud[0] == 0 or loud[-1] == CLIP_BUFFER - 1  # arriving or leaving, never inside
        edges.add(loud[0] == 0)
    assert edges == {True, False}


def test_a_neighbour_adds_part_of_another_word_beside_the_command_never_over_it():
    clip, other = word_clip(5000, 11000), word_clip(2000, 14000, amp=0.2)
    ws, we = _word_samples(clip)
    for seed in range(20):
        b = _stream_buffer("neighbour", clip, other, np.random.default_rng(seed))
        offset = int(np.random.default_rng(seed).uniform(0, CLIP_BUFFER - 16000))  # its first draw: where the command is
        alone = clip_buffer(clip, offset)
        np.testing.assert_array_equal(b[offset + ws:offset + we], alone[offset + ws:offset + we])
        added = np.abs(b - alone) > 1e-6
        assert added.any()
        assert added.sum() <= (NEIGHBOUR_SHARE[1] + 0.02) * (14000 - 2000)


def test_the_sweep_rule_takes_the_most_correct_within_the_limits_then_the_ties_then_the_least_bad():
    from trainer.recordings.sweep import choose

    def row(correct, wrong, fa, count=2, refr=1500.0, peak=0.0, **kw):
        n = 100
        return dict(correct=correct, wrong=wrong, false_alarms_per_hour=fa, n_correct=int(correct * n),
                    n_wrong=int(wrong * n), n_false_alarms=int(fa), minimum_count=count, refractory_ms=refr,
                    peak_threshold=peak, **kw)

    rows = [row(0.9, 0.05, 2), row(0.8, 0.01, 10), row(0.7, 0.02, 6), row(0.7, 0.01, 6), row(0.6, 0.0, 0)]
    assert choose(rows) is rows[3]  # 0.9 and 0.8 break a limit; of the two 0.7, fewer wrong
    tie = [row(0.7, 0.01, 6, count=1), row(0.7, 0.01, 6, count=2, peak=0.8), row(0.7, 0.01, 6, count=2, peak=0.0)]
    assert choose(tie) is tie[2]  # more results averaged, then no peak check
    bad = [row(0.5, 0.1, 40), row(0.4, 0.05, 20)]
    assert choose(bad) is bad[1]  # none within: fewest false alarms plus wrong, less correct
    assert choose(rows, max_wrong=0.1, max_fa_per_hour=10) is rows[0]


@pytest.mark.parametrize("kind", ["cut", "neighbour"])
def test_stream_windows_of_a_tone_dataset_are_cached_with_the_rows_they_came_from(tmp_path, kind):
    from trainer.data.dataset import SplitRule, index_dataset
    from trainer.data.embedding_cache import CacheRecipe, build_negatives

    root = make_tone_dataset(tmp_path / "data", {"yes": 500, "no": 900, "tree": 1300}, ["aa", "bb", "cc"])
    rule = SplitRule(salt="t", testing_percent=15)
    where = build_negatives(root, rule, tmp_path / "cache", CacheRecipe(band_rate_hz=8000), copies=2, workers=1,
                            kind=kind)
    x, rows = np.load(where / "negatives.npy"), np.load(where / "rows.npy")
    labels = np.array(index_dataset(root, rule).clips["label"])
    assert sorted(set(labels[rows])) == ["no", "yes"]  # the commands, not the other word
    assert x.shape == (2, len(rows), 9, 96) and np.isfinite(x).all() and np.abs(x.astype(np.float32)).sum() > 0
    assert build_negatives(root, rule, tmp_path / "cache", CacheRecipe(band_rate_hz=8000), copies=2, workers=1,
                           kind=kind) == where  # found, not made again
    with pytest.raises(ValueError, match="not one of"):
        build_negatives(root, rule, tmp_path / "cache", kind="nearby")
