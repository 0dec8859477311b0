"""The inference worker: lives in its own QThread, pulls windows from the ring buffer on its own timers.

The GUI thread never runs the model or the feature code. It sends requests through queued signals
(load a model, change the source, hop or decision settings, classify a file) and paints the reports
the worker emits: a :class:`HopReport` every hop and a :class:`DisplayFrame` for the scrolling view.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from ..core.decisions import DEFAULT_HOP_MS, DecisionSettings
from ..core.features import DEFAULT_SETTINGS, FeatureSettings
from ..core.ringbuffer import AudioRingBuffer
from ..core.scrolling import ScrollingSpectrogram
from .spectrogram import colour_image

DISPLAY_SECONDS = 3.0
DISPLAY_INTERVAL_MS = 66  # ~15 frames a second: smooth enough, and half the CPU of 30
LEVEL_WINDOW_S = 0.05


@dataclass(frozen=True)
class HopReport:
    time_s: float            # audio time of the end of the window, from the start of listening
    label: str
    score: float
    is_new_command: bool
    scores: np.ndarray       # averaged scores, in label order
    compute_ms: float


@dataclass(frozen=True)
class DisplayFrame:
    image: np.ndarray        # (bins, frames, 4) RGBA: the log spectrogram of the last DISPLAY_SECONDS, coloured
    level_dbfs: float        # RMS of the last 50 ms


@dataclass(frozen=True)
class ModelInfo:
    path: str
    labels: tuple
    settings: FeatureSettings
    load_s: float
    verifier: str | None = None  # the verifier's folder name, when the model has one


@dataclass(frozen=True)
class FilePrediction:
    path: str
    label: str
    score: float
    scores: np.ndarray


class InferenceWorker(QObject):
    model_loaded = Signal(object)     # ModelInfo
    model_failed = Signal(str)
    hop_done = Signal(object)         # HopReport
    display_ready = Signal(object)    # DisplayFrame
    file_done = Signal(object)        # FilePrediction
    file_failed = Signal(str)
    failed = Signal(str)              # anything else, one line

    def __init__(self, hop_ms: float = DEFAULT_HOP_MS, decisions: DecisionSettings = DecisionSettings()):
        super().__init__()
        self.hop_ms = float(hop_ms)
        self.decisions = decisions
        self.model_dir: str | None = None
        self.listener = None      # kwsapp.engine.listener.Listener for the buffer's rate, made when audio comes
        self.file_scorer = None   # (a file's scores) the model's own look at one clip
        self.labels: tuple = ()
        self.buffer: AudioRingBuffer | None = None
        self._fed = 0  # samples of the buffer the listener has had
        self._scrolling = None  # (the buffer, its ScrollingSpectrogram)
        self._hop_timer = None
        self._display_timer = None

    @Slot()
    def start(self):
        """Runs in the worker thread once it starts: warm the numeric imports, start the timers."""
        from scipy import signal  # noqa: F401  (a ~1 s import, kept off the GUI thread)
        from scipy.io import wavfile  # noqa: F401

        self._hop_timer = QTimer(self)
        self._hop_timer.timeout.connect(self._hop)
        self._hop_timer.start(int(self.hop_ms))
        self._display_timer = QTimer(self)
        self._display_timer.timeout.connect(self._display)
        self._display_timer.start(DISPLAY_INTERVAL_MS)

    @Slot()
    def stop(self):
        for t in (self._hop_timer, self._display_timer):
            if t is not None:
                t.stop()

    @Slot(str)
    def load_model(self, path: str):
        from ..core.modelfolder import ModelFolder, ModelFolderError
        from ..engine.kinds import clip_scorer
        from ..engine.listener import open_listener

        t0 = time.perf_counter()
        try:
            folder = ModelFolder.open(path)
            # opened once here, so that a folder that cannot listen fails now, not at the first audio
            listener = open_listener(path, self.buffer.sample_rate_hz if self.buffer is not None else 16000,
                                     self.decisions, self.hop_ms)
            file_scorer = clip_scorer(path)  # a wav opened or dropped: scored as evaluate scores clips
        except ModelFolderError as exc:
            self.model_failed.emit(str(exc))
            return
        except Exception as exc:  # a converter or runtime error we did not foresee: still one line
            self.model_failed.emit(f"{path}: cannot load the model ({type(exc).__name__}: {exc})".splitlines()[0])
            return
        self.model_dir, self.file_scorer, self.labels = path, file_scorer, tuple(listener.labels)
        self._use(listener)  # made for the buffer's rate
        verifier = listener.verifier
        self.model_loaded.emit(ModelInfo(str(Path(path)), tuple(listener.labels), folder.features,
                                         time.perf_counter() - t0,
                                         verifier.folder.path.name if verifier is not None else None))

    def _use(self, listener) -> None:
        """Listen with ``listener`` (None: make one for the buffer's rate) from the buffer's newest audio on."""
        if listener is None and self.model_dir is not None and self.buffer is not None:
            from ..engine.listener import open_listener

            listener = open_listener(self.model_dir, self.buffer.sample_rate_hz, self.decisions, self.hop_ms)
        self.listener = listener
        self._fed = self.buffer.total_written if self.buffer is not None else 0

    @Slot(object)
    def set_source(self, buffer):
        self.buffer = buffer
        try:
            self._use(None)
        except Exception as exc:
            self.listener = None
            self.failed.emit(f"cannot listen at {buffer.sample_rate_hz} Hz: {type(exc).__name__}: {exc}".splitlines()[0])

    @Slot(float)
    def set_hop_ms(self, hop_ms: float):
        self.hop_ms = float(hop_ms)
        if self._hop_timer is not None:
            self._hop_timer.setInterval(int(self.hop_ms))
        if self.listener is not None:
            self._use(None)

    @Slot(object)
    def set_decisions(self, decisions: DecisionSettings):
        self.decisions = decisions
        if self.listener is not None:
            self.listener.set_decisions(decisions)

    def _hop(self):
        buf, listener = self.buffer, self.listener
        if buf is None or listener is None:
            return
        written = buf.total_written
        if written <= self._fed:
            return  # no new audio since the last hop
        new = buf.span(self._fed, written)
        if new is None:  # held up longer than the buffer holds: go on from what is there
            new = buf.latest(min(written - self._fed, buf.capacity))
        self._fed = written
        try:
            hops = listener.feed(new)
        except Exception as exc:
            self.failed.emit(f"inference failed: {type(exc).__name__}: {exc}".splitlines()[0])
            return
        for h in hops:
            d = h.decision
            self.hop_done.emit(HopReport(h.time_ms / 1000.0, d.label, float(d.score), bool(h.announced),
                                         d.scores, h.compute_ms))

    def _display(self):
        """The picture's new columns and the level, when audio came since the last time (nothing is sent otherwise,
        so nothing is painted)."""
        buf = self.buffer
        if buf is None or buf.total_written == 0:
            return
        if self._scrolling is None or self._scrolling[0] is not buf:  # a new device, or a new rate: a new picture
            self._scrolling = buf, ScrollingSpectrogram(DEFAULT_SETTINGS, DISPLAY_SECONDS, buf.sample_rate_hz)
        view = self._scrolling[1]
        if not view.update(buf):
            return
        tail = buf.latest(int(buf.sample_rate_hz * LEVEL_WINDOW_S))
        rms = float(np.sqrt(np.mean(np.square(tail, dtype=np.float64))))
        self.display_ready.emit(DisplayFrame(colour_image(view.columns), 20 * np.log10(max(rms, 1e-6))))

    @Slot(str)
    def classify_file(self, path: str):
        from ..core.audio import AudioError, read_wav

        scorer = self.file_scorer
        if scorer is None:
            self.file_failed.emit(f"{path}: no model is loaded")
            return
        try:
            rate, x = read_wav(path, max_seconds=1.0)
        except AudioError as exc:
            self.file_failed.emit(str(exc))
            return
        scores = scorer(x, rate)
        k = int(np.argmax(scores))
        self.file_done.emit(FilePrediction(path, self.labels[k], float(scores[k]), scores))
