# syntax=docker/dockerfile:1
# One-shot trainer: fetches MovieLens 100K (recbole wheel from PyPI) and writes an artifact to /artifacts.
#   docker build -f deploy/docker/trainer.Dockerfile -t movierec-trainer .
FROM python:3.11.7-slim-bookworm AS build
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt

FROM python:3.11.7-slim-bookworm
ENV PATH=/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    MOVIEREC_CACHE=/cache NUMBA_CACHE_DIR=/tmp/numba
COPY --from=build /venv /venv
WORKDIR /app
COPY movierec/ movierec/
COPY services/__init__.py services/__init__.py
COPY services/common/ services/common/
COPY trainer/ trainer/
RUN mkdir -p /cache /artifacts && chown 10001:10001 /cache /artifacts
USER 10001:10001
ENTRYPOINT ["python", "-m", "trainer"]
CMD ["train", "--out", "/artifacts", "--if-missing"]
