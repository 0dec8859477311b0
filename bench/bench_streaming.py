"""Per-hop compute of the live path, whole windows against a streaming model's steps, side by side in one run.

    python -m bench.bench_streaming [--window assets/default_model ...] [--stream runs/g_stream_s0 ...]
                                    [--rate 16000] [--seconds 20] [--rounds 3]

``--window`` models run as the app runs them (the Listener, kwsapp.engine.listener: every hop, the newest 1 s
at the device rate -> features -> model -> decision). ``--stream`` models (with ``stream_step.tflite``) run
incrementally too (the Listener with the incremental kind: every hop, only the new audio -> the feature frames that
became complete -> one step per 4 frames -> a decision per step), for comparison. Each
round runs every path over the same generated noise, in turn; the figures are over all rounds' hops.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from bench.machine import describe
from kwsapp.core.decisions import DEFAULT_HOP_MS

REPO = Path(__file__).resolve().parents[1]


def window_hops(model_dir, wave, rate_hz: int, hop_ms: float) -> list[float]:
    from bench.bench_hop import per_hop_ms

    return list(per_hop_ms(model_dir, rate_hz, len(wave) / rate_hz, hop_ms))


def incremental_hops(model_dir, wave, rate_hz: int, hop_ms: float) -> list[float]:
    from bench.bench_hop import per_hop_ms

    return list(per_hop_ms(model_dir, rate_hz, len(wave) / rate_hz, hop_ms, runtime="incremental"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--window", nargs="*", default=[str(REPO / "assets" / "default_model")],
                    help="model folders run on whole windows")
    ap.add_argument("--stream", nargs="*", default=[str(REPO / "runs" / "g_stream_s0")],
                    help="model folders with stream_step.tflite, run incrementally and on whole windows")
    ap.add_argument("--rate", type=int, default=16000, help="device rate in Hz")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--hop-ms", type=float, default=DEFAULT_HOP_MS)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    wave = np.random.default_rng(0).normal(0, 0.01, int(args.rate * args.seconds)).astype(np.float32)
    paths = [(f"{Path(m).name}, whole windows", window_hops, m) for m in args.window + args.stream]
    paths += [(f"{Path(m).name}, incremental", incremental_hops, m) for m in args.stream]
    hops: dict[str, list[float]] = {name: [] for name, _, _ in paths}
    for _ in range(args.rounds):
        for name, fn, model in paths:
            hops[name] += fn(model, wave, args.rate, args.hop_ms)
    print(f"{describe()}; device rate {args.rate} Hz, hop {args.hop_ms:g} ms, {args.rounds} rounds of "
          f"{args.seconds:g} s in turn")
    first = None
    for name, _, _ in paths:
        ms = np.array(hops[name])
        first = first or float(np.median(ms))
        print(f"{name:>40}: median {np.median(ms):.3f} ms, p99 {np.percentile(ms, 99):.3f} ms over {len(ms)} hops "
              f"({np.median(ms) / first:.2f} x the first)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
