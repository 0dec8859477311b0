"""Peak memory of make-stream and stream-eval as the recording grows: it should not grow with it.

    python -m bench.bench_stream_memory [--data ../shared/speech_commands_sample] [--minutes 1 10 60]

Each command runs in its own process; its peak resident memory is read from the kernel (ru_maxrss of the child).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import describe

REPO = Path(__file__).resolve().parents[1]


def peak_mb(args: list[str]) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of ``python -m trainer ARGS`` in a fresh child (one child at a time)."""
    pid = os.fork()
    if pid == 0:
        os.chdir(REPO)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execv(sys.executable, [sys.executable, "-m", "trainer", *args])
    t0 = time.monotonic()
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"trainer {args[0]} failed ({os.waitstatus_to_exitcode(status)})")
    return usage.ru_maxrss / 1024, time.monotonic() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "speech_commands_sample"))
    ap.add_argument("--model", default=str(REPO / "assets" / "default_model"))
    ap.add_argument("--minutes", type=float, nargs="+", default=[1, 10, 60])
    args = ap.parse_args()
    print(f"machine: {describe()}")
    with tempfile.TemporaryDirectory() as tmp:
        for m in args.minutes:
            wav, truth = Path(tmp) / f"s{m:g}.wav", Path(tmp) / f"s{m:g}.csv"
            make, t_make = peak_mb(["make-stream", "--data", args.data, "--split-salt", "kwsapp", "--test-percent",
                                    "15", "--split", "test", "--minutes", str(m), "--out", str(wav), "--truth",
                                    str(truth), "--seed", "2"])
            ev, t_ev = peak_mb(["stream-eval", "--model", args.model, "--wav", str(wav), "--truth", str(truth)])
            print(f"{m:g} min: make-stream peak {make:.0f} MB ({t_make:.1f} s), stream-eval peak {ev:.0f} MB "
                  f"({t_ev:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
