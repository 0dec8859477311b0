"""What a second, larger verifier model gives on the streams (as openWakeWord's verifier models): the small model
decides as the app does; each announcement it makes is kept only if the verifier's score for that label reaches
a threshold on the same window or on one of the next LOOKAHEAD hops (the announcement then comes that much later).
The verifier runs only on those few windows, so its cost is counted at the rate it runs.

    python -m bench.bench_verifier --small assets/default_model --verifier runs/g_w2_s0 \\
        --val runs/streams/cval --test runs/streams/test --test runs/streams/gtest [--test ...]

Everything is chosen on the validation stream by the rule `stream-sweep` uses (the most correct with at most 3 %
wrong and 6 false alarms an hour): the small model alone, the verifier alone as the spotter, and the pair (the small
model's decision settings, the verifier's threshold and look-ahead together). Then each is scored on every test
stream with what it chose, with speaker intervals and the pair's paired difference against the small model alone.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

from kwsapp.core.decisions import DEFAULT_HOP_MS, DecisionSettings, threshold_grid

REPO = Path(__file__).resolve().parents[1]

THRESHOLDS = threshold_grid(0.05, 0.40)
WINDOWS_MS = (500.0, 750.0, 1000.0)
MIN_COUNTS = (1, 2)
REFRACTORY_MS = 1500.0
VERIFIER_THRESHOLDS = threshold_grid(0.05)
LOOKAHEADS = (0, 2, 4)
MAX_WRONG, MAX_FA_PER_HOUR = 0.03, 6.0


def verified(found, labels, times_ms, vscores, threshold: float | None, lookahead: int):
    """The announcements the verifier keeps, as (time_s, label) at the hop the verifier decides on; and how many
    windows it scored."""
    if threshold is None:
        return [(times_ms[i] / 1000, lab) for i, lab in found], 0
    out, n = [], len(times_ms)
    for i, lab in found:
        j = labels.index(lab)
        last = min(i + lookahead, n - 1)
        if vscores[i:last + 1, j].max() >= threshold:
            out.append((times_ms[last] / 1000, lab))
    return out, len(found) * (lookahead + 1)


def best_of(rows):
    ok = [r for r in rows if r["wrong"] <= MAX_WRONG and r["false_alarms_per_hour"] <= MAX_FA_PER_HOUR]
    if ok:
        return max(ok, key=lambda r: (r["correct"], -r["false_alarms_per_hour"], -r["wrong"], r["settings"].minimum_count))
    return min(rows, key=lambda r: r["n_false_alarms"] + r["n_wrong"] - r["n_correct"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", required=True, help="the live model folder")
    ap.add_argument("--verifier", required=True, help="the larger model folder")
    ap.add_argument("--val", required=True, help="validation stream (without .wav / .csv)")
    ap.add_argument("--test", required=True, action="append", help="test stream(s) (without .wav / .csv)")
    ap.add_argument("--hop-ms", type=float, default=DEFAULT_HOP_MS)
    args = ap.parse_args()
    from bench.bench_hop import per_hop_ms
    from bench.machine import describe
    from kwsapp.core.audio import WavFile
    from kwsapp.engine.window import load_scorer
    from trainer.recordings.replay import announcements, model_scores, read_truth
    from trainer.recordings.scoring import paired_difference, score_detections, speaker_intervals

    small, verifier = load_scorer(args.small), load_scorer(args.verifier)
    assert small.labels == verifier.labels, "the two models must have the same labels"
    labels = list(small.labels)
    streams = {}
    for name in [args.val, *args.test]:
        rec = WavFile(name + ".wav")
        t0 = time.perf_counter()
        times, s = model_scores(small.folder.path, rec, rec.sample_rate_hz, args.hop_ms)
        _, v = model_scores(verifier.folder.path, rec, rec.sample_rate_hz, args.hop_ms)
        streams[name] = dict(times=times, small=s, verifier=v, truth=read_truth(name + ".csv"), seconds=rec.seconds)
        print(f"scored {name}: {len(times)} hops, both models, {time.perf_counter() - t0:.0f} s", file=sys.stderr)

    def run(name, scores_key, settings, vth=None, lookahead=0, vkey="verifier"):
        st = streams[name]
        found = announcements(labels, st["times"], st[scores_key], settings)
        dets, calls = verified(found, labels, st["times"], st[vkey], vth, lookahead)
        r = score_detections(dets, st["truth"], st["seconds"]).to_dict()
        r.update(settings=settings, vth=vth, lookahead=lookahead, detections=dets,
                 calls_per_hour=calls / (st["seconds"] / 3600))
        return r

    grid = [DecisionSettings(average_window_ms=w, threshold=th, refractory_ms=REFRACTORY_MS, minimum_count=c)
            for th, w, c in itertools.product(THRESHOLDS, WINDOWS_MS, MIN_COUNTS)]
    # the validation stream: each candidate's own choice
    val = args.val
    cache = {s: announcements(labels, streams[val]["times"], streams[val]["small"], s) for s in grid}
    rows_small, rows_pair = [], []
    st = streams[val]
    for s in grid:
        for vth, look in [(None, 0), *itertools.product(VERIFIER_THRESHOLDS, LOOKAHEADS)]:
            dets, calls = verified(cache[s], labels, st["times"], st["verifier"], vth, look)
            r = score_detections(dets, st["truth"], st["seconds"]).to_dict()
            r.update(settings=s, vth=vth, lookahead=look, calls_per_hour=calls / (st["seconds"] / 3600))
            (rows_small if vth is None else rows_pair).append(r)
    rows_verifier_alone = [run(val, "verifier", s) for s in grid]
    choice = {"small alone": best_of(rows_small), "verifier alone": best_of(rows_verifier_alone),
              "small + verifier": best_of(rows_pair)}
    score_key = {"small alone": "small", "verifier alone": "verifier", "small + verifier": "small"}

    ms_small = float(np.median(per_hop_ms(small.folder.path, seconds=20)))
    ms_verifier = float(np.median(per_hop_ms(verifier.folder.path, seconds=20)))
    hops_per_hour = 3600_000 / args.hop_ms

    def fmt(r):
        return f"{r['correct']:.1%} / {r['wrong']:.1%} / {r['missed']:.1%} / {r['false_alarms_per_hour']:.0f}"

    def describe_choice(r):
        s = r["settings"]
        text = f"th {s.threshold:g}, avg {s.average_window_ms:g} ms, min {s.minimum_count}"
        return text + (f"; verifier th {r['vth']:g}, look-ahead {r['lookahead']} hops" if r["vth"] is not None else "")

    print(f"machine: {describe()}")
    print(f"small {args.small} ({ms_small:.2f} ms a hop), verifier {args.verifier} ({ms_verifier:.2f} ms a hop), "
          f"hop {args.hop_ms:g} ms; figures: correct / wrong / missed / false alarms per hour\n")
    print("| spotter | chosen on validation | cost per hop (median, 16 kHz) | " + " | ".join(Path(t).name for t in [val, *args.test]) + " |")
    print("|" + "---|" * (3 + 1 + len(args.test)))
    results = {}
    for what, r in choice.items():
        cells = []
        calls = []
        for name in [val, *args.test]:
            rr = run(name, score_key[what], r["settings"], r["vth"], r["lookahead"])
            results[what, name] = rr
            iv = speaker_intervals(rr["detections"], streams[name]["truth"], streams[name]["seconds"])
            cells.append(fmt(rr) + (f" (correct {iv['correct'][0]:.1%}-{iv['correct'][1]:.1%}, false alarms "
                                    f"{iv['false_alarms_per_hour'][0]:.0f}-{iv['false_alarms_per_hour'][1]:.0f})" if iv else ""))
            calls.append(rr["calls_per_hour"])
        if what == "small alone":
            cost = f"{ms_small:.2f} ms"
        elif what == "verifier alone":
            cost = f"{ms_verifier:.2f} ms"
        else:
            per_hour = max(calls)
            cost = (f"{ms_small:.2f} + {ms_verifier:.2f} x {per_hour:.0f} windows an hour / {hops_per_hour:.0f} hops "
                    f"= {ms_small + ms_verifier * per_hour / hops_per_hour:.3f} ms")
        print(f"| {what} | {describe_choice(r)} | {cost} | " + " | ".join(cells) + " |", flush=True)
    print("\nsmall + verifier against the small model alone, paired over the speakers (correct, false alarms per hour):")
    for name in [val, *args.test]:
        d = paired_difference(results["small alone", name]["detections"], results["small + verifier", name]["detections"],
                              streams[name]["truth"], streams[name]["seconds"])
        if d:
            print(f"  {Path(name).name}: {d['text']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
