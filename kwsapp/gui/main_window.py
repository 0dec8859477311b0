"""The main window: wires the microphone, the inference worker and the widgets together.

It owns no signal processing: the microphone writes into a ring buffer (kwsapp.audio_input), the
worker thread reads it, computes features and scores (kwsapp.engine), and this window paints what
the worker reports. Errors are shown in the message bar at the top; the rest keeps working.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from PySide6.QtCore import QMetaObject, QSettings, Qt, QThread, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..audio_input import AudioInputError, Microphone, rescan_devices
from ..bundled import bundled_model_dir
from ..core.decisions import DecisionSettings
from ..core.labels import LABELS
from .actions_controller import attach_actions
from .command_label import HOLD_MS, CommandDisplay, score_text
from .decision_panel import DecisionPanel
from .dialog_openers import Dialogs
from .history import HistoryList
from .hotkey import attach_hotkey
from .icon import app_icon
from .level_meter import LevelMeter
from .menus import Menus, check_quietly
from .message_bar import MessageBar
from .scores import ScoreBars
from .settings_store import SettingsReader, open_settings, restore_geometry, save_decisions, shared_decisions
from .spectrogram import SpectrogramView
from .workers import InferenceWorker

BUNDLED_MODEL = bundled_model_dir()
HEALTH_INTERVAL_MS = 500
AUDIO_RETRY_S = 2.0  # while listening is wanted and no microphone works, look for one this often
STATUS_HOPS = 10  # the status bar's inference time: the median of this many hops
MIC = "microphone"   # the message bar's topic for audio problems


class MainWindow(QMainWindow):
    bundled_model = BUNDLED_MODEL

    request_model = Signal(str)
    request_file = Signal(str)
    request_source = Signal(object)
    request_hop = Signal(float)
    request_decisions = Signal(object)

    def __init__(self, model_dir: str | None = None, device: str | None = None, hop_ms: float | None = None,
                 detections_log: str | None = None, settings: QSettings | None = None, autostart: bool = True,
                 actions_file: str | None = None):
        super().__init__()
        self.setWindowTitle("kwsapp: keyword spotting")
        self.setWindowIcon(app_icon())
        self.settings = settings or open_settings()
        self.setAcceptDrops(True)
        self.detections_log = Path(detections_log) if detections_log else None
        self.announced: list[dict] = []
        self.model_info = None
        saved = SettingsReader(self.settings)  # every remembered value checked; a bad one falls back to its default
        self.device_spec = device if device is not None else saved.text("audio/device")
        self._device_remembered = device is None and self.device_spec is not None  # not asked for on the command line
        hop = float(hop_ms if hop_ms is not None else saved.hop_ms())
        decisions = shared_decisions(saved)
        self.mic = Microphone()
        self._listening_reported = False
        self._audio_wanted = False   # listening was asked for: a failed microphone is looked for again
        self._audio_retry_at = 0.0
        self._quitting = False

        self._build_widgets(decisions, hop)
        self.dialogs = Dialogs()
        self.menus = Menus(self)
        self.actions = attach_actions(self, actions_file)
        self.hotkey_mode = saved.text("hotkey/mode", "toggle")
        self.hotkey = attach_hotkey(self, saved.text("hotkey/keys", "") or "", self.hotkey_mode)

        self._start_worker(hop, decisions)

        self._health = QTimer(self)
        self._health.timeout.connect(self._check_audio)
        self._health.start(HEALTH_INTERVAL_MS)
        restore_geometry(self, saved)
        self.model_dir = str(model_dir or saved.text("model/last_dir", "") or BUNDLED_MODEL)
        if model_dir is None and not Path(self.model_dir).is_dir():
            self.model_dir = str(BUNDLED_MODEL)  # the remembered folder is gone: back to the bundled model
        if saved.problems:
            note = "; ".join(saved.problems)
            self.message_bar.show_message(f"Settings ({self.settings.fileName()}): {note}; the defaults are used.",
                                          error=False)
            print(f"kwsapp: settings: {note}; the defaults are used", file=sys.stderr, flush=True)
        if autostart:
            QTimer.singleShot(0, self._autostart)

    def _build_widgets(self, decisions: DecisionSettings, hop: float) -> None:
        """The message bar; the spectrogram, level, command; scores and decision panel; history; the status bar."""
        self.message_bar = MessageBar()
        self.spectrogram = SpectrogramView()
        self.level = LevelMeter()
        self.command = CommandDisplay()
        self.scores = ScoreBars(LABELS)
        self.history = HistoryList()
        self.panel = DecisionPanel(decisions, hop)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addWidget(self.spectrogram, 1)
        lv.addWidget(self.level)
        lv.addWidget(self.command)
        middle = QWidget()
        mv = QVBoxLayout(middle)
        mv.addWidget(QLabel("scores (averaged)"))
        mv.addWidget(self.scores)
        mv.addWidget(self.panel)
        mv.addStretch(1)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.addWidget(QLabel("history"))
        rv.addWidget(self.history, 1)
        split = QSplitter(Qt.Horizontal)
        for w in (left, middle, right):
            split.addWidget(w)
        split.setStretchFactor(0, 3)
        central = QWidget()
        cv = QVBoxLayout(central)
        cv.addWidget(self.message_bar)
        cv.addWidget(split, 1)
        self.setCentralWidget(central)
        self.status_device = QLabel("no input")
        self.status_overflows = QLabel("overflows 0")
        self.status_inference = QLabel("inference -")
        self._compute_ms: list[float] = []
        self._file_shown_until = 0.0  # a wav opened: its scores stay on the bars until then (time.monotonic)
        self.status_model = QLabel("model: loading…")
        for w in (self.status_device, self.status_overflows, self.status_inference, self.status_model):
            self.statusBar().addPermanentWidget(w)

    def _start_worker(self, hop: float, decisions: DecisionSettings) -> None:
        """The inference worker on its own thread, wired to the window."""
        self.thread = QThread(self)
        self.thread.setObjectName("inference")
        self.worker = InferenceWorker(hop, decisions)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.start)
        self.request_model.connect(self.worker.load_model)
        self.request_file.connect(self.worker.classify_file)
        self.request_source.connect(self.worker.set_source)
        self.request_hop.connect(self.worker.set_hop_ms)
        self.request_decisions.connect(self.worker.set_decisions)
        self.worker.model_loaded.connect(self._model_loaded)
        self.worker.model_failed.connect(self._model_failed)
        self.worker.hop_done.connect(self._hop)
        self.worker.display_ready.connect(self._display)
        self.worker.file_done.connect(self._file_done)
        self.worker.file_failed.connect(lambda msg: self.message_bar.show_message(msg))
        self.worker.failed.connect(lambda msg: self.message_bar.show_message(msg))
        self.panel.decisions_changed.connect(self._decisions_changed)
        self.panel.hop_changed.connect(self._hop_changed)
        self.thread.start()

    # -- start-up --------------------------------------------------------------------------------------
    def _autostart(self):
        self.load_model(self.model_dir)
        if not (self.hotkey is not None and self.hotkey_mode == "hold"):  # push to talk: only while held
            self.menus.audio.listen.setChecked(True)

    # -- model -----------------------------------------------------------------------------------------
    def load_model(self, path: str):
        self.status_model.setText(f"model: loading {Path(path).name}…")
        self.request_model.emit(str(path))

    def choose_model(self):
        start = str(Path(SettingsReader(self.settings).text("model/last_dir", "") or BUNDLED_MODEL).parent)
        d = QFileDialog.getExistingDirectory(self, "Open a model folder", start)
        if d:
            self.load_model(d)

    def _model_loaded(self, info):
        self.model_info = info
        self.model_dir = info.path
        if Path(info.path).resolve() != BUNDLED_MODEL.resolve():
            self.settings.setValue("model/last_dir", info.path)
        else:
            self.settings.remove("model/last_dir")
        if tuple(info.labels) != self.scores.labels:
            self.scores.set_labels(info.labels)
        self.command.set_labels(info.labels)
        took = f"{info.load_s * 1000:.0f} ms" if info.load_s < 1 else f"{info.load_s:.1f} s"
        self.status_model.setText(f"model: {Path(info.path).name}" + (" + its verifier" if info.verifier else "")
                                  + f" (loaded in {took})")
        print(f"kwsapp: model ready: {info.path}", flush=True)

    def _model_failed(self, message: str):
        old = Path(self.model_info.path).name if self.model_info is not None else None  # the worker keeps it
        self.status_model.setText(f"model: {old} (the one asked for did not load)" if old else "model: none")
        self.message_bar.show_message(f"Model not loaded: {message}. "
                                      + (f"{old} goes on listening; " if old else "Listening goes on; ")
                                      + "open another model (File > Open model folder) or the bundled one (Model menu).")
        print(f"kwsapp: model failed: {message}", file=sys.stderr, flush=True)

    # -- audio -----------------------------------------------------------------------------------------
    def _listen_toggled(self, on: bool):
        if on:
            self.start_listening()
        else:
            self.stop_listening()

    def start_listening(self, quiet: bool = False) -> bool:
        """Open the microphone; on failure look for devices again once (one may have appeared since PortAudio
        last looked). ``quiet``: a retry of the health timer, which shows no message."""
        self._listening_reported = False
        self._audio_wanted = True
        self._audio_retry_at = time.monotonic() + AUDIO_RETRY_S
        try:  # a remembered device that is gone: the default one, with a note
            gone = self.mic.start_looking_again(self.device_spec, or_default=self._device_remembered)
        except AudioInputError as exc:
            self.mic.stop()
            self.request_source.emit(None)
            self.status_device.setText("no input")
            if not quiet:
                self.message_bar.show_message(f"Microphone: {exc}. Open a wav file to try a model without one; "
                                              "listening starts by itself when a microphone appears.", topic=MIC)
                print(f"kwsapp: audio failed: {exc}", file=sys.stderr, flush=True)
            check_quietly(self.menus.audio.listen, False)
            return False
        self.message_bar.clear(MIC)
        if gone:
            self.message_bar.show_message(f"The remembered microphone is not there ({gone}); listening on the default "
                                          f"one, {self.mic.device.name}. Audio > Input device chooses another.",
                                          error=False, topic=MIC)
        self.request_source.emit(self.mic.buffer)
        self.status_device.setText(f"{self.mic.device.name} · {self.mic.sample_rate_hz} Hz")
        if not self.menus.audio.listen.isChecked():
            check_quietly(self.menus.audio.listen, True)
        return True

    def stop_listening(self):
        self._audio_wanted = False
        self.mic.stop()
        self.request_source.emit(None)
        self.status_device.setText("not listening")

    def choose_device(self, name: str):
        self.device_spec = name
        self.settings.setValue("audio/device", name)
        if self.menus.audio.listen.isChecked() or not self.mic.is_open:
            self.start_listening()

    def refresh_devices(self):
        """Audio > Refresh devices: look for devices again (the open stream is closed and opened again)."""
        wanted = self._audio_wanted or self.mic.is_open
        self.mic.stop()
        try:
            rescan_devices()
        except AudioInputError as exc:
            self.message_bar.show_message(f"Microphone: {exc}", topic=MIC)
        if wanted:
            self.start_listening()

    def _check_audio(self):
        if not self.mic.is_open:
            if self._audio_wanted and time.monotonic() >= self._audio_retry_at:
                self.start_listening(quiet=True)
            return
        buf = self.mic.buffer
        self.status_overflows.setText(f"overflows {buf.overflows}")
        if self.mic.callbacks and not self._listening_reported:
            self._listening_reported = True
            print(f"kwsapp: listening: {self.mic.device.name} at {self.mic.sample_rate_hz} Hz", flush=True)
        problem = self.mic.health()
        if problem:
            self.stop_listening()
            self._audio_wanted = True  # looked for again every AUDIO_RETRY_S
            self._audio_retry_at = time.monotonic() + AUDIO_RETRY_S
            check_quietly(self.menus.audio.listen, False)
            self.message_bar.show_message(f"Microphone: {problem}. Choose a device in Audio > Input device; "
                                          "listening starts again by itself when it comes back.", topic=MIC)
            print(f"kwsapp: audio failed: {problem}", file=sys.stderr, flush=True)

    # -- reports from the worker ------------------------------------------------------------------------
    def _hop(self, r):
        if time.monotonic() >= self._file_shown_until:  # a wav just opened keeps its own scores on the bars a while
            self.scores.set_scores(r.scores)
        self._compute_ms.append(r.compute_ms)
        if len(self._compute_ms) == STATUS_HOPS:  # the status text once every few hops: each change lays out the bar
            self.status_inference.setText(f"inference {statistics.median(self._compute_ms):.2f} ms/hop")
            self._compute_ms.clear()
        if r.is_new_command:
            self.command.show_command(r.label, r.score)
            self.history.add(r.label, r.score)
            entry = {"time_s": round(r.time_s, 3), "label": r.label, "score": round(r.score, 4)}
            self.announced.append(entry)
            self.append_detection(entry)
            self.actions.fire(r.label, r.score)
            if self.tray is not None:
                self.tray_last.setText(f"last: {r.label} ({score_text(r.score)})")

    def append_detection(self, entry: dict) -> None:
        """One JSON line in the --detections-log file: an announcement, or an action's result."""
        if self.detections_log is None:
            return
        try:
            with open(self.detections_log, "a") as f:
                f.write(json.dumps(entry) + "\n")
        except OSError as exc:
            self.message_bar.show_message(f"{self.detections_log}: cannot append ({exc.strerror})")
            self.detections_log = None

    def _display(self, frame):
        self.spectrogram.show_image(frame.image)
        self.level.set_level(frame.level_dbfs)

    # -- files -----------------------------------------------------------------------------------------
    def choose_wav(self):
        start = SettingsReader(self.settings).text("files/last_wav_dir", str(Path.home()))
        f, _ = QFileDialog.getOpenFileName(self, "Open a wav file", start, "Wave files (*.wav);;All files (*)")
        if f:
            self.classify_file(f)

    def classify_file(self, path: str):
        self.settings.setValue("files/last_wav_dir", str(Path(path).parent))
        self.request_file.emit(str(path))

    def _file_done(self, p):
        name = Path(p.path).name
        self.command.show_command(p.label, p.score, note=name)
        self.scores.set_scores(p.scores)
        self._file_shown_until = time.monotonic() + HOLD_MS / 1000
        self.history.add(p.label, p.score, source=name)

    def dragEnterEvent(self, event):
        if event.mimeData().hasUrls() and any(u.toLocalFile().lower().endswith(".wav") for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event):
        for url in event.mimeData().urls():
            path = url.toLocalFile()
            if path.lower().endswith(".wav"):
                self.classify_file(path)
        event.acceptProposedAction()

    # -- settings --------------------------------------------------------------------------------------
    def _decisions_changed(self, decisions: DecisionSettings):
        save_decisions(decisions)
        self.request_decisions.emit(decisions)

    def _hop_changed(self, hop_ms: float):
        self.settings.setValue("audio/hop_ms", hop_ms)
        self.request_hop.emit(hop_ms)

    def closeEvent(self, event):
        if self.tray is not None and self.menus.audio.close_to_tray.isChecked() and not self._quitting:
            self.hide()  # listening goes on in the tray
            event.ignore()
            return
        self.settings.setValue("window/maximized", self.isMaximized())
        if not self.isMaximized():
            self.settings.setValue("window/size", self.size())
            self.settings.setValue("window/pos", self.pos())
        self.settings.sync()
        self.shutdown()
        super().closeEvent(event)

    def quit_app(self):
        """Quit, even when closing the window would only hide it in the tray."""
        self._quitting = True
        self.close()

    def shutdown(self):
        self.actions.close()
        if self.hotkey is not None:
            self.hotkey.stop()
        if self.tray is not None:
            self.tray.hide()
        self._health.stop()
        self.mic.stop()
        if self.thread.isRunning():
            self.request_source.emit(None)
            # stop the worker's timers in its own thread, and wait for it (a queued call could be dropped by quit)
            QMetaObject.invokeMethod(self.worker, "stop", Qt.BlockingQueuedConnection)
            self.thread.quit()
            self.thread.wait(5000)
