"""Two or more models on the same streams, each with its own chosen decision settings (its
stream_sweep_validation.json, else the app's defaults): the figures of each, then every model against the first,
the paired difference with a 95 % interval from a bootstrap over the stream's speakers.

    python -m bench.bench_paired [--streams runs/streams] [--names test,test20,gtest,gtest20] MODEL_A MODEL_B ...
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.bench_anatomy import chosen_settings
from bench.machine import describe
from kwsapp.core.files import write_atomic
from trainer.recordings.replay import read_truth, stream_eval
from trainer.recordings.scoring import paired_difference


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+")
    ap.add_argument("--streams", default="runs/streams")
    ap.add_argument("--names", default="test,test20,gtest,gtest20")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    print(f"machine: {describe()}")
    out = {}
    for name in args.names.split(","):
        base = Path(args.streams) / name
        truth = read_truth(f"{base}.csv")
        results = []
        for m in args.models:
            r = stream_eval(m, f"{base}.wav", f"{base}.csv", decisions=chosen_settings(Path(m)))
            results.append(r)
            print(f"{name}: {Path(m).name}: correct {r['correct']:.1%}, wrong {r['wrong']:.1%}, "
                  f"{r['false_alarms_per_hour']:.0f} false alarms per hour", flush=True)
        first = [(d["time_s"], d["label"]) for d in results[0]["detections"]]
        out[name] = {"models": {Path(m).name: {k: r[k] for k in ("correct", "wrong", "missed", "false_alarms_per_hour")}
                                for m, r in zip(args.models, results)}}
        for m, r in zip(args.models[1:], results[1:]):
            d = paired_difference(first, [(x["time_s"], x["label"]) for x in r["detections"]], truth,
                                  results[0]["hours"] * 3600)
            print(f"{name}: {Path(m).name} - {Path(args.models[0]).name}: {d['text']}", flush=True)
            out[name][f"{Path(m).name} - {Path(args.models[0]).name}"] = {k: v for k, v in d.items() if k != "text"}
    if args.json:
        write_atomic(args.json, lambda p: Path(p).write_text(json.dumps(out, indent=1)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
