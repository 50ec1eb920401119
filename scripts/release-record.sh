#!/usr/bin/env bash
# Resolve what a release ships: the image a successful MAIN_WORKFLOW push run on RELEASE_BRANCH (main) built for
# COMMIT, a commit of that branch. Such a run only builds an image after governance passed, so this is the governed
# digest; a run on another branch (an edited workflow can skip governance) is never looked at. The records (image
# record, governance record, model card, SBOM) are read from the registry, where image.yml attached them to the
# image digest (`mlci records`): they live as long as the image, where a run's artifacts expire after 90 days, so
# any older commit can still be released or rolled back to. IMAGE is the image repository; the image is the one
# tagged with the commit's first 12 characters. Writes the records to RECORD_DIR and image=, digest=, run-id= to
# $GITHUB_OUTPUT (stdout when unset).
# Without ROLLBACK=true it refuses a commit older than the latest release (a rollback must say so).
# git and gh are asked here; `mlci records pull` and `mlci records read` check what the records say.
set -euo pipefail

MAIN_WORKFLOW=${MAIN_WORKFLOW:-main.yml}
RECORD_DIR=${RECORD_DIR:-.release-record}
RELEASE_BRANCH=${RELEASE_BRANCH:-main}
die() { printf 'release-record: %s\n' "$1" >&2; exit "${2:-2}"; }

commit=${COMMIT:-}
# Checked before git and gh see it: a full SHA is never taken for an option or a ref that moves.
[[ "$commit" =~ ^[0-9a-f]{40}$ ]] || die "commit must be a full 40-hex commit SHA of main, got '$commit'"
repository=${IMAGE:-}

branch_ref="refs/remotes/origin/$RELEASE_BRANCH"
git rev-parse --verify --quiet "$branch_ref^{commit}" >/dev/null ||
  die "no $branch_ref here: check out with full history (fetch-depth: 0)"
git merge-base --is-ancestor "$commit" "$branch_ref" 2>/dev/null ||
  die "commit $commit is not on $RELEASE_BRANCH: only a commit of $RELEASE_BRANCH can be released" 1

run_id=$(gh run list --workflow "$MAIN_WORKFLOW" --branch "$RELEASE_BRANCH" --commit "$commit" --event push \
  --status success --limit 1 --json databaseId --jq '.[0].databaseId // empty')
[[ "$run_id" =~ ^[0-9]+$ ]] ||
  die "no successful $MAIN_WORKFLOW run for commit $commit: only a commit whose main run passed governance and pushed an image can be released" 1

if [[ "${ROLLBACK:-false}" != true ]]; then
  latest=$(gh release view --json tagName --jq .tagName 2>/dev/null || true)
  if [[ -n "$latest" ]] && released=$(git rev-parse --verify --quiet "refs/tags/$latest^{commit}") &&
    [[ "$released" != "$commit" ]] && git merge-base --is-ancestor "$commit" "$released"; then
    die "commit $commit is older than the latest release $latest: run again with rollback to go back" 1
  fi
fi

rm -rf "$RECORD_DIR"
mkdir -p "$RECORD_DIR"
status=0
mlci records pull --repository "$repository" --tag "${commit:0:12}" --out "$RECORD_DIR" || status=$?
((status == 0)) ||
  die "cannot read the release records of $repository:${commit:0:12} (the line above says why)" "$status"
mlci records read "$RECORD_DIR" --repository "$repository" --commit "$commit" --github-output
printf 'run-id=%s\n' "$run_id" >>"${GITHUB_OUTPUT:-/dev/stdout}"
echo "release-record: commit $commit, main run $run_id" >&2
