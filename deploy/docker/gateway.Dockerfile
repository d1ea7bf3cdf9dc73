# syntax=docker/dockerfile:1
# The HTTP gateway and web page. Build from the repository root:
#   docker build -f deploy/docker/gateway.Dockerfile -t movierec-gateway .
FROM python:3.11.7-slim-bookworm AS build
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt

FROM python:3.11.7-slim-bookworm
ENV PATH=/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    GATEWAY_HOST=0.0.0.0 GATEWAY_PORT=8000
COPY --from=build /venv /venv
WORKDIR /app
COPY movierec/ movierec/
COPY services/__init__.py services/__init__.py
COPY services/common/ services/common/
COPY services/gateway/ services/gateway/
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status != 200)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "services.gateway"]
