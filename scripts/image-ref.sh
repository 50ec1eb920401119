#!/usr/bin/env bash
# Shared by the image scripts: validate IMAGE (repository) and DIGEST (sha256:<64 hex>) and set ref=IMAGE@DIGEST.
# Sourced, not run.
# shellcheck shell=bash

image_ref() {
  local image=${IMAGE:-} digest=${DIGEST:-}
  if [[ ! "$image" =~ ^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+$ ]]; then
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
