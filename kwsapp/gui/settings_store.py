"""Where the app keeps its settings between launches."""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings


def open_settings() -> QSettings:
    """QSettings of the app; KWSAPP_SETTINGS=FILE.ini keeps them in one file (tests, portable installs)."""
    path = os.environ.get("KWSAPP_SETTINGS")
    if path:
        return QSettings(path, QSettings.IniFormat)
    return QSettings("kwsapp", "kwsapp")
