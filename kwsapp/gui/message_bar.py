"""The message bar at the top of the window."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


class MessageBar(QLabel):
    """A one-line message at the top of the window: errors in red, notes in blue; click to hide."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setVisible(False)
        self.messages: list[str] = []

    def show_message(self, text: str, error: bool = True) -> None:
        self.messages.append(text)
        colour = "#b00020" if error else "#0b5394"
        self.setStyleSheet(f"background: {'#fde7e9' if error else '#e7f0fd'}; color: {colour}; padding: 6px;")
        self.setText(text)
        self.setVisible(True)

    def mousePressEvent(self, event):
        self.setVisible(False)
