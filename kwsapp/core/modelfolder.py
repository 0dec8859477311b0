"""A model is a folder: weights, labels and the feature settings it was trained with.

    MODEL_DIR/
      model.keras      the Keras model (loaded in safe mode)
      model.tflite     optional: the same model for the LiteRT runtime
      labels.json      the class names, in output order
      features.json    FeatureSettings used for training (a spectrogram model)
      frontend.json    or: the pretrained front-end the model's head listens through, and frontend/ its files
                       (kwsapp.engine.speech_embedding)
      training.json    how it was trained (data, split, arguments)
      metrics.json     validation / test accuracy, per class, confusion matrices
      history.csv      per-epoch loss and accuracy
      curves.png, confusion.png

This module reads and writes the metadata only; it never imports TensorFlow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .features import FeatureSettings
from .files import write_atomic

KERAS_FILE = "model.keras"
TFLITE_FILE = "model.tflite"
LABELS_FILE = "labels.json"
FEATURES_FILE = "features.json"
FRONTEND_FILE = "frontend.json"
TRAINING_FILE = "training.json"
METRICS_FILE = "metrics.json"
# a second, larger model that checks each announcement (optional): {"folder": "verifier", "threshold": 0.5}
VERIFIER_FILE = "verifier.json"
HISTORY_FILE = "history.csv"
# a small sample of the training features (optional; trainer.models.replay_set), for fine-tuning where the data is not
REPLAY_FILE = "replay.npz"
# in a folder still being written (a fine-tune killed before it finished leaves it): never a model
INCOMPLETE_FILE = ".incomplete"


class ModelFolderError(Exception):
    """A model folder that is missing or incomplete; the message says what is wrong where."""


def write_json_atomic(path: str | Path, data) -> None:
    """Write JSON to a temporary file beside ``path`` and rename it into place."""
    def write(tmp: Path) -> None:
        with open(tmp, "w") as f:
            json.dump(data, f, indent=2, sort_keys=False)
            f.write("\n")

    write_atomic(path, write)


@dataclass(frozen=True)
class ModelFolder:
    path: Path
    labels: tuple[str, ...]
    features: FeatureSettings | None  # None: the model hears through a front-end (frontend.json)

    @property
    def kind(self) -> str:
        """"spectrogram" (features.json: the log spectrogram of 1-s windows) or "speech_embedding" (frontend.json)."""
        return "spectrogram" if self.features is not None else "speech_embedding"

    @property
    def keras_path(self) -> Path:
        return self.path / KERAS_FILE

    @property
    def tflite_path(self) -> Path:
        return self.path / TFLITE_FILE

    @classmethod
    def open(cls, path: str | Path) -> "ModelFolder":
        path = Path(path)
        if not path.is_dir():
            raise ModelFolderError(f"{path}: not a model folder (no such directory)")
        if (path / INCOMPLETE_FILE).exists():
            raise ModelFolderError(f"{path}: an unfinished model (its writing was stopped before the end); delete it")
        if not (path / LABELS_FILE).is_file():
            raise ModelFolderError(f"{path}: not a model folder ({LABELS_FILE} is missing)")
        has_frontend = (path / FRONTEND_FILE).is_file()
        if not has_frontend and not (path / FEATURES_FILE).is_file():
            raise ModelFolderError(f"{path}: not a model folder ({FEATURES_FILE} is missing)")
        try:
            labels = json.loads((path / LABELS_FILE).read_text())
        except (ValueError, OSError) as exc:
            raise ModelFolderError(f"{path / LABELS_FILE}: not readable JSON ({exc})") from None
        features = None
        if not has_frontend:
            try:
                features = FeatureSettings.from_dict(json.loads((path / FEATURES_FILE).read_text()))
            except (ValueError, OSError) as exc:
                raise ModelFolderError(f"{path / FEATURES_FILE}: {exc}") from None
        if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
            raise ModelFolderError(f"{path / LABELS_FILE}: expected a JSON list of class names")
        if not (path / KERAS_FILE).is_file() and not (path / TFLITE_FILE).is_file():
            raise ModelFolderError(f"{path}: no {KERAS_FILE} or {TFLITE_FILE} in the model folder")
        return cls(path=path, labels=tuple(labels), features=features)

    def verifier(self) -> tuple["ModelFolder", float] | None:
        """The verifier this folder names (a model folder inside it, of any kind, with no label the main model
        lacks) and its threshold, or None."""
        spec = self.path / VERIFIER_FILE
        if not spec.is_file():
            return None
        try:
            data = json.loads(spec.read_text())
            folder, threshold = data["folder"], data["threshold"]
        except (ValueError, OSError, KeyError, TypeError) as exc:
            raise ModelFolderError(f"{spec}: expected {{\"folder\": ..., \"threshold\": ...}} ({exc})") from None
        if not isinstance(folder, str) or not isinstance(threshold, (int, float)) or isinstance(threshold, bool) \
                or not 0.0 <= threshold <= 1.0:
            raise ModelFolderError(f"{spec}: 'folder' must be a folder name and 'threshold' a number from 0 to 1")
        where = (self.path / folder).resolve()
        if self.path.resolve() not in where.parents:  # inside this folder: a model folder names nothing elsewhere
            raise ModelFolderError(f"{spec}: the verifier must be a folder inside {self.path}")
        v = ModelFolder.open(where)
        if not set(v.labels) <= set(self.labels):
            raise ModelFolderError(f"{spec}: the verifier has labels the model lacks")
        return v, float(threshold)

    @staticmethod
    def write_metadata(path: str | Path, labels, features: FeatureSettings) -> None:
        write_json_atomic(Path(path) / LABELS_FILE, list(labels))
        write_json_atomic(Path(path) / FEATURES_FILE, features.to_dict())

    def read_json(self, name: str):
        p = self.path / name
        return json.loads(p.read_text()) if p.is_file() else None
