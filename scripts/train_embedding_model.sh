#!/usr/bin/env bash
# A model of the speech-embedding kind, as bundled: the pretrained front-end's embeddings of every clip computed once
# (runs/emb_cache), a small head trained on them (trainer.models.embedding_head), the wide DS-CNN as its verifier, and the
# decision settings and the verifier's threshold chosen on the validation stream (stream-sweep).
#   bash scripts/train_embedding_model.sh [OUT]      (default runs/embedding_model; EXTRA="--cut-ratio 0.5": more head options)
# Needs the gathered recordings (scripts/gather_data.sh), the synthetic set and the validation stream
# (scripts/make_runs.sh makes both). About 30 min on 2 cores the first time (the embeddings), 3 min after.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/embedding_model}
SAMPLE=${SAMPLE:-../shared/speech_commands_sample}
GATHERED=${GATHERED:-../data/gathered}
SYNTH=${SYNTH:-runs/synth_bundle}
VERIFIER=${VERIFIER:-assets/default_model/verifier}
SEED=${SEED:-0}
PY=${PY:-.venv/bin/python}
[ -f "$GATHERED/gather_manifest.csv" ] || { echo "error: $GATHERED: run bash scripts/gather_data.sh first" >&2; exit 2; }
[ -f runs/streams/cval.csv ] || bash scripts/make_runs.sh
[ -f "$OUT/model.tflite" ] || $PY -m trainer.models.embedding_head --data "$SAMPLE" "$GATHERED" "$SYNTH" --out "$OUT" \
    --band-rate-hz "${BAND_RATE_HZ:-8000}" --epochs 40 --seed "$SEED" ${NEGATIVES:+--negatives-ratio "$NEGATIVES"} ${EXTRA:-}
if [ ! -f "$OUT/verifier.json" ]; then
    rm -rf "$OUT/verifier"
    cp -r "$VERIFIER" "$OUT/verifier"
    echo '{"folder": "verifier", "threshold": 0.5}' > "$OUT/verifier.json"
fi
$PY -m trainer stream-sweep --model "$OUT" --wav runs/streams/cval.wav --truth runs/streams/cval.csv \
    --json "$OUT/stream_sweep_validation.json"
# the verifier's threshold the sweep chose goes into verifier.json
$PY - "$OUT" <<'PYEOF'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
sweep = json.loads((out / "stream_sweep_validation.json").read_text())
best = sweep["best"]
# the folder keeps the choice and how it was made, not every row scored
(out / "stream_sweep_validation.json").write_text(json.dumps({
    "stream": "runs/streams/cval (30 min, both folders' validation speakers, 10 dB)",
    "settings_scored": len(sweep.get("rows", [])),
    "rule": "the most correct within 3 % wrong and 6 false alarms per hour; then the verifier's threshold at that choice",
    "best": best}, indent=1) + "\n")
if "verifier_threshold" in best:
    (out / "verifier.json").write_text(json.dumps({"folder": "verifier", "threshold": best["verifier_threshold"]}) + "\n")
print(f"{out}: verifier threshold {best.get('verifier_threshold')}, decisions: threshold {best['threshold']}, "
      f"averaging {best['average_window_ms']} ms, refractory {best['refractory_ms']} ms, minimum {best['minimum_count']}")
PYEOF
