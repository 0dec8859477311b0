"""Voices the project never trained on, taught in seconds: flite's voices (Debian's flite; the project trains only on
real recordings, espeak-ng and festival) say each command and a word of their own several times, at several tempos
and pitches; ``python -m trainer personalize`` runs as a whole process on the first takes of each (3 by default),
timed from start to finish, and the other takes are scored before and after.

    python -m bench.bench_new_voices [--model assets/embedding_model] [--voices slt rms awb kal] [--takes 3]
                                     [--per-word 8] [--own-word lights] [--json FILE]

Prints, for each voice, the commands' other takes right before and after, the own word's other takes heard, and the
seconds of the fine-tune; then the machine.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.machine import describe

REPO = Path(__file__).resolve().parents[1]
RATE_HZ = 16000


def flite_take(word: str, voice: str, stretch: float, f0_hz: float, workdir: Path) -> np.ndarray:
    """One take, 16 kHz, silence trimmed."""
    from kwsapp.core.audio import read_wav, resample
    from trainer.data.synth import trim_silence

    out = workdir / "take.wav"
    subprocess.run(["flite", "-voice", voice, "-t", word, "-o", str(out), "--setf", f"duration_stretch={stretch:.3f}",
                    "--setf", f"int_f0_target_mean={f0_hz:.1f}"], check=True, capture_output=True, timeout=60)
    rate, x = read_wav(out)
    return trim_silence(resample(x, rate, RATE_HZ))


def in_clip(word: np.ndarray, rng) -> np.ndarray:
    """The take in a 1-s clip at a random place, over faint room noise, as the recorder keeps a take (the synthetic
    set's placement, trainer.data.synth.place_in_clip, at a room's noise level of its own)."""
    from trainer.data.synth import place_in_clip

    return place_in_clip(word, rng, 10 ** rng.uniform(-3.5, -2.5)).astype(np.float32)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(REPO / "assets" / "embedding_model"))
    ap.add_argument("--voices", nargs="+", default=["slt", "rms", "awb", "kal"])
    ap.add_argument("--takes", type=int, default=3, help="takes of each word to learn from")
    ap.add_argument("--per-word", type=int, default=8, help="takes of each word in all (the rest are scored)")
    ap.add_argument("--own-word", default="lights", help="a word of one's own taught with the commands ('' for none)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    if shutil.which("flite") is None:
        print("error: flite is not installed (Debian: apt-get install flite)", file=sys.stderr)
        return 2
    from kwsapp.core.audio import write_wav
    from kwsapp.core.labels import COMMANDS
    from kwsapp.core.modelfolder import ModelFolder
    from kwsapp.engine.kinds import clip_scorer

    labels = ModelFolder.open(args.model).labels
    before = clip_scorer(args.model)
    words = list(COMMANDS) + ([args.own_word] if args.own_word else [])
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-voices-") as tmp:
        tmp = Path(tmp)
        for v, voice in enumerate(args.voices):
            rng = np.random.default_rng([7, v])
            takes = {w: [in_clip(flite_take(w, voice, rng.uniform(0.8, 1.25), rng.uniform(90, 200), tmp), rng)
                         for _ in range(args.per_word)] for w in words}
            ex = tmp / f"ex_{voice}"
            for w, clips in takes.items():
                (ex / w).mkdir(parents=True)
                for i, clip in enumerate(clips[:args.takes]):
                    write_wav(ex / w / f"take{i}.wav", clip, RATE_HZ)
            out = tmp / f"model_{voice}"
            t0 = time.perf_counter()
            r = subprocess.run([sys.executable, "-m", "trainer", "personalize", "--model", args.model, "--examples",
                                str(ex), "--out", str(out)], capture_output=True, text=True, timeout=900)
            seconds = time.perf_counter() - t0
            if r.returncode != 0:
                print(f"error: personalize for {voice}: {(r.stderr.strip().splitlines() or ['?'])[-1]}", file=sys.stderr)
                return 2
            after, new_labels = clip_scorer(out), ModelFolder.open(out).labels

            def right(score, labs, ws):
                tests = [(w, c) for w in ws for c in takes[w][args.takes:]]
                return float(np.mean([labs[int(np.argmax(score(c, RATE_HZ)))] == w for w, c in tests]))

            row = {"voice": voice, "commands_before": right(before, labels, COMMANDS),
                   "commands_after": right(after, new_labels, COMMANDS), "seconds": seconds,
                   "own_word_after": right(after, new_labels, [args.own_word]) if args.own_word else None}
            rows.append(row)
            print(f"  {voice}: commands' other takes right {row['commands_before']:.1%} -> {row['commands_after']:.1%}"
                  + (f", '{args.own_word}' heard in {row['own_word_after']:.1%} of its other takes" if args.own_word
                     else "") + f"; personalize as a whole process {seconds:.1f} s", flush=True)
    print(f"\n{describe()}; {args.model}; {args.takes} takes of each of {len(words)} words to learn from, "
          f"{args.per_word - args.takes} other takes of each scored")
    print("| voice | commands right before | after | own word heard after | seconds (whole process) |")
    print("|---|---|---|---|---|")
    for r in rows:
        own = f"{r['own_word_after']:.1%}" if r["own_word_after"] is not None else "-"
        print(f"| flite {r['voice']} | {r['commands_before']:.1%} | {r['commands_after']:.1%} | {own} | {r['seconds']:.1f} |")
    if args.json:
        from kwsapp.core.files import write_atomic

        write_atomic(args.json, lambda p: Path(p).write_text(json.dumps({"machine": describe(), "model": args.model,
                                                                        "takes": args.takes, "rows": rows}, indent=1)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
