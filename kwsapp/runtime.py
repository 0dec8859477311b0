"""Live inference: one 1-s window at a time, through the same feature function and decision class
the app and the streaming evaluation use. Qt-free.

Two scorers with one interface (``labels``, ``settings``, ``__call__(features) -> scores``):
:class:`LiteRtScorer` runs the folder's ``model.tflite`` with the LiteRT interpreter (no TensorFlow
import, ~0.4 ms a window); :class:`WindowScorer` runs ``model.keras`` as a fixed-shape ``tf.function``
(~1-2 ms, and TensorFlow's 2.5 s import). :func:`load_scorer` picks the first that the folder allows."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .core.decisions import (
    DEFAULT_HOP_MS,
    Decision,
    DecisionSettings,
    RecognizeCommands,
)
from .core.features import FeatureSettings, features_from_wave
from .core.modelfolder import ModelFolder, ModelFolderError


def load_keras_model(path):
    """Load a .keras file in safe mode (no code from the file runs), without compiling it."""
    import zipfile

    from .tf_setup import import_tensorflow

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


class LiteRtScorer:
    """Scores one feature window with the LiteRT interpreter on ``model.tflite``; TensorFlow is not imported."""

    def __init__(self, model_dir, num_threads: int = 1):
        self.folder = ModelFolder.open(model_dir)
        path = self.folder.tflite_path
        if not path.is_file():
            raise ModelFolderError(f"{self.folder.path}: no {path.name}")
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise ModelFolderError(f"the LiteRT runtime is not installed ({exc})") from None
        self.labels = self.folder.labels
        self.settings: FeatureSettings = self.folder.features
        frames, bins = self.settings.shape
        from .tf_setup import (
            quiet_stderr,  # LiteRT prints an INFO line about its CPU delegate
        )

        try:
            with quiet_stderr():
                self._it = Interpreter(model_path=str(path), num_threads=num_threads)
                inp = self._it.get_input_details()[0]
                if list(inp["shape"]) != [1, frames, bins]:
                    self._it.resize_tensor_input(inp["index"], [1, frames, bins])
                self._it.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ModelFolderError(f"{path}: cannot load the LiteRT model ({first})") from None
        self._in = self._it.get_input_details()[0]["index"]
        out = self._it.get_output_details()[0]
        if int(out["shape"][-1]) != len(self.labels):
            raise ModelFolderError(f"{path}: the model has {int(out['shape'][-1])} outputs but "
                                   f"{len(self.labels)} labels")
        self._out = out["index"]
        with quiet_stderr():
            self(np.full((frames, bins), self.settings.floor, np.float32))

    def __call__(self, feats: np.ndarray) -> np.ndarray:
        self._it.set_tensor(self._in, feats[None].astype(np.float32, copy=False))
        self._it.invoke()
        return self._it.get_tensor(self._out)[0].copy()


def load_scorer(model_dir, prefer: str = "litert"):
    """The fastest scorer the model folder allows: LiteRT when it holds ``model.tflite``, else Keras."""
    folder = ModelFolder.open(model_dir)
    if prefer == "litert" and folder.tflite_path.is_file():
        return LiteRtScorer(folder.path)
    if not folder.keras_path.is_file():
        raise ModelFolderError(f"{folder.path}: no model file ({folder.keras_path.name} or {folder.tflite_path.name})")
    return WindowScorer(folder.path)


def export_litert(keras_path, tflite_path) -> None:
    """Convert a .keras model to a .tflite file (float32), written atomically."""
    import os
    from pathlib import Path

    from .tf_setup import import_tensorflow, quiet_stderr

    model = load_keras_model(keras_path)
    import_tensorflow()
    tflite_path = Path(tflite_path)
    tmp = tflite_path.with_name(".tmp-" + tflite_path.name)
    try:
        with quiet_stderr():
            model.export(str(tmp), format="litert", verbose=False)
        os.replace(tmp, tflite_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def sliding_windows(wave: np.ndarray, sample_rate_hz: int, hop_ms: float, clip_duration_ms: float):
    """(time_ms, window) every hop over a recording, as the live app sees it: the window is the last
    ``clip_duration_ms`` (shorter at the start), its time the end of the window from the recording's start."""
    clip = int(round(sample_rate_hz * clip_duration_ms / 1000))
    hop = int(round(sample_rate_hz * hop_ms / 1000))
    for end in range(hop, len(wave) + 1, hop):
        yield end * 1000.0 / sample_rate_hz, wave[max(0, end - clip):end]


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

    def run_wave(self, wave: np.ndarray, sample_rate_hz: int, hop_ms: float = DEFAULT_HOP_MS):
        """Slide over a recording as the live app would; yields a HopResult per hop.
        The time of a hop is the end of its window, in ms from the start of the recording."""
        for time_ms, window in sliding_windows(wave, sample_rate_hz, hop_ms, self.settings.clip_duration_ms):
            yield self.step(window, sample_rate_hz, time_ms)
