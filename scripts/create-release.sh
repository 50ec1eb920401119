#!/usr/bin/env bash
# Create the GitHub release for a promoted commit, carrying the model card, the governance record and the image
# record. A rollback to a commit released before reuses its release (refreshing the assets) and is never marked
# latest; a new rollback release is created with --latest=false.
set -euo pipefail

die() { printf 'create-release: %s\n' "$1" >&2; exit "${2:-2}"; }
commit=${COMMIT:-}
[[ "$commit" =~ ^[0-9a-f]{40}$ ]] || die "COMMIT must be a full 40-hex commit SHA, got '$commit'"
RECORD_DIR=${RECORD_DIR:-.release-record}
assets=("$RECORD_DIR/model_card.md" "$RECORD_DIR/governance.json" "$RECORD_DIR/image.json")
for asset in "${assets[@]}"; do
  [[ -f "$asset" ]] || die "missing $asset in the release record"
done
rollback=${ROLLBACK:-false}
tag="model-${commit:0:12}"

notes=$(mktemp)
trap 'rm -f "$notes"' EXIT
{
  if [[ "$rollback" == true ]]; then printf '**Rollback**: production moved back to this model.\n\n'; fi
  # shellcheck disable=SC2016 # backticks are markdown code, not command substitution
  printf 'Image: `%s@%s`\n\nCommit: %s\n\n' "${IMAGE:-?}" "${DIGEST:-?}" "$commit"
  cat "$RECORD_DIR/model_card.md"
} >"$notes"

if gh release view "$tag" >/dev/null 2>&1; then
  gh release upload "$tag" "${assets[@]}" --clobber
  echo "create-release: $tag exists; assets refreshed" >&2
  exit 0
fi
flags=(--target "$commit" --title "Model ${commit:0:12}" --notes-file "$notes")
if [[ "$rollback" == true ]]; then flags+=(--latest=false); fi
gh release create "$tag" "${flags[@]}" "${assets[@]}"
echo "create-release: created $tag" >&2
