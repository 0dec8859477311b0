"""Small building blocks the dialogs share."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton


def browse_row(edit: QLineEdit, on_browse) -> QHBoxLayout:
    """A path field with a Browse… button beside it."""
    button = QPushButton("Browse…")
    button.clicked.connect(on_browse)
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(button)
    return row


def run_buttons(dialog, start_text: str, *extra: QPushButton) -> QHBoxLayout:
    """Start / Cancel (/ extra) ... Close, wired to dialog.start, dialog.cancel and dialog.close; sets
    dialog.start_button, dialog.cancel_button and dialog.close_button."""
    dialog.start_button, dialog.cancel_button, dialog.close_button = (QPushButton(start_text), QPushButton("Cancel"),
                                                                      QPushButton("Close"))
    dialog.cancel_button.setEnabled(False)
    dialog.start_button.clicked.connect(dialog.start)
    dialog.cancel_button.clicked.connect(dialog.cancel)
    dialog.close_button.clicked.connect(dialog.close)
    row = QHBoxLayout()
    for b in (dialog.start_button, dialog.cancel_button, *extra):
        row.addWidget(b)
    row.addStretch(1)
    row.addWidget(dialog.close_button)
    return row
