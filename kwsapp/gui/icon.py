"""kwsapp's own icon (assets/icons/kwsapp.svg) for the window, the tray and About."""

from __future__ import annotations

from PySide6.QtGui import QIcon


def app_icon() -> QIcon:
    from ..desktop import icon_path

    return QIcon(str(icon_path()))
