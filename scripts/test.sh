#!/usr/bin/env bash
# One command to set up and run every test (unit and integration). Extra arguments go to pytest
# (`bash scripts/test.sh -m unit` is the quick loop: no process, no network).
# Before the tests: ruff and mypy (configured in pyproject.toml); a finding fails the run after the tests.
# A full run (no arguments, as CI runs it) first audits the pinned dependencies (scripts/audit.py):
# a known vulnerability fails the run after the tests have run; an advisory service that cannot be
# reached is reported ("AUDIT DID NOT RUN") without failing, unless MOVIEREC_AUDIT_REQUIRED=1.
# MOVIEREC_AUDIT=1 audits on a partial run too, MOVIEREC_AUDIT=0 never.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
audit=0
if [ "${MOVIEREC_AUDIT:-$([ $# -eq 0 ] && echo 1 || echo 0)}" = 1 ]; then
  .venv/bin/python -m scripts.audit || audit=$?
fi
checks=0
echo "ruff check ..." && .venv/bin/ruff check --quiet . || checks=$?
echo "mypy ..." && .venv/bin/mypy || checks=$?
tests=0
.venv/bin/python -m pytest "$@" || tests=$?
if [ "$checks" != 0 ]; then
  echo "static checks failed (ruff or mypy, exit $checks); see their report above the tests" >&2
fi
if [ "$audit" != 0 ]; then
  echo "dependency audit failed (exit $audit); see its report above the tests" >&2
fi
[ "$tests" != 0 ] && exit "$tests"
[ "$checks" != 0 ] && exit "$checks"
exit "$audit"
