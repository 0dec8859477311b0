"""Live inference: one 1-s window at a time, through the same feature function and decision class
the app and the streaming evaluation use. Qt-free and TensorFlow-free: the model is the folder's ``model.tflite``,
run by the LiteRT interpreter. (The Keras side, for training and evaluation, is trainer.keras_model; its
``KerasScorer`` has the same interface: ``labels``, ``settings``, ``__call__(features) -> scores``.)"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from .core.decisions import (
    DEFAULT_HOP_MS,
    Decision,
    DecisionSettings,
    RecognizeCommands,
)
from .core.features import FeatureSettings, features_from_wave
from .core.modelfolder import ModelFolder, ModelFolderError
from .engine.litert import litert_interpreter, quiet_stderr  # noqa: F401 (also imported from here)

# windows per interpreter call on the batch path (export, evaluate, streams): small batches keep the activations in
# the CPU's cache, large ones were slower per window (measured in docs/experiments.md)
SCORE_BATCH = 32


class LiteRtScorer:
    """Scores one feature window with the LiteRT interpreter on ``model.tflite``; TensorFlow is not imported."""

    def __init__(self, model_dir, num_threads: int = 1):
        self.folder = ModelFolder.open(model_dir)
        path = self.folder.tflite_path
        if not path.is_file():
            raise ModelFolderError(f"{self.folder.path}: no {path.name}")
        self.labels = self.folder.labels
        self.settings: FeatureSettings = self.folder.features
        frames, bins = self.settings.shape
        self._it = litert_interpreter(path, num_threads, (1, frames, bins))
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

    def scores(self, feats: np.ndarray, batch_size: int = SCORE_BATCH) -> np.ndarray:
        """Scores of a batch of windows (the export's path), through a second interpreter sized for ``batch_size``;
        a last, shorter batch is padded with silence and cut."""
        feats = np.asarray(feats, dtype=np.float32)
        if getattr(self, "_batch_size", None) != batch_size:
            it = litert_interpreter(self.folder.tflite_path, 1, (batch_size, *self.settings.shape))
            self._batch_it, self._batch_size = it, batch_size
            self._batch_io = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
        it, n = self._batch_it, self._batch_size
        inp, outp = self._batch_io
        out = np.empty((len(feats), len(self.labels)), np.float32)
        pad = np.full((n,) + self.settings.shape, self.settings.floor, np.float32)
        for s in range(0, len(feats), n):
            chunk = feats[s:s + n]
            if len(chunk) < n:
                pad[:len(chunk)] = chunk
                chunk = pad
            it.set_tensor(inp, chunk)
            it.invoke()
            out[s:s + n] = it.get_tensor(outp)[: len(out) - s]
        return out


def load_scorer(model_dir) -> LiteRtScorer:
    """The app's scorer for a model folder: its ``model.tflite`` (train writes one; older folders get it from
    ``python -m trainer export-litert``)."""
    folder = ModelFolder.open(model_dir)
    if not folder.tflite_path.is_file():
        raise ModelFolderError(f"{folder.path}: no {folder.tflite_path.name}, which the app runs; add it with "
                               f"python -m trainer export-litert --model {folder.path}")
    return LiteRtScorer(folder.path)


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
    verified: float | None = None  # the verifier's score for an announcement it checked (kept or not)


class Verifier:
    """A second, larger model that checks each announcement on the same window: kept only if its own score for the
    label reaches ``threshold`` (a label it does not know passes). It runs only on those hops."""

    def __init__(self, scorer: LiteRtScorer, threshold: float):
        self.scorer, self.threshold = scorer, threshold
        self.index = {lab: i for i, lab in enumerate(scorer.labels)}

    def check(self, feats: np.ndarray, label: str) -> float | None:
        """The verifier's score for ``label`` (None when it has no such label)."""
        i = self.index.get(label)
        return None if i is None else float(self.scorer(feats)[i])

    def keeps(self, score: float | None) -> bool:
        return score is None or score >= self.threshold


def load_verifier(model_dir) -> Verifier | None:
    """The verifier a model folder names (verifier.json), or None."""
    found = ModelFolder.open(model_dir).verifier()
    return None if found is None else Verifier(LiteRtScorer(found[0].path), found[1])


class StreamingRecognizer:
    """Every hop: the newest 1 s at the device rate -> features -> scores -> smoothed decision (-> the verifier, when
    the model has one and the decision announces)."""

    def __init__(self, scorer, decisions: DecisionSettings = DecisionSettings(), verifier: Verifier | None = None):
        self.scorer = scorer
        self.settings: FeatureSettings = scorer.settings
        self.commands = RecognizeCommands(scorer.labels, decisions)
        self.verifier = verifier

    def step(self, window: np.ndarray, sample_rate_hz: int, time_ms: float) -> HopResult:
        t0 = time.perf_counter()
        feats = features_from_wave(window, sample_rate_hz, self.settings)
        scores = self.scorer(feats)
        decision = self.commands.process(scores, time_ms)
        verified = None
        if decision.is_new_command and self.verifier is not None:
            # a rejected announcement keeps the decision class's state as it is (its refractory time runs)
            verified = self.verifier.check(feats, decision.label)
            if not self.verifier.keeps(verified):
                decision = replace(decision, is_new_command=False)
        return HopResult(decision, feats, (time.perf_counter() - t0) * 1000, verified)

    def run_wave(self, wave: np.ndarray, sample_rate_hz: int, hop_ms: float = DEFAULT_HOP_MS):
        """Slide over a recording as the live app would; yields a HopResult per hop.
        The time of a hop is the end of its window, in ms from the start of the recording."""
        for time_ms, window in sliding_windows(wave, sample_rate_hz, hop_ms, self.settings.clip_duration_ms):
            yield self.step(window, sample_rate_hz, time_ms)
