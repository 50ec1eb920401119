#!/usr/bin/env bash
# The image repository for this repository, lower-cased as registries require: REGISTRY/OWNER/REPO.
# Writes image=<name> to $GITHUB_OUTPUT (stdout when unset).
set -euo pipefail
# shellcheck source=scripts/image-ref.sh
source "$(dirname "$0")/image-ref.sh"

registry=${REGISTRY:-ghcr.io}
repository=${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set (owner/repo)}
image=$(printf '%s/%s' "$registry" "$repository" | tr '[:upper:]' '[:lower:]')
if ! valid_image "$image"; then
  echo "image-name: '$image' is not a valid image repository (REGISTRY='$registry', GITHUB_REPOSITORY='$repository')" >&2
  exit 2
fi
printf 'image=%s\n' "$image" >>"${GITHUB_OUTPUT:-/dev/stdout}"
