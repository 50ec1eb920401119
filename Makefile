# Every task CI runs is a target here, so a laptop reproduces CI exactly. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
OUT ?= artifacts

.PHONY: help setup run test lint format typecheck pytest bench clean
.PHONY: image image-smoke serve requirements-serve bench-serve

help: ## list the tasks
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras
	@touch $@

setup: $(VENV)/.synced ## create .venv from the lock file (uv sync --frozen)

run: setup ## train, evaluate and write artifacts/ on the bundled data
	$(BIN)/mlci run --out $(OUT)

lint: setup ## ruff lint and format check
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: setup ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

typecheck: setup ## mypy --strict on src/
	$(BIN)/mypy

pytest: setup ## the test suite with the coverage gate
	$(BIN)/pytest --cov --cov-report=term --cov-report=xml

test: lint typecheck pytest ## everything: lint, types, tests and coverage

bench: setup ## benchmarks; figures go to docs/benchmarks.md
	$(BIN)/python bench/bench_run.py

clean: ## remove the venv, artifacts and caches
	rm -rf $(VENV) .tools $(OUT) .pytest_cache .mypy_cache .ruff_cache .coverage coverage.xml htmlcov

# --- serving image (issue 7) ---------------------------------------------------------------------------
# MLCI_DOCKER picks the docker client (it must build with BuildKit); MLCI_BASE_IMAGE / MLCI_CA_BUNDLE pass through.
IMAGE ?= $(shell $(BIN)/python -c "import json; from mlci.image import default_tag; print(default_tag('mlci-model', json.load(open('$(OUT)/run.json'))['commit']))" 2>/dev/null)

requirements-serve.txt: pyproject.toml uv.lock
	$(UV) export --frozen --no-dev --no-default-groups --extra serve --no-emit-project --format requirements-txt -o $@ --quiet

requirements-serve: requirements-serve.txt ## regenerate the locked serving requirements the Dockerfile installs

serve: setup ## serve $(OUT)/ on HOST:PORT (default 0.0.0.0:8000)
	$(BIN)/mlci serve --artifacts $(OUT)

image: setup ## build the serving image from $(OUT)/ (BuildKit)
	$(BIN)/mlci image build --artifacts $(OUT)

image-smoke: setup ## run the image and check it against $(OUT)/predictions.csv (IMAGE=name:tag)
	$(BIN)/mlci image smoke --artifacts $(OUT) $(IMAGE)

bench-serve: setup ## serving benchmarks (needs Docker for the image figures); see docs/benchmarks.md
	$(BIN)/python bench/bench_serve.py
