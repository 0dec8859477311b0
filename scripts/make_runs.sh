#!/usr/bin/env bash
# The experiments' machine state (runs/ and ../data), made again on a new machine; each step is skipped when its
# output is already there, so it can be run again after an interruption. Needs ../shared beside the clone and the six
# repositories that gather_more.py names, fetched into ../.mirror (CONTRIBUTING.md).
#   bash scripts/make_runs.sh            # gathered data, synthetic set, the five 30-min streams
#   bash scripts/make_runs.sh heldout47  # and the model bench_personalize judges, with its replay set (25-40 min)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
SAMPLE=../shared/speech_commands_sample
GATHERED=../data/gathered
[ -f "$GATHERED/gather_manifest.csv" ] || bash scripts/gather_data.sh
[ -f runs/synth_bundle/synth_manifest.csv ] || [ -d runs/synth_bundle/train ] || \
    $PY -m trainer synth --out runs/synth_bundle --per-word 150 --test-clips 600 --seed 11
S=(--split-salt kwsapp --test-percent 15 --minutes 30 --noise-from "$SAMPLE")
stream() {  # NAME then make-stream's arguments
    local name=$1; shift
    [ -f "runs/streams/$name.csv" ] || $PY -m trainer make-stream "${S[@]}" "$@" \
        --out "runs/streams/$name.wav" --truth "runs/streams/$name.csv"
}
mkdir -p runs/streams
stream cval --data "$SAMPLE" "$GATHERED" --split validation --seed 1
stream test --data "$SAMPLE" --split test --seed 2
stream test20 --data "$SAMPLE" --split test --snr-db 20 --seed 2
stream gtest --data "$GATHERED" --split test --seed 2
stream gtest20 --data "$GATHERED" --split test --snr-db 20 --seed 2
if [ "${1:-}" = heldout47 ] && [ ! -f runs/heldout47/replay.npz ]; then
    $PY -m trainer train --data "$SAMPLE" "$GATHERED" runs/synth_bundle --split-salt kwsapp --test-percent 15 \
        --recipe live --exclude-speakers bench/personalize_speakers.txt --out runs/heldout47 \
        $([ -d runs/heldout47 ] && echo --resume)
    $PY -m trainer add-replay --model runs/heldout47 --data "$SAMPLE" "$GATHERED" runs/synth_bundle
fi
echo "make_runs: done"
