"""A model's replay set: a small sample of the features it was trained on, kept in its folder (``replay.npz``), so
that a fine-tune on a user's machine, which has none of the training data, can go on showing the model the rest of
the world, taught as the old model hears it (its own scores as targets). Without it, a word of one's own learnt from
a few takes soon takes every word for itself.

``PER_LABEL`` training windows of each class (silence made from the training noise as training makes it), the
unknown ones drawn from each data folder in proportion to its share of the epoch. Features are stored as bytes
(``LOW`` + ``STEP`` x value; a quantisation step of 0.19 in log power, far below what the model tells apart), in a
NumPy archive read without pickle.
"""

from __future__ import annotations

import numpy as np

from kwsapp.core.features import FeatureSettings
from kwsapp.core.files import write_atomic
from kwsapp.core.labels import COMMANDS, LABELS, SILENCE, UNKNOWN
from kwsapp.core.modelfolder import REPLAY_FILE, ModelFolder, ModelFolderError
from trainer.data.dataset import silence_gains
from trainer.data.sources import features_at, silence_features

PER_LABEL = 40
LOW, STEP = -24.0, 48.0 / 255  # log power from -24 (below digital silence's -23.03) to +24, in 255 steps


def choose(sources, plan, noise_bank: np.ndarray, settings: FeatureSettings, seed: int = 0,
           per_label: int = PER_LABEL) -> tuple[np.ndarray, np.ndarray]:
    """(features, label index) of the replay windows, from the training split (``plan``: an ``EpochPlan``)."""
    rng = np.random.default_rng([seed, 7])
    feats, labels = [], []
    for lab in COMMANDS:
        pool = plan.by_label[lab]
        if len(pool):
            picks = pool[rng.choice(len(pool), min(per_label, len(pool)), replace=False)]
            feats.append(features_at(sources, picks, settings.shape))
            labels += [LABELS.index(lab)] * len(picks)
    unk = plan.by_label[UNKNOWN]
    share = plan.unknown_per_source / max(plan.unknown_per_source.sum(), 1)
    for si, n in enumerate(np.floor(share * per_label + 0.5).astype(int)):
        pool = unk[unk[:, 0] == si]
        if n and len(pool):
            picks = pool[rng.choice(len(pool), min(n, len(pool)), replace=False)]
            feats.append(features_at(sources, picks, settings.shape))
            labels += [LABELS.index(UNKNOWN)] * len(picks)
    if len(noise_bank):
        idx = rng.integers(len(noise_bank), size=per_label)
        feats.append(silence_features(noise_bank[idx], silence_gains(per_label, rng), settings))
        labels += [LABELS.index(SILENCE)] * per_label
    return np.concatenate(feats), np.array(labels, np.int64)


def write_replay(model_dir, features: np.ndarray, labels: np.ndarray) -> None:
    q = np.clip(np.round((features - LOW) / STEP), 0, 255).astype(np.uint8)

    def write(tmp):
        with open(tmp, "wb") as f:
            np.savez_compressed(f, features=q, labels=labels.astype(np.int16), low=np.float32(LOW),
                                step=np.float32(STEP))

    write_atomic(ModelFolder.open(model_dir).path / REPLAY_FILE, write)


def read_replay(model_dir) -> np.ndarray | None:
    """The replay windows as features (float32), or None when the folder has none. Read without pickle; a file
    of the wrong shape is a one-line error."""
    folder = ModelFolder.open(model_dir)
    path = folder.path / REPLAY_FILE
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            q, low, step = z["features"], float(z["low"]), float(z["step"])
    except (OSError, ValueError, KeyError) as exc:
        raise ModelFolderError(f"{path}: not a replay set ({type(exc).__name__}: {exc})".splitlines()[0]) from None
    if q.dtype != np.uint8 or q.shape[1:] != folder.features.shape or not (np.isfinite(low) and np.isfinite(step)):
        raise ModelFolderError(f"{path}: not a replay set of {folder.features.shape} byte features")
    return (low + step * q.astype(np.float32)).astype(np.float32)
