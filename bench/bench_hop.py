"""Per-hop compute of the live path: 1 s at the device rate -> features -> model -> decision.

    python bench/bench_hop.py [--model assets/default_model] [--rate 16000] [--seconds 60] [--hop-ms 250]
                              [--runtime litert|keras]

Prints the median and 99th percentile over every hop of a generated noise recording.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from kwsapp.core.decisions import DEFAULT_HOP_MS  # noqa: E402


def per_hop_ms(scorer, rate_hz: int = 16000, seconds: float = 60.0, hop_ms: float = DEFAULT_HOP_MS) -> np.ndarray:
    """Compute time of every hop of the live path over a generated noise recording, in ms."""
    from kwsapp.runtime import StreamingRecognizer

    rec = StreamingRecognizer(scorer)
    wave = np.random.default_rng(0).normal(0, 0.01, int(rate_hz * seconds)).astype(np.float32)
    rec.step(wave[:rate_hz], rate_hz, 0.0)  # the first call imports scipy (~0.5 s); the app does that at start
    rec.commands.reset()
    return np.array([h.compute_ms for h in rec.run_wave(wave, rate_hz, hop_ms)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(REPO / "assets" / "default_model"))
    ap.add_argument("--rate", type=int, default=16000, help="device rate in Hz (16000, 44100, 48000 ...)")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--hop-ms", type=float, default=DEFAULT_HOP_MS)
    ap.add_argument("--runtime", choices=("litert", "keras"), default="litert",
                    help="litert: model.tflite (what the app runs); keras: model.keras as a fixed-shape tf.function")
    args = ap.parse_args()
    from kwsapp.runtime import LiteRtScorer
    from trainer.keras_model import KerasScorer

    scorer = LiteRtScorer(args.model) if args.runtime == "litert" else KerasScorer(args.model)
    ms = per_hop_ms(scorer, args.rate, args.seconds, args.hop_ms)
    print(f"runtime {args.runtime}, device rate {args.rate} Hz, hop {args.hop_ms:g} ms, {len(ms)} hops")
    print(f"compute per hop: median {np.median(ms):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
