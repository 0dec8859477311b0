"""The recognised command, large, with its confidence; fades back to a placeholder after a while."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

PLACEHOLDER = "-"
HOLD_MS = 2000


class CommandDisplay(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.word = QLabel(PLACEHOLDER)
        self.word.setAlignment(Qt.AlignCenter)
        self.word.setStyleSheet("font-size: 56px; font-weight: bold;")
        self.confidence = QLabel("say: yes, no, up, down, left, right, on, off, stop, go")
        self.confidence.setAlignment(Qt.AlignCenter)
        self.confidence.setStyleSheet("font-size: 14px; color: #666;")
        lay = QVBoxLayout(self)
        lay.addWidget(self.word)
        lay.addWidget(self.confidence)
        self._clear = QTimer(self)
        self._clear.setSingleShot(True)
        self._clear.timeout.connect(self._fade)

    def show_command(self, label: str, score: float, note: str = "") -> None:
        self.word.setText(label)
        self.word.setStyleSheet("font-size: 56px; font-weight: bold; color: #0a7d32;")
        self.confidence.setText(f"confidence {score:.0%}" + (f"  ·  {note}" if note else ""))
        self._clear.start(HOLD_MS)

    def _fade(self) -> None:
        self.word.setStyleSheet("font-size: 56px; font-weight: bold; color: #999;")
