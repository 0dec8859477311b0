"""The tray icon: listen on/off, actions on/off, the last command, show the window, quit; notifications for the
"notify" action. Only where the desktop has a system tray."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from .icon import app_icon


def make_tray(window) -> QSystemTrayIcon | None:
    """A tray icon wired to the window's own actions, or None when the desktop has no system tray."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    tray = QSystemTrayIcon(app_icon(), window)
    tray.setToolTip("kwsapp: keyword spotting")
    menu = QMenu(window)
    window.tray_last = menu.addAction("no command yet")
    window.tray_last.setEnabled(False)
    menu.addSeparator()
    menu.addAction(window.menus.audio.listen)
    menu.addAction(window.menus.audio.actions_on)
    menu.addAction(window.menus.file.autostart)
    menu.addAction("Show the window", lambda: (window.showNormal(), window.raise_(), window.activateWindow()))
    menu.addSeparator()
    menu.addAction(window.menus.file.quit)
    tray.setContextMenu(menu)
    tray.activated.connect(lambda reason: reason == QSystemTrayIcon.Trigger and
                           (window.hide() if window.isVisible() else (window.showNormal(), window.activateWindow())))
    tray.show()
    return tray
