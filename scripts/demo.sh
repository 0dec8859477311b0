#!/usr/bin/env bash
# Set up (if needed), speak the ten commands with espeak-ng and let the bundled model recognise them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for w in yes no up down left right on off stop go; do
  espeak-ng -v en-us+m3 -s 140 -w "$tmp/$w.wav" "$w"
done
echo "The bundled model (assets/default_model) hears:"
.venv/bin/python -m trainer predict --model assets/default_model "$tmp"/*.wav | sed "s|$tmp/||"
