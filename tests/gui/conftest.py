import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.vmic import VirtualMicrophone, VirtualMicrophoneError


@pytest.fixture
def settings_file(tmp_path, monkeypatch):
    path = tmp_path / "kwsapp.ini"
    monkeypatch.setenv("KWSAPP_SETTINGS", str(path))
    return path


@pytest.fixture
def make_window(qtbot, settings_file):
    """A MainWindow whose microphone is a device that does not exist, so the tests never depend on the
    machine's audio; the model loads for real in the worker thread."""
    from kwsapp.gui.main_window import MainWindow

    made = []

    def make(**kwargs):
        kwargs.setdefault("device", "no-such-device-kwsapp-test")
        w = MainWindow(**kwargs)
        qtbot.addWidget(w)
        w.show()
        made.append(w)
        return w

    yield make
    for w in made:
        w.shutdown()


@pytest.fixture
def virtual_mic(tmp_path):
    vm = VirtualMicrophone(Path("/tmp") / f"kwsapp-pulse-{os.getpid()}-{tmp_path.name[-12:]}")
    try:
        vm.start()
    except (VirtualMicrophoneError, OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"PulseAudio cannot start here: {exc}")
    yield vm
    vm.stop()


@pytest.fixture
def x_display():
    """A private Xvfb display, its number chosen by the server (-displayfd)."""
    if not shutil.which("Xvfb"):
        pytest.skip("Xvfb is not installed (bash scripts/setup.sh installs it)")
    r, w = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    with os.fdopen(r) as f:
        number = f.readline().strip()
    if not number:
        proc.kill()
        pytest.skip("Xvfb did not start")
    yield f":{number}"
    proc.terminate()
    proc.wait(timeout=10)
