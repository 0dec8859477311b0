"""Loading a model folder for batched inference (Keras safe mode, a compiled tf.function)."""

from __future__ import annotations

import numpy as np

from kwsapp.core.modelfolder import ModelFolder, ModelFolderError
from kwsapp.runtime import load_keras_model
from kwsapp.tf_setup import import_tensorflow


class Predictor:
    """Scores for batches of features, through a compiled function with a fixed signature."""

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
