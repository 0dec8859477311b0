"""The streaming commands of ``python -m trainer``: make-stream, stream-eval, stream-sweep."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kwsapp.core.decisions import DEFAULT_HOP_MS, DecisionSettings
from kwsapp.core.modelfolder import write_json_atomic
from trainer.cli.common import ROOT_HELP, add_split_args, split_rule


def command_thresholds(text: str) -> str:
    """An argparse type: per-command thresholds, ``yes=0.8,no=0.7``, checked and written back in one form."""
    import argparse

    from kwsapp.core.decisions import format_command_thresholds, parse_command_thresholds

    try:
        return format_command_thresholds(parse_command_thresholds(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


RUNTIME_HELP = ("litert: the model.tflite on 1-s windows every --hop-ms, as the app; keras: the model.keras so; "
                "incremental: a dscnn_stream model's stream_step.tflite (export-stream writes it) every 40 ms, "
                "on features computed as the audio arrives (no verifier)")


def add_stream_parsers(sub) -> None:
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
    p.add_argument("--noise-from", nargs="+", default=None, metavar="ROOT",
                   help="take the background from these data ROOTs' _background_noise_ instead of --data's (for "
                        "data that has none, e.g. the gathered recordings)")
    add_split_args(p)

    def add_decision_args(q):
        from dataclasses import fields

        from kwsapp.core.decisions import DecisionSettings, decision_flag

        d = DecisionSettings()
        q.add_argument("--hop-ms", type=float, default=DEFAULT_HOP_MS, help=f"classify every N ms, as the app (default {DEFAULT_HOP_MS:g})")
        for f in fields(DecisionSettings):  # one flag per field of the decision settings, the app's defaults
            value = getattr(d, f.name)
            if isinstance(value, str):
                q.add_argument(decision_flag(f.name), type=command_thresholds, default=value, metavar="LABEL=TH,...",
                               help="thresholds of their own for some commands (default: none; calibrate chooses them)")
            else:
                q.add_argument(decision_flag(f.name), type=type(value), default=value, help=f"default {value:g} (the app's)")

    p = sub.add_parser("stream-eval", help="score a model on a long recording the way the app listens",
                       description="Slides the app's 1-s window over the recording (same features, same model "
                                   "runtime, same decision class and defaults) and reports, like TensorFlow's "
                                   "test_streaming_accuracy, the share of command words recognised correctly, "
                                   "wrongly, missed, and false alarms per hour.")
    p.add_argument("--model", required=True, help="MODEL_DIR")
    p.add_argument("--wav", required=True)
    p.add_argument("--truth", required=True, help="time_s,label CSV (make-stream writes it)")
    p.add_argument("--json", default=None, help="write the result (and every announcement) to this JSON file")
    p.add_argument("--runtime", choices=("litert", "keras", "incremental"), default="litert", help=RUNTIME_HELP)
    p.add_argument("--anatomy", default=None, metavar="PLOT.png",
                   help="also say where each word that was not announced correctly was lost, and what each false "
                        "alarm fired on: a table, and this plot")
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
    p.add_argument("--runtime", choices=("litert", "incremental"), default="litert", help=RUNTIME_HELP)
    p.add_argument("--command-thresholds", type=command_thresholds, default="", metavar="LABEL=TH,...",
                   help="per-command thresholds kept through the sweep (they replace the swept threshold for those "
                        "commands)")
    add_calibrate_parser(sub)


def add_calibrate_parser(sub) -> None:
    p = sub.add_parser("calibrate", help="per-command thresholds that keep a room's false alarms within a budget",
                       description="Scores a recording of the room (no commands spoken; television, music, talk "
                                   "welcome) and the user's own takes (EXAMPLES/<label>/*.wav), then gives each command "
                                   "the lowest threshold, from --lowest up, whose false alarms on the room stay within "
                                   "--budget-per-hour, prints what each costs on the takes, and keeps the thresholds in "
                                   "the app's decision settings. Uses the app's saved decision settings otherwise.")
    p.add_argument("--model", required=True, help="MODEL_DIR")
    p.add_argument("--room", required=True, metavar="WAV", help="the room, at least a minute (ten is better)")
    p.add_argument("--examples", required=True, metavar="DIR", help="the user's takes, <label>/*.wav")
    p.add_argument("--budget-per-hour", type=float, default=1.0, help="false alarms per hour allowed per command (default 1)")
    p.add_argument("--lowest", type=float, default=None,
                   help="never below this threshold (default: the decision settings' own threshold)")
    p.add_argument("--hop-ms", type=float, default=DEFAULT_HOP_MS, help=f"default {DEFAULT_HOP_MS:g}, the app's")
    p.add_argument("--json", default=None, help="write every command's curve and choice to this JSON file")
    p.add_argument("--dry-run", action="store_true", help="print the thresholds without keeping them")


def cmd_make_stream(args) -> int:
    from trainer.recordings.replay import make_stream

    split = {"test": "testing"}.get(args.split, args.split)
    info = make_stream(args.data, split, args.out, args.truth, minutes=args.minutes, snr_db=args.snr_db,
                       seed=args.seed, rule=split_rule(args), unknown_share=args.unknown_share,
                       noise_roots=args.noise_from)
    for line in info.pop("skipped"):
        print(f"warning: skipped {line}", file=sys.stderr)
    print(json.dumps(info))
    return 0


def _decisions(args):
    from dataclasses import fields

    from kwsapp.core.decisions import DecisionSettings

    return DecisionSettings(**{f.name: getattr(args, f.name) for f in fields(DecisionSettings)})


def cmd_stream_eval(args) -> int:
    from trainer.recordings.replay import stream_eval
    from trainer.recordings.scoring import TOLERANCE_TEXT, StreamScore

    r = stream_eval(args.model, args.wav, args.truth, hop_ms=args.hop_ms, decisions=_decisions(args),
                    runtime=args.runtime, with_anatomy=bool(args.anatomy))
    s = StreamScore(**{k: r[k] for k in StreamScore.__dataclass_fields__})
    d = r["decisions"]
    print(f"hop {r['hop_ms']:g} ms, threshold {d['threshold']:g}, averaging {d['average_window_ms']:g} ms, "
          f"refractory {d['refractory_ms']:g} ms, minimum {d['minimum_count']} results, peak threshold "
          f"{d['peak_threshold']:g}; {TOLERANCE_TEXT}")
    print(s.line())
    if r["intervals"]:
        print(r["intervals"]["text"])
    if args.anatomy:
        from trainer.recordings.anatomy import anatomy_table, save_anatomy_plot

        name = Path(args.wav).stem
        print(anatomy_table({name: r["anatomy"]}))
        save_anatomy_plot({name: r["anatomy"]}, args.anatomy)
        print(f"wrote {args.anatomy}")
    if args.json:
        write_json_atomic(args.json, r)
    return 0


def cmd_stream_sweep(args) -> int:
    from trainer.recordings.scoring import TOLERANCE_TEXT
    from trainer.recordings.sweep import sweep

    rows, best = sweep(args.model, args.wav, args.truth, hop_ms=args.hop_ms, max_wrong=args.max_wrong,
                       max_fa_per_hour=args.max_fa_per_hour, command_thresholds=args.command_thresholds,
                       runtime=args.runtime)
    print(f"{len(rows)} settings on {rows[0]['words']} command words, {rows[0]['hours'] * 60:.1f} min; {TOLERANCE_TEXT}")
    print(f"{'threshold':>9} {'window':>7} {'refract':>7} {'min':>4} {'peak':>5} {'correct':>8} {'wrong':>6} {'missed':>7} {'FA/h':>6}")
    ok = lambda r: r["wrong"] <= args.max_wrong and r["false_alarms_per_hour"] <= args.max_fa_per_hour  # noqa: E731
    ranked = sorted(rows, key=lambda r: (not ok(r), -r["correct"], r["false_alarms_per_hour"]))
    for r in ranked[:args.top]:
        print(f"{r['threshold']:>9.2f} {r['average_window_ms']:>7.0f} {r['refractory_ms']:>7.0f} {r['minimum_count']:>4} "
              f"{r['peak_threshold']:>5.2f} {r['correct']:>8.1%} "
              f"{r['wrong']:>6.1%} {r['missed']:>7.1%} {r['false_alarms_per_hour']:>6.1f}" + ("" if ok(r) else "  (over a limit)"))
    print(f"chosen: threshold {best['threshold']:g}, averaging window {best['average_window_ms']:g} ms, refractory "
          f"{best['refractory_ms']:g} ms, minimum count {best['minimum_count']}, peak threshold {best['peak_threshold']:g}"
          + (f", verifier threshold {best['verifier_threshold']:g} (verifier.json)" if "verifier_threshold" in best else "")
          + f" -> correct {best['correct']:.1%}, wrong {best['wrong']:.1%}, "
          f"missed {best['missed']:.1%}, {best['false_alarms_per_hour']:.1f} false alarms per hour"
          + ("" if ok(best) else " (no setting meets both limits)"))
    if best["intervals"]:
        print(f"chosen, {best['intervals']['text']}")
    if args.json:
        write_json_atomic(args.json, {"rows": rows, "best": best})
    return 0


def cmd_calibrate(args) -> int:
    from dataclasses import replace

    from kwsapp.core.shared_settings import read_decisions, write_decisions
    from trainer.recordings.calibrate import calibrate

    decisions, problems = read_decisions()
    for p in problems:
        print(f"note: {p}", file=sys.stderr)
    decisions = decisions or DecisionSettings()
    r = calibrate(args.model, args.room, args.examples, args.budget_per_hour, args.lowest, args.hop_ms, decisions)
    print(f"room {r['room_minutes']:.1f} min, budget {args.budget_per_hour:g} false alarms per hour per command, "
          f"thresholds from {r['lowest']:g} up")
    print(f"{'command':>9} {'threshold':>9} {'FA/h':>6} {'takes':>5} {'missed':>7}")
    for c, v in r["commands"].items():
        missed = f"{v['missed']:.0%}" if v["missed"] is not None else "-"
        print(f"{c:>9} {v['threshold']:>9.2f} {v['false_alarms_per_hour']:>6.1f} {v['takes']:>5} {missed:>7}"
              + ("" if v["within_budget"] else "  (over the budget even at the highest threshold)"))
    if r["skipped"]:
        print(f"skipped {len(r['skipped'])} unreadable take(s): " + "; ".join(r["skipped"][:3]), file=sys.stderr)
    if args.json:
        write_json_atomic(args.json, r)
    if args.dry_run:
        print(f"command thresholds: {r['command_thresholds'] or 'none'} (not kept: --dry-run)")
    else:
        kept = write_decisions(replace(decisions, command_thresholds=r["command_thresholds"]))
        print(f"command thresholds: {r['command_thresholds'] or 'none'}; kept in {kept} (the app "
              "reads them at its next start; its Defaults button clears them)")
    return 0
