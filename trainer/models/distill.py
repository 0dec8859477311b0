"""Teachers: trained model folders whose scores on each augmented training batch become part of the
targets (knowledge distillation, Hinton et al. 2015, at temperature 1). A small model learns from a larger
one's view of every clip, its "sounds a bit like 'go'" included, at no cost per hop in the app."""

from __future__ import annotations

import numpy as np

from kwsapp.core.features import FeatureSettings
from kwsapp.core.modelfolder import ModelFolder, ModelFolderError


class TeacherError(Exception):
    pass


def check_teachers(dirs, labels, settings: FeatureSettings) -> list[ModelFolder]:
    """Open every teacher folder and check it scores the same labels from the same features (no TensorFlow)."""
    folders = []
    for d in dirs:
        try:
            f = ModelFolder.open(d)
        except ModelFolderError as exc:
            raise TeacherError(f"--teacher {exc}") from None
        if tuple(f.labels) != tuple(labels):
            raise TeacherError(f"--teacher {d}: its labels ({', '.join(f.labels)}) are not the ones trained here")
        if f.features != settings:
            theirs, ours = f.features.to_dict(), settings.to_dict()
            diff = ", ".join(f"{k} {theirs[k]} (here {ours[k]})" for k in ours if theirs[k] != ours[k])
            raise TeacherError(f"--teacher {d}: trained on other features: {diff}")
        if not f.keras_path.is_file():
            raise TeacherError(f"--teacher {d}: no {f.keras_path.name}")
        folders.append(f)
    return folders


class Teachers:
    """The mean of the teachers' scores for a batch of features."""

    def __init__(self, folders: list[ModelFolder]):
        from trainer.models.keras_model import KerasScorer

        self.dirs = [str(f.path) for f in folders]
        self._predictors = [KerasScorer(f.path) for f in folders]

    def __call__(self, feats: np.ndarray) -> np.ndarray:
        return np.mean([p.scores(feats) for p in self._predictors], axis=0).astype(np.float32)


def soft_targets(onehot: np.ndarray, teacher_scores: np.ndarray, teacher_weight: float) -> np.ndarray:
    """The training targets: the true label's share ``1 - teacher_weight``, the teachers' scores the rest."""
    if not 0.0 <= teacher_weight <= 1.0:
        raise ValueError(f"teacher weight {teacher_weight} is not in 0 .. 1")
    return ((1.0 - teacher_weight) * onehot + teacher_weight * teacher_scores).astype(np.float32)
