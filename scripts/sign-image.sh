#!/usr/bin/env bash
# Keyless cosign signature of IMAGE@DIGEST (the job's OIDC identity; needs id-token: write). Signs the digest,
# never a tag, so what was signed is exactly what promote later moves tags onto.
set -euo pipefail
# shellcheck source=scripts/image-ref.sh
source "$(dirname "$0")/image-ref.sh"

image_ref || exit 2
cosign sign --yes "$ref"
