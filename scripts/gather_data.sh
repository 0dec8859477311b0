#!/usr/bin/env bash
# Gather about 15,000 more real recordings (Speech Commands speakers not in the shared sample, spoken digits,
# wake-word phrases) into a folder outside the repository, with ../shared/tools/gather_more.py.
#   bash scripts/gather_data.sh [GITDIR ...]
# GITDIRs: git clones (bare is enough) of the six repositories the script's docstring names, in folders whose path
# holds owner+name or owner/name. Without arguments, the clones under $MIRROR (default ../.mirror, where these
# machines' fetch tool puts them) are used. OUT (default ../data/gathered) is written again from scratch.
# Never commit the data: it stays outside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
GATHER=${GATHER:-../shared/tools/gather_more.py}
OUT=${OUT:-../data/gathered}
MIRROR=${MIRROR:-../.mirror}
[ -f "$GATHER" ] || { echo "error: $GATHER not found (it comes with ../shared beside the repository)" >&2; exit 2; }
dirs=("$@")
if [ ${#dirs[@]} -eq 0 ]; then
    for d in "$MIRROR"/*/repo; do [ -d "$d" ] && dirs+=("$d"); done
fi
[ ${#dirs[@]} -gt 0 ] || { echo "error: no git clones given and none under $MIRROR (see $GATHER --help)" >&2; exit 2; }
force=()
[ -f "$OUT/gather_manifest.csv" ] && force=(--force)
mkdir -p "$(dirname "$OUT")"
python3 "$GATHER" --out "$OUT" "${force[@]}" "${dirs[@]}"
