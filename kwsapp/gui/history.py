"""The list of announced commands, newest on top, with wall-clock times."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from .command_label import score_text

MAX_ITEMS = 500


class HistoryList(QListWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumWidth(220)
        # a long file name is cut at the panel's edge (its whole path is the item's tooltip)
        self.setTextElideMode(Qt.ElideRight)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.entries: list[tuple[str, str, float]] = []  # (source, label, score), oldest first

    def add(self, label: str, score: float, source: str = "mic", when: dt.datetime | None = None) -> None:
        when = when or dt.datetime.now()
        text = f"{when:%H:%M:%S}  {label:<6} {score_text(score):>4}" + ("" if source == "mic" else f"  ({Path(source).name})")
        item = QListWidgetItem(text)
        if source != "mic":
            item.setToolTip(source)
        else:
            item.setData(Qt.UserRole, label)  # an announcement: its actions' results go under it
        self.insertItem(0, item)
        self.entries.append((source, label, score))
        self._trim()

    def add_note(self, text: str, ok: bool = True, label: str | None = None) -> None:
        """What an announcement did (an action's result), indented, just below the newest announcement of ``label``
        (the list is newest first; a result comes after its command, but belongs under it); a failure in red."""
        item = QListWidgetItem("      → " + text)
        item.setToolTip(text)
        if not ok:
            item.setForeground(Qt.red)
        row = 0
        if label is not None:
            for i in range(self.count()):
                if self.item(i).data(Qt.UserRole) == label:
                    row = i + 1
                    while row < self.count() and self.item(row).data(Qt.UserRole) is None and \
                            self.item(row).text().startswith("      → "):
                        row += 1  # after the notes it already has
                    break
        self.insertItem(row, item)
        self._trim()

    def _trim(self) -> None:
        while self.count() > MAX_ITEMS:
            self.takeItem(self.count() - 1)
