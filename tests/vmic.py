"""A virtual microphone for tests and benchmarks: a private PulseAudio server with a null sink whose
monitor is the default source, so whatever is played into the sink is what PortAudio records.

Works as root, without D-Bus or a sound card (recipe measured in ../shared/notes/testing-like-a-user.md).

    with VirtualMicrophone(tmp_dir) as vm:
        env = vm.env()                 # PULSE_SERVER etc. for the app's process
        vm.play("words.wav")           # returns the paplay Popen at once
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

SINK = "vmic"
SOURCE = "vmic_mic"


class VirtualMicrophoneError(Exception):
    pass


class VirtualMicrophone:
    def __init__(self, run_dir, rate_hz: int = 16000):
        self.run_dir = Path(run_dir)
        self.rate_hz = int(rate_hz)
        self.started = False

    def env(self) -> dict:
        return {**os.environ, "PULSE_RUNTIME_PATH": str(self.run_dir), "PULSE_SERVER": f"unix:{self.run_dir}/native"}

    def _run(self, *args, timeout=10) -> subprocess.CompletedProcess:
        return subprocess.run(list(args), env=self.env(), capture_output=True, text=True, timeout=timeout)

    def start(self) -> "VirtualMicrophone":
        for tool in ("pulseaudio", "pactl", "paplay"):
            if shutil.which(tool) is None:
                raise VirtualMicrophoneError(f"{tool} is not installed (apt install pulseaudio pulseaudio-utils)")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.run_dir, 0o700)
        r = self._run("pulseaudio", "--daemonize=yes", "-n", "--exit-idle-time=-1", "--realtime=no",
                      "--high-priority=no", "--use-pid-file=yes", f"--log-target=file:{self.run_dir}/pulse.log",
                      f"--load=module-native-protocol-unix auth-anonymous=1 socket={self.run_dir}/native", timeout=30)
        if r.returncode != 0:
            raise VirtualMicrophoneError(f"pulseaudio did not start: {(r.stderr or r.stdout).strip()[:300]}")
        self.started = True
        deadline = time.monotonic() + 10
        while self._run("pactl", "info").returncode != 0:
            if time.monotonic() > deadline:
                self.stop()
                raise VirtualMicrophoneError("pulseaudio started but does not answer pactl info")
            time.sleep(0.1)
        for cmd in (("load-module", "module-null-sink", f"sink_name={SINK}", f"rate={self.rate_hz}", "channels=1"),
                    ("load-module", "module-virtual-source", f"source_name={SOURCE}", f"master={SINK}.monitor"),
                    ("set-default-sink", SINK), ("set-default-source", SOURCE)):
            r = self._run("pactl", *cmd)
            if r.returncode != 0:
                self.stop()
                raise VirtualMicrophoneError(f"pactl {' '.join(cmd)} failed: {r.stderr.strip()[:300]}")
        return self

    def play(self, wav) -> subprocess.Popen:
        """Start playing a wav into the virtual microphone; returns at once (never block an event loop)."""
        return subprocess.Popen(["paplay", f"--device={SINK}", str(wav)], env=self.env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stop(self) -> None:
        pid_file = self.run_dir / "pid"
        if pid_file.is_file():
            try:
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)
            except (ValueError, ProcessLookupError, PermissionError):
                pass
        self.started = False

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
