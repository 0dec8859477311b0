"""The app listening for a long time, as a person leaves it running: does it stay up, and stay the same size?

    python -m bench.soak_app [--minutes 10] [--json FILE]

A private PulseAudio server is the microphone (tests/vmic.py); a minute of espeak-ng commands and other words over
noise plays into it again and again. The app (its own process, its real window offscreen, the bundled model) runs
with a small probe that prints, every few seconds, its resident memory and the reference counts of True and None
(PySide6 6.12.0 on CPython 3.11 dropped one of each on every signal emit and void Qt call, and the app aborted
after about 130 s). It fails (exit 1, the reasons printed) on a crash or any exit but a clean one, a traceback or
fatal error on standard error, memory that grows by more than 20 MB from the first minute to the last, a count of
True or None that falls by more than 300, or too few commands announced.
"""

from __future__ import annotations

import argparse
import json
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
OTHER_WORDS = ["bed", "cat", "house", "marvin"]
LOOP_SECONDS = 60.0
WORD_EVERY_S = 3.0
SAMPLE_EVERY_S = 5.0
MAX_GROWTH_MB = 20.0
MAX_REFCOUNT_FALL = 300

# Runs in the app's process: sample memory and reference counts from the GUI thread's event loop, then hand over
# to the app's own main().
PROBE = r"""
import gc, json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

app = QApplication(sys.argv[:1])
t0 = __import__("time").monotonic()

def sample():
    gc.collect()
    rss_kb = int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS:")).split()[1])
    print("soak: " + json.dumps({"t_s": round(__import__("time").monotonic() - t0, 1), "rss_mb": rss_kb / 1024,
                                 "true": sys.getrefcount(True), "none": sys.getrefcount(None)}), flush=True)

timer = QTimer()
timer.timeout.connect(sample)
timer.start(int(1000 * EVERY_S))
from kwsapp.app import main
raise SystemExit(main(sys.argv[1:]))
"""


def desk_recording(workdir: Path) -> tuple[np.ndarray, int, int]:
    """A minute at a desk: a word every 3 s over noise, most of them commands; (wave, rate, commands in it)."""
    from trainer.data.synth import RATE_HZ, spoken_sequence

    n = int(LOOP_SECONDS // WORD_EVERY_S)
    words = [OTHER_WORDS[i // 5 % len(OTHER_WORDS)] if i % 5 == 4 else COMMANDS[i % len(COMMANDS)] for i in range(n)]
    wave = spoken_sequence(words, [1.0 + WORD_EVERY_S * i for i in range(n)], LOOP_SECONDS, workdir, noise_rms=0.01)
    return wave, RATE_HZ, sum(w in COMMANDS for w in words)


def soak(minutes: float, workdir: Path, log=print) -> dict:
    """Run the app for ``minutes`` on the looping recording; the figures and a list of failures."""
    wave, rate, commands_per_loop = desk_recording(workdir)
    write_wav(workdir / "desk.wav", wave, rate)
    detections = workdir / "detections.jsonl"
    seconds = 60.0 * minutes
    # a short path of its own: PulseAudio's socket path must fit in 108 bytes
    with tempfile.TemporaryDirectory(prefix="kwsapp-pulse-", dir="/tmp") as pulse_dir, \
            VirtualMicrophone(Path(pulse_dir) / "run") as vm:
        env = {**vm.env(), "QT_QPA_PLATFORM": "offscreen", "KWSAPP_SETTINGS": str(workdir / "settings.ini")}
        probe = PROBE.replace("EVERY_S", repr(SAMPLE_EVERY_S))
        proc = subprocess.Popen([sys.executable, "-c", probe, "--detections-log", str(detections),
                                 "--quit-after", str(seconds + 30)], cwd=REPO, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = [], []
        readers = [threading.Thread(target=lambda s=s, sink=sink: sink.extend(s), daemon=True)
                   for s, sink in ((proc.stdout, out), (proc.stderr, err))]
        for r in readers:
            r.start()
        deadline = time.monotonic() + 90
        while not any(line.startswith("kwsapp: listening") for line in out):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                return {"failures": [f"the app never started listening (rc {proc.poll()}): {''.join(err)[-500:]}"]}
            time.sleep(0.1)
        started = time.monotonic()
        loops = 0
        player = None
        while time.monotonic() - started < seconds and proc.poll() is None:
            if player is None or player.poll() is not None:
                player = vm.play(workdir / "desk.wav")
                loops += 1
            time.sleep(0.2)
        if player is not None:
            player.kill()
        rc = proc.wait(timeout=60)  # --quit-after ends it 30 s later: a clean exit is part of the check
        for r in readers:
            r.join(timeout=5)
    samples = [json.loads(line.split(": ", 1)[1]) for line in out if line.startswith("soak: ")]
    announced = [json.loads(line) for line in detections.read_text().splitlines()] if detections.exists() else []
    listened = [s for s in samples if s["t_s"] >= samples[0]["t_s"] + 30] if samples else []
    first = [s for s in listened if s["t_s"] < listened[0]["t_s"] + 60] if listened else []
    last = [s for s in listened if s["t_s"] > listened[-1]["t_s"] - 60] if listened else []
    result = {
        "minutes": minutes, "exit_code": rc, "loops_played": loops, "samples": len(samples),
        "commands_played": loops * commands_per_loop, "announced": len(announced),
        "rss_first_minute_mb": round(float(np.mean([s["rss_mb"] for s in first])), 1) if first else None,
        "rss_last_minute_mb": round(float(np.mean([s["rss_mb"] for s in last])), 1) if last else None,
        "true_first_last_min": [samples[0]["true"], samples[-1]["true"], min(s["true"] for s in samples)] if samples else None,
        "none_first_last_min": [samples[0]["none"], samples[-1]["none"], min(s["none"] for s in samples)] if samples else None,
    }
    failures = []
    if rc != 0:
        failures.append(f"the app exited with {rc}" + (" (killed by a signal)" if rc < 0 else ""))
    bad = [line.strip() for line in err if any(k in line for k in ("Traceback", "Fatal", "error", "Error"))]
    if bad:
        failures.append(f"standard error: {bad[:3]}")
    if not first or not last or last[-1]["t_s"] < 60 * minutes * 0.9:
        failures.append(f"too few samples ({len(samples)}): the probe stopped early")
    else:
        growth = result["rss_last_minute_mb"] - result["rss_first_minute_mb"]
        result["rss_growth_mb"] = round(growth, 1)
        if growth > MAX_GROWTH_MB:
            failures.append(f"memory grew by {growth:.1f} MB (limit {MAX_GROWTH_MB:g})")
        for name in ("true", "none"):
            fall = samples[0][name] - min(s[name] for s in samples)
            if fall > MAX_REFCOUNT_FALL:
                failures.append(f"the reference count of {name.title()} fell by {fall} (limit {MAX_REFCOUNT_FALL})")
    # a third of the commands: this checks that the app kept listening and deciding, not how well it hears
    if len(announced) < result["commands_played"] // 3:
        failures.append(f"only {len(announced)} commands announced of {result['commands_played']} played")
    result["failures"] = failures
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()
    from bench.machine import describe

    print(f"machine: {describe()}; PySide6 {__import__('PySide6').__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        r = soak(args.minutes, Path(tmp))
    for k, v in r.items():
        if k != "failures":
            print(f"{k}: {v}")
    for f in r["failures"]:
        print(f"FAILED: {f}")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=1))
    print("soak: " + ("passed" if not r["failures"] else "failed"))
    return 1 if r["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
