#!/usr/bin/env bash
# Before a tag moves: IMAGE@DIGEST must carry a keyless cosign signature made by image.yml of SIGNER_REPOSITORY
# (default: this repository) in a run of this repository, and a build provenance attestation of this repository.
set -euo pipefail
# shellcheck source=scripts/image-ref.sh
source "$(dirname "$0")/image-ref.sh"

image_ref || exit 2
repository=${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set (owner/repo)}
signer=${SIGNER_REPOSITORY:-$repository}
identity="^https://github\.com/${signer//./\\.}/\.github/workflows/image\.yml@"

cosign verify \
  --certificate-oidc-issuer https://token.actions.githubusercontent.com \
  --certificate-identity-regexp "$identity" \
  --certificate-github-workflow-repository "$repository" \
  "$ref" >/dev/null
echo "verify-image: signature of $ref by $signer's image.yml verified" >&2
gh attestation verify "oci://$ref" --repo "$repository" >/dev/null
echo "verify-image: build provenance of $ref verified" >&2
