"""kwsapp on Wayland: the app runs natively under a headless Weston (QT_QPA_PLATFORM=wayland) and draws its window;
what cannot work there says so (the hotkey), and the keys and type actions go through wtype, whose own word is
reported when the compositor offers no virtual keyboard (Weston does not). Skipped where Weston is not installed."""

import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.helpers import REPO


@pytest.fixture
def weston(tmp_path):
    if not shutil.which("weston"):
        pytest.skip("weston is not installed (Debian: weston)")
    runtime = tmp_path / "xdg-runtime"
    runtime.mkdir(mode=0o700)
    socket = "wayland-kwsapp-test"
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    proc = subprocess.Popen(["weston", "--backend=headless-backend.so", f"--socket={socket}", "--width=1200",
                             "--height=760", "--idle-time=0"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    while not (runtime / socket).exists():
        if proc.poll() is not None or time.time() > deadline:
            pytest.skip("headless Weston did not start here")
        time.sleep(0.1)
    env.pop("DISPLAY", None)
    yield {**env, "WAYLAND_DISPLAY": socket, "XDG_SESSION_TYPE": "wayland"}
    proc.terminate()
    proc.wait(timeout=20)


def test_the_app_runs_natively_on_wayland_and_draws_its_window(weston, tmp_path):
    shot = tmp_path / "wayland.png"
    env = {**weston, "QT_QPA_PLATFORM": "wayland", "KWSAPP_SETTINGS": str(tmp_path / "s.ini")}
    (tmp_path / "s.ini").write_text("[hotkey]\nkeys=ctrl+alt+k\nmode=toggle\n")
    r = subprocess.run([sys.executable, "-m", "kwsapp", "--device", "no-such-device", "--quit-after", "6",
                        "--screenshot", str(shot), "--new-instance"], env=env, capture_output=True, text=True,
                       timeout=120, cwd=REPO)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "kwsapp: window shown" in r.stdout and "model ready" in r.stdout
    from PySide6.QtGui import QImage

    img = QImage(str(shot))
    assert img.width() >= 800 and img.height() >= 500
    pixels = np.array([img.pixelColor(x, y).lightness() for x in range(0, img.width(), 40)
                       for y in range(0, img.height(), 40)])
    assert pixels.std() > 20  # a drawn window (the spectrogram, the panels), not a blank surface


def test_type_actions_on_wayland_go_through_wtype_and_report_its_word(weston, monkeypatch):
    if not shutil.which("wtype"):
        pytest.skip("wtype is not installed (Debian: wtype)")
    from kwsapp.core.actions import ActionRunner, Binding, keyboard_unavailable

    for k, v in weston.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("DISPLAY", raising=False)
    assert keyboard_unavailable() is None  # wtype is the way on Wayland
    r = ActionRunner().run(Binding("go", "type", text="hello", enabled=True), "go")
    # Weston has no virtual-keyboard protocol: wtype says so, and that is the result's one line
    assert not r.ok and r.detail.startswith("wtype: ") and "\n" not in r.detail, r.detail
    r = ActionRunner().run(Binding("up", "keys", keys="ctrl+Up", enabled=True), "up")
    assert not r.ok and r.detail.startswith("wtype: ")


def test_the_hotkey_says_on_wayland_that_it_cannot_work_and_what_does(make_window, monkeypatch):
    from kwsapp.gui.hotkey import attach_hotkey

    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    w = make_window()
    assert attach_hotkey(w, "ctrl+alt+k", "toggle") is None
    text = w.message_bar.text()
    assert "Wayland" in text and "kwsapp --toggle-listening" in text


def test_toggle_listening_reaches_the_running_app(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KWSAPP_SETTINGS": str(tmp_path / "s.ini")}
    alone = subprocess.run([sys.executable, "-m", "kwsapp", "--toggle-listening"], env=env, capture_output=True,
                           text=True, timeout=60)
    assert alone.returncode == 2 and "not running" in alone.stderr
    app = subprocess.Popen([sys.executable, "-m", "kwsapp", "--device", "no-such-device", "--quit-after", "30"],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        deadline = time.time() + 60
        while "window shown" not in app.stdout.readline():
            assert time.time() < deadline and app.poll() is None
        r = subprocess.run([sys.executable, "-m", "kwsapp", "--toggle-listening"], env=env, capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0 and "toggled" in r.stdout
        deadline = time.time() + 30
        while "kwsapp: listening off (asked by another start)" not in app.stdout.readline():
            assert time.time() < deadline and app.poll() is None  # it was listening (its default): now off
    finally:
        app.terminate()
        app.wait(timeout=30)
