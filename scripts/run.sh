#!/usr/bin/env bash
# One command to run the whole stack on MovieLens 100K: set up, train if there is no servable model,
# start Redis, matcher, scorer and gateway (supervised: one that dies is restarted), print the URL.
# Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Trains MF, chooses the ranking blend on validation users and builds the item graph (about a minute);
# --if-missing: nothing to do when LATEST already has them, a new artifact when it is MF-only.
.venv/bin/python -m trainer train --out "${ARTIFACT_DIR:-artifacts}" --if-missing
exec .venv/bin/python -m scripts.supervisor
