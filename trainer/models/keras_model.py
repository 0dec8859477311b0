"""The TensorFlow side of a model folder: ``model.keras`` loaded in safe mode, scored by Keras (batches, or one window
as the live path does), and exported to ``model.tflite``. The app never imports this: it runs ``model.tflite``
with LiteRT (kwsapp.engine)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from kwsapp.core.files import write_atomic
from kwsapp.core.modelfolder import ModelFolder, ModelFolderError
from kwsapp.engine.litert import quiet_stderr
from trainer.models.tf_setup import import_tensorflow


def load_keras_model(path):
    """Load a .keras file in safe mode (no code from the file runs), without compiling it."""
    if not Path(path).is_file():
        raise ModelFolderError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):  # Keras says "File not found" of a truncated or damaged file
        raise ModelFolderError(f"{path}: not a whole .keras file (a zip archive); is it truncated or damaged?")
    import_tensorflow()
    import keras

    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise ModelFolderError(f"{path}: cannot load the Keras model ({type(exc).__name__}: {first})") from None


class KerasScorer:
    """Scores of a model folder's ``model.keras`` through one compiled function of signature [None, frames, bins]:
    ``scores(batch)`` for evaluation, export and teachers, ``scorer(window)`` for one window (the interface of
    kwsapp.engine.window.LiteRtScorer). ``model.predict`` would cost about 36 ms a call."""

    def __init__(self, model_dir, model=None):
        self.folder = ModelFolder.open(model_dir)  # a bad folder is reported before TensorFlow loads
        tf = import_tensorflow()
        self.labels = self.folder.labels
        self.settings = self.folder.features
        self.model = model if model is not None else load_keras_model(self.folder.keras_path)
        frames, bins = self.settings.shape
        shape = tuple(self.model.input_shape[1:3])
        if shape != (frames, bins):
            raise ModelFolderError(f"{model_dir}: the model expects {shape} features but features.json gives {(frames, bins)}")
        if self.model.output_shape[-1] != len(self.labels):
            raise ModelFolderError(f"{model_dir}: the model has {self.model.output_shape[-1]} outputs but labels.json has {len(self.labels)}")
        m = self.model
        self._fn = tf.function(lambda x: m(x, training=False),
                               input_signature=[tf.TensorSpec([None, frames, bins], tf.float32)])

    def scores(self, feats: np.ndarray, batch_size: int = 256) -> np.ndarray:
        feats = np.asarray(feats, dtype=np.float32)
        out = np.empty((len(feats), len(self.labels)), dtype=np.float32)
        for s in range(0, len(feats), batch_size):
            out[s:s + batch_size] = self._fn(feats[s:s + batch_size]).numpy()
        return out

    def __call__(self, feats: np.ndarray) -> np.ndarray:
        return self._fn(feats[None].astype(np.float32, copy=False)).numpy()[0]


def export_litert(keras_path, tflite_path) -> None:
    """Convert a .keras model to a .tflite file (float32), written atomically."""
    model = load_keras_model(keras_path)
    import_tensorflow()
    def write(tmp: Path) -> None:
        with quiet_stderr():
            model.export(str(tmp), format="litert", verbose=False)

    write_atomic(tflite_path, write, suffix=".tflite")
