"""The message bar at the top of the window."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

HINT = "  (click to hide)"


class MessageBar(QLabel):
    """A one-line message at the top of the window: errors in red, notes in blue; click to hide. A message about
    one thing (``topic``, e.g. the microphone) goes away by itself when that thing recovers (:meth:`clear`)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setVisible(False)
        self.setToolTip("Click to hide this message")
        self.messages: list[str] = []
        self.topic: str | None = None

    def show_message(self, text: str, error: bool = True, topic: str | None = None) -> None:
        self.messages.append(text)
        self.topic = topic
        colour = "#b00020" if error else "#0b5394"
        self.setStyleSheet(f"background: {'#fde7e9' if error else '#e7f0fd'}; color: {colour}; padding: 6px;")
        self.setText(text + HINT)
        self.setVisible(True)

    def clear(self, topic: str) -> None:
        """Hide the message shown if it is about ``topic`` (what it said is no longer true)."""
        if self.topic == topic:
            self.topic = None
            self.setVisible(False)

    def mousePressEvent(self, event):
        self.setVisible(False)
