#!/usr/bin/env bash
# `pip install .` (not editable) into a fresh virtual environment, then, from a folder outside the clone:
# `kws --help` works and the `kwsapp` launcher finds and loads the bundled model from the installed package.
# Run by CI after the tests (scripts/test.sh). Takes a minute with pip's cache warm.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
PY=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q --upgrade pip 2>/dev/null
"$tmp/venv/bin/python" -m pip install -q "$repo" > "$tmp/pip.log" 2>&1 || {
    echo "check_install: pip install . failed:" >&2; tail -20 "$tmp/pip.log" >&2; exit 1; }
cd "$tmp"
"$tmp/venv/bin/kws" --help | grep -q "usage: kws" || { echo "check_install: kws --help failed" >&2; exit 1; }
out=$(QT_QPA_PLATFORM=offscreen KWSAPP_SETTINGS="$tmp/settings.ini" timeout 120 "$tmp/venv/bin/kwsapp" --quit-after 8 2>&1)
echo "$out" | grep -q "kwsapp: model ready: $tmp/venv/.*/kwsapp/assets/embedding_model$" || {
    echo "check_install: the installed app did not load its bundled model:" >&2; echo "$out" >&2; exit 1; }
echo "check_install: pip install . into a fresh venv: kws --help works, kwsapp loads the bundled model from the package"
