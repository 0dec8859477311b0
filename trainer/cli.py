"""Command line: ``python -m trainer {synth,train,evaluate,submit,predict}`` (also ``kws ...``)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from kwsapp.core.audio import AudioError
from kwsapp.core.decisions import DEFAULT_HOP_MS
from kwsapp.core.modelfolder import ModelFolder, ModelFolderError, write_json_atomic
from .dataset import DatasetError, SplitRule
from .recipes import RECIPES, resolve_recipe

ROOT_HELP = "data ROOT: the folder that holds train/ (and test/ for a submission), as in the Kaggle download"


def _add_split_args(p: argparse.ArgumentParser, defaults_from_model: bool = False) -> None:
    extra = " (default: what the model was trained with)" if defaults_from_model else ""
    g = p.add_argument_group("split by speaker when the data has no validation_list.txt / testing_list.txt" + extra)
    g.add_argument("--val-percent", type=float, default=None, help="share of speakers for validation (default 10)")
    g.add_argument("--test-percent", type=float, default=None, help="share of speakers for testing (default 10)")
    g.add_argument("--split-salt", default=None,
                   help="salt for the speaker hash; needed for data that is one hash band already, such as the "
                        "Speech Commands test set (see README)")


def _split_rule(args, model_dir: str | None = None) -> SplitRule:
    base = SplitRule()
    if model_dir:
        info = ModelFolder.open(model_dir).read_json("training.json") or {}
        if info.get("split_rule"):
            base = SplitRule(**info["split_rule"])
    return SplitRule(
        validation_percent=args.val_percent if args.val_percent is not None else base.validation_percent,
        testing_percent=args.test_percent if args.test_percent is not None else base.testing_percent,
        salt=args.split_salt if args.split_salt is not None else base.salt,
    )


def _add_runtime_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cache-dir", default=None, help="feature cache folder (default ~/.cache/kwsapp/features, or $KWSAPP_CACHE_DIR)")
    p.add_argument("--workers", type=int, default=None, help="processes for feature extraction (default: all cores)")


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

    p = sub.add_parser("train", help="train a model and write a model folder",
                       description="Train a model (the notebook's CNN unless --recipe live or --arch dscnn) on one or more data ROOTs and write MODEL_DIR "
                                   "(model.keras, labels, feature settings, history, metrics, pictures). "
                                   "Ctrl-C keeps the last finished epoch; --resume continues from it.")
    p.add_argument("--data", required=True, nargs="+", help=ROOT_HELP + "; several ROOTs are trained on together")
    p.add_argument("--out", required=True, help="MODEL_DIR to write")
    p.add_argument("--recipe", choices=tuple(RECIPES), default="notebook",
                   help="notebook: the notebook's CNN and training, for reproducing it (default); live: the "
                        "bundled model's recipe, for the app (DS-CNN, larger shifts, more unknown, cosine "
                        "learning rate, 40 epochs). Flags given explicitly override the recipe's values")
    p.add_argument("--epochs", type=int, default=None, help="default 10 (notebook) / 40 (live)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--width", type=int, choices=(1, 2), default=1, help="filter multiplier: 1 = the notebook, 2 = its LB 0.74 run")
    p.add_argument("--arch", choices=("reference", "dscnn"), default=None,
                   help="reference: the notebook's CNN (the notebook recipe's); dscnn: a depthwise-separable CNN "
                        "(DS-CNN; the live recipe's)")
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
    p.add_argument("--unknown-ratio", type=float, default=None,
                   help="unknown clips per epoch, as a multiple of an average command's count (1 notebook, 1.5 live)")
    p.add_argument("--silence-ratio", type=float, default=1.0, help="silence clips per epoch, likewise")
    p.add_argument("--no-augment", action="store_true", help="train without shift / noise / gain augmentation")
    p.add_argument("--spliced-ratio", type=float, default=0.0,
                   help="made negatives per epoch, as a multiple of an average command's count: the first half of "
                        "one command joined to the second half of another, labelled unknown (real voices saying "
                        "non-words; default 0)")
    p.add_argument("--reversed-ratio", type=float, default=0.0,
                   help="made negatives per epoch, likewise: a command played backwards, labelled unknown (real "
                        "voices, not words; never 'no' or 'on', which sound like each other backwards; default 0)")
    p.add_argument("--label-smoothing", type=float, default=0.0,
                   help="share of each target spread over all labels (default 0)")
    p.add_argument("--snr-db", type=float, nargs=2, default=(0.0, 25.0), metavar=("MIN", "MAX"),
                   help="background noise mixed in at a speech-to-noise ratio drawn from MIN..MAX dB, from the "
                        "clip's mean power (default 0 25)")
    p.add_argument("--max-shift-ms", type=float, default=None,
                   help="time-shift augmentation, +- (notebook 100 ms, live 300 ms: larger shifts leave words partly "
                        "outside the window, as a live stream does)")
    _add_split_args(p)
    _add_runtime_args(p)

    p = sub.add_parser("evaluate", help="score a model on a split",
                       description="Accuracy, per-class accuracy and confusion matrix on the speaker-disjoint split.")
    p.add_argument("--data", required=True, nargs="+", help=ROOT_HELP)
    p.add_argument("--model", required=True, help="MODEL_DIR")
    p.add_argument("--split", choices=("validation", "test", "all"), default="test")
    p.add_argument("--json", default=None, help="write the metrics to this JSON file")
    _add_split_args(p, defaults_from_model=True)
    _add_runtime_args(p)

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

    p = sub.add_parser("make-stream", help="write a long test recording of held-out words over noise, and its truth",
                       description="Like TensorFlow's generate_streaming_test_wav: held-out clips (commands and "
                                   "other words) about every 3 s over the split's background noise, at 16 kHz, and "
                                   "a CSV with the time (middle of the word) and label of every word.")
    p.add_argument("--data", required=True, nargs="+", help=ROOT_HELP + " (several allowed)")
    p.add_argument("--split", choices=("validation", "test", "all"), default="test")
    p.add_argument("--out", required=True, help="the wav to write (16 kHz mono)")
    p.add_argument("--truth", required=True, help="the CSV to write: time_s,label")
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--snr-db", type=float, default=10.0, help="speech-to-background ratio (default 10 dB)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--unknown-share", type=float, default=0.25, help="share of the words that are not commands")
    _add_split_args(p)

    def add_decision_args(q):
        from kwsapp.core.decisions import DecisionSettings

        d = DecisionSettings()
        q.add_argument("--hop-ms", type=float, default=DEFAULT_HOP_MS, help=f"classify every N ms, as the app (default {DEFAULT_HOP_MS:g})")
        q.add_argument("--threshold", type=float, default=d.threshold, help=f"default {d.threshold} (the app's)")
        q.add_argument("--average-window-ms", type=float, default=d.average_window_ms,
                       help=f"default {d.average_window_ms:g} (the app's)")
        q.add_argument("--refractory-ms", type=float, default=d.refractory_ms,
                       help=f"default {d.refractory_ms:g} (the app's)")
        q.add_argument("--minimum-count", type=int, default=d.minimum_count,
                       help=f"results needed in the averaging window (default {d.minimum_count}, the app's)")

    p = sub.add_parser("stream-eval", help="score a model on a long recording the way the app listens",
                       description="Slides the app's 1-s window over the recording (same features, same model "
                                   "runtime, same decision class and defaults) and reports, like TensorFlow's "
                                   "test_streaming_accuracy, the share of command words recognised correctly, "
                                   "wrongly, missed, and false alarms per hour.")
    p.add_argument("--model", required=True, help="MODEL_DIR")
    p.add_argument("--wav", required=True)
    p.add_argument("--truth", required=True, help="time_s,label CSV (make-stream writes it)")
    p.add_argument("--json", default=None, help="write the result (and every announcement) to this JSON file")
    p.add_argument("--runtime", choices=("litert", "keras"), default="litert")
    add_decision_args(p)

    p = sub.add_parser("stream-sweep", help="choose threshold, averaging window and refractory time on a stream",
                       description="Scores every combination of the three decision settings on one recording "
                                   "(the model runs once), prints the table and the choice: the most correct "
                                   "within --max-wrong and --max-fa-per-hour.")
    p.add_argument("--model", required=True, help="MODEL_DIR")
    p.add_argument("--wav", required=True)
    p.add_argument("--truth", required=True)
    p.add_argument("--hop-ms", type=float, default=DEFAULT_HOP_MS, help=f"default {DEFAULT_HOP_MS:g}, the app's")
    p.add_argument("--max-wrong", type=float, default=0.03)
    p.add_argument("--max-fa-per-hour", type=float, default=6.0)
    p.add_argument("--json", default=None)
    p.add_argument("--top", type=int, default=20, help="rows of the table to print (best first)")

    p = sub.add_parser("export-litert", help="add model.tflite (the app's fast path) to a model folder",
                       description="Convert MODEL_DIR/model.keras to MODEL_DIR/model.tflite for the LiteRT runtime. "
                                   "train does this by itself; use it on folders made before.")
    p.add_argument("--model", required=True, help="MODEL_DIR")
    return ap


def cmd_synth(args) -> int:
    from .synth import synthesize

    info = synthesize(args.out, per_word=args.per_word, test_clips=args.test_clips, seed=args.seed, n_speakers=args.speakers)
    print(json.dumps(info))
    return 0


def cmd_train(args) -> int:
    from .train import TrainConfig, train

    recipe = resolve_recipe(args.recipe, {k: getattr(args, k) for k in RECIPES[args.recipe]})
    cfg = TrainConfig(data=args.data, out=args.out, batch_size=args.batch_size, width=args.width, seed=args.seed,
                      resume=args.resume, learning_rate=args.learning_rate, silence_ratio=args.silence_ratio,
                      augment=not args.no_augment, spliced_ratio=args.spliced_ratio,
                      reversed_ratio=args.reversed_ratio, label_smoothing=args.label_smoothing,
                      snr_db_range=tuple(args.snr_db),
                      split=_split_rule(args), cache_dir=args.cache_dir, workers=args.workers, **recipe)
    metrics = train(cfg)
    print(json.dumps({k: (v["accuracy"] if isinstance(v, dict) else v) for k, v in metrics.items()}))
    return 0


def cmd_evaluate(args) -> int:
    from .cache import FeatureCache
    from .evaluate import evaluate, format_metrics
    from .infer import Predictor
    from .sources import eval_set, load_source

    predictor = Predictor(args.model)
    rule = _split_rule(args, args.model)
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


def cmd_make_stream(args) -> int:
    from .stream import make_stream

    split = {"test": "testing"}.get(args.split, args.split)
    info = make_stream(args.data, split, args.out, args.truth, minutes=args.minutes, snr_db=args.snr_db,
                       seed=args.seed, rule=_split_rule(args), unknown_share=args.unknown_share)
    for line in info.pop("skipped"):
        print(f"warning: skipped {line}", file=sys.stderr)
    print(json.dumps(info))
    return 0


def _decisions(args):
    from kwsapp.core.decisions import DecisionSettings

    return DecisionSettings(average_window_ms=args.average_window_ms, threshold=args.threshold,
                            refractory_ms=args.refractory_ms, minimum_count=args.minimum_count)


def cmd_stream_eval(args) -> int:
    from .stream import TOLERANCE_TEXT, StreamScore, stream_eval

    r = stream_eval(args.model, args.wav, args.truth, hop_ms=args.hop_ms, decisions=_decisions(args),
                    runtime=args.runtime)
    s = StreamScore(**{k: r[k] for k in StreamScore.__dataclass_fields__})
    d = r["decisions"]
    print(f"hop {args.hop_ms:g} ms, threshold {d['threshold']:g}, averaging {d['average_window_ms']:g} ms, "
          f"refractory {d['refractory_ms']:g} ms; {TOLERANCE_TEXT}")
    print(s.line())
    if args.json:
        write_json_atomic(args.json, r)
    return 0


def cmd_stream_sweep(args) -> int:
    from .stream import TOLERANCE_TEXT, sweep

    rows, best = sweep(args.model, args.wav, args.truth, hop_ms=args.hop_ms, max_wrong=args.max_wrong,
                       max_fa_per_hour=args.max_fa_per_hour)
    print(f"{len(rows)} settings on {rows[0]['words']} command words, {rows[0]['hours'] * 60:.1f} min; {TOLERANCE_TEXT}")
    print(f"{'threshold':>9} {'window':>7} {'refract':>7} {'min':>4} {'correct':>8} {'wrong':>6} {'missed':>7} {'FA/h':>6}")
    ok = lambda r: r["wrong"] <= args.max_wrong and r["false_alarms_per_hour"] <= args.max_fa_per_hour  # noqa: E731
    ranked = sorted(rows, key=lambda r: (not ok(r), -r["correct"], r["false_alarms_per_hour"]))
    for r in ranked[:args.top]:
        print(f"{r['threshold']:>9.2f} {r['average_window_ms']:>7.0f} {r['refractory_ms']:>7.0f} {r['minimum_count']:>4} {r['correct']:>8.1%} "
              f"{r['wrong']:>6.1%} {r['missed']:>7.1%} {r['false_alarms_per_hour']:>6.1f}" + ("" if ok(r) else "  (over a limit)"))
    print(f"chosen: threshold {best['threshold']:g}, averaging window {best['average_window_ms']:g} ms, refractory "
          f"{best['refractory_ms']:g} ms, minimum count {best['minimum_count']} -> correct {best['correct']:.1%}, wrong {best['wrong']:.1%}, "
          f"missed {best['missed']:.1%}, {best['false_alarms_per_hour']:.1f} false alarms per hour"
          + ("" if ok(best) else " (no setting meets both limits)"))
    if args.json:
        write_json_atomic(args.json, {"rows": rows, "best": best})
    return 0


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
    from .train import TrainError

    try:
        return COMMANDS[args.command](args)
    except (DatasetError, ModelFolderError, AudioError, StreamError, SubmitError, SynthError, TrainError) as exc:
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
