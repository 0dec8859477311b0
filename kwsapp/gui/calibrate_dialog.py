"""Model > Calibrate to my room…: listen to the room for a few minutes while no commands are said (television,
music, talk are welcome), then ``trainer calibrate`` (in a worker process) gives each command a threshold that keeps
its false alarms within the budget, drawn as false alarms per hour against the share of your own takes that would be
missed, one line per command, the chosen points marked. "Use these thresholds" puts them in the decision settings
(remembered; Defaults clears them)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from ..core.audio import write_wav
from ..core.examples import examples_dir, room_path
from ..core.files import write_atomic
from .forms import run_buttons
from .trainer_process import TrainerProcess

PULL_MS = 500  # how often the room's audio is taken from the ring buffer (which holds 10 s)


MIN_ROOM_MINUTES = 1.0
# one colour per command, none shared (Okabe-Ito's eight, then two more that stand apart from them)
COMMAND_COLOURS = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999933",
                   "#7f7f7f", "#8c564b"]


class CalibrateDialog(QDialog):
    def __init__(self, window, parent=None):
        super().__init__(parent or window)
        self.setWindowTitle("Calibrate to my room")
        self.resize(760, 560)
        self.window_ = window
        # no minimum while typing: a minimum of 1 made "0.5" become 5 as it was typed; start() says what is too short
        self.minutes = QDoubleSpinBox(minimum=0.0, maximum=60.0, value=5.0, decimals=1, suffix=" min")
        self.budget = QDoubleSpinBox(minimum=0.0, maximum=60.0, value=1.0, decimals=1, suffix=" per hour")
        form = QFormLayout()
        form.addRow("listen to the room for", self.minutes)
        form.addRow("false alarms allowed, per command", self.budget)
        self.progress = QProgressBar()
        self.status = QLabel("Press Listen and say no commands meanwhile; everything else in the room is welcome.")
        self.status.setWordWrap(True)
        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "your takes that would be missed (share)")
        self.plot.setLabel("left", "false alarms per hour in this room")
        self.plot.addLegend()
        self.plot.getAxis("left").enableAutoSIPrefix(False)  # never "(x0.001)" over a scale of zeros
        self.plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.use_button = QPushButton("Use these thresholds")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self.use)
        buttons = run_buttons(self, "Listen", self.use_button)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        lay.addWidget(self.plot, 1)
        lay.addLayout(buttons)
        self._chunks: list[np.ndarray] = []
        self._next = 0
        self._rate = 0
        self._pull = QTimer(self)
        self._pull.timeout.connect(self._take_audio)
        self.process = TrainerProcess(self)
        self.process.finished.connect(self._finished)
        self._json = Path(tempfile.mkdtemp(prefix="kwsapp-calibrate-")) / "result.json"
        self.room = room_path()
        self.result: dict | None = None

    # -- listening ---------------------------------------------------------------------------------------------
    def start(self) -> bool:
        buf = self.window_.mic.buffer
        if buf is None:
            self.status.setText("Not listening: turn listening on (Audio > Listen) first.")
            return False
        if self.minutes.value() < MIN_ROOM_MINUTES:
            self.status.setText(f"Listen for at least {MIN_ROOM_MINUTES:g} minute: a shorter room says too little.")
            return False
        self._chunks, self._next, self._rate = [], buf.total_written, buf.sample_rate_hz
        self.progress.setRange(0, int(self.minutes.value() * 60))
        self.progress.setValue(0)
        self.progress.setFormat("%v of %m s")
        self._pull.start(PULL_MS)
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText("Listening to the room: say no commands.")
        return True

    def _take_audio(self) -> None:
        buf = self.window_.mic.buffer
        if buf is None:
            self.cancel()
            self.status.setText("Listening stopped: the room recording was not finished.")
            return
        x = buf.span(self._next, buf.total_written)
        if x is None:  # the timer was held up for longer than the buffer holds: go on from what is there
            self._next = buf.total_written - buf.capacity
            return
        self._chunks.append(x)
        self._next += x.size
        seconds = sum(c.size for c in self._chunks) / self._rate
        self.progress.setValue(int(seconds))
        if seconds >= self.minutes.value() * 60:
            self._pull.stop()
            self.set_room(np.concatenate(self._chunks), self._rate)

    def set_room(self, wave: np.ndarray, rate: int) -> None:
        """Keep the room's recording (the fine-tune measures its false alarms on it too) and calibrate on it."""
        write_atomic(self.room, lambda p: write_wav(p, wave, rate))
        self._json.unlink(missing_ok=True)
        self.progress.setRange(0, 0)
        self.status.setText("Choosing the thresholds…")
        self.process.start(["calibrate", "--model", self.window_.model_dir, "--room", str(self.room), "--examples",
                            str(examples_dir()), "--budget-per-hour", f"{self.budget.value():g}",
                            "--lowest", f"{self.window_.panel.settings().threshold:g}", "--json", str(self._json),
                            "--dry-run"])

    def cancel(self):
        self._pull.stop()
        self.process.cancel()
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status.setText("Cancelled: nothing was kept; the thresholds are as they were.")

    # -- the result --------------------------------------------------------------------------------------------
    def _finished(self, code: int, summary: str):
        self.progress.setRange(0, 1)
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if code != 0 or not self._json.is_file():
            self.status.setText(f"Calibration failed: {summary or f'exit code {code}'}")
            return
        self.result = json.loads(self._json.read_text())
        self.progress.setValue(1)
        self.draw(self.result)
        raised = self.result["command_thresholds"]
        over = [c for c, v in self.result["commands"].items() if not v["within_budget"]]
        self.status.setText((f"Thresholds: {raised.replace(',', ', ')} (the others keep {self.result['lowest']:g})."
                             if raised else "The room raised no command above the budget: the thresholds stay.")
                            + f" {self.result['room_minutes']:.1f} min of room."
                            + (f" Over the budget even at the highest threshold: {', '.join(over)} (is the word itself "
                               "said in the room?)." if over else ""))
        self.use_button.setEnabled(True)

    def draw(self, result: dict) -> None:
        self.plot.clear()
        top = 0.0
        for (label, v), color in zip(result["commands"].items(), COMMAND_COLOURS * 2):
            pts = [(m, f) for _, f, m in v["curve"] if m is not None]
            if not pts:
                continue  # no takes of it: no misses to draw
            x, y = np.array(pts).T
            pen = pg.mkPen(color, width=2)
            self.plot.plot(x, y, pen=pen, name=f"{label} ({v['threshold']:.2f})")
            self.plot.plot([v["missed"]], [v["false_alarms_per_hour"]], pen=None, symbol="o", symbolSize=9,
                           symbolBrush=pen.color())
            top = max(top, float(np.max(y)))
        self.plot.setYRange(0, max(top, 1.0) * 1.05)  # a room with no false alarm: a flat line at 0 of 1
        self.plot.setXRange(0, 1)

    def use(self) -> None:
        if self.result is not None:
            self.window_.panel.set_command_thresholds(self.result["command_thresholds"])
            self.status.setText("In use, and remembered; Defaults in the decision panel clears them.")

    def closeEvent(self, event):
        self._pull.stop()
        self.process.stop(wait_ms=3000)
        super().closeEvent(event)
