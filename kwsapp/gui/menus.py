"""The main window's menus, and the device list that is made afresh each time it opens."""

from __future__ import annotations

from PySide6.QtGui import QActionGroup, QKeySequence

from ..audio_input import AudioInputError, list_input_devices
from . import dialog_openers
from .hotkey import ask_hotkey
from .settings_store import SettingsReader
from .user_examples import mark_wrong


def autostart_enabled() -> bool:
    from ..desktop import autostart_enabled as enabled

    return enabled()


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


def build_menus(window) -> None:
    """The menu bar: File, Audio, Model, Help; each action is kept on the window as ``window.action_*``."""
    mb = window.menuBar()
    file_menu = mb.addMenu("&File")
    window.action_open_model = file_menu.addAction("Open &model folder…", window.choose_model)
    window.action_open_wav = file_menu.addAction("Open &wav file…", window.choose_wav)
    window.action_open_wav.setShortcut(QKeySequence.Open)
    file_menu.addSeparator()
    window.action_export = file_menu.addAction("&Export submission…", lambda: dialog_openers.open_export(window))
    file_menu.addSeparator()
    window.action_commands = file_menu.addAction("&Commands…", lambda: dialog_openers.open_commands(window))
    window.action_import_actions = file_menu.addAction("&Import actions…", lambda: dialog_openers.import_actions(window))
    window.action_export_actions = file_menu.addAction("E&xport actions…", lambda: dialog_openers.export_actions(window))
    file_menu.addSeparator()
    window.action_autostart = file_menu.addAction("Start at &login")
    window.action_autostart.setCheckable(True)
    window.action_autostart.setToolTip("start kwsapp, minimised and listening, when you log in (an XDG autostart entry)")
    window.action_autostart.setChecked(autostart_enabled())
    window.action_autostart.toggled.connect(lambda on: set_autostart_from_menu(window, on))
    file_menu.addSeparator()
    window.action_quit = window.action_quit_app = file_menu.addAction("&Quit", window.quit_app)
    window.action_quit.setShortcut(QKeySequence.Quit)

    audio_menu = mb.addMenu("&Audio")
    window.action_listen = audio_menu.addAction("&Listen")
    window.action_listen.setCheckable(True)
    window.action_listen.setShortcut(QKeySequence("Ctrl+L"))
    window.action_listen.toggled.connect(window._listen_toggled)
    window.device_menu = audio_menu.addMenu("Input &device")
    window.action_refresh_devices = audio_menu.addAction("&Refresh devices", window.refresh_devices)
    window.device_menu.aboutToShow.connect(lambda: refresh_device_menu(window))
    window.device_group = QActionGroup(window)
    audio_menu.addSeparator()
    window.action_actions_on = audio_menu.addAction("&Actions on")  # the master switch (File > Commands… sets them)
    window.action_actions_on.setCheckable(True)
    window.action_actions_on.setShortcut(QKeySequence("Ctrl+Shift+A"))
    window.action_wrong = audio_menu.addAction("That was &wrong", lambda: mark_wrong(window))
    window.action_wrong.setShortcut(QKeySequence("Ctrl+Shift+W"))
    window.action_wrong.setToolTip("keep the last announced command's audio as an example of unknown, for the next "
                                   "fine-tune")
    window.action_hotkey = audio_menu.addAction("Global &hotkey…", lambda: ask_hotkey(window))
    window.action_close_to_tray = audio_menu.addAction("Keep listening in the &tray when the window is closed")
    window.action_close_to_tray.setCheckable(True)
    window.action_close_to_tray.setChecked(SettingsReader(window.settings).flag("window/close_to_tray", False))
    window.action_close_to_tray.toggled.connect(lambda on: window.settings.setValue("window/close_to_tray", on))
    toolbar = window.addToolBar("actions")
    toolbar.setObjectName("actions")
    toolbar.addAction(window.action_listen)
    toolbar.addAction(window.action_actions_on)
    toolbar.addAction(window.action_wrong)

    model_menu = mb.addMenu("&Model")
    window.action_train = model_menu.addAction("&Train…", lambda: dialog_openers.open_train(window))
    window.action_stream_eval = model_menu.addAction("&Evaluate on a recording…", lambda: dialog_openers.open_stream_eval(window))
    model_menu.addSeparator()
    window.action_record = model_menu.addAction("&Record my examples…", lambda: dialog_openers.open_recorder(window))
    window.action_finetune = model_menu.addAction("&Fine-tune on my examples…",
                                                  lambda: dialog_openers.open_finetune(window))
    window.action_calibrate = model_menu.addAction("&Calibrate to my room…", lambda: dialog_openers.open_calibrate(window))
    model_menu.addSeparator()
    window.action_bundled = model_menu.addAction("Use the &bundled model", lambda: window.load_model(str(window.bundled_model)))

    help_menu = mb.addMenu("&Help")
    help_menu.addAction("&About", lambda: dialog_openers.show_about(window))


def refresh_device_menu(window) -> None:
    """Audio > Input device, listed afresh each time it opens."""
    window.device_menu.clear()
    for a in window.device_group.actions():
        window.device_group.removeAction(a)
    try:
        devices = list_input_devices()
    except AudioInputError as exc:
        a = window.device_menu.addAction(str(exc))
        a.setEnabled(False)
        return
    if not devices:
        a = window.device_menu.addAction("no input device found")
        a.setEnabled(False)
    current = window.mic.device.index if window.mic.device else None
    for d in devices:
        # the rate in use is the status bar's (the app asks for 16 kHz first, whatever the device's default)
        in_use = d.index == current and window.mic.sample_rate_hz
        a = window.device_menu.addAction(d.name + ("  · default" if d.is_default else "")
                                         + (f"  · listening at {window.mic.sample_rate_hz} Hz" if in_use else ""))
        a.setCheckable(True)
        a.setChecked(d.index == current)
        a.setData(d.name)
        window.device_group.addAction(a)
        a.triggered.connect(lambda checked=False, name=d.name: window.choose_device(name))
