"""Training settings, each defined once: :class:`TrainConfig` holds every default, the named recipes set several at
once (``python -m trainer train --recipe NAME``; flags given explicitly override them), and the command line and the
app's Train dialog read both from here. No TensorFlow is imported.

- ``notebook`` reproduces the notebook: its CNN, +-100 ms shifts, a constant learning rate, early stopping.
  (Its augmentation, and unknown clips drawn per data folder, are this project's; docs/training.md.)
- ``live`` is the bundled model's own recipe (scripts/train_default_model.sh passes only the data and the split):
  the wide DS-CNN (blocks at 96 channels), +-300 ms shifts, 1.5x unknown, SpecAugment masks, every command drawn
  equally often each epoch, a cosine learning rate over 40 epochs keeping the best epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from kwsapp.core.features import DEFAULT_SETTINGS, FeatureSettings
from trainer.data.augment import AugmentSettings
from trainer.data.dataset import SplitRule
from trainer.models.recipes import ARCHS, CHECKPOINT_DIR, RECIPE_HELP, RECIPES, WIDTHS  # noqa: F401 (the trainer reads them here)


@dataclass
class TrainConfig:
    data: list[str]
    out: str
    epochs: int = 10
    batch_size: int = 64
    width: float = 1.0
    arch: str = "reference"
    seed: int = 0
    resume: bool = False
    learning_rate: float = 1e-3
    lr_schedule: str = "constant"  # or "cosine": from learning_rate down to 1 % of it over `epochs`
    patience: int = 4
    unknown_ratio: float = 1.0   # unknown clips per epoch, in units of an average command's count
    silence_ratio: float = 1.0   # silence clips per epoch, likewise
    balance_commands: bool = False  # each epoch draws the same number of clips of every command (fresh draws)
    augment: bool = True
    max_shift_ms: float = 100.0  # time shift augmentation, +-
    snr_db_range: tuple[float, float] = AugmentSettings.snr_db_range  # background noise, speech to noise
    spec_augment: bool = False   # two frequency masks (<= 8 bins) and two time masks (<= 100 ms) per clip
    teachers: tuple[str, ...] = ()  # model folders whose mean scores on each batch are part of the targets (distill)
    teacher_weight: float = 0.5     # their share of the targets; the true label has the rest
    train_speakers: float = 1.0     # < 1: train on this share of each folder's training speakers (learning curves)
    exclude_speakers: tuple[str, ...] = ()  # speakers neither trained nor validated on, in any folder (benchmarks)
    split: SplitRule = field(default_factory=SplitRule)
    cache_dir: str | None = None
    workers: int | None = None
    features: FeatureSettings = DEFAULT_SETTINGS
    progress: bool = True
    distribute: str = ""  # "mirrored": every local GPU (or the CPU); "cpu:N": N logical CPUs (tests); "multiworker": TF_CONFIG


def default(name: str):
    """TrainConfig's default for the field ``name``."""
    f = next(f for f in fields(TrainConfig) if f.name == name)
    return f.default_factory() if callable(f.default_factory) else f.default


def resolve_recipe(name: str, overrides: dict) -> dict:
    """The recipe's settings, with every override that is not None in their place."""
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r} (choose from {', '.join(RECIPES)})")
    out = {k: overrides[k] if overrides.get(k) is not None else v for k, v in RECIPES[name].items()}
    if out["patience"] is None:
        out["patience"] = out["epochs"]
    return out
