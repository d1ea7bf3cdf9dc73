# syntax=docker/dockerfile:1
# The scorer gRPC service (MF + genre ranking). Build from the repository root (deploy/README.md):
#   docker build -f deploy/docker/scorer.Dockerfile -t movierec-scorer .
# Runs as a numeric non-root user with a read-only root filesystem; only /tmp must be writable
# (the s3:// artifact cache). The artifact comes from a volume at /artifacts or from SCORER_ARTIFACT_DIR=s3://...

FROM python:3.11.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY deploy/locks/serving.txt /tmp/lock.txt
# Hash-checked wheels only (nothing compiled), then pip itself leaves the virtualenv.
RUN python -m venv /venv \
 && /venv/bin/pip install --require-hashes --only-binary=:all: --no-deps -r /tmp/lock.txt \
 && /venv/bin/pip uninstall -y pip setuptools
WORKDIR /app
COPY movierec/ movierec/
COPY services/__init__.py services/__init__.py
COPY services/common/ services/common/
COPY services/scorer/ services/scorer/
RUN python -m compileall -q /app

FROM python:3.11.11-slim-bookworm
ENV PATH=/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOME=/tmp \
    MOVIEREC_ARTIFACT_CACHE=/tmp/movierec-artifacts \
    SCORER_ADDRESS=0.0.0.0:50052 SCORER_ARTIFACT_DIR=/artifacts
COPY --from=build /venv /venv
COPY --from=build /app /app
WORKDIR /app
USER 10001:10001
EXPOSE 50052
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-m", "services.common.healthcheck", "127.0.0.1:50052"]
# SIGTERM flips gRPC health to NOT_SERVING, then in-flight calls get SCORER_GRACE_SECONDS.
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "services.scorer"]
