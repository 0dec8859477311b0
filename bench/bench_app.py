"""The running app, measured from outside: time until its window is painted, and CPU use while it listens.

    python -m bench.bench_app [--seconds 60] [--launches 3] [--platform offscreen|xcb] [--against DIR] [--rounds N]

``--against DIR``: another checkout of kwsapp (``git worktree add DIR COMMIT``), measured the same way in the same
run, in turns (this one, that one, ... ``--rounds`` times), so that the two figures and their ratio share the machine.

A private PulseAudio server is the microphone (tests/vmic.py); a recording of espeak-ng commands over
noise plays into it the whole time, so the app computes, paints and announces as it would at a desk.
CPU is the app process's user + system time over the window (from /proc), as a share of one core.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from kwsapp.core.audio import write_wav
from tests.vmic import VirtualMicrophone

REPO = Path(__file__).resolve().parents[1]

COMMANDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def launch(env, args, lines, app_dir=REPO):
    proc = subprocess.Popen([sys.executable, "-m", "kwsapp", *args], cwd=app_dir, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def read():
        for line in proc.stdout:
            lines.append((time.monotonic(), line.strip()))

    threading.Thread(target=read, daemon=True).start()
    return proc


def wait_line(lines, prefix, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for t, line in list(lines):
            if line.startswith(prefix):
                return t
        time.sleep(0.01)
    raise SystemExit(f"the app never printed {prefix!r}")


def listening_cpu(env, tmp: Path, app_dir: Path, seconds: float, vm, run: int, model: str | None = None) -> tuple[float, int]:
    """The app of ``app_dir`` listening to the desk recording (with ``model``, or its bundled one): (% of one core,
    commands announced)."""
    log = tmp / f"detections-{run}-{app_dir.name}-{Path(model).name if model else 'bundled'}.jsonl"
    lines = []
    proc = launch(env, ["--detections-log", str(log), "--quit-after", str(seconds + 60), "--new-instance"]
                  + (["--model", str(Path(model).resolve())] if model else []), lines, app_dir)
    wait_line(lines, "kwsapp: model ready", 30)
    wait_line(lines, "kwsapp: listening", 30)
    player = vm.play(tmp / "desk.wav")
    time.sleep(2.0)  # past start-up work
    c0, t0 = cpu_seconds(proc.pid), time.monotonic()
    time.sleep(seconds)
    c1, t1 = cpu_seconds(proc.pid), time.monotonic()
    proc.terminate()
    proc.wait(timeout=30)
    player.kill()
    n = len(log.read_text().splitlines()) if log.exists() else 0
    return 100 * (c1 - c0) / (t1 - t0), n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--launches", type=int, default=3)
    ap.add_argument("--platform", default="offscreen", help="Qt platform plugin (xcb needs a DISPLAY, e.g. xvfb-run)")
    ap.add_argument("--against", default=None, help="another kwsapp checkout to measure in turns with this one")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--models", nargs="*", default=[], metavar="DIR",
                    help="model folders to listen with, in turns (default: the app's bundled model)")
    args = ap.parse_args()
    from bench.machine import describe
    from trainer.data.synth import RATE_HZ, spoken_sequence

    print(f"machine: {describe()}")

    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        words = [COMMANDS[i % len(COMMANDS)] for i in range(int(args.seconds // 3) + 3)]
        wave = spoken_sequence(words, [1.0 + 3 * i for i in range(len(words))], 3 * len(words) + 2, tmp,
                               noise_rms=0.01)
        write_wav(tmp / "desk.wav", wave, RATE_HZ)
        with VirtualMicrophone(tmp / "pulse") as vm:
            env = {**vm.env(), "QT_QPA_PLATFORM": args.platform, "KWSAPP_SETTINGS": str(tmp / "settings.ini")}
            shown = []
            for _ in range(args.launches):
                lines = []
                t0 = time.monotonic()
                proc = launch(env, ["--quit-after", "30"], lines)
                shown.append(wait_line(lines, "kwsapp: window shown", 30) - t0)
                ready = wait_line(lines, "kwsapp: model ready", 30) - t0
                proc.terminate()
                proc.wait(timeout=30)
            print(f"window painted after launch: median {np.median(shown):.2f} s over {args.launches} launches "
                  f"(model ready after {ready:.2f} s in the last)")

            apps = [REPO] + ([Path(args.against).resolve()] if args.against else [])
            figures = {app: [] for app in apps}
            for r in range(args.rounds):
                for app in apps:
                    for model in args.models or [None]:
                        cpu, n = listening_cpu(env, tmp, app, args.seconds, vm, r, model)
                        figures[app].append(cpu)
                        print(f"CPU while listening: {cpu:.1f} % of one core over {args.seconds:.0f} s ({app.name}, "
                              f"model {Path(model).name if model else 'bundled'}; Qt platform {args.platform}; {n} "
                              "commands announced meanwhile)", flush=True)
            if args.against:
                mine, theirs = (float(np.median(figures[a])) for a in apps)
                print(f"median over {args.rounds} round(s): {apps[0].name} {mine:.1f} %, {apps[1].name} {theirs:.1f} % "
                      f"(ratio {mine / theirs:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
