#!/usr/bin/env bash
# Write RECORD_DIR/image.json {image, digest, commit}: what release.yml later promotes, by digest.
set -euo pipefail
# shellcheck source=scripts/image-ref.sh
source "$(dirname "$0")/image-ref.sh"

image_ref || exit 2
commit=${COMMIT:-}
if [[ ! "$commit" =~ ^[0-9a-f]{40}$ ]]; then
  echo "image-record: COMMIT must be a full 40-hex commit SHA, got '$commit'" >&2
  exit 2
fi
dir=${RECORD_DIR:-.image-record}
mkdir -p "$dir"
printf '{"image": "%s", "digest": "%s", "commit": "%s"}\n' "$IMAGE" "$DIGEST" "$commit" >"$dir/image.json.tmp"
mv "$dir/image.json.tmp" "$dir/image.json"
