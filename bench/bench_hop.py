"""Per-hop compute of the live path: the Listener (kwsapp.engine.listener) fed one hop of audio at a time, as the
app's worker feeds it: resampling, features or front-end, model, decision.

    python -m bench.bench_hop [--model assets/default_model] [--rate 16000] [--seconds 60] [--hop-ms 100]
                              [--runtime litert|incremental]

Prints the median, mean and 99th percentile over every hop of a generated noise recording, and the machine.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from bench.machine import describe
from kwsapp.core.decisions import DEFAULT_HOP_MS

REPO = Path(__file__).resolve().parents[1]


def per_hop_ms(model_dir, rate_hz: int = 16000, seconds: float = 60.0, hop_ms: float = DEFAULT_HOP_MS,
               runtime: str = "litert") -> np.ndarray:
    """Wall time of each hop's feed() over a generated noise recording, in ms (whatever results the kind gave)."""
    from kwsapp.engine.listener import open_listener

    listener = open_listener(model_dir, rate_hz, hop_ms=hop_ms, runtime=runtime)
    wave = np.random.default_rng(0).normal(0, 0.01, int(rate_hz * seconds)).astype(np.float32)
    piece = int(round(rate_hz * hop_ms / 1000))
    listener.feed(wave[:rate_hz])  # the first call imports scipy (~0.5 s); the app does that at start
    out = []
    for a in range(rate_hz, len(wave) - piece + 1, piece):
        t0 = time.perf_counter()
        listener.feed(wave[a:a + piece])
        out.append((time.perf_counter() - t0) * 1000)
    return np.array(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(REPO / "assets" / "default_model"))
    ap.add_argument("--rate", type=int, default=16000, help="device rate in Hz (16000, 44100, 48000 ...)")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--hop-ms", type=float, default=DEFAULT_HOP_MS)
    ap.add_argument("--runtime", choices=("litert", "incremental"), default="litert")
    args = ap.parse_args()
    ms = per_hop_ms(args.model, args.rate, args.seconds, args.hop_ms, args.runtime)
    print(f"{describe()}; {args.model}, runtime {args.runtime}, device rate {args.rate} Hz, hop {args.hop_ms:g} ms, "
          f"{len(ms)} hops")
    print(f"compute per hop: median {np.median(ms):.2f} ms, mean {np.mean(ms):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
