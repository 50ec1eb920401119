#!/usr/bin/env bash
# Is COMMIT still the newest commit of BRANCH? Runs of different commits on main run side by side (none may be
# cancelled), so a tag that follows the branch (staging) moves only for its newest commit: an older run that
# finishes later must not move it back. Writes current=true|false to $GITHUB_OUTPUT (stdout when unset).
set -euo pipefail

die() { printf 'head-check: %s\n' "$1" >&2; exit 2; }
branch=${BRANCH:?BRANCH is not set}
commit=${COMMIT:-}
[[ "$commit" =~ ^[0-9a-f]{40}$ ]] || die "COMMIT must be a full 40-hex commit SHA, got '$commit'"
repository=${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set (owner/repo)}
head=$(gh api "repos/$repository/git/ref/heads/$branch" --jq .object.sha) || die "cannot read the head of $branch"
[[ "$head" =~ ^[0-9a-f]{40}$ ]] || die "the head of $branch is not a commit SHA: '$head'"
if [[ "$head" == "$commit" ]]; then
  current=true
else
  current=false
  echo "::notice title=not moved::$branch moved on to ${head:0:12}; its own run moves the tag, not this one (${commit:0:12})"
fi
printf 'current=%s\n' "$current" >>"${GITHUB_OUTPUT:-/dev/stdout}"
