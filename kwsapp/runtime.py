"""Live inference: one 1-s window at a time, through the same feature function and decision class
the app and the streaming evaluation use. Qt-free; TensorFlow loads only when a model is opened."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .core.decisions import Decision, DecisionSettings, RecognizeCommands
from .core.features import FeatureSettings, features_from_wave
from .core.modelfolder import ModelFolder, ModelFolderError


def load_keras_model(path):
    """Load a .keras file in safe mode (no code from the file runs), without compiling it."""
    from .tf_setup import import_tensorflow

    import_tensorflow()
    import keras

    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise ModelFolderError(f"{path}: cannot load the Keras model ({type(exc).__name__}: {first})") from None


class WindowScorer:
    """Scores one feature window with a compiled function of fixed shape [1, frames, bins]
    (``model.predict`` costs ~36 ms a call; this ~1 ms)."""

    def __init__(self, model_dir):
        from .tf_setup import import_tensorflow

        self.folder = ModelFolder.open(model_dir)  # a bad folder is reported before TensorFlow loads
        model = load_keras_model(self.folder.keras_path)
        tf = import_tensorflow()
        self.labels = self.folder.labels
        self.settings: FeatureSettings = self.folder.features
        frames, bins = self.settings.shape
        self._fn = tf.function(lambda x: model(x, training=False),
                               input_signature=[tf.TensorSpec([1, frames, bins], tf.float32)])
        self(np.full((frames, bins), self.settings.floor, np.float32))  # trace once, now

    def __call__(self, feats: np.ndarray) -> np.ndarray:
        return self._fn(feats[None].astype(np.float32, copy=False)).numpy()[0]


@dataclass
class HopResult:
    decision: Decision
    features: np.ndarray
    compute_ms: float


class StreamingRecognizer:
    """Every hop: the newest 1 s at the device rate -> features -> scores -> smoothed decision."""

    def __init__(self, scorer, decisions: DecisionSettings = DecisionSettings()):
        self.scorer = scorer
        self.settings: FeatureSettings = scorer.settings
        self.commands = RecognizeCommands(scorer.labels, decisions)

    def step(self, window: np.ndarray, sample_rate_hz: int, time_ms: float) -> HopResult:
        t0 = time.perf_counter()
        feats = features_from_wave(window, sample_rate_hz, self.settings)
        scores = self.scorer(feats)
        decision = self.commands.process(scores, time_ms)
        return HopResult(decision, feats, (time.perf_counter() - t0) * 1000)

    def run_wave(self, wave: np.ndarray, sample_rate_hz: int, hop_ms: float = 250.0):
        """Slide over a recording as the live app would; yields a HopResult per hop.
        The time of a hop is the end of its window, in ms from the start of the recording."""
        clip = int(round(sample_rate_hz * self.settings.clip_duration_ms / 1000))
        hop = int(round(sample_rate_hz * hop_ms / 1000))
        for end in range(hop, len(wave) + 1, hop):
            window = wave[max(0, end - clip):end]
            yield self.step(window, sample_rate_hz, end * 1000.0 / sample_rate_hz)
