"""Averaged scores against the verifier's gate: a model folder with a verifier (the head of the speech-embedding kind
and the wide DS-CNN, as bundled) decides either as the app does (the head's scores through the decision rule, then
the verifier asked to agree) or on the mean of the two models' scores at every hop (both models run every hop; no
gate). Each way's decision settings are chosen on the validation stream by the same rule as stream-sweep (the most
correct within 3 % wrong and 6 false alarms an hour, trainer.recordings.sweep), never on the test streams; then both are scored on the test
streams, with the paired difference over the speakers.

    python -m bench.bench_average [--streams runs/streams] [--names cval,test,test20,gtest,gtest20] MODEL_DIR
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from bench.bench_anatomy import chosen_settings
from bench.machine import describe
from kwsapp.core.files import write_atomic
from trainer.recordings.replay import decide
from trainer.recordings.scoring import paired_difference, score_detections
from trainer.recordings.sweep import settings_of, streams_hops, sweep_hops


def averaged(labels, scores, verify) -> np.ndarray:
    """The mean of the model's and the verifier's scores, in the model's label order (a label the verifier lacks keeps
    the model's score)."""
    verifier, vs = verify
    out = np.array(scores, np.float32, copy=True)
    for i, lab in enumerate(labels):
        j = verifier.index.get(lab)
        if j is not None:
            out[:, i] = (out[:, i] + vs[:, j]) / 2
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--streams", default="runs/streams")
    ap.add_argument("--names", default="cval,test,test20,gtest,gtest20", help="the first is where settings are chosen")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    names = args.names.split(",")
    print(f"machine: {describe()}; {args.model}")
    hops = streams_hops(args.model, args.streams, names)
    if any(h[3] is None for h in hops.values()):
        print(f"error: {args.model}: no verifier to average with")
        return 2
    labels, times, scores, verify, step_ms, truth, seconds = hops[names[0]]
    gate_settings = chosen_settings(Path(args.model))
    _, avg_row = sweep_hops(labels, times, averaged(labels, scores, verify), None, step_ms, truth, seconds)
    avg_settings = settings_of(avg_row)
    print(f"gate: {gate_settings} (the folder's own sweep), verifier threshold {verify[0].threshold:g}")
    print(f"averaged: {avg_settings} (chosen on {names[0]})")
    out = {"machine": describe(), "model": args.model, "gate": asdict(gate_settings),
           "averaged": asdict(avg_settings), "streams": {}}
    print("\n| stream | gate: correct / wrong / false alarms an hour | averaged | averaged - gate, correct (paired) |")
    print("|---|---|---|---|")
    for name in names:
        labels, times, scores, verify, step_ms, truth, seconds = hops[name]
        a = decide(labels, times, scores, gate_settings, verify)
        b = decide(labels, times, averaged(labels, scores, verify), avg_settings, None)
        ra, rb = score_detections(a, truth, seconds), score_detections(b, truth, seconds)
        d = paired_difference(a, b, truth, seconds)
        c = d["correct"] if d else None
        print(f"| {name} | {ra.correct:.1%} / {ra.wrong:.1%} / {ra.false_alarms_per_hour:.0f} | {rb.correct:.1%} / "
              f"{rb.wrong:.1%} / {rb.false_alarms_per_hour:.0f} | "
              + (f"{c['difference']:+.1%} ({c['interval'][0]:+.1%} to {c['interval'][1]:+.1%}) |" if c else "- |"),
              flush=True)
        out["streams"][name] = {"gate": ra.to_dict(), "averaged": rb.to_dict(), "paired": d}
    if args.json:
        write_atomic(args.json, lambda p: Path(p).write_text(json.dumps(out, indent=1, default=float)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
