"""kwsapp on the Linux desktop: its menu entry and icon (valid by desktop-file-validate), start at login, one
instance, and notifications through a real notification daemon (dunst) on a private session bus."""

import os
import shutil
import subprocess
import sys
import time

import pytest

from kwsapp import desktop
from tests.helpers import REPO


def test_the_menu_entry_and_icon_install_valid_and_go_away(tmp_path):
    r = subprocess.run([sys.executable, "-m", "kwsapp", "--install-desktop-entry"], capture_output=True, text=True,
                       timeout=60, env={**os.environ, "XDG_DATA_HOME": str(tmp_path / "share")})
    assert r.returncode == 0, r.stderr
    entry = tmp_path / "share" / "applications" / "kwsapp.desktop"
    icon = tmp_path / "share" / "icons" / "hicolor" / "scalable" / "apps" / "kwsapp.svg"
    assert entry.is_file() and icon.read_bytes() == (REPO / "assets" / "icons" / "kwsapp.svg").read_bytes()
    text = entry.read_text()
    assert "Icon=kwsapp" in text and "Exec=" in text
    if shutil.which("desktop-file-validate"):
        v = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
        assert v.returncode == 0 and not v.stdout.strip(), v.stdout + v.stderr
    else:
        pytest.skip("desktop-file-validate is not installed (Debian: desktop-file-utils)")
    r = subprocess.run([sys.executable, "-m", "kwsapp", "--uninstall-desktop-entry"], capture_output=True, text=True,
                       timeout=60, env={**os.environ, "XDG_DATA_HOME": str(tmp_path / "share")})
    assert r.returncode == 0 and not entry.exists() and not icon.exists()


def test_start_at_login_is_an_autostart_entry_that_goes_with_the_option(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert not desktop.autostart_enabled()  # off by default
    p = desktop.set_autostart(True)
    assert p == tmp_path / "config" / "autostart" / "kwsapp.desktop" and desktop.autostart_enabled()
    assert "--minimized" in p.read_text().split("Exec=")[1].splitlines()[0]
    if shutil.which("desktop-file-validate"):
        v = subprocess.run(["desktop-file-validate", str(p)], capture_output=True, text=True)
        assert v.returncode == 0 and not v.stdout.strip(), v.stdout
    desktop.set_autostart(False)
    assert not p.exists() and not desktop.autostart_enabled()


@pytest.fixture
def notification_daemon(tmp_path):
    """Xvfb, a private D-Bus session bus and dunst on it; yields the environment that reaches them."""
    for tool in ("Xvfb", "dbus-daemon", "dunst", "dunstctl"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed (Debian: xvfb, dbus, dunst)")
    procs = []
    display = f":{90 + os.getpid() % 50}"
    procs.append(subprocess.Popen(["Xvfb", display, "-screen", "0", "800x600x24", "-nolisten", "tcp"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"], stdout=subprocess.PIPE,
                           text=True)
    procs.append(bus)
    env = {**os.environ, "DISPLAY": display, "DBUS_SESSION_BUS_ADDRESS": bus.stdout.readline().strip()}
    time.sleep(0.5)
    procs.append(subprocess.Popen(["dunst"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    deadline = time.time() + 10
    while subprocess.run(["dunstctl", "is-paused"], env=env, capture_output=True).returncode != 0:
        assert time.time() < deadline, "dunst did not start"
        time.sleep(0.2)
    yield env
    for p in reversed(procs):
        p.terminate()
        p.wait(timeout=10)


def test_notify_reaches_the_desktops_notification_service_without_a_tray(notification_daemon, monkeypatch):
    import json

    for k, v in notification_daemon.items():
        monkeypatch.setenv(k, v)
    assert desktop.notify("heard: yes", "kwsapp") is None
    time.sleep(0.3)
    subprocess.run(["dunstctl", "close-all"], env=notification_daemon, check=True)
    time.sleep(0.3)
    hist = json.loads(subprocess.run(["dunstctl", "history"], env=notification_daemon, capture_output=True,
                                     text=True, check=True).stdout)
    shown = [n["summary"]["data"] for n in hist["data"][0]]
    assert shown == ["heard: yes"], hist
    # and the "notify" action goes the same way
    from kwsapp.core.actions import ActionRunner, Binding

    r = ActionRunner(notify=lambda label: desktop.notify(f"heard: {label}")).run(Binding("stop", "notify", enabled=True), "stop")
    assert r.ok, r.detail


def test_without_a_notification_service_notify_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    why = desktop.notify("heard: yes")
    assert why is not None and "\n" not in why


def test_a_second_start_brings_the_first_forward_instead_of_listening_twice(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KWSAPP_SETTINGS": str(tmp_path / "s.ini")}
    first = subprocess.Popen([sys.executable, "-m", "kwsapp", "--device", "no-such-device", "--quit-after", "60"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        lines = []
        deadline = time.time() + 60
        while "kwsapp: window shown" not in lines:
            assert time.time() < deadline and first.poll() is None
            lines.append(first.stdout.readline().strip())
        second = subprocess.run([sys.executable, "-m", "kwsapp", "--device", "no-such-device"], env=env,
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 0 and "already running" in second.stdout
        deadline = time.time() + 30
        while "kwsapp: brought forward by another start" not in lines:
            assert time.time() < deadline
            lines.append(first.stdout.readline().strip())
        third = subprocess.run([sys.executable, "-m", "kwsapp", "--device", "no-such-device", "--new-instance",
                                "--quit-after", "1"], env=env, capture_output=True, text=True, timeout=60)
        assert third.returncode == 0 and "already running" not in third.stdout and "window shown" in third.stdout
    finally:
        first.terminate()
        first.wait(timeout=30)
