"""A new user, simulated with real people: held-out speakers of the shared sample (nobody the model trained on) with
several takes of most commands. For each, the model is fine-tuned (``trainer personalize``) on k takes of each of
their commands and scored on their other takes and on every other held-out speaker's clips (what the fine-tune cost
them), before and after. Prints the mean over speakers with a paired 95 % interval (a bootstrap over the speakers),
the worst-served quarter on its own, and the time per fine-tune, with the machine named.

    python bench/bench_personalize.py [--model assets/default_model] [--k 1 2 3] [--max-speakers 12] [--epochs 30]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

MIN_COMMANDS = 8  # a speaker counts with enough takes of at least this many commands


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "speech_commands_sample"))
    ap.add_argument("--model", default=str(REPO / "assets" / "default_model"))
    ap.add_argument("--k", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--max-speakers", type=int, default=12)
    ap.add_argument("--others", type=int, default=300, help="other speakers' clips scored for each speaker")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--learning-rate", type=float, default=None, help="try another (default: personalize's own)")
    ap.add_argument("--label-weight", type=float, default=None, help="try another share of the label in each target")
    args = ap.parse_args()
    import trainer.personalize as personalize_module

    if args.learning_rate is not None:
        personalize_module.LEARNING_RATE = args.learning_rate
    if args.label_weight is not None:
        personalize_module.LABEL_WEIGHT = args.label_weight
    print(f"learning rate {personalize_module.LEARNING_RATE:g}, label weight {personalize_module.LABEL_WEIGHT:g}, "
          f"{args.epochs} epochs")
    from bench.machine import describe
    from kwsapp.core.audio import read_wav
    from kwsapp.core.features import features_from_wave
    from kwsapp.core.labels import COMMANDS
    from kwsapp.runtime import load_scorer
    from trainer.dataset import SplitRule, index_dataset
    from trainer.personalize import personalize

    index = index_dataset(args.data, SplitRule(testing_percent=15.0, salt="kwsapp"))
    test = index.split("testing")
    need = max(args.k) + 1
    per = test[test["label"].isin(COMMANDS)].groupby(["speaker", "label"]).size().unstack(fill_value=0)
    eligible = sorted(per.index[(per >= need).sum(axis=1) >= MIN_COMMANDS])
    print(f"machine: {describe()}")
    print(f"{len(eligible)} held-out speakers of {test['speaker'].nunique()} have {need}+ takes of {MIN_COMMANDS}+ "
          f"commands; using {min(len(eligible), args.max_speakers)}")
    speakers = eligible[:args.max_speakers]
    old = load_scorer(args.model)
    feats = {p: features_from_wave(*reversed(read_wav(index.audio_dir / p)), old.settings) for p in test["path"]}
    rng = np.random.default_rng(0)

    def accuracy(scorer, rows) -> float:
        pred = [scorer.labels[int(np.argmax(scorer(feats[p])))] for p in rows["path"]]
        return float(np.mean([a == b for a, b in zip(pred, rows["label"])]))

    results = {k: [] for k in args.k}
    work = Path(tempfile.mkdtemp(prefix="bench-personalize-"))
    try:
        for s in speakers:
            mine = test[(test["speaker"] == s) & test["label"].isin(COMMANDS)].sort_values("path")
            others = test[test["speaker"] != s]
            others = others.iloc[rng.permutation(len(others))[:args.others]]
            before_others = accuracy(old, others)
            for k in args.k:
                ex = work / f"{s}_{k}"
                train_rows, own_test = [], []
                for label, rows in mine.groupby("label"):
                    if len(rows) < need:
                        continue
                    train_rows.append(rows.iloc[:k])
                    own_test.append(rows.iloc[k:])
                for rows in train_rows:
                    for p, label in zip(rows["path"], rows["label"]):
                        (ex / label).mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(index.audio_dir / p, ex / label / Path(p).name)
                own = pd.concat(own_test)
                t0 = time.perf_counter()
                personalize(args.model, ex, work / f"m_{s}_{k}", epochs=args.epochs, hold_back=False)
                seconds = time.perf_counter() - t0
                new = load_scorer(work / f"m_{s}_{k}")
                r = dict(speaker=s, own_before=accuracy(old, own), own_after=accuracy(new, own), own_n=len(own),
                         others_before=before_others, others_after=accuracy(new, others), seconds=seconds)
                results[k].append(r)
                print(f"  {s} k={k}: own {r['own_before']:.1%} -> {r['own_after']:.1%} ({len(own)} takes), others "
                      f"{r['others_before']:.1%} -> {r['others_after']:.1%}, {seconds:.0f} s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def interval(d):
        draws = [np.mean(rng.choice(d, size=len(d))) for _ in range(2000)]
        return np.percentile(draws, [2.5, 97.5])

    print("\n| takes per command | speakers | own error before / after (ratio) | worst quarter before / after | "
          "other speakers' accuracy before / after (change, 95 % interval) | seconds per fine-tune (median) |")
    print("|---|---|---|---|---|---|")
    for k, rs in results.items():
        if not rs:
            continue
        eb = np.array([1 - r["own_before"] for r in rs])
        ea = np.array([1 - r["own_after"] for r in rs])
        worst = np.argsort(-eb)[:max(1, len(rs) // 4)]
        ob = np.array([r["others_before"] for r in rs])
        oa = np.array([r["others_after"] for r in rs])
        lo, hi = interval(oa - ob)
        print(f"| {k} | {len(rs)} | {eb.mean():.1%} / {ea.mean():.1%} ({ea.mean() / max(eb.mean(), 1e-9):.2f}) | "
              f"{eb[worst].mean():.1%} / {ea[worst].mean():.1%} | {ob.mean():.1%} / {oa.mean():.1%} "
              f"({(oa - ob).mean():+.1%}, {lo:+.1%} to {hi:+.1%}) | {np.median([r['seconds'] for r in rs]):.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
