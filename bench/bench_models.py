"""Compare model folders the way the README's table does: parameters, clip accuracy on held-out speakers,
streaming figures, compute per hop. Prints a Markdown table.

    python -m bench.bench_models --val runs/streams/val --test runs/streams/test [--test runs/streams/test20]
                                 MODEL_DIR [MODEL_DIR ...]

A MODEL_DIR ending in ``:incremental`` is a ``dscnn_stream`` folder scored by its step every 40 ms on features
computed as the audio arrives (``stream-eval --runtime incremental``), as its live path would.

``--val`` / ``--test`` name streams made by ``python -m trainer make-stream`` (STREAM.wav + STREAM.csv).
For each model: the decision settings the validation sweep chooses, then on every test stream the figures
with those settings and with the app's defaults. After the table, every model against the first on every
stream (its chosen settings): the paired difference with a 95 % interval from a bootstrap over the stream's
speakers (``trainer.recordings.scoring.paired_difference``). Clip accuracy is read from MODEL_DIR/<root>_test_metrics.json
(train writes them) when they are there.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np

from kwsapp.core.decisions import DEFAULT_HOP_MS, DecisionSettings

REPO = Path(__file__).resolve().parents[1]

def clip_text(path: Path) -> str:
    if not path.is_file():
        return "-"
    m = json.loads(path.read_text())
    weakest = m["weakest_command"]
    return f"{m['commands_right']:.1%} / {m['unknown_right']:.1%} / {weakest['label']} {weakest['accuracy']:.1%}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--val", required=True, help="validation stream (without .wav / .csv)")
    ap.add_argument("--test", required=True, action="append", help="test stream(s) (without .wav / .csv)")
    ap.add_argument("--hop-ms", type=float, default=DEFAULT_HOP_MS,
                    help=f"classify every N ms (default {DEFAULT_HOP_MS:g}, the app's)")
    ap.add_argument("--no-timing", action="store_true", help="leave out compute per hop (on a busy machine)")
    args = ap.parse_args()
    from bench.bench_hop import per_hop_ms
    from bench.bench_streaming import incremental_hops

    hop = args.hop_ms
    from trainer.recordings.replay import read_truth, stream_eval
    from trainer.recordings.scoring import TOLERANCE_TEXT, paired_difference
    from trainer.recordings.sweep import sweep

    def fmt(r):
        return (f"{r['correct']:.1%} / {r['wrong']:.1%} / {r['missed']:.1%} / {r['false_alarms_per_hour']:.0f}")

    print(f"streams: validation {args.val}; test {', '.join(args.test)}. Figures are correct / wrong / missed / "
          f"false alarms per hour; hop {hop:g} ms; {TOLERANCE_TEXT}.\n")
    header = ["model", "parameters", "test clips, sample ; gathered: commands / other words unknown / weakest", "per hop median / p99 (16 kHz)",
              "chosen on validation"]
    for t in args.test:
        header += [f"{Path(t).name}, chosen", f"{Path(t).name}, app defaults"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    chosen_runs = {}  # (model, stream) -> stream_eval result with the model's chosen settings
    for spec in args.models:
        m, _, runtime = spec.partition(":")
        runtime = runtime or "litert"
        info = json.loads((Path(m) / "training.json").read_text())
        acc = " ; ".join(clip_text(Path(m) / f"{root}_test_metrics.json") for root in ("speech_commands_sample", "gathered"))
        if args.no_timing:
            timing = "-"
        else:
            noise = np.random.default_rng(0).normal(0, 0.01, 16000 * 60).astype(np.float32)  # per_hop_ms's
            ms = (incremental_hops(m, noise, 16000, hop) if runtime == "incremental"
                  else per_hop_ms(m, hop_ms=hop))
            timing = f"{float(np.median(ms)):.2f} / {float(np.percentile(ms, 99)):.2f} ms"
        _, best = sweep(m, args.val + ".wav", args.val + ".csv", hop_ms=hop, runtime=runtime)
        chosen = DecisionSettings(**{f.name: best[f.name] for f in fields(DecisionSettings)})
        row = [f"{info.get('arch', 'reference')} w{info.get('width', 1)} ({Path(m).name}, {runtime})", f"{info['parameters']:,}",
               acc, timing,
               f"th {chosen.threshold:g}, avg {chosen.average_window_ms:g} ms, refr {chosen.refractory_ms:g} ms, "
               f"min {chosen.minimum_count}, peak {chosen.peak_threshold:g}: {fmt(best)}"]
        if len(args.models) > 1:
            chosen_runs[spec, args.val] = stream_eval(m, args.val + ".wav", args.val + ".csv", hop_ms=hop,
                                                      decisions=chosen, runtime=runtime)
        for t in args.test:
            chosen_runs[spec, t] = stream_eval(m, t + ".wav", t + ".csv", hop_ms=hop, decisions=chosen, runtime=runtime)
            row.append(fmt(chosen_runs[spec, t]))
            row.append(fmt(stream_eval(m, t + ".wav", t + ".csv", hop_ms=hop, decisions=DecisionSettings(),
                                       runtime=runtime)))
        print("| " + " | ".join(row) + " |", flush=True)
    print(f"\napp defaults: {asdict(DecisionSettings())}")
    first = args.models[0]
    found = {k: [(d["time_s"], d["label"]) for d in r["detections"]] for k, r in chosen_runs.items()}
    truth = {t: read_truth(t + ".csv") for t in [args.val, *args.test]} if len(args.models) > 1 else {}
    for m in args.models[1:]:
        print(f"\n{m} minus {first}, each with its chosen settings (95 % intervals, paired "
              f"bootstrap over the stream's speakers):")
        for t in truth:
            d = paired_difference(found[first, t], found[m, t], truth[t], chosen_runs[first, t]["hours"] * 3600)
            print(f"- {Path(t).name}: {d['text'] if d else 'no command words'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
