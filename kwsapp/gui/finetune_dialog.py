"""Model > Fine-tune on my examples…: runs ``trainer personalize`` in a worker process on the takes recorded (or
imported) with the recorder, from the model in use, into a new folder under the user's data folder; shows the
held-back takes' accuracy (and the room's false alarms, when a room was recorded) before and after, and switches
to the new model in one click. The model in use is never changed."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QProgressBar, QPushButton, QSpinBox, QVBoxLayout

from ..core.examples import data_dir, examples_dir, room_path
from .forms import run_buttons
from .trainer_process import TrainerProcess


def count_takes(folder: Path) -> dict[str, int]:
    if not folder.is_dir():
        return {}
    return {p.name: n for p in sorted(folder.iterdir()) if p.is_dir() for n in [len(list(p.glob("*.wav")))] if n}


class FinetuneDialog(QDialog):
    model_ready = Signal(str)
    started = Signal()

    def __init__(self, model_dir: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Fine-tune on my examples")
        self.resize(640, 360)
        self.model_dir = model_dir
        self.examples = examples_dir()
        room = room_path()
        self.room = room if room.is_file() else None
        self.out = data_dir() / "models" / f"personal_{dt.datetime.now():%Y%m%d_%H%M%S}"
        counts = count_takes(self.examples)
        self.epochs = QSpinBox(minimum=1, maximum=200, value=30)
        form = QFormLayout()
        form.addRow("from the model", QLabel(model_dir))
        self.takes_label = QLabel(", ".join(f"{k} {v}" for k, v in counts.items()) or
                                  "none yet: Model > Record my examples…")
        form.addRow("takes", self.takes_label)
        form.addRow("room", QLabel(str(self.room) if self.room else "none (its false alarms are not measured)"))
        form.addRow("epochs", self.epochs)
        form.addRow("new model", QLabel(str(self.out)))
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.status = QLabel("Every third take of a word with three or more is held back, to compare before and after.")
        self.status.setWordWrap(True)
        self.use_button = QPushButton("Use the new model")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(lambda: self.model_ready.emit(str(self.out)))
        buttons = run_buttons(self, "Fine-tune", self.use_button)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.progress)
        lay.addWidget(self.status, 1)
        lay.addLayout(buttons)
        self.process = TrainerProcess(self)
        self.process.finished.connect(self._finished)
        self.process.progress.connect(self._progress)
        self.process.line.connect(self._line)
        self._json = Path(tempfile.mkdtemp(prefix="kwsapp-personalize-")) / "result.json"
        self.result: dict | None = None
        self._before = ""
        if not counts:
            self.start_button.setEnabled(False)

    def arguments(self) -> list[str]:
        args = ["personalize", "--model", self.model_dir, "--examples", str(self.examples), "--out", str(self.out),
                "--epochs", str(self.epochs.value()), "--json", str(self._json)]
        return args + (["--room", str(self.room)] if self.room else [])

    def start(self) -> bool:
        self._json.unlink(missing_ok=True)
        self.process.start(self.arguments())
        self.started.emit()
        self.progress.setRange(0, 0)  # busy
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText("Fine-tuning… (about a minute on two cores)")
        return True

    def cancel(self):
        self.process.cancel()

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _line(self, line: str) -> None:
        """The epoch and the time left, and the held-back takes' figure as soon as it is known."""
        if line.startswith("fine-tune epoch"):
            done, total = line.split()[2].rstrip(",").split("/")
            self._progress(int(done), int(total))
            self.status.setText(f"Fine-tuning: {line[len('fine-tune '):]}" + (f" · {self._before}" if self._before else ""))
        elif line.startswith("held-back takes before:"):
            self._before = line
            self.status.setText(line)

    def _finished(self, code: int, summary: str):
        self.progress.setRange(0, 1)
        self.cancel_button.setEnabled(False)
        if code == 0 and self._json.is_file():
            r = self.result = json.loads(self._json.read_text())
            self.progress.setValue(1)
            self.status.setText(describe(r))
            self.use_button.setEnabled(True)
        elif code == 130:
            self.status.setText("Cancelled; nothing was written.")
            self.start_button.setEnabled(True)
        else:
            self.status.setText(f"Fine-tuning failed: {summary or f'exit code {code}'}")
            self.start_button.setEnabled(True)

    def closeEvent(self, event):
        self.process.stop(wait_ms=5000)
        super().closeEvent(event)


def describe(r: dict) -> str:
    from trainer.models.personalize import figures_text as fig

    new = f" New words: {', '.join(r['new_words'])}." if r.get("new_words") else ""
    return (f"Your held-back takes ({r['held_back']}): before {fig(r['before'])}; after {fig(r['after'])}.{new} "
            f"Took {r['seconds']:.0f} s. Keep the better one: \"Use the new model\" switches to it; Model > Use the "
            "bundled model (or File > Open model folder) switches back.")
