"""Google's pretrained speech embedding (arXiv:2002.01322) as a model's front-end: the two .tflite files that
openWakeWord uses (``melspectrogram.tflite``: 16 kHz audio -> 32 mel bands every 10 ms; ``embedding_model.tflite``:
76 mel frames -> 96 numbers), run by LiteRT. One embedding every 8 mel frames (80 ms).

A model folder of this kind holds the two files in ``frontend/`` with their licence, and ``frontend.json`` names them
with their SHA-256 (checked when the folder is opened). ``band_rate_hz`` says what the audio passes through before the
front-end's 16 kHz: 16000 (the audio as it is), or 8000 (the app's 8-kHz path, upsampled again).

The same numbers come out whether a recording is embedded whole (``embed_waves``, training and clips) or fed in
pieces of any size (``EmbeddingStream``, the live path): mel frame k covers the 16-kHz samples [160 k, 160 k + 400)
in both, and embedding j the frames [8 j, 8 j + 76)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..core.modelfolder import ModelFolderError

FRONTEND_FILE = "frontend.json"
FRONTEND_DIR = "frontend"
KIND = "speech_embedding"
MEL_FILE = "melspectrogram.tflite"
EMBEDDING_FILE = "embedding_model.tflite"
LICENSE_FILE = "LICENSE"
# the files as the PyPI package pyopen-wakeword 1.1.0 ships them (Apache-2.0)
SHA256 = {MEL_FILE: "96fa0adccb6e8cf95cb14465409a1a2898ee4a96a85bb9ed3c7eb0e68bf163e8",
          EMBEDDING_FILE: "c0aea21eb84a4ce90a08c870da41b7a7173b45269e6a3207c71d67c40f3a59d8"}
SOURCE = "pyopen-wakeword 1.1.0 (PyPI), models/; Apache-2.0"

RATE_HZ = 16000
MEL_HOP = 160          # samples per mel frame (10 ms)
MEL_WINDOW = 400       # samples under one mel frame (25 ms)
MEL_BANDS = 32
MEL_CHUNK_FRAMES = 8   # mel frames computed at a time while streaming
MEL_CHUNK = 1760       # samples that give those 8 frames (the model gives floor((n - 400) / 160) frames of n samples)
EMBED_FRAMES = 76      # mel frames under one embedding (775 ms)
EMBED_STEP = 8         # mel frames between embeddings (80 ms)
EMBED_SIZE = 96
EMBED_STEP_MS = EMBED_STEP * MEL_HOP * 1000 / RATE_HZ


@dataclass(frozen=True)
class FrontEndSettings:
    windows: int = 9              # embeddings the head sees (9: 1.48 s of audio)
    band_rate_hz: int = 16000     # 8000: the audio is brought to 8 kHz first, as the spectrogram models hear it

    def to_dict(self) -> dict:
        return {"kind": KIND, **asdict(self), "files": {n: {"path": f"{FRONTEND_DIR}/{n}", "sha256": h}
                                                       for n, h in SHA256.items()},
                "license": f"{FRONTEND_DIR}/{LICENSE_FILE}", "source": SOURCE}

    @classmethod
    def read(cls, folder: Path) -> "FrontEndSettings":
        """The front-end a model folder names, its files checked; a ModelFolderError says what is wrong."""
        spec = folder / FRONTEND_FILE
        try:
            data = json.loads(spec.read_text())
            settings = cls(windows=int(data.get("windows", 9)), band_rate_hz=int(data.get("band_rate_hz", 16000)))
            files = data["files"]
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ModelFolderError(f"{spec}: not a front-end description ({exc})") from None
        if data.get("kind") != KIND:
            raise ModelFolderError(f"{spec}: unknown front-end kind {data.get('kind')!r}")
        if not 1 <= settings.windows <= 64 or settings.band_rate_hz not in (8000, 16000):
            raise ModelFolderError(f"{spec}: windows must be 1-64 and band_rate_hz 8000 or 16000")
        for name, want in SHA256.items():
            entry = files.get(name) if isinstance(files, dict) else None
            path = folder / FRONTEND_DIR / name
            if not isinstance(entry, dict) or entry.get("sha256") != want:
                raise ModelFolderError(f"{spec}: {name} is not named with its checksum")
            if not path.is_file():
                raise ModelFolderError(f"{folder}: no {FRONTEND_DIR}/{name}")
            if hashlib.sha256(path.read_bytes()).hexdigest() != want:
                raise ModelFolderError(f"{path}: not the front-end file of {SOURCE} (checksum differs)")
        return settings


def bundled_frontend_dir() -> Path:
    """Where the project keeps the two files and their licence (assets/speech_embedding, installed as
    kwsapp.assets.speech_embedding)."""
    from ..bundled import assets_dir

    return assets_dir() / "speech_embedding"


def write_frontend(folder: Path, settings: FrontEndSettings) -> None:
    """Put the front-end's files, licence and description into a model folder."""
    import shutil

    from ..core.modelfolder import write_json_atomic

    src = bundled_frontend_dir()
    (folder / FRONTEND_DIR).mkdir(parents=True, exist_ok=True)
    for name in (MEL_FILE, EMBEDDING_FILE, LICENSE_FILE):
        shutil.copyfile(src / name, folder / FRONTEND_DIR / name)
    write_json_atomic(folder / FRONTEND_FILE, settings.to_dict())


class SpeechEmbedding:
    """The two interpreters. ``mels`` of a batch of 16-kHz recordings, ``embed`` of a batch of 76-frame windows."""

    def __init__(self, frontend_dir: Path, batch: int = 32):
        from .litert import litert_interpreter

        self.dir = Path(frontend_dir)
        self._mel_path, self._emb_path = self.dir / MEL_FILE, self.dir / EMBEDDING_FILE
        self._mel = {}  # (batch, samples) -> interpreter
        self._emb = {}  # batch -> interpreter
        self._open = litert_interpreter
        self.batch = batch

    def _mel_it(self, shape):
        it = self._mel.get(shape)
        if it is None:
            if len(self._mel) > 4:
                self._mel.clear()
            it = self._mel[shape] = self._open(self._mel_path, 1, shape)
        return it

    def _emb_it(self, n: int):
        it = self._emb.get(n)
        if it is None:
            it = self._emb[n] = self._open(self._emb_path, 1, (n, EMBED_FRAMES, MEL_BANDS, 1))
        return it

    def mels(self, waves: np.ndarray) -> np.ndarray:
        """(batch, samples) float waves in [-1, 1] at 16 kHz -> (batch, frames, 32), scaled for the embedding model."""
        waves = np.asarray(waves, np.float32)
        it = self._mel_it(waves.shape)
        it.set_tensor(it.get_input_details()[0]["index"], waves * 32768.0)
        it.invoke()
        out = it.get_tensor(it.get_output_details()[0]["index"])
        return out[:, 0] / 10.0 + 2.0

    def embed(self, windows: np.ndarray) -> np.ndarray:
        """(n, 76, 32) mel windows -> (n, 96), ``batch`` at a time (a last, shorter batch padded)."""
        n = len(windows)
        out = np.empty((n, EMBED_SIZE), np.float32)
        b = min(self.batch, max(1, n))
        it = self._emb_it(b)
        inp, outp = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
        buf = np.zeros((b, EMBED_FRAMES, MEL_BANDS, 1), np.float32)
        for s in range(0, n, b):
            chunk = windows[s:s + b]
            buf[:len(chunk), :, :, 0] = chunk
            it.set_tensor(inp, buf)
            it.invoke()
            out[s:s + len(chunk)] = it.get_tensor(outp).reshape(b, EMBED_SIZE)[:len(chunk)]
        return out

    def chunked_mels(self, waves: np.ndarray) -> np.ndarray:
        """Mel frames as the live path computes them, 8 frames from each 1760 samples, one chunk per call: the model's
        floor for a quiet frame follows the loudest part of the whole tensor it is given (80 dB below it), so a
        whole recording, or a batch of chunks, at once differs where it is quiet."""
        waves = np.asarray(waves, np.float32)
        n_chunks = (waves.shape[1] - MEL_CHUNK) // (MEL_HOP * MEL_CHUNK_FRAMES) + 1
        starts = np.arange(n_chunks) * MEL_HOP * MEL_CHUNK_FRAMES
        chunks = waves[:, starts[:, None] + np.arange(MEL_CHUNK)].reshape(-1, MEL_CHUNK)
        out = np.concatenate([self.mels(c[None]) for c in chunks])
        return out.reshape(len(waves), n_chunks * MEL_CHUNK_FRAMES, MEL_BANDS)

    def embed_waves(self, waves: np.ndarray) -> np.ndarray:
        """(batch, samples) 16-kHz waves -> (batch, embeddings, 96): every embedding the recording holds, as the live
        path gives them."""
        mels = self.chunked_mels(waves)
        k = (mels.shape[1] - EMBED_FRAMES) // EMBED_STEP + 1
        starts = np.arange(k) * EMBED_STEP
        windows = mels[:, starts[:, None] + np.arange(EMBED_FRAMES)]  # (batch, k, 76, 32)
        return self.embed(windows.reshape(-1, EMBED_FRAMES, MEL_BANDS)).reshape(len(waves), k, EMBED_SIZE)


def to_band(wave: np.ndarray, rate_hz: int, band_rate_hz: int) -> np.ndarray:
    """A recording at ``rate_hz`` as the front-end hears it: at 16 kHz, through ``band_rate_hz`` first."""
    from ..core.audio import resample

    x = np.asarray(wave, np.float32)
    if band_rate_hz != RATE_HZ:
        x = resample(x, rate_hz, band_rate_hz).astype(np.float32)
        rate_hz = band_rate_hz
    return resample(x, rate_hz, RATE_HZ).astype(np.float32)


class EmbeddingStream:
    """The live path: 16-kHz samples in, in pieces of any size -> the embeddings that became complete, with the time
    (ms from the first sample fed) of the end of each one's audio. Starts as if ``lead_windows`` embeddings' worth of
    digital silence came before; their embeddings are ``initial``."""

    def __init__(self, frontend: SpeechEmbedding, lead_windows: int):
        self.fe = frontend
        chunk = MEL_HOP * MEL_CHUNK_FRAMES
        need = MEL_CHUNK + chunk * (-(-(EMBED_FRAMES + EMBED_STEP * (lead_windows - 1)) // MEL_CHUNK_FRAMES) - 1)
        self.lead = -(-need // chunk) * chunk  # whole chunks of silence first
        self._audio = np.zeros(0, np.float32)  # samples from `_audio_from` on
        self._audio_from = 0
        self._mels = np.empty((0, MEL_BANDS), np.float32)  # mel frames from `_mels_from` on
        self._mels_from = 0
        self._next_chunk = 0   # the first mel frame not yet computed (a multiple of 8)
        self._next_embed = 0   # the first embedding not yet computed
        self._total = 0
        _, self.initial = self._push(np.zeros(self.lead, np.float32))

    def feed(self, samples16k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(times_ms, embeddings) of the embeddings completed, oldest first."""
        return self._push(np.asarray(samples16k, np.float32))

    def _push(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self._audio = np.concatenate([self._audio, x])
        self._total += x.size
        new = []  # mel chunks: frames [k, k + 8) need samples [160 k, 160 k + 1760)
        while MEL_HOP * self._next_chunk + MEL_CHUNK <= self._total:
            a = MEL_HOP * self._next_chunk - self._audio_from
            new.append(self._audio[a:a + MEL_CHUNK])
            self._next_chunk += MEL_CHUNK_FRAMES
        if new:
            self._mels = np.concatenate([self._mels] + [self.fe.mels(w[None])[0] for w in new])
            drop = MEL_HOP * self._next_chunk - self._audio_from
            self._audio = self._audio[drop:]
            self._audio_from += drop
        done = self._mels_from + len(self._mels)
        wins, ends = [], []
        while EMBED_STEP * self._next_embed + EMBED_FRAMES <= done:
            a = EMBED_STEP * self._next_embed - self._mels_from
            wins.append(self._mels[a:a + EMBED_FRAMES])
            last_frame = EMBED_STEP * self._next_embed + EMBED_FRAMES - 1
            ends.append((MEL_HOP * last_frame + MEL_WINDOW - self.lead) * 1000.0 / RATE_HZ)
            self._next_embed += 1
        if not wins:
            return np.empty(0), np.empty((0, EMBED_SIZE), np.float32)
        emb = self.fe.embed(np.stack(wins))
        drop = EMBED_STEP * self._next_embed - self._mels_from
        self._mels = self._mels[drop:]
        self._mels_from += drop
        return np.array(ends), emb
