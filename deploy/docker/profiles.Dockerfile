# syntax=docker/dockerfile:1
# The profiles gRPC service (accounts, ratings, marks; the store's only writer). Build from the repository root:
#   docker build -f deploy/docker/profiles.Dockerfile -t movierec-profiles .
# Runs as a numeric non-root user with a read-only root filesystem: its database is PostgreSQL
# (PROFILES_DATABASE_URL, docker-compose's postgres or RDS), or a SQLite file on a mounted volume.

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
COPY services/profiles/ services/profiles/
RUN python -m compileall -q /app

FROM python:3.11.11-slim-bookworm
ENV PATH=/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOME=/tmp \
    PROFILES_ADDRESS=0.0.0.0:50053
COPY --from=build /venv /venv
COPY --from=build /app /app
WORKDIR /app
USER 10001:10001
EXPOSE 50053
# SERVING once the database answers and its schema is migrated (NOT_SERVING while it waits for it).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-m", "services.common.healthcheck", "127.0.0.1:50053"]
# SIGTERM flips gRPC health to NOT_SERVING, then in-flight calls get PROFILES_GRACE_SECONDS.
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "services.profiles"]
