"""The live hop before and after the one-Listener restructuring, side by side in one run: the code of an earlier
commit (by default the last one before kwsapp/engine existed, when the app's worker called
``StreamingRecognizer.step`` on the newest second) and the code of this tree (``Listener.feed`` on each new hop of
audio), each in its own process, the rounds alternating so that both see the same machine.

    python -m bench.bench_hop_before_after [--before REV] [--model assets/default_model] [--rounds 4] [--seconds 20]

Both score the same model folder (the spectrogram kind, its model.tflite, no verifier) on the same generated noise at
the device rate; the time is the wall time of the call the app's worker makes every hop. Prints each side's median,
mean and 99th percentile over all rounds, the ratio of the means, and the machine. Needs git (a temporary worktree of
REV, removed after).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from bench.machine import describe

REPO = Path(__file__).resolve().parents[1]
BEFORE = "36c18d8^"  # the commit before "engine: litert ..." (the engine and the Listener came after it)

COMMON = """
import json, sys, time
import numpy as np
model, rate, seconds, hop_ms = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
wave = np.random.default_rng(0).normal(0, 0.01, int(rate * seconds)).astype(np.float32)
piece = int(round(rate * hop_ms / 1000))
out = []
"""
# before: the app's worker pulled the newest second from its ring buffer and called step() on it
OLD = COMMON + """
from kwsapp.runtime import LiteRtScorer, StreamingRecognizer
rec = StreamingRecognizer(LiteRtScorer(model))
rec.step(wave[:rate], rate, 0.0)  # imports scipy, as the app does at start
for end in range(rate + piece, len(wave) + 1, piece):
    t0 = time.perf_counter()
    rec.step(wave[end - rate:end], rate, end * 1000 / rate)
    out.append((time.perf_counter() - t0) * 1000)
print(json.dumps(out))
"""
# after: the worker hands the Listener the hop's new samples; the Listener keeps its own second
NEW = COMMON + """
from kwsapp.engine.kinds import open_source
from kwsapp.engine.listener import Listener
listener = Listener(open_source(model, rate, hop_ms), rate)
listener.feed(wave[:rate])
for a in range(rate, len(wave) - piece + 1, piece):
    t0 = time.perf_counter()
    listener.feed(wave[a:a + piece])
    out.append((time.perf_counter() - t0) * 1000)
print(json.dumps(out))
"""


def run(code: str, tree: Path, args) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, "-c", code, str(Path(args.model).resolve()), str(args.rate), str(args.seconds),
                        str(args.hop_ms)], cwd=tree, env=env, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise SystemExit(f"error: the {'before' if code is OLD else 'after'} side failed: "
                         f"{(r.stderr.strip().splitlines() or ['no output'])[-1]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default=BEFORE, help=f"the earlier commit (default {BEFORE})")
    ap.add_argument("--model", default=str(REPO / "assets" / "default_model"))
    ap.add_argument("--rate", type=int, default=16000)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--hop-ms", type=float, default=100.0)
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kwsapp-before-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(tree), args.before], check=True)
        try:
            rev = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True, check=True).stdout.strip()
            before, after = [], []
            for _ in range(args.rounds):
                before += run(OLD, tree, args)
                after += run(NEW, REPO, args)
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False)
    print(f"{describe()}; {args.model}, device rate {args.rate} Hz, hop {args.hop_ms:g} ms, {args.rounds} rounds of "
          f"{args.seconds:g} s each side, alternating")
    for name, ms in ((f"before ({rev}: StreamingRecognizer.step)", before), ("after (this tree: Listener.feed)", after)):
        ms = np.array(ms)
        print(f"{name}: median {np.median(ms):.3f} ms, mean {ms.mean():.3f} ms, p99 {np.percentile(ms, 99):.3f} ms "
              f"({len(ms)} hops)")
    print(f"after / before, mean: {np.mean(after) / np.mean(before):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
