"""The global hotkey on a real X11 display (Xvfb): keys pressed through XTest toggle listening, or hold it on
while they are held; a bad combination or a Wayland session is a message, never a crash."""

import time

import pytest

from kwsapp.gui.hotkey import apply_hotkey


@pytest.fixture
def window_on_x(x_display, make_window, monkeypatch):  # the display outlives the window and its listener
    monkeypatch.setenv("DISPLAY", x_display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    w = make_window()
    calls = []
    # the test's microphone does not exist: record what listening was asked to do instead
    monkeypatch.setattr(w, "start_listening", lambda quiet=False: calls.append("start") or True)
    monkeypatch.setattr(w, "stop_listening", lambda: calls.append("stop"))
    w.listen_calls = calls
    yield w
    if w.hotkey is not None:
        from pynput.keyboard import Controller, Key

        w.hotkey.stop()
        kb = Controller()  # the listener ends at its next event: give it one before the display goes
        kb.press(Key.shift)
        kb.release(Key.shift)
        w.hotkey._listener.join(5)
        assert not w.hotkey.running


def press(keys_down, hold_s=0.2):
    from pynput.keyboard import Controller

    kb = Controller()
    with kb.pressed(*keys_down[:-1]):
        kb.press(keys_down[-1])
        time.sleep(hold_s)
        kb.release(keys_down[-1])


def test_the_hotkey_toggles_listening(window_on_x, qtbot):
    from pynput.keyboard import Key

    w = window_on_x
    apply_hotkey(w, "ctrl+alt+k", "toggle")
    assert w.hotkey is not None and w.settings.value("hotkey/keys") == "ctrl+alt+k"
    was = w.menus.audio.listen.isChecked()
    press([Key.ctrl, Key.alt, "k"])
    qtbot.waitUntil(lambda: w.menus.audio.listen.isChecked() != was, timeout=5000)
    press([Key.ctrl, Key.alt, "k"])
    qtbot.waitUntil(lambda: w.menus.audio.listen.isChecked() == was, timeout=5000)
    press([Key.ctrl, "k"])  # not the combination
    qtbot.wait(300)
    assert w.menus.audio.listen.isChecked() == was


def test_hold_to_talk_listens_only_while_held(window_on_x, qtbot):
    from pynput.keyboard import Controller, Key

    w = window_on_x
    w.menus.audio.listen.setChecked(False)
    apply_hotkey(w, "ctrl+space", "hold")
    kb = Controller()
    with kb.pressed(Key.ctrl):
        kb.press(Key.space)
        qtbot.waitUntil(w.menus.audio.listen.isChecked, timeout=5000)
        kb.release(Key.space)
    qtbot.waitUntil(lambda: not w.menus.audio.listen.isChecked(), timeout=5000)
    assert w.listen_calls[-2:] == ["start", "stop"]


def test_a_bad_hotkey_or_wayland_is_a_message(make_window, monkeypatch):
    w = make_window()
    apply_hotkey(w, "hyper+k", "toggle")
    assert w.hotkey is None and "Hotkey hyper+k" in w.message_bar.text() and "it is off" in w.message_bar.text()
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    apply_hotkey(w, "ctrl+alt+k", "hold")
    assert w.hotkey is None and "Wayland" in w.message_bar.text()
