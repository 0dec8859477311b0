"""Where a stream loses its words, before any decision: per word, how many hops of the model's raw scores heard it.

    python -m bench.bench_hearing --model assets/default_model runs/streams/val runs/streams/test
                                  [--threshold 0.5] [--hop-ms 100] [--few 7] [--speakers 5]

Each STREAM is a stem: STREAM.wav and STREAM.csv as `make-stream` writes them. The model runs over the recording
as the app does (the same features, every hop). A command word is "never heard" when its own label does not reach
the threshold at any hop in reach of the scoring rule (from 0.5 s before its middle to 1.5 s after); no decision
settings can announce it. Other words that raise some command to the threshold are where false alarms come from.
Prints, per stream: the command words by hops heard, the words never heard per label and what the model heard
instead, the speakers who lose the most, and the other words that raise a command.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def report(name: str, rows, threshold: float, speakers: int, few: int, window_hops: int) -> None:
    cmd = [r for r in rows if r.is_command]
    other = [r for r in rows if not r.is_command]
    never = [r for r in cmd if r.hops == 0]
    briefly = [r for r in cmd if 0 < r.hops <= few]
    print(f"\n## {name}: {len(cmd)} command words, {len(other)} other words, threshold {threshold:g}")
    print(f"- never heard (own label below {threshold:g} at every hop in reach): {len(never)} "
          f"({len(never) / max(len(cmd), 1):.1%})")
    print(f"- heard on only 1 to {few} of the {window_hops} hops the average spans: {len(briefly)} "
          f"({len(briefly) / max(len(cmd), 1):.1%})")
    hist = np.bincount(np.minimum([r.hops for r in cmd], 12), minlength=13)
    print("- command words by hops heard, 0 .. 12+: " + " ".join(str(int(n)) for n in hist))
    if cmd:
        print(f"- mean hops heard per command word: {np.mean([r.hops for r in cmd]):.2f}")
    per_label = Counter(r.label for r in never)
    all_label = Counter(r.label for r in cmd)
    print("- never heard, per label: " + ", ".join(f"{lab} {per_label[lab]}/{all_label[lab]}"
                                                   for lab in sorted(all_label)))
    instead = Counter(r.peak_label for r in never)
    print("- what the model heard instead at the best hop: " + ", ".join(f"{lab} {n}" for lab, n in instead.most_common()))
    lost = Counter(r.speaker for r in never)
    spoken = Counter(r.speaker for r in cmd)
    print(f"- speakers who lose the most ({len(spoken)} speakers): " + ", ".join(
        f"{spk} {n}/{spoken[spk]}" for spk, n in lost.most_common(speakers)))
    raising = [r for r in other if r.hops > 0]
    if other:
        print(f"- other words raising a command to {threshold:g}: {len(raising)} of {len(other)} "
              f"({len(raising) / len(other):.1%}), on {np.mean([r.hops for r in other]):.2f} hops each on average")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("streams", nargs="+", metavar="STREAM", help="stem of STREAM.wav and STREAM.csv")
    ap.add_argument("--model", default=str(REPO / "assets" / "default_model"))
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--hop-ms", type=float, default=None, help="the app's hop unless given")
    ap.add_argument("--few", type=int, default=7, help="a word heard on 1 to FEW hops is heard only briefly")
    ap.add_argument("--speakers", type=int, default=5, help="how many of the speakers who lose most to name")
    args = ap.parse_args()

    from kwsapp.core.audio import read_wav
    from kwsapp.core.decisions import DEFAULT_HOP_MS, DecisionSettings
    from kwsapp.engine.window import load_scorer
    from trainer.recordings.replay import model_scores, read_truth
    from trainer.recordings.scoring import EARLY_S, LATE_S, word_hearing

    hop_ms = args.hop_ms or DEFAULT_HOP_MS
    window_hops = int(round(DecisionSettings().average_window_ms / hop_ms))
    scorer = load_scorer(args.model)
    print(f"model {args.model}, hop {hop_ms:g} ms; a word is in reach from {EARLY_S:g} s before its middle to "
          f"{LATE_S:g} s after; the app's average spans {window_hops} hops")
    for stem in args.streams:
        truth = read_truth(stem + ".csv")
        rate, wave = read_wav(stem + ".wav")
        times, scores = model_scores(scorer.folder.path, wave, rate, hop_ms)
        report(stem, word_hearing(scorer.labels, times, scores, truth, args.threshold), args.threshold,
               args.speakers, args.few, window_hops)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
