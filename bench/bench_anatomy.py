"""The miss anatomy of one or more models on the five streams: for every command word not announced correctly, the
stage that lost it, and what each false alarm fired on (trainer.recordings.anatomy). Prints a table per model and writes one
plot with a bar per model and stream.

    python -m bench.bench_anatomy --streams runs/streams [--names cval,test,test20,gtest,gtest20] \\
        --out docs/anatomy.png [--json runs/anatomy.json] MODEL_DIR[:runtime] ...

Each model is scored with its own decision settings as the app would use them (the defaults, or
``--decisions-from MODEL_DIR/stream_sweep_validation.json`` when that file is there and ``--chosen`` is given)."""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path

from bench.machine import describe
from kwsapp.core.decisions import DecisionSettings
from kwsapp.core.files import write_atomic
from trainer.recordings.anatomy import anatomy_table, save_anatomy_plot
from trainer.recordings.replay import stream_eval


def chosen_settings(model_dir: Path) -> DecisionSettings:
    """The settings the model's own validation sweep chose, when it kept them; else the app's defaults."""
    f = model_dir / "stream_sweep_validation.json"
    if not f.is_file():
        return DecisionSettings()
    best = json.loads(f.read_text())
    best = best.get("best", best)
    return DecisionSettings(**{x.name: best[x.name] for x in fields(DecisionSettings) if x.name in best})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", help="MODEL_DIR, or MODEL_DIR:incremental")
    ap.add_argument("--streams", default="runs/streams")
    ap.add_argument("--names", default="cval,test,test20,gtest,gtest20")
    ap.add_argument("--out", required=True, help="the plot (PNG)")
    ap.add_argument("--json", default=None)
    ap.add_argument("--chosen", action="store_true", help="each model's own chosen settings (its stream_sweep_validation.json)")
    args = ap.parse_args(argv)
    print(f"machine: {describe()}")
    results, by_model = {}, {}
    for spec in args.models:
        model, _, runtime = spec.partition(":")
        settings = chosen_settings(Path(model)) if args.chosen else DecisionSettings()
        mine = {}
        for name in args.names.split(","):
            base = Path(args.streams) / name
            r = stream_eval(model, f"{base}.wav", f"{base}.csv", decisions=settings, runtime=runtime or "litert",
                            with_anatomy=True)
            mine[name] = r["anatomy"]
            results[f"{Path(model).name} {name}"] = r["anatomy"]
        by_model[spec] = mine
        print(f"\n{spec} ({settings})")
        print(anatomy_table(mine))
    save_anatomy_plot(results, args.out)
    print(f"wrote {args.out}")
    if args.json:
        slim = {m: {s: {k: v for k, v in a.items() if k != "lost"} for s, a in d.items()} for m, d in by_model.items()}
        write_atomic(args.json, lambda p: Path(p).write_text(json.dumps(slim, indent=1)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
