#!/usr/bin/env bash
# Fetch main's model into BASELINE_DIR as the PR baseline, and say where it came from:
#   1. the artifacts of the latest successful push run of BASELINE_WORKFLOW on main (read-only token, `gh`);
#   2. else (none yet, or expired): check main out into a temporary worktree and `make run` there (training is
#      deterministic, so this reproduces main's model);
#   3. else (no main yet): no baseline. The report says so and the PR passes.
# Writes found=true|false, source=<text>, dir=<path> to $GITHUB_OUTPUT (stdout when unset).
set -euo pipefail

BASELINE_DIR=${BASELINE_DIR:-.artifacts-baseline}
BASELINE_WORKFLOW=${BASELINE_WORKFLOW:-main.yml}
BASELINE_ARTIFACT=${BASELINE_ARTIFACT:-mlci-artifacts-main}
BASELINE_BRANCH=${BASELINE_BRANCH:-main}
out=${GITHUB_OUTPUT:-/dev/stdout}

note() { printf 'fetch-baseline: %s\n' "$*" >&2; }
emit() { printf '%s=%s\n' "$1" "$2" >>"$out"; }

case "$BASELINE_DIR" in
  "" | / | . | ..) note "BASELINE_DIR must name a folder of its own, got '$BASELINE_DIR'"; exit 2 ;;
esac
rm -rf "$BASELINE_DIR"
mkdir -p "$(dirname "$BASELINE_DIR")"
abs_dir="$(cd "$(dirname "$BASELINE_DIR")" && pwd)/$(basename "$BASELINE_DIR")"

from_artifact() {
  if ! command -v gh >/dev/null 2>&1; then note "gh is not installed: skipping main's artifacts"; return 1; fi
  local run_id
  if ! run_id=$(gh run list --workflow "$BASELINE_WORKFLOW" --branch "$BASELINE_BRANCH" --event push --status success \
    --limit 1 --json databaseId --jq '.[0].databaseId // empty'); then
    note "could not list $BASELINE_WORKFLOW runs"; return 1
  fi
  if [[ ! "$run_id" =~ ^[0-9]+$ ]]; then note "no successful $BASELINE_WORKFLOW run on $BASELINE_BRANCH"; return 1; fi
  if ! gh run download "$run_id" --name "$BASELINE_ARTIFACT" --dir "$abs_dir"; then
    note "run $run_id has no artifact $BASELINE_ARTIFACT (expired?)"; rm -rf "$abs_dir"; return 1
  fi
  if [[ ! -f "$abs_dir/metrics.json" ]]; then
    note "artifact $BASELINE_ARTIFACT of run $run_id has no metrics.json"; rm -rf "$abs_dir"; return 1
  fi
  source="artifacts of $BASELINE_WORKFLOW run $run_id on $BASELINE_BRANCH"
}

from_worktree() {
  local ref="" candidate commit tree status=0
  for candidate in "origin/$BASELINE_BRANCH" "$BASELINE_BRANCH"; do
    if git rev-parse --verify --quiet "$candidate^{commit}" >/dev/null; then ref=$candidate; break; fi
  done
  if [[ -z "$ref" ]]; then note "no $BASELINE_BRANCH branch to retrain"; return 1; fi
  commit=$(git rev-parse "$ref^{commit}")
  tree=$(mktemp -d)
  git worktree add --quiet --detach "$tree" "$commit"
  note "retraining $BASELINE_BRANCH at $commit in a temporary worktree"
  make -C "$tree" run OUT="$abs_dir" >&2 || status=$?
  git worktree remove --force "$tree"
  if ((status != 0)) || [[ ! -f "$abs_dir/metrics.json" ]]; then
    note "retraining $BASELINE_BRANCH failed (exit $status)"; rm -rf "$abs_dir"; return 1
  fi
  source="$BASELINE_BRANCH retrained at ${commit:0:12} (no artifacts of a successful $BASELINE_WORKFLOW run)"
}

source=""
if from_artifact || from_worktree; then
  note "baseline: $source"
  emit found true
  emit source "$source"
  emit dir "$BASELINE_DIR"
else
  note "no baseline: the report says so and the comparison passes"
  emit found false
  emit source "none (no $BASELINE_BRANCH model yet)"
  emit dir ""
fi
