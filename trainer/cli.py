"""Command line: ``python -m trainer {synth,train,evaluate,submit,score,predict,export-litert}`` and the streaming
commands of ``cli_stream`` (also ``kws ...``)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from kwsapp.core.audio import AudioError
from kwsapp.core.modelfolder import ModelFolderError, write_json_atomic
from .cli_common import ROOT_HELP, add_runtime_args, add_split_args, split_rule
from .cli_stream import add_stream_parsers, cmd_make_stream, cmd_stream_eval, cmd_stream_sweep
from .dataset import DatasetError
from .recipes import ARCHS, RECIPES, resolve_recipe


def zero_to_one(name: str, include_one: bool, why: str = "", include_zero: bool = True):
    """An argparse type called ``name``: a number from 0 to 1, 0 itself only if ``include_zero`` and 1 only if
    ``include_one``; ``why`` explains the bounds."""
    def parse(text: str) -> float:
        x = float(text)
        if not ((0.0 <= x if include_zero else 0.0 < x) and (x <= 1.0 if include_one else x < 1.0)):
            where = "in 0 .. 1" if include_zero else f"above 0 and {'at most' if include_one else 'below'} 1"
            raise argparse.ArgumentTypeError(f"{text} is not {where}" + (f" ({why})" if why else ""))
        return x
    parse.__name__ = name  # argparse names the type in "invalid NAME value"
    return parse


fraction = zero_to_one("fraction", False, "factors 1-X .. 1+X must stay positive")
momentum = zero_to_one("momentum", False, "1 would never move; 0 is off")
unit_interval = zero_to_one("unit_interval", True)
share = zero_to_one("share", True, "0 would train on nothing", include_zero=False)


def ratio(text: str) -> float:
    """An argparse type: a multiple of an average command's count of clips, 0 or more."""
    x = float(text)
    if not x >= 0.0:
        raise argparse.ArgumentTypeError(f"{text} is not 0 or more (clips per epoch, in average commands)")
    return x


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m trainer", description="Train, evaluate and export the kwsapp keyword-spotting model.")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("synth", help="write a synthetic dataset in the Kaggle layout with espeak-ng",
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

    p = sub.add_parser("train", help="train a model and write a model folder",
                       description="Train a model (the notebook's CNN unless --recipe live or --arch dscnn) on one or more data ROOTs and write MODEL_DIR "
                                   "(model.keras, labels, feature settings, history, metrics, pictures). "
                                   "Ctrl-C keeps the last finished epoch; --resume continues from it.")
    p.add_argument("--data", required=True, nargs="+", help=ROOT_HELP + "; several ROOTs are trained on together")
    p.add_argument("--out", required=True, help="MODEL_DIR to write")
    p.add_argument("--recipe", choices=tuple(RECIPES), default="notebook",
                   help="notebook: the notebook's CNN and training, for reproducing it (default); live: the "
                        "bundled model's recipe, for the app (the wide DS-CNN, larger shifts, more unknown, cosine "
                        "learning rate, 40 epochs). Flags given explicitly override the recipe's values")
    p.add_argument("--epochs", type=int, default=None, help="default 10 (notebook) / 40 (live)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--width", type=float, choices=(1, 1.5, 2), default=1,
                   help="channel multiplier: 1 = as designed (the notebook's CNN), 2 = twice the channels (the notebook's LB 0.74 run)")
    p.add_argument("--arch", choices=ARCHS, default=None,
                   help="reference: the notebook's CNN (the notebook recipe's); dscnn: a depthwise-separable CNN "
                        "(DS-CNN; bundled before); dscnn_lowres: the DS-CNN with a second stride, its blocks on "
                        "a quarter of the positions (for --width 2); dscnn_wide: the DS-CNN with its blocks at 3x the first "
                        "layer's channels instead of 2x (the live recipe's, bundled); bcresnet: a BC-ResNet (broadcasted "
                        "residual blocks, all 99 frames; --width is its tau); bcresnet_t2: the same on every other frame")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in MODEL_DIR")
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--lr-schedule", choices=("constant", "cosine"), default=None,
                   help="cosine: decay the learning rate to 1 %% of it over --epochs (notebook: constant, live: cosine)")
    p.add_argument("--spec-augment", action=argparse.BooleanOptionalAction, default=None,
                   help="also mask two bands of frequency bins and two runs of frames (up to 100 ms) per clip "
                        "(notebook: no, live: yes)")
    p.add_argument("--patience", type=int, default=None,
                   help="epochs without validation gain before stopping (notebook: 4; live: never stops early)")
    p.add_argument("--unknown-ratio", type=ratio, default=None,
                   help="unknown clips per epoch, as a multiple of an average command's count (1 notebook, 1.5 live)")
    p.add_argument("--silence-ratio", type=ratio, default=1.0, help="silence clips per epoch, likewise")
    p.add_argument("--balance-commands", action="store_true",
                   help="draw the same number of clips of every command each epoch (an average command's count; "
                        "fresh draws every epoch, a small class repeated, a large one sampled), for data whose "
                        "commands have very different numbers of clips")
    p.add_argument("--no-augment", action="store_true", help="train without shift / noise / gain augmentation")
    p.add_argument("--spliced-ratio", type=ratio, default=0.0,
                   help="made negatives per epoch, as a multiple of an average command's count: the first half of "
                        "one command joined to the second half of another, labelled unknown (real voices saying "
                        "non-words; default 0)")
    p.add_argument("--reversed-ratio", type=ratio, default=0.0,
                   help="made negatives per epoch, likewise: a command played backwards, labelled unknown (real "
                        "voices, not words; never 'no' or 'on', which sound like each other backwards; default 0)")
    p.add_argument("--clipped-ratio", type=ratio, default=0.0,
                   help="made negatives per epoch, likewise: a command cut by the window's edge, 10-40 %% of it "
                        "left in the window (a word arriving or leaving, as a stream's window holds it), labelled "
                        "unknown (default 0)")
    p.add_argument("--label-smoothing", type=float, default=0.0,
                   help="share of each target spread over all labels (default 0)")
    p.add_argument("--ema", type=momentum, default=0.0, metavar="MOMENTUM",
                   help="keep an exponential moving average of the weights with this momentum per step (e.g. 0.998: "
                        "about the last 500 steps); validation, the kept epoch and the model written use the average "
                        "(Polyak averaging; default 0: off)")
    p.add_argument("--warp", type=fraction, default=0.0, metavar="X",
                   help="scale the frequency axis (a longer or shorter vocal tract) and the time axis (faster or "
                        "slower speech) of each training clip by factors drawn from 1-X..1+X (default 0: off)")
    p.add_argument("--snr-db", type=float, nargs=2, default=(0.0, 25.0), metavar=("MIN", "MAX"),
                   help="background noise mixed in at a speech-to-noise ratio drawn from MIN..MAX dB, from the "
                        "clip's mean power (default 0 25)")
    p.add_argument("--noise-cross-term", action=argparse.BooleanOptionalAction, default=False,
                   help="mix noise into the spectrogram as a waveform mix does, with the cross term of speech and "
                        "noise at a random phase per bin (default: their powers added; measured no better, README)")
    p.add_argument("--teacher", action="append", default=[], metavar="MODEL_DIR",
                   help="a trained model folder (same labels and features) whose scores on each augmented training "
                        "batch make up --teacher-weight of the targets: knowledge distillation, e.g. from larger "
                        "models into one within the live budget; several --teacher are averaged (default: none)")
    p.add_argument("--teacher-weight", type=unit_interval, default=0.5, metavar="W",
                   help="the teachers' share of each target, the true label having the rest (default 0.5)")
    p.add_argument("--train-speakers", type=share, default=1.0, metavar="SHARE",
                   help="train on this share of each data folder's training speakers, chosen by a stable hash of the "
                        "speaker (a smaller share is a subset of a larger one); validation and test are unchanged. "
                        "For learning curves: how the figures grow with the number of speakers (default 1: all)")
    p.add_argument("--max-shift-ms", type=float, default=None,
                   help="time-shift augmentation, +- (notebook 100 ms, live 300 ms: larger shifts leave words partly "
                        "outside the window, as a live stream does)")
    add_split_args(p)
    add_runtime_args(p)

    p = sub.add_parser("evaluate", help="score a model on a split",
                       description="Accuracy, per-class accuracy and confusion matrix on the speaker-disjoint split.")
    p.add_argument("--data", required=True, nargs="+", help=ROOT_HELP)
    p.add_argument("--model", required=True, help="MODEL_DIR")
    p.add_argument("--split", choices=("validation", "test", "all"), default="test")
    p.add_argument("--json", default=None, help="write the metrics to this JSON file")
    add_split_args(p, defaults_from_model=True)
    add_runtime_args(p)

    p = sub.add_parser("submit", help="write the Kaggle submission CSV",
                       description="One fname,label row for every ROOT/test/audio/*.wav, sorted by name.")
    p.add_argument("--data", required=True, help=ROOT_HELP)
    p.add_argument("--model", required=True, help="MODEL_DIR")
    p.add_argument("--out", required=True, help="the CSV to write")
    p.add_argument("--tta", action="store_true", help="average the scores of each clip and shifted / louder copies")
    p.add_argument("--workers", type=int, default=None, help="processes for feature extraction (default: all cores)")

    p = sub.add_parser("score", help="score a submission CSV against true labels",
                       description="Accuracy of a fname,label CSV against a fname,label truth file (synth writes ROOT/test_labels.csv).")
    p.add_argument("--submission", required=True)
    p.add_argument("--truth", required=True)

    p = sub.add_parser("predict", help="classify wav files", description="Print 'name label score' for each file.")
    p.add_argument("--model", required=True, help="MODEL_DIR")
    p.add_argument("files", nargs="+", help="wav files")

    add_stream_parsers(sub)

    p = sub.add_parser("export-litert", help="add model.tflite (the app's fast path) to a model folder",
                       description="Convert MODEL_DIR/model.keras to MODEL_DIR/model.tflite for the LiteRT runtime. "
                                   "train does this by itself; use it on folders made before.")
    p.add_argument("--model", required=True, help="MODEL_DIR")
    return ap


def cmd_synth(args) -> int:
    from kwsapp.core.labels import KAGGLE_WORDS
    from .synth import NEAR_MISSES, synthesize

    words = KAGGLE_WORDS + (NEAR_MISSES if args.near_misses else ())
    info = synthesize(args.out, per_word=args.per_word, test_clips=args.test_clips, seed=args.seed,
                      n_speakers=args.speakers, words=words)
    print(json.dumps(info))
    return 0


def cmd_train(args) -> int:
    from .train import TrainConfig, train

    recipe = resolve_recipe(args.recipe, {k: getattr(args, k) for k in RECIPES[args.recipe]})
    cfg = TrainConfig(data=args.data, out=args.out, batch_size=args.batch_size, width=args.width, seed=args.seed,
                      resume=args.resume, learning_rate=args.learning_rate, silence_ratio=args.silence_ratio,
                      balance_commands=args.balance_commands,
                      augment=not args.no_augment, spliced_ratio=args.spliced_ratio,
                      reversed_ratio=args.reversed_ratio, clipped_ratio=args.clipped_ratio,
                      label_smoothing=args.label_smoothing, ema_momentum=args.ema,
                      snr_db_range=tuple(args.snr_db), max_warp=args.warp,
                      noise_cross_term=args.noise_cross_term, teachers=tuple(args.teacher),
                      teacher_weight=args.teacher_weight, train_speakers=args.train_speakers,
                      split=split_rule(args), cache_dir=args.cache_dir, workers=args.workers, **recipe)
    metrics = train(cfg)
    print(json.dumps({k: (v["accuracy"] if isinstance(v, dict) else v) for k, v in metrics.items()}))
    return 0


def cmd_evaluate(args) -> int:
    from .cache import FeatureCache
    from .evaluate import evaluate, format_metrics
    from .infer import Predictor
    from .sources import eval_set, load_source

    predictor = Predictor(args.model)
    rule = split_rule(args, args.model)
    cache = FeatureCache(args.cache_dir, predictor.settings)
    sources = [load_source(root, rule, cache, workers=args.workers) for root in args.data]
    for s in sources:
        print(s.index.summary(), file=sys.stderr)
        if s.feats.errors:
            print(f"skipped {len(s.feats.errors)} unreadable clip(s): " + "; ".join(s.feats.errors[:5]), file=sys.stderr)
    split = {"test": "testing"}.get(args.split, args.split)
    m = evaluate(predictor, sources, eval_set(sources, split, predictor.settings))
    m.update(split=args.split, model=str(args.model), data=[str(d) for d in args.data],
             split_rule=rule.to_dict(), unreadable=sum(len(s.feats.errors) for s in sources))
    print(format_metrics(m, f"{args.split} split"))
    if args.json:
        write_json_atomic(args.json, m)
    return 0


def cmd_submit(args) -> int:
    from .infer import Predictor
    from .submit import write_submission

    info = write_submission(Predictor(args.model), args.data, args.out, tta=args.tta, workers=args.workers)
    print(json.dumps(info))
    return 0


def cmd_score(args) -> int:
    import pandas as pd

    from .evaluate import format_metrics, metrics_from_predictions
    from kwsapp.core.labels import LABELS

    try:
        sub = pd.read_csv(args.submission, usecols=["fname", "label"])
        truth = pd.read_csv(args.truth, usecols=["fname", "label"])
    except (OSError, ValueError) as exc:
        raise DatasetError(f"cannot read the CSVs: {exc}") from None
    merged = truth.merge(sub, on="fname", how="left", suffixes=("_true", "_pred"))
    missing = int(merged["label_pred"].isna().sum())
    if missing:
        raise DatasetError(f"{args.submission}: {missing} of {len(truth)} clips in {args.truth} have no row")
    bad = sorted(set(merged["label_pred"]) - set(LABELS))
    if bad:
        raise DatasetError(f"{args.submission}: labels outside the 12 classes: {', '.join(map(str, bad[:5]))}")
    lut = {lab: i for i, lab in enumerate(LABELS)}
    m = metrics_from_predictions(merged["label_true"].map(lut).to_numpy(), merged["label_pred"].map(lut).to_numpy())
    print(format_metrics(m, "submission"))
    return 0


def cmd_predict(args) -> int:
    import numpy as np

    from kwsapp.core.audio import read_wav
    from kwsapp.core.features import features_from_wave
    from .infer import Predictor

    predictor = Predictor(args.model)
    feats, names, failed = [], [], 0
    for f in args.files:
        try:
            rate, x = read_wav(f)
        except AudioError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        feats.append(features_from_wave(x, rate, predictor.settings))
        names.append(f)
    if feats:
        scores = predictor.scores(np.stack(feats))
        for name, s in zip(names, scores):
            k = int(np.argmax(s))
            print(f"{name} {predictor.labels[k]} {s[k]:.3f}")
    return 1 if failed else 0


def cmd_export_litert(args) -> int:
    import numpy as np

    from kwsapp.core.modelfolder import ModelFolder
    from kwsapp.runtime import LiteRtScorer, WindowScorer, export_litert

    folder = ModelFolder.open(args.model)
    export_litert(folder.keras_path, folder.tflite_path)
    # check the conversion: both runtimes on the same random windows
    rng = np.random.default_rng(0)
    lite, keras_fn = LiteRtScorer(folder.path), WindowScorer(folder.path)
    x = (rng.normal(size=(8, *folder.features.shape)) * 3 - 10).astype(np.float32)
    err = max(float(np.abs(lite(w) - keras_fn(w)).max()) for w in x)
    print(json.dumps({"tflite": str(folder.tflite_path), "bytes": folder.tflite_path.stat().st_size,
                      "max_abs_diff_vs_keras": err}))
    return 0


COMMANDS = {"make-stream": cmd_make_stream, "stream-eval": cmd_stream_eval, "stream-sweep": cmd_stream_sweep,
            "export-litert": cmd_export_litert, "synth": cmd_synth, "train": cmd_train, "evaluate": cmd_evaluate, "submit": cmd_submit, "score": cmd_score,
            "predict": cmd_predict}


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from .stream import StreamError
    from .submit import SubmitError
    from .synth import SynthError
    from .distill import TeacherError
    from .train import TrainError

    try:
        return COMMANDS[args.command](args)
    except (DatasetError, ModelFolderError, AudioError, StreamError, SubmitError, SynthError, TeacherError, TrainError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head & co.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        hint = " (the last finished epoch is kept: run again with --resume)" if args.command == "train" else ""
        print(f"interrupted{hint}", file=sys.stderr)
        return 130
    except Exception as exc:  # no traceback reaches a user; KWSAPP_DEBUG=1 shows it
        if os.environ.get("KWSAPP_DEBUG"):
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (set KWSAPP_DEBUG=1 for details)", file=sys.stderr)
        return 1


def run() -> None:
    """Entry point of ``python -m trainer`` and ``kws``."""
    code = main()
    if code == 130:
        # after Ctrl-C everything is saved; do not wait at exit for a data thread Keras may leave behind
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    raise SystemExit(code)
