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
set -euo pipefail

MAIN_WORKFLOW=${MAIN_WORKFLOW:-main.yml}
RECORD_DIR=${RECORD_DIR:-.release-record}
RELEASE_BRANCH=${RELEASE_BRANCH:-main}
out=${GITHUB_OUTPUT:-/dev/stdout}
die() { printf 'release-record: %s\n' "$1" >&2; exit "${2:-2}"; }

commit=${COMMIT:-}
[[ "$commit" =~ ^[0-9a-f]{40}$ ]] || die "commit must be a full 40-hex commit SHA of main, got '$commit'"
# shellcheck source=scripts/image-ref.sh
source "$(dirname "$0")/image-ref.sh"
repository=${IMAGE:-}
valid_image "$repository" || die "IMAGE must be the lower-case image repository (scripts/image-name.sh), got '$repository'"

branch_ref="refs/remotes/origin/$RELEASE_BRANCH"
git rev-parse --verify --quiet "$branch_ref^{commit}" >/dev/null ||
  die "no $branch_ref here: check out with full history (fetch-depth: 0)"
git merge-base --is-ancestor "$commit" "$branch_ref" 2>/dev/null ||
  die "commit $commit is not on $RELEASE_BRANCH: only a commit of $RELEASE_BRANCH can be released" 1

run_id=$(gh run list --workflow "$MAIN_WORKFLOW" --branch "$RELEASE_BRANCH" --commit "$commit" --event push \
  --status success --limit 1 --json databaseId --jq '.[0].databaseId // empty')
[[ "$run_id" =~ ^[0-9]+$ ]] ||
  die "no successful $MAIN_WORKFLOW run for commit $commit: only a commit whose main run passed governance and pushed an image can be released" 1

rm -rf "$RECORD_DIR"
mkdir -p "$RECORD_DIR"
status=0
mlci records pull --repository "$repository" --tag "${commit:0:12}" --out "$RECORD_DIR" || status=$?
((status == 0)) ||
  die "cannot read the release records of $repository:${commit:0:12} (the line above says why)" "$status"
for file in governance.json image.json; do
  [[ -f "$RECORD_DIR/$file" ]] || die "the records of $repository:${commit:0:12} lack $file" 1
done

field() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$RECORD_DIR/image.json" "$1"; }
image=$(field image) || die "$RECORD_DIR/image.json is not a valid image record"
digest=$(field digest) || die "$RECORD_DIR/image.json is not a valid image record"
recorded=$(field commit) || die "$RECORD_DIR/image.json is not a valid image record"
[[ "$recorded" == "$commit" ]] || die "image record of $repository:${commit:0:12} is for commit $recorded, not $commit" 1
[[ "$image" == "$repository" ]] || die "image record names $image, not $repository" 1
IMAGE=$image DIGEST=$digest image_ref || exit 2

if [[ "${ROLLBACK:-false}" != true ]]; then
  latest=$(gh release view --json tagName --jq .tagName 2>/dev/null || true)
  if [[ -n "$latest" ]] && released=$(git rev-parse --verify --quiet "refs/tags/$latest^{commit}") &&
    [[ "$released" != "$commit" ]] && git merge-base --is-ancestor "$commit" "$released"; then
    die "commit $commit is older than the latest release $latest: run again with rollback to go back" 1
  fi
fi

{
  printf 'image=%s\n' "$image"
  printf 'digest=%s\n' "$digest"
  printf 'run-id=%s\n' "$run_id"
} >>"$out"
echo "release-record: $commit -> $ref (main run $run_id)" >&2
