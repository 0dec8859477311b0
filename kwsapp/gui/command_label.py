"""The recognised command, large, with its averaged score; fades back to a placeholder after a while.

The number is the announced score (the average over the decision window when the word was announced), said the same
way as in the history and the tray: one number for one announcement."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..core.labels import COMMANDS, SILENCE, UNKNOWN

PLACEHOLDER = "no command yet"
HOLD_MS = 2000
# the colours come from the palette when each text is shown (and again when the scheme changes), so that a dark
# scheme is as readable as a light one
WORD_STYLE = "font-size: 56px; font-weight: bold; color: {};"
PLACEHOLDER_STYLE = "font-size: 28px; color: {};"
HINT_STYLE = "font-size: 14px; color: {};"


def score_text(score: float) -> str:
    """A score as the window says it everywhere (the big label, the history, the tray): a percentage."""
    return f"{score:.0%}"


def say_hint(labels) -> str:
    """What a user can say to the loaded model: its labels but silence and unknown."""
    return "say: " + ", ".join(lab for lab in labels if lab not in (SILENCE, UNKNOWN))


class CommandDisplay(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.word = QLabel(PLACEHOLDER)
        self.word.setAlignment(Qt.AlignCenter)
        self._state = "placeholder"
        self.confidence = QLabel(say_hint(COMMANDS))
        self.confidence.setAlignment(Qt.AlignCenter)
        self.confidence.setWordWrap(True)  # a narrow window wraps the hint instead of cutting it
        lay = QVBoxLayout(self)
        lay.addWidget(self.word)
        lay.addWidget(self.confidence)
        self._clear = QTimer(self)
        self._clear.setSingleShot(True)
        self._clear.timeout.connect(self._fade)
        self._restyle()

    def _colours(self) -> tuple[str, str]:
        """(heard, quiet): a green that reads on this palette's window, and its placeholder grey."""
        from PySide6.QtGui import QPalette

        pal = self.palette()
        dark = pal.color(QPalette.ColorRole.Window).lightness() < 128
        return ("#5fd37f" if dark else "#0a7d32"), pal.color(QPalette.ColorRole.PlaceholderText).name()

    def _restyle(self) -> None:
        heard, quiet = self._colours()
        self.confidence.setStyleSheet(HINT_STYLE.format(quiet))
        self.word.setStyleSheet(PLACEHOLDER_STYLE.format(quiet) if self._state == "placeholder" else
                                WORD_STYLE.format(heard if self._state == "heard" else quiet))

    def changeEvent(self, event) -> None:
        from PySide6.QtCore import QEvent

        if event.type() == QEvent.Type.PaletteChange:
            self._restyle()
        super().changeEvent(event)

    def set_labels(self, labels) -> None:
        """A model was loaded: until a command is shown, the hint names what it can hear."""
        if self.word.text() == PLACEHOLDER:
            self.confidence.setText(say_hint(labels))

    def show_command(self, label: str, score: float, note: str = "") -> None:
        self.label, self.score, self.note = label, score, note
        self.word.setText(label)
        self._state = "heard"
        self._restyle()
        self._show_score()
        self._clear.start(HOLD_MS)

    def _show_score(self) -> None:
        self.confidence.setText(f"score {score_text(self.score)}" + (f"  ·  {self.note}" if self.note else ""))

    def _fade(self) -> None:
        self._state = "faded"
        self._restyle()
