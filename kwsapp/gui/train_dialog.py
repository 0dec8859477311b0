"""Train...: pick data and options, watch progress and live loss / accuracy curves, cancel, load the result."""

from __future__ import annotations

import csv
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from trainer.models.recipes import CHECKPOINT_DIR, RECIPE_HELP, RECIPES, WIDTHS

from ..core.labels import LABELS
from ..core.modelfolder import HISTORY_FILE, KERAS_FILE, METRICS_FILE
from .forms import browse_row, run_buttons
from .trainer_process import TrainerProcess

# below this validation accuracy a trained model is flagged as not worth using (chance is 1 / 12)
WEAK_VALIDATION_ACCURACY = 0.5


def result_text(out: Path) -> tuple[str, bool]:
    """What a finished training run reached, in words, from its metrics.json, and whether it is too weak to use."""
    import json

    try:
        metrics = json.loads((out / METRICS_FILE).read_text())
        val = float(metrics["validation"]["accuracy"])
    except (OSError, ValueError, KeyError, TypeError):
        return f"Done: {out}.", False
    test = (metrics.get("testing") or {}).get("accuracy")
    text = f"Done: {out}. Validation accuracy {val:.1%}" + (f", test {float(test):.1%}." if test is not None else ".")
    if val < WEAK_VALIDATION_ACCURACY:
        return (text + f" Warning: that is close to chance ({1 / len(LABELS):.0%} for {len(LABELS)} classes); this "
                "model will not recognise commands well. Train longer, or on more data."), True
    return text, False


def read_history(path: Path) -> dict[str, list[float]]:
    """Columns of a Keras CSVLogger file; empty while the file is missing or being written."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError:
        return {}
    cols: dict[str, list[float]] = {}
    for row in rows:
        try:
            vals = {k: float(v) for k, v in row.items() if k}
        except (TypeError, ValueError):
            break  # a row being written
        for k, v in vals.items():
            cols.setdefault(k, []).append(v)
    return cols


# how the clips are split, in words, and the command line's flags for it
SPLITS = [
    ("the folder's lists, else by speaker (TensorFlow's hash: 80 / 10 / 10 %)", ()),
    ("by speaker, salted (75 / 10 / 15 %): for data that is one part of a split already, such as the shared "
     "sample, Speech Commands' test partition", ("--split-salt", "kwsapp", "--test-percent", "15")),
]


class TrainDialog(QDialog):
    model_ready = Signal(str)
    started = Signal()

    def __init__(self, data_dirs: str = "", out_dir: str = "", epochs: int = 0, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Train a model")
        self.resize(760, 640)
        self.data = QLineEdit(data_dirs)
        self.data.setPlaceholderText("folder(s) holding train/ (Kaggle layout); separate several with ;")
        self.out = QLineEdit(out_dir)
        self.out.setPlaceholderText("new model folder")
        self.recipe = QComboBox()
        for name in sorted(RECIPES, key=lambda n: n != "live"):  # the bundled model's recipe first
            self.recipe.addItem(f"{name}: {RECIPE_HELP[name]}", name)
        self.epochs = QSpinBox(minimum=1, maximum=500, value=epochs or RECIPES[self.recipe.currentData()]["epochs"])
        # another recipe brings its own number of epochs
        self.recipe.currentIndexChanged.connect(lambda: self.epochs.setValue(RECIPES[self.recipe.currentData()]["epochs"]))
        self.width_choice = QComboBox()
        self.width_choice.addItems([f"{w:g}" for w in WIDTHS])
        self.seed = QSpinBox(minimum=0, maximum=10**6, value=0)
        self.resume = QCheckBox("resume the interrupted run in this folder")
        self.split = QComboBox()
        for text, args in SPLITS:
            self.split.addItem(text, args)
        self.split.setToolTip("Speech Commands' own test partition (the shared sample is one) is a single hash band: "
                              "split by the standard hash, all of it lands in testing; a salted hash spreads it")
        form = QFormLayout()
        form.addRow("data", browse_row(self.data, self._browse_data))
        form.addRow("output model folder", browse_row(self.out, self._browse_out))
        form.addRow("recipe", self.recipe)
        form.addRow("epochs", self.epochs)
        form.addRow("width (1 = as designed, 2 = twice the channels)", self.width_choice)
        form.addRow("seed", self.seed)
        form.addRow("split into training, validation, testing", self.split)
        form.addRow("", self.resume)

        self.progress = QProgressBar()
        self.progress.setFormat("epoch %v / %m")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.plot = pg.PlotWidget()
        self.plot.addLegend()
        self.plot.setLabel("bottom", "epoch")
        self.curves = {k: self.plot.plot(name=k, pen=pg.mkPen(c, width=2, style=s), symbol="o", symbolSize=4)
                       for k, c, s in (("loss", "#d62728", Qt.SolidLine), ("val_loss", "#d62728", Qt.DashLine),
                                       ("accuracy", "#1f77b4", Qt.SolidLine), ("val_accuracy", "#1f77b4", Qt.DashLine))}
        self.log = QPlainTextEdit(readOnly=True)
        self.log.setMaximumBlockCount(500)
        self.log.setMaximumHeight(120)

        self.load_button = QPushButton("Load this model")
        self.load_button.setEnabled(False)
        self.load_button.clicked.connect(self._load)
        buttons = run_buttons(self, "Start", self.load_button)

        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.log)
        lay.addLayout(buttons)

        self.process = TrainerProcess(self)
        self.process.line.connect(self._log_line)
        self.process.finished.connect(self._finished)
        self._poll = QTimer(self)
        self._poll.timeout.connect(self.refresh_curves)

    def _log_line(self, text: str):
        self.log.appendPlainText(text)
        self.log.verticalScrollBar().setValue(self.log.verticalScrollBar().maximum())  # follow the output

    def _browse_data(self):
        d = QFileDialog.getExistingDirectory(self, "Data folder (holds train/)", self.data.text().split(";")[0])
        if d:
            self.data.setText(d if not self.data.text() else self.data.text() + ";" + d)

    def _browse_out(self):
        d = QFileDialog.getExistingDirectory(self, "Output model folder", self.out.text())
        if d:
            self.out.setText(d)

    def data_dirs(self) -> list[str]:
        return [d.strip() for d in self.data.text().split(";") if d.strip()]

    def arguments(self) -> list[str]:
        args = ["train"]
        for d in self.data_dirs():
            args += ["--data", d]
        args += ["--out", self.out.text().strip(), "--recipe", self.recipe.currentData(),
                 "--epochs", str(self.epochs.value()),
                 "--width", self.width_choice.currentText(), "--seed", str(self.seed.value())]
        args += list(self.split.currentData())
        if self.resume.isChecked():
            args.append("--resume")
        return args

    def start(self) -> bool:
        if not self.data_dirs() or not self.out.text().strip():
            self.status.setText("Choose a data folder and an output model folder first.")
            return False
        out = Path(self.out.text().strip())
        if (out / CHECKPOINT_DIR).is_dir() and not self.resume.isChecked():
            self.resume.setChecked(True)
            self.status.setText(f"{out} holds an interrupted run: it will be resumed.")
        self.progress.setRange(0, self.epochs.value())
        self.progress.setValue(0)
        self.log.clear()
        self.process.start(self.arguments())
        self.started.emit()
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.load_button.setEnabled(False)
        self.status.setText("Training… (indexing and features first, then one line per epoch)")
        self._poll.start(1000)
        return True

    def cancel(self):
        self.status.setText("Cancelling: the last finished epoch is kept…")
        self.process.cancel()

    def refresh_curves(self):
        out = self.out.text().strip()
        if not out:
            return
        cols = read_history(Path(out) / HISTORY_FILE)
        epochs = cols.get("epoch", [])
        for k, curve in self.curves.items():
            ys = cols.get(k, [])
            curve.setData([e + 1 for e in epochs[:len(ys)]], ys)
        self.progress.setValue(min(len(epochs), self.progress.maximum()))

    def _finished(self, code: int, summary: str):
        self._poll.stop()
        self.refresh_curves()
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        out = Path(self.out.text().strip())
        if code == 0 and (out / KERAS_FILE).is_file():
            text, weak = result_text(out)
            self.status.setText(text)
            self.status.setStyleSheet("color: #b35900;" if weak else "")
            self.load_button.setEnabled(True)
        elif code == 130:
            self.resume.setChecked(True)
            self.status.setText("Cancelled. The last finished epoch is kept: Start again to resume.")
        else:
            self.status.setText(f"Training failed: {summary or f'exit code {code}'}")

    def _load(self):
        self.model_ready.emit(self.out.text().strip())

    def closeEvent(self, event):
        self.process.stop(wait_ms=15000)  # Ctrl-C first: the last finished epoch is kept
        super().closeEvent(event)
