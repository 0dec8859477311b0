#!/usr/bin/env bash
# Reproduce assets/default_model: the real Speech Commands sample in ../shared plus synthetic espeak-ng
# speech, then its clip accuracy on the sample's held-out speakers and its streaming figures.
#   bash scripts/train_default_model.sh [OUT_DIR]      (about 1.5 hours on 2 cores, the teachers first)
# The "live" recipe (trainer/recipes.py): the wide DS-CNN, +-300 ms shifts, 1.5x unknown, SpecAugment masks, a
# cosine learning rate, keeping the epoch with the best validation accuracy; half of each target is the mean
# score of two DS-CNNs of width 2 (the teachers, trained first by the same recipe for 40 epochs; --teacher); the
# model itself for 80 epochs, seed 0.
# ARCH=reference|dscnn|dscnn_wide, SHIFT_MS, UNKNOWN, SEED, EPOCHS, TEACHERS (model folders, "" for
# none) and EXTRA (more train flags) change it.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/default_model}
SAMPLE=${SAMPLE:-../shared/speech_commands_sample}
SYNTH=${SYNTH:-runs/synth_bundle}
ARCH=${ARCH:-dscnn_wide}
SHIFT_MS=${SHIFT_MS:-300}
UNKNOWN=${UNKNOWN:-1.5}
SEED=${SEED:-0}
EPOCHS=${EPOCHS:-80}
TEACHERS=${TEACHERS-runs/live_w2_s0 runs/live_w2_s1}
EXTRA=${EXTRA:-}
PY=${PY:-.venv/bin/python}
SPLIT="--split-salt kwsapp --test-percent 15"
[ -d "$SAMPLE/train/audio" ] || { echo "error: $SAMPLE/train/audio not found (set SAMPLE=...)" >&2; exit 2; }
[ -d "$SYNTH/train/audio" ] || $PY -m trainer synth --out "$SYNTH" --per-word 150 --test-clips 600 --seed 11
TEACH=()
k=0
for t in $TEACHERS; do
    # a missing teacher is trained as the bundled model's were: the live recipe with the DS-CNN at twice the
    # channels, seeds 0, 1, ... in the order given
    [ -f "$t/model.keras" ] || $PY -m trainer train --data "$SAMPLE" "$SYNTH" $SPLIT --recipe live --arch dscnn \
        --width 2 --out "$t" --seed "$k"
    TEACH+=(--teacher "$t")
    k=$((k + 1))
done
$PY -m trainer train --data "$SAMPLE" "$SYNTH" $SPLIT --recipe live --arch "$ARCH" --max-shift-ms "$SHIFT_MS" \
    --unknown-ratio "$UNKNOWN" --out "$OUT" --seed "$SEED" --epochs "$EPOCHS" "${TEACH[@]}" $EXTRA
$PY -m trainer evaluate --data "$SAMPLE" --model "$OUT" --split test --json "$OUT/sample_test_metrics.json"
# streams of held-out speakers at 10 dB SNR: validation (to choose the decision settings) and test (to report)
mkdir -p runs/streams
[ -f runs/streams/val.wav ] || $PY -m trainer make-stream --data "$SAMPLE" $SPLIT --split validation \
    --out runs/streams/val.wav --truth runs/streams/val.csv --minutes 30 --seed 1
[ -f runs/streams/test.wav ] || $PY -m trainer make-stream --data "$SAMPLE" $SPLIT --split test \
    --out runs/streams/test.wav --truth runs/streams/test.csv --minutes 30 --seed 2
$PY -m trainer stream-sweep --model "$OUT" --wav runs/streams/val.wav --truth runs/streams/val.csv \
    --json "$OUT/stream_sweep_validation.json"
$PY -m trainer stream-eval --model "$OUT" --wav runs/streams/test.wav --truth runs/streams/test.csv \
    --json "$OUT/stream_test.json"
