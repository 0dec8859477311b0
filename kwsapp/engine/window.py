"""The spectrogram kind of model: the folder's ``model.tflite`` on the log spectrogram of the last 1-s window
(kwsapp.core.features), run by LiteRT; and the verifier, a second such model that checks announcements.
Qt-free and TensorFlow-free. (The Keras side, for training and evaluation, is trainer.models.keras_model; its
``KerasScorer`` has the same interface: ``labels``, ``settings``, ``__call__(features) -> scores``.)

``WindowSource`` is this kind's part of the Listener (kwsapp.engine.listener): audio in, one row of scores every
hop, each the model's look at the newest window."""

from __future__ import annotations

import numpy as np

from ..core.audio import samples
from ..core.features import FeatureSettings, features_from_wave
from ..core.modelfolder import ModelFolder, ModelFolderError
from .litert import litert_interpreter, quiet_stderr

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


class Verifier:
    """A second model that checks each announcement on the newest second of audio: kept only if its own score for the
    label reaches ``threshold`` (a label it does not know passes). It runs only on those hops. Any kind of model can
    be one: it scores the window as a clip (kwsapp.engine.kinds.clip_scorer)."""

    CLIP_MS = 1000.0  # the audio it is given: the newest second

    def __init__(self, score_clip, labels, threshold: float, folder=None):
        self.score_clip, self.labels, self.threshold, self.folder = score_clip, tuple(labels), threshold, folder
        self.index = {lab: i for i, lab in enumerate(self.labels)}

    def scores(self, window: np.ndarray, rate_hz: int) -> np.ndarray:
        """The verifier's scores of the newest second of audio."""
        return self.score_clip(window, rate_hz)

    def check(self, window: np.ndarray, rate_hz: int, label: str) -> float | None:
        """The verifier's score for ``label`` on the window (None when it has no such label)."""
        i = self.index.get(label)
        return None if i is None else float(self.scores(window, rate_hz)[i])

    def keeps(self, score: float | None) -> bool:
        return score is None or score >= self.threshold


def load_verifier(model_dir) -> Verifier | None:
    """The verifier a model folder names (verifier.json), or None."""
    from .kinds import clip_scorer

    found = ModelFolder.open(model_dir).verifier()
    if found is None:
        return None
    folder, threshold = found
    return Verifier(clip_scorer(folder.path), folder.labels, threshold, folder)


class WindowSource:
    """Audio at ``input_rate_hz`` in, in pieces of any size: every ``hop_ms`` of audio, the scorer's scores of the
    newest window (the model's clip length, zeros in front at the start). The hops fall every ``hop_ms`` of audio
    from the first sample, whatever the pieces, so a recording gives the same hops however it is fed."""

    def __init__(self, scorer, input_rate_hz: int, hop_ms: float):
        self.scorer = scorer
        self.labels = scorer.labels
        self.settings: FeatureSettings = scorer.settings
        self.rate = int(input_rate_hz)
        self.step_ms = float(hop_ms)
        self.hop = max(1, samples(self.rate, hop_ms))
        self.clip = samples(self.rate, self.settings.clip_duration_ms)
        # the newest `clip` samples, written twice (at i and i + clip) so that ring[p:p + clip] is always the newest
        # second in order, a view: nothing is copied per hop but the new audio (zeros before the first sample)
        self._ring = np.zeros(2 * self.clip, np.float32)
        self._p = 0                # ring[_p:_p + clip] is the newest second
        self._total = 0
        self._next_end = self.hop

    def _write(self, x: np.ndarray) -> None:
        n, c = x.size, self.clip
        if n >= c:
            x, n = x[-c:], c
        first = min(n, c - self._p)  # up to the end of the first copy, then wrapping to its start
        for dst, part in ((self._p, x[:first]), (0, x[first:])):
            if part.size:
                self._ring[dst:dst + part.size] = part
                self._ring[dst + c:dst + c + part.size] = part
        self._p = (self._p + n) % c

    def feed(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(times_ms, scores) of every hop the new audio completed; a hop's time is the end of its window."""
        x = np.asarray(x, np.float32)
        times, out = [], []
        a = 0
        while a < x.size:
            b = min(x.size, a + self._next_end - self._total)  # up to the next hop's end
            self._write(x[a:b])
            self._total += b - a
            a = b
            if self._total == self._next_end:
                window = self._ring[self._p:self._p + self.clip]
                out.append(self.scorer(features_from_wave(window, self.rate, self.settings)))
                times.append(self._next_end * 1000.0 / self.rate)
                self._next_end += self.hop
        return np.array(times), (np.array(out) if out else np.empty((0, len(self.labels)), np.float32))
