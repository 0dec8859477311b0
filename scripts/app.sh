#!/usr/bin/env bash
# Set up (if needed), then launch the app with the bundled model on the default microphone.
# Extra arguments go to the app: bash scripts/app.sh --device 2 --hop-ms 200
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m kwsapp "$@"
