"""The recognised command, large, with its averaged score; fades back to a placeholder after a while.

The number is the same as the command's bar: the score averaged over the decision window. A word is announced as
soon as that average crosses the threshold, and the average keeps rising for a few hops while the word is still in
the window, so the display follows it up to its peak while the word is shown."""

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
        self.label, self.score, self.note = label, score, note
        self.word.setText(label)
        self.word.setStyleSheet("font-size: 56px; font-weight: bold; color: #0a7d32;")
        self._show_score()
        self._clear.start(HOLD_MS)

    def follow(self, label: str, score: float) -> None:
        """A later hop's averaged score of the best label: the shown command's peak, while it is shown."""
        if self._clear.isActive() and label == getattr(self, "label", None) and score > self.score:
            self.score = score
            self._show_score()

    def _show_score(self) -> None:
        self.confidence.setText(f"score {self.score:.0%} (averaged)" + (f"  ·  {self.note}" if self.note else ""))

    def _fade(self) -> None:
        self.word.setStyleSheet("font-size: 56px; font-weight: bold; color: #999;")
