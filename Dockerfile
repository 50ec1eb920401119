# Serving image: verified model + FastAPI app. Build with `mlci image build` (or `make image`).
# Layers go from least to most often changed: base, dependencies, code, model, labels.
# The base is named literally in both FROM lines (Dependabot cannot update a base given as an ARG) and its Python
# is the project's default. Where it cannot be pulled, `make base-standin` puts a stand-in under this very name.

FROM python:3.12-slim-bookworm AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
# binutils only for `strip` below; this stage is thrown away. Unpinned on purpose: the base image picks the release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install --yes --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/*
# Only the core + `serve` dependencies, exactly as locked (uv export, hashes required, wheels only).
COPY requirements-serve.txt scripts/serving_imports.py /tmp/
# The optional `ca_bundle` secret is for TLS-intercepting proxies; it never lands in a layer.
# Then slim the venv: no tests, caches, Cython/C sources, headers or stubs; extension modules without their
# symbol tables (~14 MB). The libraries auditwheel grafted into `*.libs/` keep theirs: strip breaks their
# patchelf'd layout ("ELF load command address/offset not page-aligned").
# Then precompile, once, the ~1,300 modules serving imports (~37 MB, see scripts/serving_imports.py): the
# non-root user cannot write bytecode, so without it every start compiles them again (6.4 s to /ready, not 2).
RUN --mount=type=secret,id=ca_bundle \
    if [ -s /run/secrets/ca_bundle ]; then \
        export PIP_CERT=/run/secrets/ca_bundle SSL_CERT_FILE=/run/secrets/ca_bundle; \
    fi \
    && python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-deps --require-hashes --only-binary=:all: -r /tmp/requirements-serve.txt \
    && /opt/venv/bin/pip uninstall --yes pip setuptools \
    && find /opt/venv -depth -type d \( -name tests -o -name __pycache__ \) -exec rm -rf {} + \
    && find /opt/venv -type f \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.pyi' \
        -o -name '*.c' -o -name '*.cpp' -o -name '*.h' -o -name '*.hpp' \) -delete \
    && find /opt/venv -type f -name '*.so' -not -path '*.libs/*' -exec strip --strip-unneeded {} + \
    && /opt/venv/bin/python /tmp/serving_imports.py venv > /tmp/venv-modules \
    && /opt/venv/bin/python -m compileall -q --invalidation-mode unchecked-hash -i /tmp/venv-modules \
    && /opt/venv/bin/python /tmp/serving_imports.py stdlib > /opt/venv/stdlib-modules

FROM python:3.12-slim-bookworm
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
# The base's standard library may come without bytecode (the official images delete it): compile what serving
# imports. A no-op where it is compiled already.
RUN python3 -m compileall -q -i /opt/venv/stdlib-modules
WORKDIR /app
COPY src/mlci /app/src/mlci
RUN python3 -m compileall -q /app/src
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
