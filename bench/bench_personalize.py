"""A new user, simulated with real people the model never heard: the shared sample's speakers with 4 or more takes of
8 or more commands (``bench/personalize_speakers.txt``; train the judged model with ``--exclude-speakers`` on it).

For each speaker and k = 1, 2, 3: ``trainer personalize`` on k takes of each of their commands (from their first
three), then scored on their other takes (the fourth and later: the same takes for every k) and on other held-out
speakers' clips (what the fine-tune cost them), before and after. Prints the mean over speakers with a paired 95 %
interval (a bootstrap over the speakers), the worst-served quarter on its own, and the time per fine-tune.

Then a word of one's own: a held-out speaker of the gathered data with many takes of a word the model has no label
for (the spoken digits) teaches it from 8 takes; scored on that speaker's other takes, on the other speakers' clips,
and on a 10 dB test stream that never says the word (false alarms per hour of the new word, and of all labels).

    python -m bench.bench_personalize --model runs/heldout47 [--k 1 2 3] [--max-speakers N] [--stream runs/streams/test]
    python -m bench.bench_personalize --write-speakers   # choose the speakers again (bench/personalize_speakers.txt)
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]

SPEAKERS_FILE = REPO / "bench" / "personalize_speakers.txt"
MIN_TAKES = 4      # a command counts when the speaker said it this often: up to 3 to learn from, the rest to test on
MIN_COMMANDS = 8   # ... and a speaker when this many commands count
NEW_WORD_TAKES = 8


def eligible_speakers(clips: pd.DataFrame, commands) -> list[str]:
    per = clips[clips["label"].isin(commands)].groupby(["speaker", "label"]).size().unstack(fill_value=0)
    return sorted(per.index[(per >= MIN_TAKES).sum(axis=1) >= MIN_COMMANDS])


def bootstrap(values, rng, draws: int = 2000):
    values = np.asarray(values, float)
    means = values[rng.integers(len(values), size=(draws, len(values)))].mean(axis=1)
    return np.percentile(means, [2.5, 97.5])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "speech_commands_sample"))
    ap.add_argument("--gathered", default=str(REPO.parent / "data" / "gathered"),
                    help="the gathered folder, for the new-word part (skipped without it)")
    ap.add_argument("--model", default=str(REPO / "runs" / "heldout47"))
    ap.add_argument("--speakers", default=str(SPEAKERS_FILE))
    ap.add_argument("--write-speakers", action="store_true", help="write --speakers from --data and stop")
    ap.add_argument("--k", type=int, nargs="*", default=[1, 2, 3], help="takes per command (none: the new-word part only)")
    ap.add_argument("--max-speakers", type=int, default=None)
    ap.add_argument("--others", type=int, default=300, help="other held-out speakers' clips scored for each speaker")
    ap.add_argument("--epochs", type=int, default=None, help="default: trainer.models.personalize's for the model's kind")
    ap.add_argument("--head-layers", choices=("all", "dense"), default=None,
                    help="a speech-embedding head: what learns (default: trainer.models.personalize_embedding's)")
    ap.add_argument("--label-weight", type=float, default=None, help="the take's label's share of its target "
                    "(default: trainer.models.personalize's)")
    ap.add_argument("--take-share", type=float, default=None, help="take windows an epoch, as a share of the replay's "
                    "(default: trainer.models.personalize's)")
    ap.add_argument("--learning-rate", type=float, default=None, help="default: trainer.models.personalize's")
    ap.add_argument("--new-words", type=int, default=2, help="words of one's own taught per gathered speaker (0: skip)")
    ap.add_argument("--stream", default=str(REPO / "runs" / "streams" / "test"),
                    help="STEM of a test stream (STEM.wav, STEM.csv) for the new word's false alarms")
    ap.add_argument("--json", default=None, help="write every figure here")
    args = ap.parse_args()

    from bench.machine import describe
    from kwsapp.core.audio import read_wav
    from kwsapp.core.labels import COMMANDS
    from kwsapp.core.modelfolder import ModelFolder
    from trainer.data.dataset import SplitRule, index_dataset, read_speaker_list
    from trainer.models.personalize import personalize

    if args.write_speakers:
        chosen = eligible_speakers(index_dataset(args.data, SplitRule(use_lists=False)).clips, COMMANDS)
        Path(args.speakers).write_text(
            f"# bench/bench_personalize.py's new users: the shared sample's speakers with {MIN_TAKES} or more takes of "
            f"{MIN_COMMANDS} or more commands\n# (written by bench/bench_personalize.py --write-speakers). Train the "
            "model it judges with --exclude-speakers on this file.\n" + "\n".join(chosen) + "\n")
        print(f"{len(chosen)} speakers -> {args.speakers}")
        return 0

    recipe = recipe_of(args)
    folder = ModelFolder.open(args.model)
    info = folder.read_json("training.json") or {}
    rule = SplitRule(**info["split_rule"]) if info.get("split_rule") else SplitRule()
    speakers = list(read_speaker_list(args.speakers))
    index = index_dataset(args.data, rule)
    clips = index.clips
    heard = set(clips.loc[clips["split"].isin(("training", "validation")), "speaker"]) - set(info.get("exclude_speakers", []))
    trained_on = [s for s in speakers if s in heard]
    if trained_on:
        print(f"error: {args.model} was trained on {len(trained_on)} of the {len(speakers)} speakers in {args.speakers} "
              f"(train it with --exclude-speakers {args.speakers})", file=sys.stderr)
        return 2
    if args.max_speakers:
        speakers = speakers[:args.max_speakers]
    print(f"machine: {describe()}")
    print(f"model {args.model}: none of the {len(speakers)} speakers heard in training"
          + "".join(f", {k} {v}" for k, v in recipe.items()))
    old = Scorer(args.model)
    mine_all = clips[clips["speaker"].isin(speakers)].sort_values("path")
    waves = {p: read_wav(index.audio_dir / p) for p in (mine_all["path"] if args.k else [])}  # none for new words alone
    rng = np.random.default_rng(0)

    def accuracy(scorer, rows) -> float:
        return scorer.accuracy([waves[p] for p in rows["path"]], rows["label"])

    work = Path(tempfile.mkdtemp(prefix="bench-personalize-"))
    rows_out = []
    try:
        for s in speakers if args.k else []:
            mine = mine_all[(mine_all["speaker"] == s) & mine_all["label"].isin(COMMANDS)]
            mine = mine.groupby("label").filter(lambda g: len(g) >= MIN_TAKES)
            own = mine[mine.groupby("label").cumcount() >= 3]
            others = mine_all[mine_all["speaker"] != s]
            others = others.iloc[rng.permutation(len(others))[:args.others]]
            own_before, others_before = accuracy(old, own), accuracy(old, others)
            for k in args.k:
                ex = work / f"{s}_{k}"
                for label, g in mine.groupby("label"):
                    (ex / label).mkdir(parents=True, exist_ok=True)
                    for p in g["path"].iloc[:k]:
                        shutil.copyfile(index.audio_dir / p, ex / label / Path(p).name)
                t0 = time.perf_counter()
                personalize(args.model, ex, work / f"m_{s}_{k}", hold_back=False, **recipe)
                seconds = time.perf_counter() - t0
                new = Scorer(work / f"m_{s}_{k}")
                r = dict(speaker=s, k=k, commands=int(mine["label"].nunique()), own_n=len(own),
                         own_before=own_before, own_after=accuracy(new, own),
                         others_before=others_before, others_after=accuracy(new, others), seconds=seconds)
                rows_out.append(r)
                print(f"  {s} k={k} ({r['commands']} commands): own {own_before:.1%} -> {r['own_after']:.1%} "
                      f"({len(own)} takes), others {others_before:.1%} -> {r['others_after']:.1%}, {seconds:.1f} s",
                      flush=True)
                shutil.rmtree(work / f"m_{s}_{k}", ignore_errors=True)
                if args.json:  # every row as it comes, so a run cut short keeps what it measured
                    write_json(args.json, {"machine": describe(), "model": args.model, "recipe": recipe,
                                           "per_speaker": rows_out})
        table = pd.DataFrame(rows_out, columns=["speaker", "k", "own_before", "own_after", "others_before",
                                                "others_after", "seconds"])
        new_word = new_word_part(args, old, work, rng) if args.new_words else []
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\nmachine: {describe()}; model {args.model}; {table['speaker'].nunique()} held-out speakers")
    summary = []
    if len(table):
        print("\n| takes per command | speakers | own error before / after (ratio) | worst quarter before / after (ratio) | "
              "other speakers' accuracy before / after (change, 95 % interval) | seconds per fine-tune (median, max) |")
        print("|---|---|---|---|---|---|")
        for k, t in table.groupby("k"):
            eb, ea = 1 - t["own_before"].to_numpy(), 1 - t["own_after"].to_numpy()
            worst = np.argsort(-eb, kind="stable")[:max(1, len(t) // 4)]
            ob, oa = t["others_before"].to_numpy(), t["others_after"].to_numpy()
            lo, hi = bootstrap(oa - ob, rng)
            elo, ehi = bootstrap(ea - eb, rng)
            row = dict(k=int(k), speakers=len(t), own_error_before=eb.mean(), own_error_after=ea.mean(),
                       own_error_change_interval=[elo, ehi], worst_quarter_before=eb[worst].mean(),
                       worst_quarter_after=ea[worst].mean(), others_before=ob.mean(), others_after=oa.mean(),
                       others_change_interval=[lo, hi], seconds_median=float(t["seconds"].median()),
                       seconds_max=float(t["seconds"].max()))
            summary.append(row)
            print(f"| {k} | {len(t)} | {eb.mean():.1%} / {ea.mean():.1%} ({ea.mean() / max(eb.mean(), 1e-9):.2f}; change "
                  f"{elo:+.1%} to {ehi:+.1%}) | {eb[worst].mean():.1%} / {ea[worst].mean():.1%} "
                  f"({ea[worst].mean() / max(eb[worst].mean(), 1e-9):.2f}) | {ob.mean():.1%} / {oa.mean():.1%} "
                  f"({(oa - ob).mean():+.1%}, {lo:+.1%} to {hi:+.1%}) | {row['seconds_median']:.1f}, {row['seconds_max']:.1f} |")
    if new_word:
        print("\n| speaker | new word | its other takes recognised | other speakers' accuracy before / after | "
              "false alarms per hour on the stream: the new word / all labels before -> after | seconds |")
        print("|---|---|---|---|---|---|")
        for r in new_word:
            print(f"| {r['speaker']} | {r['word']} | {r['recognised']:.1%} of {r['test_takes']} | "
                  f"{r['others_before']:.1%} / {r['others_after']:.1%} | {r['new_word_fa_per_hour']:.1f} / "
                  f"{r['all_fa_before']:.1f} -> {r['all_fa_after']:.1f} | {r['seconds']:.1f} |")
        rec = np.array([r["recognised"] for r in new_word])
        fa = np.array([r["new_word_fa_per_hour"] for r in new_word])
        print(f"mean: recognised {rec.mean():.1%} (lowest {rec.min():.1%}), new word's false alarms {fa.mean():.1f} "
              f"per hour (highest {fa.max():.1f})")
    if args.json:
        write_json(args.json, {"machine": describe(), "model": args.model, "recipe": recipe, "summary": summary,
                               "per_speaker": rows_out, "new_word": new_word})
    return 0


class Scorer:
    """A model folder of any kind scoring whole clips (``(rate_hz, samples)`` as read_wav gives them)."""

    def __init__(self, model_dir):
        from kwsapp.core.modelfolder import ModelFolder
        from kwsapp.engine.kinds import clip_scorer

        self.path = Path(model_dir)
        self.labels = ModelFolder.open(model_dir).labels
        self._score = clip_scorer(model_dir)

    def predict(self, waves) -> list[str]:
        return [self.labels[int(np.argmax(self._score(x, rate)))] for rate, x in waves]

    def accuracy(self, waves, labels) -> float:
        return float(np.mean([p == lab for p, lab in zip(self.predict(waves), labels)]))


def recipe_of(args) -> dict:
    """The fine-tune settings given on the command line (the others: trainer.models.personalize's defaults)."""
    return {k: v for k, v in (("label_weight", args.label_weight), ("take_share", args.take_share),
                              ("learning_rate", args.learning_rate), ("epochs", args.epochs),
                              ("head_layers", args.head_layers)) if v is not None}


def write_json(path, data: dict) -> None:
    from kwsapp.core.files import write_atomic

    write_atomic(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2, default=float)))


def new_word_part(args, old, work: Path, rng) -> list[dict]:
    """Teach words the model has no label for, each from one held-out gathered speaker's first 8 takes."""
    from kwsapp.core.audio import read_wav
    from kwsapp.core.decisions import DEFAULT_HOP_MS, DecisionSettings
    from kwsapp.core.modelfolder import ModelFolder
    from trainer.data.dataset import SplitRule, index_dataset
    from trainer.models.personalize import PersonalizeError, personalize
    from trainer.recordings.replay import WavFile, decide, model_scores, read_truth
    from trainer.recordings.scoring import in_reach, score_detections

    gathered = Path(args.gathered)
    stream_wav, stream_csv = Path(args.stream + ".wav"), Path(args.stream + ".csv")
    if not (gathered / "train" / "audio").is_dir() or not stream_wav.is_file():
        print(f"new word: skipped ({gathered} or {stream_wav} missing)")
        return []
    info = ModelFolder.open(args.model).read_json("training.json") or {}
    index = index_dataset(gathered, SplitRule(**info["split_rule"]) if info.get("split_rule") else SplitRule())
    truth = read_truth(stream_csv)
    said = {Path(row[2]).parent.name for row in truth if len(row) > 2}
    test = index.split("testing")
    counts = test.groupby(["speaker", "word"]).size()
    pairs = [(s, w) for (s, w), n in counts.items() if n >= 3 * NEW_WORD_TAKES and w not in old.labels and w not in said]
    by_speaker: dict[str, list[str]] = {}
    for s, w in sorted(pairs):
        by_speaker.setdefault(s, []).append(w)
    chosen = [(s, w) for s, ws in by_speaker.items() for w in ws[:args.new_words]]
    print(f"\nnew word: {len(chosen)} (speaker, word) pairs of the gathered test speakers, words the stream never says")
    rec = WavFile(stream_wav)
    settings = DecisionSettings()
    t_old, s_old = model_scores(old.path, rec, rec.sample_rate_hz, DEFAULT_HOP_MS)  # as the app hops
    all_before = score_detections(decide(old.labels, t_old, s_old, settings), truth, rec.seconds).false_alarms_per_hour
    others = test[~test["speaker"].isin([s for s, _ in chosen])]
    others = others.iloc[rng.permutation(len(others))[:args.others]]
    waves = lambda paths: [read_wav(index.audio_dir / p) for p in paths]  # noqa: E731
    w_others = waves(others["path"])

    def acc(scorer):
        return scorer.accuracy(w_others, others["label"])

    others_before = acc(old)
    out = []
    for s, w in chosen:
        takes = test[(test["speaker"] == s) & (test["word"] == w)].sort_values("path")
        ex = work / f"new_{s}_{w}" / w
        ex.mkdir(parents=True)
        for p in takes["path"].iloc[:NEW_WORD_TAKES]:
            shutil.copyfile(index.audio_dir / p, ex / Path(p).name)
        t0 = time.perf_counter()
        try:
            personalize(args.model, ex.parent, work / f"nm_{s}_{w}", hold_back=False, **recipe_of(args))
        except PersonalizeError as exc:  # said, and the next pair goes on
            print(f"  {s} '{w}': not taught ({exc})", flush=True)
            continue
        seconds = time.perf_counter() - t0
        new = Scorer(work / f"nm_{s}_{w}")
        rest = takes["path"].iloc[NEW_WORD_TAKES:]
        pred = new.predict(waves(rest))
        t_new, s_new = model_scores(new.path, rec, rec.sample_rate_hz, DEFAULT_HOP_MS)
        found = decide(new.labels, t_new, s_new, settings)
        new_fa = [t for t, lab in found if lab == w and not any(in_reach(float(r[0]), t) and Path(r[2]).parent.name == w
                                                                  for r in truth if len(r) > 2)]
        r = dict(speaker=s, word=w, test_takes=len(rest), recognised=float(np.mean([p == w for p in pred])),
                 others_before=others_before, others_after=acc(new), new_word_fa_per_hour=len(new_fa) / (rec.seconds / 3600),
                 all_fa_before=all_before, all_fa_after=score_detections(found, truth, rec.seconds).false_alarms_per_hour, seconds=seconds)
        out.append(r)
        print(f"  {s} '{w}': {r['recognised']:.1%} of {len(rest)} other takes, others {others_before:.1%} -> "
              f"{r['others_after']:.1%}, '{w}' announced {len(new_fa)} times in {rec.seconds / 60:.0f} min, {seconds:.1f} s",
              flush=True)
        shutil.rmtree(work / f"nm_{s}_{w}", ignore_errors=True)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
