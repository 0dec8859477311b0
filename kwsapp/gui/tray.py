"""The tray icon: listen on/off, actions on/off, the last command, show the window, quit; notifications for the
"notify" action. Only where the desktop has a system tray."""

from __future__ import annotations

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QMenu, QStyle, QSystemTrayIcon


def make_tray(window) -> QSystemTrayIcon | None:
    """A tray icon wired to the window's own actions, or None when the desktop has no system tray."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    icon = window.style().standardIcon(QStyle.SP_MediaVolume) if not QIcon.hasThemeIcon("audio-input-microphone") \
        else QIcon.fromTheme("audio-input-microphone")
    tray = QSystemTrayIcon(icon, window)
    tray.setToolTip("kwsapp: keyword spotting")
    menu = QMenu(window)
    window.tray_last = menu.addAction("no command yet")
    window.tray_last.setEnabled(False)
    menu.addSeparator()
    menu.addAction(window.action_listen)
    menu.addAction(window.action_actions_on)
    menu.addAction("Show the window", lambda: (window.showNormal(), window.raise_(), window.activateWindow()))
    menu.addSeparator()
    menu.addAction(window.action_quit_app)
    tray.setContextMenu(menu)
    tray.activated.connect(lambda reason: reason == QSystemTrayIcon.Trigger and
                           (window.hide() if window.isVisible() else (window.showNormal(), window.activateWindow())))
    tray.show()
    return tray
