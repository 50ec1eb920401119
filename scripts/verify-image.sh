#!/usr/bin/env bash
# Before a tag moves: IMAGE@DIGEST must carry a keyless cosign signature and a build provenance attestation made by
# image.yml of SIGNER_REPOSITORY (default: this repository) in a run of this repository on RELEASE_BRANCH (main),
# triggered by a push. A branch's run of an edited workflow (skipping governance) signs with another identity and is
# refused. Signer at this repository: image.yml@refs/heads/main exactly; another repository's image.yml (called
# from here): at SIGNER_REF when set (e.g. refs/tags/v1), else at any ref of that repository.
# COSIGN / ATTEST (true|false, from scripts/signing-mode.sh) say which of the two the image carries.
set -euo pipefail

ref=$(mlci image ref --repository "${IMAGE:-}" --digest "${DIGEST:-}")
repository=${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set (owner/repo)}
branch=${RELEASE_BRANCH:-main}
signer=${SIGNER_REPOSITORY:-$repository}
signer_ref=${SIGNER_REF:-}
if [[ -z "$signer_ref" && "$signer" == "$repository" ]]; then signer_ref="refs/heads/$branch"; fi
ref_pattern='[^@]+'
if [[ -n "$signer_ref" ]]; then ref_pattern=${signer_ref//./\\.}; fi
identity="^https://github\.com/${signer//./\\.}/\.github/workflows/image\.yml@${ref_pattern}\$"

if [[ "${COSIGN:-true}" == true ]]; then
  cosign verify \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com \
    --certificate-identity-regexp "$identity" \
    --certificate-github-workflow-repository "$repository" \
    --certificate-github-workflow-ref "refs/heads/$branch" \
    --certificate-github-workflow-trigger push \
    "$ref" >/dev/null
  echo "verify-image: signature of $ref by $signer's image.yml${signer_ref:+@$signer_ref} in a push run on $branch verified" >&2
fi
if [[ "${ATTEST:-true}" == true ]]; then
  gh attestation verify "oci://$ref" --repo "$repository" \
    --signer-workflow "$signer/.github/workflows/image.yml" \
    --source-ref "refs/heads/$branch" >/dev/null
  echo "verify-image: build provenance of $ref by $signer's image.yml on $branch verified" >&2
fi
if [[ "${COSIGN:-true}" != true && "${ATTEST:-true}" != true ]]; then
  echo "::notice title=not verified::$ref carries no signature or attestation (signing: none); the digest and its governance record are the gate"
fi
