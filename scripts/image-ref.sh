# Shared by the image scripts (sourced, not run): what an image repository and a digest must look like.
# shellcheck shell=bash

IMAGE_PATTERN='^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+$'

# valid_image NAME: a lower-case image repository, host[:port]/path (registries refuse upper case).
valid_image() { [[ "$1" =~ $IMAGE_PATTERN ]]; }

# image_ref: validate IMAGE and DIGEST (sha256:<64 hex>) and set ref=IMAGE@DIGEST; returns 2 on bad values.
image_ref() {
  local image=${IMAGE:-} digest=${DIGEST:-}
  if ! valid_image "$image"; then
    echo "$(basename "$0"): IMAGE must be a lower-case image repository, got '$image'" >&2
    return 2
  fi
  if [[ ! "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]; then
    echo "$(basename "$0"): DIGEST must be sha256:<64 hex digits>, got '$digest'" >&2
    return 2
  fi
  # shellcheck disable=SC2034 # ref is read by the script that sources this file
  ref="$image@$digest"
}
