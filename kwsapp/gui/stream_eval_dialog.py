"""Evaluate on a recording...: run ``trainer stream-eval`` with a model (the window's, or another folder) and the
window's decision settings on a long recording and its truth CSV (``trainer make-stream`` writes both), and show
the result."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QFileDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout

from ..core.decisions import DecisionSettings, decision_args
from .forms import browse_row, run_buttons
from .trainer_process import TrainerProcess


class StreamEvalDialog(QDialog):
    started = Signal()
    result_ready = Signal(dict)

    def __init__(self, model_dir: str, decisions: DecisionSettings, hop_ms: float, wav: str = "", truth: str = "",
                 parent=None):
        super().__init__(parent)
        self.setWindowTitle("Evaluate on a recording")
        self.resize(640, 260)
        self.decisions, self.hop_ms = decisions, hop_ms
        self.model = QLineEdit(model_dir)
        self.model.setPlaceholderText("a model folder (the window's model to begin with)")
        self.wav = QLineEdit(wav)
        self.wav.setPlaceholderText("a long recording (python -m trainer make-stream writes one)")
        self.truth = QLineEdit(truth)
        self.truth.setPlaceholderText("its time_s,label CSV")
        form = QFormLayout()
        for label, edit, pick in (("recording", self.wav, self._browse_wav), ("truth", self.truth, self._browse_truth)):
            form.addRow(label, browse_row(edit, pick))
        form.addRow("model", browse_row(self.model, self._browse_model))
        form.addRow("decisions", QLabel(f"hop {hop_ms:g} ms, threshold {decisions.threshold:g}, averaging "
                                        f"{decisions.average_window_ms:g} ms, refractory {decisions.refractory_ms:g} ms, "
                                        f"minimum results {decisions.minimum_count}, peak threshold "
                                        f"{decisions.peak_threshold:g}"))
        self.status = QLabel("")
        self.status.setWordWrap(True)
        buttons = run_buttons(self, "Evaluate")
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.status, 1)
        lay.addLayout(buttons)
        self.process = TrainerProcess(self)
        self.process.finished.connect(self._finished)
        self._json = Path(tempfile.mkdtemp(prefix="kwsapp-eval-")) / "result.json"
        self.result: dict | None = None

    def _browse_model(self):
        d = QFileDialog.getExistingDirectory(self, "Model folder", self.model.text())
        if d:
            self.model.setText(d)

    def _browse_wav(self):
        f, _ = QFileDialog.getOpenFileName(self, "Recording", self.wav.text(), "Wave files (*.wav)")
        if f:
            self.wav.setText(f)
            guess = Path(f).with_suffix(".csv")
            if not self.truth.text() and guess.is_file():
                self.truth.setText(str(guess))

    def _browse_truth(self):
        f, _ = QFileDialog.getOpenFileName(self, "Truth CSV", self.truth.text(), "CSV (*.csv)")
        if f:
            self.truth.setText(f)

    def arguments(self) -> list[str]:
        return ["stream-eval", "--model", self.model.text().strip(), "--wav", self.wav.text().strip(),
                "--truth", self.truth.text().strip(), "--json", str(self._json), "--hop-ms", f"{self.hop_ms:g}",
                *decision_args(self.decisions)]

    def start(self) -> bool:
        if not (self.model.text().strip() and self.wav.text().strip() and self.truth.text().strip()):
            self.status.setText("Choose the model, the recording and its truth CSV first.")
            return False
        self._json.unlink(missing_ok=True)
        self.result = None
        self.process.start(self.arguments())
        self.started.emit()
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText("Evaluating… (the model runs over the whole recording)")
        return True

    def cancel(self):
        self.process.cancel()

    def _finished(self, code: int, summary: str):
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if code == 0 and self._json.is_file():
            r = json.loads(self._json.read_text())
            self.result = r
            self.status.setText(
                f"correct {r['correct']:.1%}, wrong {r['wrong']:.1%}, missed {r['missed']:.1%} of {r['words']} command "
                f"words; {r['false_alarms_per_hour']:.1f} false alarms per hour ({r['hours'] * 60:.1f} min).\n"
                + (f"{r['intervals']['text']}.\n" if r.get("intervals") else "")
                + f"{r['tolerance'][:1].upper()}{r['tolerance'][1:]}.")
            self.result_ready.emit(r)
        elif code == 130:
            self.status.setText("Cancelled.")
        else:
            self.status.setText(f"Evaluation failed: {summary or f'exit code {code}'}")

    def closeEvent(self, event):
        self.process.stop(wait_ms=2000)
        super().closeEvent(event)
