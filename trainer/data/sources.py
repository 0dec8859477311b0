"""Data roots made ready for training and evaluation: index + cached features + noise."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kwsapp.core.features import FeatureSettings, features_from_wave
from kwsapp.core.labels import COMMANDS, LABELS, SILENCE, UNKNOWN
from trainer.data.cache import CachedFeatures, FeatureCache
from trainer.data.dataset import (
    NOISE_SEGMENTS,
    TRAIN,
    DatasetIndex,
    NoiseRecording,
    SplitRule,
    index_dataset,
    load_noise,
    mean_command_count,
    noise_windows,
    silence_gains,
    split_warnings,
)

EVAL_SEED = 20170823  # silence clips of an evaluation set are the same for every model


@dataclass
class Source:
    index: DatasetIndex
    feats: CachedFeatures
    noise: list[NoiseRecording]
    problems: list[str] = field(default_factory=list)  # unreadable files, split warnings

    @property
    def ok(self) -> np.ndarray:
        return self.feats.rows >= 0


def load_source(root, rule: SplitRule, cache: FeatureCache, workers: int | None = None, desc: str | None = "features") -> Source:
    index = index_dataset(root, rule)
    feats = cache.features_for(index.audio_dir, list(index.clips["path"]), workers=workers, desc=desc)
    noise, noise_errors = load_noise(index.noise_files)
    problems = split_warnings(index) + feats.errors + noise_errors
    return Source(index, feats, noise, problems)


def labels_array(labels) -> np.ndarray:
    lut = {lab: i for i, lab in enumerate(LABELS)}
    return np.array([lut[x] for x in labels], dtype=np.int64)


def noise_features(sources: list[Source], split: str, count: int, seed: int, settings: FeatureSettings) -> np.ndarray:
    """Features of ``count`` 1-s background-noise windows from the part of the recordings kept for ``split``."""
    rng = np.random.default_rng(seed)
    noise = [rec for s in sources for rec in s.noise]
    if not noise or count <= 0:
        return np.zeros((0,) + settings.shape, np.float32)
    seg = split if split in NOISE_SEGMENTS else None
    if seg is None:  # "all": windows from the whole recordings
        wins = []
        for _ in range(count):
            rec = noise[rng.integers(len(noise))]
            b = int(rng.integers(0, rec.samples.size - rec.sample_rate_hz))
            wins.append((rec.samples[b:b + rec.sample_rate_hz], rec.sample_rate_hz))
    else:
        wins = noise_windows(noise, seg, count, rng)
    return np.stack([features_from_wave(x, rate, settings) for x, rate in wins])


def features_at(sources: list[Source], items: np.ndarray, shape) -> np.ndarray:
    """Cached features of ``items``: (source number, position in its index) pairs, read source by source."""
    out = np.empty((len(items),) + tuple(shape), dtype=np.float32)
    for si in np.unique(items[:, 0]):
        m = items[:, 0] == si
        out[m] = sources[si].feats.get(items[m, 1])
    return out


TRAINING_NOISE_WINDOWS = 1500  # the training split's noise bank: this many 1-s windows, seeded by the run's seed


def training_noise_bank(sources: list[Source], seed: int, settings: FeatureSettings) -> np.ndarray:
    """The noise windows training mixes in and makes silence from (and the replay set draws its silence from)."""
    return noise_features(sources, TRAIN, TRAINING_NOISE_WINDOWS, seed + 1000, settings)


def silence_features(bank: np.ndarray, gains: np.ndarray, settings: FeatureSettings) -> np.ndarray:
    """Silence examples: noise features scaled by ``gains`` (0 gives digital silence)."""
    power = np.exp(bank) - settings.log_eps
    return np.log(power * (gains.astype(np.float32) ** 2)[:, None, None] + np.float32(settings.log_eps)).astype(np.float32)


@dataclass
class EvalSet:
    """Clips of one split from every source, plus synthetic silence; features are read lazily."""
    refs: list[tuple[int, np.ndarray]]  # (source number, positions in its index)
    silence: np.ndarray                  # silence features
    y: np.ndarray                        # label index of every item (refs in order, then silence)
    names: list[str]

    def __len__(self) -> int:
        return len(self.y)

    def batches(self, sources: list[Source], batch_size: int = 1024):
        for si, pos in self.refs:
            for s in range(0, len(pos), batch_size):
                yield sources[si].feats.get(pos[s:s + batch_size])
        for s in range(0, len(self.silence), batch_size):
            yield self.silence[s:s + batch_size]


def eval_set(sources: list[Source], split: str, settings: FeatureSettings, balance_unknown: bool = False,
             seed: int = EVAL_SEED) -> EvalSet:
    """All readable clips of ``split`` ("validation", "testing" or "all") and as many silence clips as
    an average command has. With ``balance_unknown`` the unknown clips are sampled down to that number too."""
    rng = np.random.default_rng(seed)
    refs, ys, names = [], [], []
    n_cmd = 0
    for si, src in enumerate(sources):
        clips = src.index.split(split)
        n_cmd += mean_command_count(clips)
        pos = np.nonzero(src.ok & src.index.clips.index.isin(clips.index))[0]
        labels = src.index.clips["label"].to_numpy()[pos]
        if balance_unknown:
            unk = pos[labels == UNKNOWN]
            keep = max(mean_command_count(clips), 1)
            if len(unk) > keep:
                drop = set(rng.choice(unk, len(unk) - keep, replace=False).tolist())
                pos = np.array([p for p in pos if p not in drop], dtype=np.int64)
                labels = src.index.clips["label"].to_numpy()[pos]
        refs.append((si, pos))
        ys.append(labels_array(labels))
        names += [f"{src.index.root}/train/audio/{p}" for p in src.index.clips["path"].to_numpy()[pos]]
    bank = noise_features(sources, split, n_cmd, seed + 1, settings)
    sil = silence_features(bank, silence_gains(len(bank), rng), settings)
    ys.append(np.full(len(sil), LABELS.index(SILENCE), dtype=np.int64))
    names += [f"silence_{i:05d}" for i in range(len(sil))]
    return EvalSet(refs, sil, np.concatenate(ys) if ys else np.zeros(0, np.int64), names)


def command_positions(src: Source, split: str) -> dict[str, np.ndarray]:
    clips = src.index.clips
    mask = src.ok & (clips["split"] == split).to_numpy()
    return {lab: np.nonzero(mask & (clips["label"] == lab).to_numpy())[0] for lab in (*COMMANDS, UNKNOWN)}
