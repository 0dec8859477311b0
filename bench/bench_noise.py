"""Clip accuracy in background noise: held-out clips mixed with the held-out part of the noise recordings,
at the SNRs a stream is made at, measured the way ``make-stream`` measures them (the word's active level
over the noise's RMS). It shows how much of the streaming figures is the model's hearing in noise, before
any decision is taken.

    python -m bench.bench_noise --data ../shared/speech_commands_sample [--model DIR] [--split test]
                                [--snr-db 20 10 5] [--seed 0] [--feature-mix]

With --feature-mix, each noisy row is followed by two where the same clip and noise are mixed the ways training
can mix them, in the power spectrogram: with the powers added (the default) and with the speech-noise cross term
at a random phase per bin (``train --noise-cross-term``). A training mix that the model hears better than the real
one is easier than what the microphone brings.

The split comes from the model's training.json unless --val-percent / --test-percent / --split-salt are given.
Prints a Markdown table: accuracy on every clip, and what the command words became.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    from trainer.cli.common import ROOT_HELP, add_split_args, split_rule

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help=ROOT_HELP)
    ap.add_argument("--model", default=str(REPO / "assets" / "default_model"))
    ap.add_argument("--split", choices=("validation", "test"), default="test")
    ap.add_argument("--snr-db", type=float, nargs="+", default=[20.0, 10.0, 5.0])
    ap.add_argument("--seed", type=int, default=0, help="which noise window goes with which clip")
    ap.add_argument("--feature-mix", action="store_true",
                    help="also mix in the power spectrogram, as training does (powers added; cross term drawn)")
    add_split_args(ap, defaults_from_model=True)
    args = ap.parse_args()

    from kwsapp.core.audio import AudioError, fix_length, read_wav, resample
    from kwsapp.core.features import features_from_wave
    from kwsapp.core.labels import COMMANDS, LABELS, SILENCE, UNKNOWN
    from trainer.data.augment import mix_power, to_log, to_power
    from trainer.data.dataset import TESTING, VALIDATION, index_dataset, load_noise, noise_windows
    from trainer.models.keras_model import KerasScorer
    from trainer.recordings.replay import STREAM_RATE_HZ, active_rms

    split = TESTING if args.split == "test" else VALIDATION
    index = index_dataset(args.data, split_rule(args, args.model))
    part = index.split(split)
    pred = KerasScorer(args.model)
    rate = STREAM_RATE_HZ
    waves, ys, skipped = [], [], 0
    for path, label in zip(part["path"], part["label"]):
        try:
            r, x = read_wav(index.audio_dir / path)
        except AudioError as exc:
            print(f"skipped: {exc}", file=sys.stderr)
            skipped += 1
            continue
        waves.append(fix_length(resample(x, r, rate).astype(np.float64), rate))
        ys.append(LABELS.index(label))
    if not waves:
        print(f"error: no readable clips in the {args.split} split of {args.data}", file=sys.stderr)
        return 2
    waves, ys = np.stack(waves), np.array(ys)
    noise, errors = load_noise(index.noise_files)
    for e in errors:
        print(f"skipped noise: {e}", file=sys.stderr)
    if not noise:
        print(f"error: no background noise under {index.audio_dir / '_background_noise_'}", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    bed = np.stack([fix_length(resample(x, r, rate).astype(np.float64), rate)
                    for x, r in noise_windows(noise, split, len(waves), rng)])
    level = np.array([active_rms(w, rate) for w in waves])
    noise_rms = np.sqrt(np.mean(np.square(bed), axis=1)) + 1e-12
    is_cmd_label = np.isin(LABELS, COMMANDS)  # by class number
    cmd, unk = is_cmd_label[ys], ys == LABELS.index(UNKNOWN)

    def share(mask, n):
        return f"{mask.sum() / n:.1%}" if n else "-"

    print(f"model {args.model}; {len(waves)} clips of the {args.split} split of {args.data} ({cmd.sum()} commands, "
          f"{unk.sum()} other words; {skipped} unreadable); noise: the {args.split} part of {len(noise)} recordings; "
          f"SNR = the word's active RMS over the noise RMS, as make-stream sets it\n")
    print("| SNR | accuracy, all clips | commands right | command -> other command | command -> unknown "
          "| command -> silence | other word -> a command |")
    print("|---|---|---|---|---|---|---|")
    def row(name, feats):
        p = pred.scores(feats).argmax(axis=1)
        pc, yc = p[cmd], ys[cmd]
        print(f"| {name} | {np.mean(p == ys):.3f} | {share(pc == yc, cmd.sum())} "
              f"| {share((pc != yc) & is_cmd_label[pc], cmd.sum())} | {share(pc == LABELS.index(UNKNOWN), cmd.sum())} "
              f"| {share(pc == LABELS.index(SILENCE), cmd.sum())} | {share(is_cmd_label[p[unk]], unk.sum())} |")

    settings = pred.settings
    clean = features_from_wave(waves, rate, settings)
    row("clean", clean)
    clean_power = to_power(clean, settings.log_eps)
    mix_rng = np.random.default_rng([args.seed, 1])
    for snr in args.snr_db:
        noise_part = bed * (level / noise_rms / 10 ** (snr / 20))[:, None]
        row(f"{snr:g} dB", features_from_wave(waves + noise_part, rate, settings))
        if args.feature_mix:
            noise_power = to_power(features_from_wave(noise_part, rate, settings), settings.log_eps)
            for name, rng in (("powers added", None), ("cross term drawn", mix_rng)):
                row(f"{snr:g} dB, spectrogram mix, {name}", to_log(mix_power(clean_power, noise_power, rng), settings.log_eps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
