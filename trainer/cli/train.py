"""The commands that make data and models: ``synth`` and ``train``."""

from __future__ import annotations

import argparse
import json

from trainer.cli.common import ROOT_HELP, add_runtime_args, add_split_args, split_rule
from trainer.data.dataset import read_speaker_list
from trainer.data.synth import ENGINES
from trainer.models.config import ARCHS, RECIPE_HELP, RECIPES, WIDTHS, TrainConfig, default, resolve_recipe


def add_synth_parser(sub) -> None:
    p = sub.add_parser("synth", help="write a synthetic dataset in the Kaggle layout with espeak-ng or festival",
                       description="Write ROOT/train/audio/<word>/<speaker>_nohash_<n>.wav for the 30 Kaggle words, "
                                   "_background_noise_, validation/testing lists, ROOT/test/audio/clip_*.wav and "
                                   "ROOT/test_labels.csv (their true labels).")
    p.add_argument("--out", required=True, help="ROOT to create")
    p.add_argument("--per-word", type=int, default=100, help="training clips per word (default 100)")
    p.add_argument("--test-clips", type=int, default=500, help="clips in test/audio (default 500)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--speakers", type=int, default=60, help="number of synthetic voices (default 60)")
    p.add_argument("--near-misses", action="store_true",
                   help="also speak 40 words that sound like a command and are not one (yet, town, lift, top, ...), "
                        "as more folders of other words; the 30 words' clips stay the same for a seed")
    p.add_argument("--engine", choices=ENGINES, default=ENGINES[0],
                   help="who speaks: espeak-ng's voices and variants, or festival's English voices (default espeak-ng)")
    p.add_argument("--warp", type=float, nargs=2, default=None, metavar=("LOW", "HIGH"),
                   help="give each speaker a vocal-tract warp drawn from LOW..HIGH (every frequency times it), "
                        "e.g. 0.85 1.15 (default: none)")



def share(text: str) -> float:
    """An argparse type: a share above 0 and at most 1."""
    x = float(text)
    if not 0.0 < x <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not above 0 and at most 1 (0 would train on nothing)")
    return x


def distribute(text: str) -> str:
    """An argparse type: ``mirrored``, ``multiworker`` or ``cpu:N`` with N >= 1 (empty: no tf.distribute)."""
    if text in ("", "mirrored", "multiworker") or (text.startswith("cpu:") and text[4:].isdigit() and int(text[4:]) >= 1):
        return text
    raise argparse.ArgumentTypeError(f"{text!r} is not mirrored, multiworker or cpu:N")


def add_train_parser(sub) -> None:
    """``train``: the options a user picks, grouped; what else a recipe sets is in trainer/models/config.py."""
    p = sub.add_parser("train", help="train a model and write a model folder",
                       description="Train a model on one or more data ROOTs and write MODEL_DIR (model.keras, "
                                   "model.tflite, labels, feature settings, history, metrics, pictures). "
                                   "Ctrl-C keeps the last finished epoch; --resume continues from it.")
    p.add_argument("--data", required=True, nargs="+", help=ROOT_HELP + "; several ROOTs are trained on together")
    p.add_argument("--out", required=True, help="MODEL_DIR to write")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in MODEL_DIR")
    g = p.add_argument_group("what to train (a recipe sets these; a flag given overrides it)")
    g.add_argument("--recipe", choices=tuple(RECIPES), default="notebook",
                   help="; ".join(f"{k}: {v}" for k, v in RECIPE_HELP.items()) + " (default notebook)")
    g.add_argument("--arch", choices=ARCHS, default=None,
                   help="reference: the notebook's CNN; dscnn: a depthwise-separable CNN (DS-CNN); dscnn_wide: the "
                        "DS-CNN with its blocks at 3x the first layer's channels instead of 2x; dscnn_stream: dscnn_wide "
                        "unpadded in time, so that a stream can be scored a few frames at a time (default: "
                        + ", ".join(f"{r['arch']} ({k})" for k, r in RECIPES.items()) + ")")
    g.add_argument("--width", type=float, choices=WIDTHS, default=default("width"), metavar="{" + ",".join(f"{w:g}" for w in WIDTHS) + "}",
                   help="channel multiplier: 1 = as designed, 2 = twice the channels (default %(default)g)")
    g.add_argument("--epochs", type=int, default=None,
                   help="default: " + ", ".join(f"{r['epochs']} ({k})" for k, r in RECIPES.items()))
    g.add_argument("--balance-commands", action=argparse.BooleanOptionalAction, default=None,
                   help="draw the same number of clips of every command each epoch (fresh draws; a small class "
                        "repeated, a large one sampled), for commands with very different numbers of clips (default: "
                        + ", ".join(f"{'yes' if r['balance_commands'] else 'no'} ({k})" for k, r in RECIPES.items()) + ")")
    g = p.add_argument_group("optimisation and data")
    g.add_argument("--batch-size", type=int, default=default("batch_size"), help="default %(default)s")
    g.add_argument("--learning-rate", type=float, default=default("learning_rate"), help="default %(default)g")
    g.add_argument("--seed", type=int, default=default("seed"), help="default %(default)s")
    g.add_argument("--teacher", action="append", default=[], metavar="MODEL_DIR",
                   help="a trained model folder (same labels and features) whose scores on each augmented training "
                        f"batch make up {default('teacher_weight'):g} of the targets: knowledge distillation, e.g. "
                        "from larger models into one within the live budget; several --teacher are averaged")
    g.add_argument("--distribute", type=distribute, default=default("distribute"), metavar="mirrored|cpu:N|multiworker",
                   help="train with tf.distribute: mirrored = every local GPU (the CPU without one); cpu:N = N logical "
                        "CPU devices (to try it without GPUs); multiworker = several machines, each running this same "
                        "command with its TF_CONFIG (docs/training.md). Each batch is split over the replicas")
    g.add_argument("--train-speakers", type=share, default=default("train_speakers"), metavar="SHARE",
                   help="train on this share of each data folder's training speakers, chosen by a stable hash of the "
                        "speaker (a smaller share is a subset of a larger one), for learning curves (default 1: all)")
    g.add_argument("--exclude-speakers", metavar="FILE", default=None,
                   help="speaker ids (one per line) neither trained nor validated on, in any data folder: people kept "
                        "to judge the model on, as bench/bench_personalize.py does")
    add_split_args(p)
    add_runtime_args(p)


def cmd_synth(args) -> int:
    from kwsapp.core.labels import KAGGLE_WORDS
    from trainer.data.synth import NEAR_MISSES, SynthError, synthesize

    words = KAGGLE_WORDS + (NEAR_MISSES if args.near_misses else ())
    if args.warp and not 0.5 <= args.warp[0] <= args.warp[1] <= 2.0:
        raise SynthError(f"--warp {args.warp[0]:g} {args.warp[1]:g}: give LOW <= HIGH, both from 0.5 to 2")
    info = synthesize(args.out, per_word=args.per_word, test_clips=args.test_clips, seed=args.seed,
                      n_speakers=args.speakers, words=words, engine=args.engine,
                      warp_range=tuple(args.warp) if args.warp else None)
    print(json.dumps(info))
    return 0


def cmd_train(args) -> int:
    from trainer.models.train import train

    recipe = resolve_recipe(args.recipe, {k: getattr(args, k, None) for k in RECIPES[args.recipe]})
    cfg = TrainConfig(data=args.data, out=args.out, batch_size=args.batch_size, width=args.width, seed=args.seed,
                      resume=args.resume, learning_rate=args.learning_rate,
                      teachers=tuple(args.teacher), train_speakers=args.train_speakers, distribute=args.distribute,
                      exclude_speakers=read_speaker_list(args.exclude_speakers) if args.exclude_speakers else (),
                      split=split_rule(args), cache_dir=args.cache_dir, workers=args.workers, **recipe)
    metrics = train(cfg)
    print(json.dumps({k: (v["accuracy"] if isinstance(v, dict) else v) for k, v in metrics.items()}))
    return 0
