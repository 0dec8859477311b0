"""The main window's menus, each an object that holds its actions (Friture's way: the widget owns its parts), and
the device list that is made afresh each time it opens. The window keeps them as ``window.menus.file``, ``.audio``,
``.model`` and ``.help``."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtGui import QActionGroup, QKeySequence

from ..audio_input import AudioInputError, list_input_devices
from . import dialog_openers
from .hotkey import ask_hotkey
from .settings_store import SettingsReader
from .user_examples import mark_wrong


def check_quietly(action, on: bool) -> None:
    """Show a checkable action as ``on`` without running what toggling it does (the state changed elsewhere)."""
    blocker = QSignalBlocker(action)
    action.setChecked(on)
    blocker.unblock()


def set_autostart_from_menu(window, on: bool) -> None:
    from ..desktop import set_autostart

    try:
        path = set_autostart(on)
    except OSError as exc:
        window.message_bar.show_message(f"{exc.filename or ''}: cannot {'add' if on else 'remove'} the start-at-login "
                                        f"entry ({exc.strerror or exc})")
        return
    window.message_bar.show_message(f"kwsapp will start at login, minimised and listening ({path})." if on else
                                    "kwsapp will not start at login any more.", error=False)


class FileMenu:
    def __init__(self, window):
        from ..desktop import autostart_enabled

        menu = window.menuBar().addMenu("&File")
        self.open_model = menu.addAction("Open &model folder…", window.choose_model)
        self.open_wav = menu.addAction("Open &wav file…", window.choose_wav)
        self.open_wav.setShortcut(QKeySequence.Open)
        menu.addSeparator()
        self.export = menu.addAction("&Export submission…", lambda: dialog_openers.open_export(window))
        menu.addSeparator()
        self.commands = menu.addAction("&Commands…", lambda: dialog_openers.open_commands(window))
        self.import_actions = menu.addAction("&Import actions…", lambda: dialog_openers.import_actions(window))
        self.export_actions = menu.addAction("E&xport actions…", lambda: dialog_openers.export_actions(window))
        menu.addSeparator()
        self.autostart = menu.addAction("Start at &login")
        self.autostart.setCheckable(True)
        self.autostart.setToolTip("start kwsapp, minimised and listening, when you log in (an XDG autostart entry)")
        self.autostart.setChecked(autostart_enabled())
        self.autostart.toggled.connect(lambda on: set_autostart_from_menu(window, on))
        menu.addSeparator()
        self.quit = menu.addAction("&Quit", window.quit_app)
        self.quit.setShortcut(QKeySequence.Quit)
        self.menu = menu


class AudioMenu:
    def __init__(self, window):
        self.window = window
        menu = window.menuBar().addMenu("&Audio")
        self.listen = menu.addAction("&Listen")
        self.listen.setCheckable(True)
        self.listen.setShortcut(QKeySequence("Ctrl+L"))
        self.listen.toggled.connect(window._listen_toggled)
        self.devices = menu.addMenu("Input &device")
        self.refresh_devices = menu.addAction("&Refresh devices", window.refresh_devices)
        self.devices.aboutToShow.connect(self.list_devices)
        self.device_group = QActionGroup(window)
        menu.addSeparator()
        self.actions_on = menu.addAction("&Actions on")  # the master switch (File > Commands… sets them)
        self.actions_on.setCheckable(True)
        self.actions_on.setShortcut(QKeySequence("Ctrl+Shift+A"))
        self.wrong = menu.addAction("That was &wrong", lambda: mark_wrong(window))
        self.wrong.setShortcut(QKeySequence("Ctrl+Shift+W"))
        self.wrong.setToolTip("keep the last announced command's audio as an example of unknown, for the next fine-tune")
        self.hotkey = menu.addAction("Global &hotkey…", lambda: ask_hotkey(window))
        self.close_to_tray = menu.addAction("Keep listening in the &tray when the window is closed")
        self.close_to_tray.setCheckable(True)
        self.close_to_tray.setChecked(SettingsReader(window.settings).flag("window/close_to_tray", False))
        self.close_to_tray.toggled.connect(lambda on: window.settings.setValue("window/close_to_tray", on))
        self.menu = menu

    def list_devices(self) -> None:
        """Audio > Input device, listed afresh each time it opens."""
        window, menu = self.window, self.devices
        menu.clear()
        for a in self.device_group.actions():
            self.device_group.removeAction(a)
        try:
            devices = list_input_devices()
        except AudioInputError as exc:
            menu.addAction(str(exc)).setEnabled(False)
            return
        if not devices:
            menu.addAction("no input device found").setEnabled(False)
        current = window.mic.device.index if window.mic.device else None
        for d in devices:
            # the rate in use is the status bar's (the app asks for 16 kHz first, whatever the device's default)
            in_use = d.index == current and window.mic.sample_rate_hz
            a = menu.addAction(d.name + ("  · default" if d.is_default else "")
                               + (f"  · listening at {window.mic.sample_rate_hz} Hz" if in_use else ""))
            a.setCheckable(True)
            a.setChecked(d.index == current)
            a.setData(d.name)
            self.device_group.addAction(a)
            a.triggered.connect(lambda checked=False, name=d.name: window.choose_device(name))


class ModelMenu:
    def __init__(self, window):
        menu = window.menuBar().addMenu("&Model")
        self.train = menu.addAction("&Train…", lambda: dialog_openers.open_train(window))
        self.stream_eval = menu.addAction("&Evaluate on a recording…", lambda: dialog_openers.open_stream_eval(window))
        menu.addSeparator()
        self.record = menu.addAction("&Record my examples…", lambda: dialog_openers.open_recorder(window))
        self.finetune = menu.addAction("&Fine-tune on my examples…", lambda: dialog_openers.open_finetune(window))
        self.calibrate = menu.addAction("&Calibrate to my room…", lambda: dialog_openers.open_calibrate(window))
        menu.addSeparator()
        self.bundled = menu.addAction("Use the &bundled model", lambda: window.load_model(str(window.bundled_model)))
        self.menu = menu


class HelpMenu:
    def __init__(self, window):
        self.menu = window.menuBar().addMenu("&Help")
        self.about = self.menu.addAction("&About", lambda: dialog_openers.show_about(window))


class Menus:
    """The menu bar: File, Audio, Model, Help, and the toolbar's three switches."""

    def __init__(self, window):
        self.file, self.audio = FileMenu(window), AudioMenu(window)
        self.model, self.help = ModelMenu(window), HelpMenu(window)
        toolbar = window.addToolBar("actions")
        toolbar.setObjectName("actions")
        for action in (self.audio.listen, self.audio.actions_on, self.audio.wrong):
            toolbar.addAction(action)
