#!/usr/bin/env bash
# Reproduce assets/default_model: real voices (the shared Speech Commands sample and the gathered recordings,
# `bash scripts/gather_data.sh`) plus synthetic espeak-ng speech; then its clip accuracy on both folders' held-out
# speakers, and its streaming figures.
#   bash scripts/train_default_model.sh [OUT_DIR]
# The "live" recipe (trainer/models/config.py: the wide DS-CNN, +-300 ms shifts, 1.5x unknown, SpecAugment masks, every
# command drawn equally often, a cosine learning rate over 40 epochs, keeping the epoch with the best validation
# accuracy), seed 0. Run again after an interruption (or the end of a session): finished models are kept and an
# interrupted one resumes from its last finished epoch.
# Then its verifier (a width-2 DS-CNN in OUT/verifier, named by OUT/verifier.json), unless VERIFIER=0.
# SEED, EPOCHS, ARCH (each the recipe's when unset), TEACHERS (model folders whose scores are half of each target; each missing one is trained first,
# as a DS-CNN of width 2, seeds 0, 1, ... in the order given) and EXTRA (more train flags) change it.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/default_model}
SAMPLE=${SAMPLE:-../shared/speech_commands_sample}
GATHERED=${GATHERED:-../data/gathered}
SYNTH=${SYNTH:-runs/synth_bundle}
ARCH=${ARCH-}
SEED=${SEED-}
EPOCHS=${EPOCHS-}
TEACHERS=${TEACHERS-}
EXTRA=${EXTRA:-}
PY=${PY:-.venv/bin/python}
SPLIT=(--split-salt kwsapp --test-percent 15)
[ -d "$SAMPLE/train/audio" ] || { echo "error: $SAMPLE/train/audio not found (set SAMPLE=...)" >&2; exit 2; }
[ -f "$GATHERED/gather_manifest.csv" ] || {
    echo "error: $GATHERED is not a finished gathered folder: run bash scripts/gather_data.sh first" >&2; exit 2; }
[ -d "$SYNTH/train/audio" ] || $PY -m trainer synth --out "$SYNTH" --per-word 150 --test-clips 600 --seed 11
DATA=(--data "$SAMPLE" "$GATHERED" "$SYNTH")
resume() { [ -d "$1/.checkpoint" ] && echo --resume || true; }

TEACH=()
k=0
for t in $TEACHERS; do
    [ -f "$t/model.keras" ] || $PY -m trainer train "${DATA[@]}" "${SPLIT[@]}" --recipe live \
        --arch dscnn --width 2 --out "$t" --seed "$k" $(resume "$t")
    TEACH+=(--teacher "$t")
    k=$((k + 1))
done
[ -f "$OUT/model.keras" ] || $PY -m trainer train "${DATA[@]}" "${SPLIT[@]}" --recipe live --out "$OUT" \
    ${ARCH:+--arch "$ARCH"} ${EPOCHS:+--epochs "$EPOCHS"} ${SEED:+--seed "$SEED"} "${TEACH[@]}" $EXTRA $(resume "$OUT")
# its verifier: the DS-CNN at twice the channels, the same data and recipe, checking each announcement (VERIFIER=0: none)
if [ "${VERIFIER:-1}" != 0 ]; then
    [ -f "$OUT/verifier/model.tflite" ] || $PY -m trainer train "${DATA[@]}" "${SPLIT[@]}" --recipe live \
        --arch dscnn --width 2 --out "$OUT/verifier" $(resume "$OUT/verifier")
    printf '{\n  "folder": "verifier",\n  "threshold": %s\n}\n' "${VERIFIER_THRESHOLD:-0.5}" > "$OUT/verifier.json"
fi

for d in "$SAMPLE" "$GATHERED"; do
    $PY -m trainer evaluate --data "$d" --model "$OUT" --split test "${SPLIT[@]}" \
        --json "$OUT/$(basename "$d")_test_metrics.json"
done
# 30-min streams of held-out speakers over the sample's held-out noise: validation (both folders' speakers, to choose
# the decision settings) and test (each folder's own speakers, at 10 and 20 dB, to report)
mkdir -p runs/streams
S=("${SPLIT[@]}" --minutes 30 --noise-from "$SAMPLE")
stream() { [ -f "runs/streams/$1.wav" ] || $PY -m trainer make-stream "${S[@]}" --out "runs/streams/$1.wav" \
    --truth "runs/streams/$1.csv" "${@:2}"; }
stream cval --data "$SAMPLE" "$GATHERED" --split validation --seed 1
stream test --data "$SAMPLE" --split test --seed 2
stream test20 --data "$SAMPLE" --split test --seed 2 --snr-db 20
stream gtest --data "$GATHERED" --split test --seed 2
stream gtest20 --data "$GATHERED" --split test --seed 2 --snr-db 20
$PY -m trainer stream-sweep --model "$OUT" --wav runs/streams/cval.wav --truth runs/streams/cval.csv \
    --json "$OUT/stream_sweep_validation.json"
for s in test gtest; do
    $PY -m trainer stream-eval --model "$OUT" --wav "runs/streams/$s.wav" --truth "runs/streams/$s.csv" \
        --json "$OUT/stream_$s.json"
done
