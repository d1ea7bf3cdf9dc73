#!/usr/bin/env bash
# One command to run the whole stack on MovieLens 100K: set up, train and tune if there is no model,
# start Redis, matcher, scorer and gateway, print the URL. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m trainer train --out "${ARTIFACT_DIR:-artifacts}" --if-missing
# The ranking blend (item graph + weights) is chosen by the held-out-user evaluation, once per model.
.venv/bin/python -m bench.ranking.tune --artifacts "${ARTIFACT_DIR:-artifacts}" --if-missing
exec .venv/bin/python -m scripts.stack
