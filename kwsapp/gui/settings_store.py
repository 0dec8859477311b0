"""Where the app keeps its settings between launches."""

from __future__ import annotations

import os
from dataclasses import fields

from PySide6.QtCore import QSettings

from ..core.decisions import DecisionSettings


def open_settings() -> QSettings:
    """QSettings of the app; KWSAPP_SETTINGS=FILE.ini keeps them in one file (tests, portable installs)."""
    path = os.environ.get("KWSAPP_SETTINGS")
    if path:
        return QSettings(path, QSettings.IniFormat)
    return QSettings("kwsapp", "kwsapp")


def load_decisions(settings: QSettings) -> DecisionSettings:
    """The decision settings saved under decisions/<field>; a field never saved keeps its default."""
    default = DecisionSettings()
    return DecisionSettings(**{f.name: type(getattr(default, f.name))(settings.value(f"decisions/{f.name}",
                                                                                   getattr(default, f.name)))
                               for f in fields(DecisionSettings)})


def save_decisions(settings: QSettings, decisions: DecisionSettings) -> None:
    for f in fields(DecisionSettings):
        settings.setValue(f"decisions/{f.name}", getattr(decisions, f.name))
