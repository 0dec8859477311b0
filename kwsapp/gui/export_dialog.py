"""Export submission...: data folder, model, output CSV; a progress bar; cancel. Runs ``trainer submit``."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QDialog, QFileDialog, QFormLayout, QLabel, QLineEdit, QProgressBar, QVBoxLayout

from .forms import browse_row, run_buttons
from .trainer_process import TrainerProcess


def kaggle_model_problem(model_dir: str) -> str | None:
    """Why a model folder cannot write the challenge's submission (it must score the 12 classes from the
    spectrogram, the Kaggle path), or None."""
    from ..core.labels import LABELS
    from ..core.modelfolder import ModelFolder, ModelFolderError

    try:
        folder = ModelFolder.open(model_dir)
    except ModelFolderError as exc:
        return str(exc)
    if folder.labels != LABELS:
        extra = [lab for lab in folder.labels if lab not in LABELS]
        return (f"{folder.path.name} has labels the challenge does not score ({', '.join(extra[:3])}); a submission "
                "needs a model of its 12 classes" if extra else f"{folder.path.name} lacks some of the challenge's 12 classes")
    if folder.kind != "spectrogram":
        return f"{folder.path.name} is a {folder.kind} model; the submission is written with a spectrogram model"
    return None


class ExportDialog(QDialog):
    started = Signal()

    def __init__(self, data_dir: str = "", model_dir: str = "", out_csv: str = "", parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export the Kaggle submission")
        self.resize(640, 240)
        self.data = QLineEdit(data_dir)
        self.data.setPlaceholderText("folder holding test/audio/*.wav")
        self.model = QLineEdit(model_dir)
        self.out = QLineEdit(out_csv or str(Path.home() / "submission.csv"))
        self.tta = QCheckBox("test-time augmentation (slower)")
        form = QFormLayout()
        for label, edit, pick in (("data", self.data, self._browse_data), ("model", self.model, self._browse_model),
                                  ("output CSV", self.out, self._browse_out)):
            form.addRow(label, browse_row(edit, pick))
        form.addRow("", self.tta)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m clips")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        buttons = run_buttons(self, "Export")
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        lay.addLayout(buttons)
        self.process = TrainerProcess(self)
        self.process.progress.connect(self._progress)
        self.process.finished.connect(self._finished)

    def _browse_data(self):
        d = QFileDialog.getExistingDirectory(self, "Data folder (holds test/audio)", self.data.text())
        if d:
            self.data.setText(d)

    def _browse_model(self):
        d = QFileDialog.getExistingDirectory(self, "Model folder", self.model.text())
        if d:
            self.model.setText(d)

    def _browse_out(self):
        f, _ = QFileDialog.getSaveFileName(self, "Submission CSV", self.out.text(), "CSV (*.csv)")
        if f:
            self.out.setText(f)

    def arguments(self) -> list[str]:
        args = ["submit", "--data", self.data.text().strip(), "--model", self.model.text().strip(),
                "--out", self.out.text().strip()]
        if self.tta.isChecked():
            args.append("--tta")
        return args

    def start(self) -> bool:
        if not (self.data.text().strip() and self.model.text().strip() and self.out.text().strip()):
            self.status.setText("Choose the data folder, the model and the output file first.")
            return False
        from trainer.evaluation.submit import SubmitError, test_audio_dir

        try:  # checked here, at once, rather than by the export process seconds later
            test_audio_dir(self.data.text().strip())
        except SubmitError as exc:
            self.status.setText(f"Export failed: {exc}")
            return False
        why = kaggle_model_problem(self.model.text().strip())
        if why:
            self.status.setText(f"Export failed: {why}")
            return False
        self.progress.setRange(0, 0)  # busy until the first count arrives
        self.process.start(self.arguments())
        self.started.emit()
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText("Exporting…")
        return True

    def cancel(self):
        self.status.setText("Cancelling…")
        self.process.cancel()

    def _progress(self, done: int, total: int):
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _finished(self, code: int, summary: str):
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if code == 0:
            self.progress.setValue(self.progress.maximum())
            self.status.setText(f"Written: {self.out.text().strip()}")
        elif code == 130:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.status.setText("Cancelled: no file was written.")
        else:
            self.progress.setRange(0, 1)  # no busy bar after a failure
            self.progress.setValue(0)
            self.status.setText(f"Export failed: {summary or f'exit code {code}'}")

    def closeEvent(self, event):
        self.process.stop(wait_ms=10000)
        super().closeEvent(event)
