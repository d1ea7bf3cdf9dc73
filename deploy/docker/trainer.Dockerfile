# syntax=docker/dockerfile:1
# One-shot trainer: fetches MovieLens 100K (the recbole wheel from PyPI) and writes a servable artifact
# (MF + the ranking blend chosen on validation users + the item graph).
#   docker build -f deploy/docker/trainer.Dockerfile -t movierec-trainer .
# Writes only to /artifacts (a volume), /cache (the data cache volume) and /tmp (numba's cache),
# so it runs with a read-only root filesystem.

FROM python:3.11.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY deploy/locks/trainer.txt /tmp/lock.txt
# Hash-checked wheels only (nothing compiled). pip stays: `trainer fetch` downloads the data wheel with it.
RUN python -m venv /venv \
 && /venv/bin/pip install --require-hashes --only-binary=:all: --no-deps -r /tmp/lock.txt \
 && /venv/bin/pip uninstall -y setuptools
WORKDIR /app
COPY movierec/ movierec/
COPY trainer/ trainer/
RUN python -m compileall -q /app \
 && mkdir -p /out/cache /out/artifacts

FROM python:3.11.11-slim-bookworm
ENV PATH=/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOME=/tmp PIP_NO_CACHE_DIR=1 \
    MOVIEREC_CACHE=/cache NUMBA_CACHE_DIR=/tmp/numba-cache
COPY --from=build /venv /venv
COPY --from=build /app /app
# Empty, owned by the runtime user, so fresh named volumes mounted here are writable.
COPY --from=build --chown=10001:10001 /out/cache /cache
COPY --from=build --chown=10001:10001 /out/artifacts /artifacts
WORKDIR /app
USER 10001:10001
# A job, not a server: nothing to probe.
HEALTHCHECK NONE
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "trainer"]
CMD ["train", "--out", "/artifacts", "--if-missing"]
