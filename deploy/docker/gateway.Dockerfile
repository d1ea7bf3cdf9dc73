# syntax=docker/dockerfile:1
# The HTTP gateway and web page. Build from the repository root (deploy/README.md):
#   docker build -f deploy/docker/gateway.Dockerfile -t movierec-gateway .
# Runs as a numeric non-root user with a read-only root filesystem (it writes nothing).

# The dashboard's chart library (Chart.js), from the npm lock, so the image serves it without a CDN
# (a local services/gateway/web/node_modules never enters the build context: .dockerignore).
FROM node:20.18.1-bookworm-slim AS web
WORKDIR /web
COPY services/gateway/web/package.json services/gateway/web/package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

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
COPY services/client/ services/client/
COPY services/gateway/ services/gateway/
COPY --from=web /web/node_modules/chart.js/dist/chart.umd.min.js services/gateway/web/node_modules/chart.js/dist/chart.umd.min.js
RUN python -m compileall -q /app

FROM python:3.11.11-slim-bookworm
ENV PATH=/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOME=/tmp \
    GATEWAY_HOST=0.0.0.0 GATEWAY_PORT=8000
COPY --from=build /venv /venv
COPY --from=build /app /app
WORKDIR /app
USER 10001:10001
EXPOSE 8000
# /health is readiness: 200 while both backends serve (Redis down = "degraded", still 200).
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status != 200)"]
# uvicorn stops accepting on SIGTERM and lets in-flight requests finish (10 s) before exiting 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "services.gateway"]
