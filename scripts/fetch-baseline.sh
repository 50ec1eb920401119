#!/usr/bin/env bash
# Fetch the baseline model into BASELINE_DIR: main's model at BASELINE_COMMIT (a pull request's base commit, or the
# commit before a push to main), and say where it came from:
#   1. the artifacts of a BASELINE_WORKFLOW push run on main for that commit (read-only token, `gh`), when that
#      model was trained on the same data.sample as the candidate in CANDIDATE_DIR (default artifacts, where the
#      report job downloads it; main's runs use every row, so a pull request trained on a sample skips them);
#   2. else (none, expired, or another sample): check that commit out into a temporary worktree and `make run`
#      there with MLCI_SAMPLE set to the candidate's sample (training is deterministic, so this reproduces the
#      model main's code trains on those rows);
#   3. else (no base commit: the first push, or a commit not here): no baseline. The report says so and passes.
# Never the commit under test itself (GITHUB_SHA, else HEAD): a comparison with itself would always pass.
# Writes found=true|false, source=<text>, dir=<path> to $GITHUB_OUTPUT (stdout when unset).
set -euo pipefail

BASELINE_DIR=${BASELINE_DIR:-.artifacts-baseline}
BASELINE_WORKFLOW=${BASELINE_WORKFLOW:-main.yml}
BASELINE_ARTIFACT=${BASELINE_ARTIFACT:-mlci-artifacts-main}
BASELINE_BRANCH=${BASELINE_BRANCH:-main}
CANDIDATE_DIR=${CANDIDATE_DIR:-artifacts}
commit=${BASELINE_COMMIT:-}
out=${GITHUB_OUTPUT:-/dev/stdout}

note() { printf 'fetch-baseline: %s\n' "$*" >&2; }
emit() { printf '%s=%s\n' "$1" "$2" >>"$out"; }

case "$BASELINE_DIR" in
  "" | / | . | ..) note "BASELINE_DIR must name a folder of its own, got '$BASELINE_DIR'"; exit 2 ;;
esac
if [[ -n "$commit" && ! "$commit" =~ ^[0-9a-f]{40}$ ]]; then
  note "BASELINE_COMMIT must be a full 40-hex commit SHA, got '$commit'"; exit 2
fi
rm -rf "$BASELINE_DIR"
mkdir -p "$(dirname "$BASELINE_DIR")"
abs_dir="$(cd "$(dirname "$BASELINE_DIR")" && pwd)/$(basename "$BASELINE_DIR")"
under_test=${GITHUB_SHA:-$(git rev-parse --verify --quiet HEAD || true)}

# The data.sample a run folder was trained on, as MLCI_SAMPLE spells it (ROWS:SEED), or "off" for every row.
sample_of() { mlci records sample "$1"; }
rows_of() { if [[ "$1" == off ]]; then echo "every row"; else echo "data.sample $1"; fi; }
wanted=$(sample_of "$CANDIDATE_DIR")

from_artifact() {
  if ! command -v gh >/dev/null 2>&1; then note "gh is not installed: skipping main's artifacts"; return 1; fi
  local runs run_id found_sample
  if ! runs=$(gh run list --workflow "$BASELINE_WORKFLOW" --branch "$BASELINE_BRANCH" --commit "$commit" --event push \
    --limit 5 --json databaseId --jq '.[].databaseId'); then
    note "could not list $BASELINE_WORKFLOW runs"; return 1
  fi
  for run_id in $runs; do
    [[ "$run_id" =~ ^[0-9]+$ ]] || continue
    if gh run download "$run_id" --name "$BASELINE_ARTIFACT" --dir "$abs_dir" && [[ -f "$abs_dir/metrics.json" ]]; then
      found_sample=$(sample_of "$abs_dir")
      if [[ "$found_sample" == "$wanted" ]]; then
        source="artifacts of $BASELINE_WORKFLOW run $run_id for $BASELINE_BRANCH at ${commit:0:12}"
        return 0
      fi
      note "run $run_id's model was trained on $(rows_of "$found_sample"), this run on $(rows_of "$wanted"): retraining $BASELINE_BRANCH's code on the same rows"
      rm -rf "$abs_dir"; return 1
    fi
    note "run $run_id has no usable artifact $BASELINE_ARTIFACT (expired?)"; rm -rf "$abs_dir"
  done
  note "no $BASELINE_WORKFLOW run for ${commit:0:12} with $BASELINE_ARTIFACT"
  return 1
}

from_worktree() {
  local tree status=0
  if ! git rev-parse --verify --quiet "$commit^{commit}" >/dev/null; then
    note "commit $commit is not in this checkout (fetch-depth: 0 is needed)"; return 1
  fi
  tree=$(mktemp -d)
  git worktree add --quiet --detach "$tree" "$commit"
  note "retraining $BASELINE_BRANCH at $commit in a temporary worktree, on $(rows_of "$wanted")"
  # MLCI_SAMPLE, not the event: the rebuild trains on the candidate's sample whatever main's params.yaml says.
  MLCI_SAMPLE="$wanted" make -C "$tree" run OUT="$abs_dir" >&2 || status=$?
  git worktree remove --force "$tree"
  if ((status != 0)) || [[ ! -f "$abs_dir/metrics.json" ]]; then
    note "retraining $commit failed (exit $status)"; rm -rf "$abs_dir"; return 1
  fi
  if [[ "$wanted" == off ]]; then
    source="$BASELINE_BRANCH at ${commit:0:12} retrained (no artifacts of a $BASELINE_WORKFLOW run for it)"
    return 0
  fi
  source="$BASELINE_BRANCH at ${commit:0:12} retrained on the same data.sample as this run ($wanted)"
  if [[ "$(sample_of "$abs_dir")" != "$wanted" ]]; then
    # An mlci from before data.sample trains on every row: mlci compare says the two are not comparable.
    note "$BASELINE_BRANCH at ${commit:0:12} did not train on data.sample $wanted (its mlci predates it?)"
    source="$BASELINE_BRANCH at ${commit:0:12} retrained, but not on this run's data.sample ($wanted)"
  fi
}

source=""
reason="none (no $BASELINE_BRANCH model yet)"
if [[ -z "$commit" || "$commit" =~ ^0+$ ]]; then
  reason="none (no base commit: the first push to $BASELINE_BRANCH)"
elif [[ "$commit" == "$under_test" ]]; then
  reason="none (the base commit ${commit:0:12} is the commit under test; never compared with itself)"
elif from_artifact || from_worktree; then
  note "baseline: $source"
  emit found true
  emit source "$source"
  emit dir "$BASELINE_DIR"
  exit 0
fi
note "no baseline: the report says so and the comparison passes"
emit found false
emit source "$reason"
emit dir ""
