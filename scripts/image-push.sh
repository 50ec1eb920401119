#!/usr/bin/env bash
# Push the smoke-tested local image with `mlci image push` (which refuses without a passing governance record for
# the image's model) and write digest=sha256:... to $GITHUB_OUTPUT for attestation, signing and promotion.
set -euo pipefail

local_image=${LOCAL_IMAGE:?LOCAL_IMAGE is not set (the local image to push)}
image=${IMAGE:?IMAGE is not set (the registry repository)}
line=$(mlci image push "$local_image" --repository "$image" | tail -n 1)
digest=${line##* }
if [[ ! "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]; then
  echo "image-push: expected 'REFERENCE sha256:<digest>' from mlci image push, got '$line'" >&2
  exit 1
fi
printf 'digest=%s\n' "$digest" >>"${GITHUB_OUTPUT:-/dev/stdout}"
