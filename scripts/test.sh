#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export QT_QPA_PLATFORM=offscreen TF_CPP_MIN_LOG_LEVEL=2
exec .venv/bin/python -m pytest -q -ra "$@"
