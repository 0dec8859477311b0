"""Where the app keeps its settings between launches, and reading them back safely.

A settings file is the user's to edit (or to break): every value read back is checked for its type and range, and a
value that fails falls back to its default with a one-line note, never a crash.
"""

from __future__ import annotations

import math
import os
from dataclasses import fields

from PySide6.QtCore import QPoint, QSettings, QSize, Qt

from ..core.decisions import DECISION_RANGES, DEFAULT_HOP_MS, HOP_MS_RANGE, DecisionSettings, parse_command_thresholds

WINDOW_SIZE_RANGE = ((320, 240), (16384, 16384))  # (width, height) at least / at most
WINDOW_POS_LIMIT = 100_000                         # |x|, |y| at most (several screens side by side)
DEFAULT_WINDOW_SIZE = QSize(1180, 680)


def open_settings() -> QSettings:
    """QSettings of the app; KWSAPP_SETTINGS=FILE.ini keeps them in one file (tests, portable installs)."""
    path = os.environ.get("KWSAPP_SETTINGS")
    if path:
        return QSettings(path, QSettings.IniFormat)
    return QSettings("kwsapp", "kwsapp")


class SettingsReader:
    """Reads remembered values back, each checked; ``problems`` lists the ones that fell back to their default (and
    were removed, so that the note is shown once)."""

    def __init__(self, settings: QSettings):
        self.settings = settings
        self.problems: list[str] = []

    def _reject(self, key: str, raw, expected: str):
        self.problems.append(f"{key}={str(raw)[:40]!r} is not {expected}")
        self.settings.remove(key)

    def number(self, key: str, default, lo, hi):
        """A number in lo..hi (an int when ``default`` is one)."""
        raw = self.settings.value(key, None)
        if raw is None:
            return default
        try:
            value = float(raw)
            if isinstance(default, int):
                if not value.is_integer():
                    raise ValueError
                value = int(value)
        except (TypeError, ValueError, OverflowError):
            value = None
        if value is None or not math.isfinite(value) or not lo <= value <= hi:
            kind = "a whole number" if isinstance(default, int) else "a number"
            self._reject(key, raw, f"{kind} from {lo:g} to {hi:g}")
            return default
        return value

    def flag(self, key: str, default: bool) -> bool:
        raw = self.settings.value(key, None)
        if raw is None or isinstance(raw, bool):
            return default if raw is None else raw
        text = str(raw).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        self._reject(key, raw, "true or false")
        return default

    def text(self, key: str, default: str | None = None) -> str | None:
        raw = self.settings.value(key, None)
        if raw is None:
            return default
        if not isinstance(raw, str):
            self._reject(key, raw, "text")
            return default
        return raw

    def size(self, key: str, default: QSize) -> QSize:
        raw = self.settings.value(key, None)
        if raw is None:
            return default
        (w0, h0), (w1, h1) = WINDOW_SIZE_RANGE
        if not isinstance(raw, QSize) or not (w0 <= raw.width() <= w1 and h0 <= raw.height() <= h1):
            self._reject(key, raw, f"a window size from {w0}x{h0} to {w1}x{h1}")
            return default
        return raw

    def point(self, key: str) -> QPoint | None:
        raw = self.settings.value(key, None)
        if raw is None:
            return None
        if not isinstance(raw, QPoint) or max(abs(raw.x()), abs(raw.y())) > WINDOW_POS_LIMIT:
            self._reject(key, raw, "a window position")
            return None
        return raw

    def hop_ms(self) -> float:
        return self.number("audio/hop_ms", DEFAULT_HOP_MS, *HOP_MS_RANGE)

    def decisions(self) -> DecisionSettings:
        """The decision settings saved under decisions/<field>; a field never saved keeps its default."""
        default = DecisionSettings()
        values = {f.name: self.number(f"decisions/{f.name}", getattr(default, f.name), *DECISION_RANGES[f.name])
                  for f in fields(DecisionSettings) if f.name in DECISION_RANGES}
        key = "decisions/command_thresholds"
        text = self.text(key, default.command_thresholds)
        try:
            parse_command_thresholds(text)
        except ValueError as exc:
            self._reject(key, text, f"per-command thresholds ({exc})")
            text = default.command_thresholds
        return DecisionSettings(**values, command_thresholds=text)


def save_decisions(decisions: DecisionSettings) -> None:
    """The decision settings go to the file the command line shares (kwsapp.core.shared_settings)."""
    from ..core.shared_settings import write_decisions

    try:
        write_decisions(decisions)
    except OSError:
        pass  # a read-only configuration folder: the settings hold for this session


def shared_decisions(saved: SettingsReader) -> DecisionSettings:
    """The decision settings from the shared file; the first time, those this app kept in its QSettings before
    (moved there once). A value that is not usable is noted with the others (``saved.problems``)."""
    from ..core.shared_settings import read_decisions

    decisions, problems = read_decisions()
    saved.problems += problems
    if decisions is None:
        decisions = saved.decisions()
        saved.settings.remove("decisions")
        save_decisions(decisions)
    return decisions


def restore_geometry(window, saved: SettingsReader) -> None:
    """The window's remembered size, position and maximised state. Size and position rather than saveGeometry():
    restoreGeometry() is off by the frame on some platforms."""
    window.resize(saved.size("window/size", DEFAULT_WINDOW_SIZE))
    pos = saved.point("window/pos")
    if pos is not None:
        window.move(pos)
    if saved.flag("window/maximized", False):
        window.setWindowState(Qt.WindowMaximized)
