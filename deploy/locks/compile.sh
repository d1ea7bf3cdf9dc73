#!/usr/bin/env bash
# Regenerates the hash-locked requirement files the images install (pip install --require-hashes).
# Needs pip-tools (pip install pip-tools==7.6.2) and PyPI; the local pip config is bypassed so the
# hashes cover every platform's wheels on pypi.org (amd64 and arm64 images both verify).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PIP_CONFIG_FILE=/dev/null CUSTOM_COMPILE_COMMAND="bash deploy/locks/compile.sh"
compile() { python -m piptools compile -q --generate-hashes --allow-unsafe --strip-extras \
  --no-emit-index-url --no-emit-find-links --rebuild "$@"; }
compile -o deploy/locks/serving.txt requirements-serving.txt requirements-s3.txt
compile -o deploy/locks/trainer.txt requirements-trainer.txt
