#!/usr/bin/env bash
# Reproduce assets/default_model: synthetic espeak-ng speech + the real Speech Commands sample in
# ../shared, the reference CNN (width 1), then the score on the sample's held-out speakers.
#   bash scripts/train_default_model.sh [OUT_DIR]      (about 6 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/default_model}
SAMPLE=${SAMPLE:-../shared/speech_commands_sample}
SYNTH=${SYNTH:-runs/synth_bundle}
PY=${PY:-.venv/bin/python}
[ -d "$SAMPLE/train/audio" ] || { echo "error: $SAMPLE/train/audio not found (set SAMPLE=...)" >&2; exit 2; }
[ -d "$SYNTH/train/audio" ] || $PY -m trainer synth --out "$SYNTH" --per-word 150 --test-clips 600 --seed 11
$PY -m trainer train --data "$SAMPLE" "$SYNTH" --split-salt kwsapp --test-percent 15 \
    --out "$OUT" --epochs 40 --patience 8 --seed 0
$PY -m trainer evaluate --data "$SAMPLE" --model "$OUT" --split test --json "$OUT/sample_test_metrics.json"
