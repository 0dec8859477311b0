"""A global hotkey (X11): pressed anywhere on the desktop, it toggles listening, or, in the hold mode, the app
listens only while it is held (push to talk). pynput's listener runs in its own thread; the signals reach the
window on the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ..core.actions import keyboard_unavailable, parse_keys

MODES = ("toggle", "hold")


class GlobalHotkey(QObject):
    pressed = Signal()
    released = Signal()

    def __init__(self, keys: str, parent=None):
        """``keys`` as the key actions write them (``ctrl+alt+k``); ValueError if it is not one, RuntimeError (with
        the reason) where the session cannot listen to the keyboard."""
        super().__init__(parent)
        mods, key = parse_keys(keys)
        why = keyboard_unavailable()
        if why:
            raise RuntimeError(why.replace("key and type actions need", "a global hotkey needs"))
        from pynput import keyboard

        named = getattr(keyboard.Key, key.lower(), None) if len(key) > 1 else None
        if len(key) > 1 and named is None:
            raise ValueError(f"unknown key name {key!r}")
        self._held: set = set()
        self._active = False
        self._listener = keyboard.Listener(on_press=self._on_press, on_release=self._on_release)
        # the combination as the listener reports keys (its canonical form: Key.space is the character " ")
        wanted = [getattr(keyboard.Key, {"super": "cmd"}.get(m, m)) for m in mods]
        wanted.append(named if named is not None else keyboard.KeyCode.from_char(key.lower()))
        self._wanted = {self._key(k) for k in wanted}
        self._listener.start()
        self._listener.wait()

    def _key(self, k):
        k = self._listener.canonical(k)
        char = getattr(k, "char", None)
        if char:
            from pynput import keyboard

            return keyboard.KeyCode.from_char(char.lower())
        return k

    def _on_press(self, k) -> None:
        self._held.add(self._key(k))
        if not self._active and self._wanted <= self._held:
            self._active = True
            self.pressed.emit()

    def _on_release(self, k) -> None:
        self._held.discard(self._key(k))
        if self._active and not self._wanted <= self._held:
            self._active = False
            self.released.emit()

    def stop(self) -> None:
        """Stop listening. pynput's X11 listener ends at the next key event after this (its thread is a daemon,
        so it never keeps the app from exiting)."""
        self._listener.stop()

    @property
    def running(self) -> bool:
        return self._listener.is_alive()


# what the hotkey field says on Wayland, with the way that works there
WAYLAND_HOTKEY = ("a Wayland desktop does not let a program see keys pressed in other programs' windows, so this "
                  "hotkey cannot work here; instead, give the desktop's own keyboard shortcut (its Settings > Keyboard) "
                  "the command 'kwsapp --toggle-listening', which turns the running kwsapp's listening on or off")


def attach_hotkey(window, keys: str, mode: str) -> GlobalHotkey | None:
    """The window's hotkey from its settings; a problem is a message in the window, never fatal. Returns the
    hotkey (None when there is none). In the hold mode the window listens only while the keys are held."""
    if not keys:
        return None
    from ..core.actions import wayland_session

    if wayland_session():
        window.message_bar.show_message(f"Hotkey {keys}: {WAYLAND_HOTKEY}; it is off.")
        return None
    try:
        hotkey = GlobalHotkey(keys, window)
    except (ValueError, RuntimeError, ImportError) as exc:
        window.message_bar.show_message(f"Hotkey {keys}: {exc}; it is off.")
        return None
    if mode == "hold":
        hotkey.pressed.connect(lambda: window.menus.audio.listen.setChecked(True))
        hotkey.released.connect(lambda: window.menus.audio.listen.setChecked(False))
    else:
        hotkey.pressed.connect(window.menus.audio.listen.toggle)
    return hotkey


def ask_hotkey(window) -> None:
    """Audio > Global hotkey…: the keys (empty: none) and the mode, kept in the settings; used from now on."""
    from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit

    from .settings_store import SettingsReader

    saved = SettingsReader(window.settings)
    dlg = QDialog(window)
    dlg.setWindowTitle("Global hotkey")
    keys = QLineEdit(saved.text("hotkey/keys", "") or "")
    keys.setPlaceholderText("e.g. ctrl+alt+k (empty: no hotkey)")
    mode = QComboBox()
    mode.addItems(MODES)
    mode.setCurrentText(saved.text("hotkey/mode", "toggle") or "toggle")
    form = QFormLayout(dlg)
    form.addRow("keys", keys)
    form.addRow("mode", mode)
    form.addRow(QLabel("toggle: each press turns listening on or off. hold: listen only while the keys are held "
                       "(push to talk). X11 only."))
    from ..core.actions import wayland_session

    if wayland_session():
        note = QLabel(f"This is a Wayland desktop: {WAYLAND_HOTKEY}.")
        note.setWordWrap(True)
        note.setStyleSheet("color: #b00020;")
        form.addRow(note)
    buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
    buttons.accepted.connect(dlg.accept)
    buttons.rejected.connect(dlg.reject)
    form.addRow(buttons)
    if dlg.exec() == QDialog.Accepted:
        apply_hotkey(window, keys.text().strip(), mode.currentText())


def apply_hotkey(window, keys: str, mode: str) -> None:
    window.settings.setValue("hotkey/keys", keys)
    window.settings.setValue("hotkey/mode", mode)
    if window.hotkey is not None:
        window.hotkey.stop()
    window.hotkey = attach_hotkey(window, keys, mode)
