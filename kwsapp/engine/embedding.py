"""The speech-embedding kind: the pretrained front-end (kwsapp.engine.speech_embedding) and a small head, the
folder's ``model.tflite``, on its last ``windows`` embeddings. One row of scores every 80 ms.
``EmbeddingSource`` is this kind's part of the Listener."""

from __future__ import annotations

import numpy as np

from ..core.modelfolder import ModelFolder, ModelFolderError
from ..core.resampling import StreamResampler
from .speech_embedding import EMBED_SIZE, EMBED_STEP_MS, FRONTEND_DIR, RATE_HZ, EmbeddingStream, FrontEndSettings, SpeechEmbedding


class EmbeddingModel:
    """A folder of this kind, opened: the front-end's two interpreters and the head's."""

    def __init__(self, model_dir):
        from .litert import litert_interpreter

        self.folder = ModelFolder.open(model_dir)
        self.frontend_settings = FrontEndSettings.read(self.folder.path)
        self.labels = self.folder.labels
        self.frontend = SpeechEmbedding(self.folder.path / FRONTEND_DIR)
        path = self.folder.tflite_path
        if not path.is_file():
            raise ModelFolderError(f"{self.folder.path}: no {path.name}")
        self.windows = self.frontend_settings.windows
        self._it = litert_interpreter(path, 1, (1, self.windows, EMBED_SIZE))
        self._in = self._it.get_input_details()[0]["index"]
        out = self._it.get_output_details()[0]
        if int(out["shape"][-1]) != len(self.labels):
            raise ModelFolderError(f"{path}: the head has {int(out['shape'][-1])} outputs but {len(self.labels)} labels")
        self._out = out["index"]
        self.step_ms = EMBED_STEP_MS

    def head(self, embeddings: np.ndarray) -> np.ndarray:
        """Scores of one look: (windows, 96) -> (labels,)."""
        self._it.set_tensor(self._in, embeddings[None].astype(np.float32, copy=False))
        self._it.invoke()
        return self._it.get_tensor(self._out)[0].copy()


class EmbeddingSource:
    """Audio at ``input_rate_hz`` in, in pieces of any size -> (through ``band_rate_hz``) 16 kHz -> the embeddings
    that became complete -> the head on the last ``windows`` of them, once per new embedding. Before the first
    sample, the head has heard digital silence, as around a clip in training."""

    def __init__(self, model: EmbeddingModel, input_rate_hz: int):
        self.model = model
        self.labels = model.labels
        self.step_ms = model.step_ms
        band = model.frontend_settings.band_rate_hz
        self._stages = []
        rate = int(input_rate_hz)
        if band < rate:
            self._stages.append(StreamResampler(rate, band))
            rate = band
        if rate != RATE_HZ:
            self._stages.append(StreamResampler(rate, RATE_HZ))
        self.stream = EmbeddingStream(model.frontend, model.windows)
        self.history = self.stream.initial[-model.windows:].copy()  # the last `windows` embeddings, oldest first

    def feed(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y = np.asarray(x, np.float32)
        for st in self._stages:
            y = st.feed(y)
        times, emb = self.stream.feed(y)
        out = np.empty((len(emb), len(self.labels)), np.float32)
        for k, e in enumerate(emb):
            self.history[:-1] = self.history[1:]
            self.history[-1] = e
            out[k] = self.model.head(self.history)
        return times, out


CLIP_BUFFER_S = 1.5  # a clip is heard in this much digital silence: in training, fine-tuning, and as a clip alone
CLIP_BUFFER = int(CLIP_BUFFER_S * RATE_HZ)
CENTRED = (CLIP_BUFFER - RATE_HZ) // 2  # where a 1-s clip starts when it is heard centred


def clip_buffer(clip: np.ndarray, offset: int = CENTRED) -> np.ndarray:
    """A buffer of digital silence with the clip's first second starting ``offset`` samples in (16 kHz); an offset
    before the start or near the end cuts the clip at the buffer's edge."""
    out = np.zeros(CLIP_BUFFER, np.float32)
    clip = np.asarray(clip, np.float32)[:RATE_HZ]
    a, b = max(0, offset), min(CLIP_BUFFER, offset + clip.size)
    if b > a:
        out[a:b] = clip[a - offset:b - offset]
    return out


def clip_embeddings(model: EmbeddingModel, x: np.ndarray, rate_hz: int) -> np.ndarray:
    """The ``windows`` embeddings of one clip (its first second), centred in a 1.5-s buffer."""
    from .speech_embedding import to_band

    clip = to_band(np.asarray(x, np.float32), rate_hz, model.frontend_settings.band_rate_hz)
    return model.frontend.embed_waves(clip_buffer(clip)[None])[0, -model.windows:]
