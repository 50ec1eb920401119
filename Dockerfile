# Serving image: verified model + FastAPI app. Build with `mlci image build` (or `make image`).
# Layers go from least to most often changed: base, dependencies, code, model, labels.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
# Only the core + `serve` dependencies, exactly as locked (uv export, hashes required, wheels only).
COPY requirements-serve.txt /tmp/requirements-serve.txt
# The optional `ca_bundle` secret is for TLS-intercepting proxies; it never lands in a layer.
RUN --mount=type=secret,id=ca_bundle \
    if [ -s /run/secrets/ca_bundle ]; then \
        export PIP_CERT=/run/secrets/ca_bundle SSL_CERT_FILE=/run/secrets/ca_bundle; \
    fi \
    && python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-deps --require-hashes --only-binary=:all: -r /tmp/requirements-serve.txt \
    && /opt/venv/bin/pip uninstall --yes pip setuptools \
    && find /opt/venv -depth -type d \( -name tests -o -name __pycache__ \) -exec rm -rf {} +
# No precompiled bytecode: it would cost ~36 MB (over the 400 MB budget) to save a few seconds of start time.

FROM ${BASE_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app/src \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    MLCI_ARTIFACTS=/app/artifacts \
    HOST=0.0.0.0 \
    PORT=8000 \
    WEB_CONCURRENCY=1 \
    OMP_NUM_THREADS=1
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY src/mlci /app/src/mlci
COPY artifacts/model.skops artifacts/model.sha256 artifacts/run.json artifacts/params.json artifacts/metrics.json /app/artifacts/
USER 10001:10001
EXPOSE 8000
# No curl in the image: the health check is a few lines of the Python that is already there.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/ready', timeout=2)"]
ARG SOURCE=unknown
ARG REVISION=unknown
ARG MODEL_SHA256=unknown
LABEL org.opencontainers.image.title="mlci model" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      io.mlci.model.sha256="${MODEL_SHA256}"
CMD ["python3", "-m", "mlci.serve"]
