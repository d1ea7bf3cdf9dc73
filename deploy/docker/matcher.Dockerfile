# syntax=docker/dockerfile:1
# The matcher gRPC service. Build from the repository root:
#   docker build -f deploy/docker/matcher.Dockerfile -t movierec-matcher .
FROM python:3.11.7-slim-bookworm AS build
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt

FROM python:3.11.7-slim-bookworm
ENV PATH=/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    MATCHER_ADDRESS=0.0.0.0:50051 MATCHER_ARTIFACT_DIR=/artifacts
COPY --from=build /venv /venv
WORKDIR /app
COPY movierec/ movierec/
COPY services/__init__.py services/__init__.py
COPY services/common/ services/common/
COPY services/matcher/ services/matcher/
USER 10001:10001
EXPOSE 50051
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-m", "services.common.healthcheck", "127.0.0.1:50051"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "services.matcher"]
