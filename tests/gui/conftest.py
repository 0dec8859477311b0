import os
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
