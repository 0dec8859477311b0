"""Where the verifier looks: the pair (a model folder with a verifier, as bundled) asks its verifier about the newest
second at the hop that announces. A head whose window is longer (the speech-embedding head sees 1.5 s) can announce
a word that has already slid partly out of the verifier's second, or has not yet wholly arrived. This replays the
streams with the verifier's score for the label taken as the best of the windows ending at this hop and the K hops
before it ("back": no delay, the Listener keeps K hops more audio), or at this hop and the K after it ("ahead": the
announcement counted K hops late, its most); ``--retry``: at this hop, but a refused announcement undone in the
decision class (no refractory time starts, so the next hop that passes the rules asks again). Each way's decision
settings and verifier threshold are chosen on the validation stream by stream-sweep's rule (trainer.recordings.sweep,
on a smaller grid: refractory 1500 ms, minimum 2), then scored on the test streams with the paired difference over
speakers against K = 0.

    python -m bench.bench_verifier_look [--streams runs/streams] [--names cval,test,...] [--looks 0,1,2,3,5]
        [--retry] MODEL_DIR
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

import numpy as np

from bench.machine import describe
from kwsapp.core.files import write_atomic
from kwsapp.engine.listener import Gate
from trainer.recordings.replay import decide
from trainer.recordings.scoring import paired_difference, score_detections
from trainer.recordings.sweep import settings_of, streams_hops, sweep_hops


class RetryingGate(Gate):
    """The Listener's gate, but an announcement the verifier refuses is undone in the decision class (no refractory
    time starts), so the next hop that passes the rules asks the verifier again."""

    def decide(self, time_ms, scores, verifier_scores):
        before = self.commands._last_label, self.commands._last_time_ms
        d, announced, checked = super().decide(time_ms, scores, verifier_scores)
        if d.is_new_command and not announced:
            self.commands._last_label, self.commands._last_time_ms = before
        return d, announced, checked


def decide_retrying(labels, times_ms, scores, settings, verify) -> list[tuple[float, str]]:
    gate = RetryingGate(labels, settings, verify[0])
    out = []
    for i, (t, s) in enumerate(zip(times_ms, scores)):
        d, announced, _ = gate.decide(t, s, lambda i=i: verify[1][i])
        if announced:
            out.append((times_ms[i] / 1000.0, d.label))
    return out


def looked(vs: np.ndarray, k: int, ahead: bool) -> np.ndarray:
    """Every hop's verifier scores as the best of that hop's and the ``k`` before it (or after it)."""
    out = vs.copy()
    for j in range(1, k + 1):
        if ahead:
            out[:-j] = np.maximum(out[:-j], vs[j:])
        else:
            out[j:] = np.maximum(out[j:], vs[:-j])
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--streams", default="runs/streams")
    ap.add_argument("--names", default="cval,test,test20,gtest,gtest20", help="the first is where settings are chosen")
    ap.add_argument("--looks", default="0,1,2,3,5")
    ap.add_argument("--retry", action="store_true", help="also: a refused announcement undone (no refractory time)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    names = args.names.split(",")
    print(f"machine: {describe()}; {args.model}", flush=True)
    hops = streams_hops(args.model, args.streams, names)
    if any(h[3] is None for h in hops.values()):
        print(f"error: {args.model}: no verifier")
        return 2
    ways = [(0, False)] + [(k, ahead) for k in map(int, args.looks.split(",")) if k for ahead in (False, True)]
    out = {"machine": describe(), "model": args.model, "ways": {}}
    base_dets = {}
    print("\n| verifier looks at | chosen on " + names[0] + " | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for k, ahead in ways:
        way = "this hop" if k == 0 else f"{k} hops {'ahead' if ahead else 'back'}"
        labels, times, scores, verify, step_ms, truth, seconds = hops[names[0]]
        v = (verify[0], looked(verify[1], k, ahead))
        _, best = sweep_hops(labels, times, scores, v, step_ms, truth, seconds, refractories_ms=(1500.0,),
                             minimum_counts=(2,), peak_thresholds=(0.0, 0.8))
        settings = settings_of(best)
        verifier = copy.copy(verify[0])
        verifier.threshold = best["verifier_threshold"]
        cells, res = [], {}
        for name in names:
            labels, times, scores, verify, step_ms, truth, seconds = hops[name]
            dets = decide(labels, times, scores, settings, (verifier, looked(verify[1], k, ahead)))
            if ahead:
                dets = [(t + k * step_ms / 1000.0, lab) for t, lab in dets]
            r = score_detections(dets, truth, seconds)
            cell = f"{r.correct:.1%} / {r.wrong:.1%} / {r.false_alarms_per_hour:.0f}"
            if k == 0:
                base_dets[name] = dets
                d = None
            else:
                d = paired_difference(base_dets[name], dets, truth, seconds)
                if d:
                    c = d["correct"]
                    cell += f" ({c['difference']:+.1%}, {c['interval'][0]:+.1%} to {c['interval'][1]:+.1%})"
            cells.append(cell)
            res[name] = {"result": r.to_dict(), "paired": d}
        print(f"| {way} | th {settings.threshold:g}, avg {settings.average_window_ms:g} ms, peak "
              f"{settings.peak_threshold:g}, verifier {best['verifier_threshold']:g} | " + " | ".join(cells) + " |",
              flush=True)
        out["ways"][way] = {"settings": best, "streams": res}
    if args.retry:  # a refusal undone: chosen on the same grid, the verifier at the folder's threshold
        labels, times, scores, verify, step_ms, truth, seconds = hops[names[0]]
        _, best = sweep_hops(labels, times, scores, verify, step_ms, truth, seconds, refractories_ms=(1500.0,),
                             minimum_counts=(2,), peak_thresholds=(0.0, 0.8), verifier_thresholds=(),
                             decide=decide_retrying)
        settings = settings_of(best)
        cells, res = [], {}
        for name in names:
            labels, times, scores, verify, step_ms, truth, seconds = hops[name]
            dets = decide_retrying(labels, times, scores, settings, verify)
            r = score_detections(dets, truth, seconds)
            d = paired_difference(base_dets[name], dets, truth, seconds)
            c = d["correct"]
            cells.append(f"{r.correct:.1%} / {r.wrong:.1%} / {r.false_alarms_per_hour:.0f} ({c['difference']:+.1%}, "
                         f"{c['interval'][0]:+.1%} to {c['interval'][1]:+.1%})")
            res[name] = {"result": r.to_dict(), "paired": d}
        print(f"| this hop, a refusal undone | th {settings.threshold:g}, avg {settings.average_window_ms:g} ms, peak "
              f"{settings.peak_threshold:g}, verifier {verify[0].threshold:g} | " + " | ".join(cells) + " |", flush=True)
        out["ways"]["retry"] = {"settings": best, "streams": res}
    if args.json:
        write_atomic(args.json, lambda p: Path(p).write_text(json.dumps(out, indent=1, default=float)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
