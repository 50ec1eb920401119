#!/usr/bin/env bash
# Keyless cosign signature of IMAGE@DIGEST (the job's OIDC identity; needs id-token: write). Signs the digest,
# never a tag, so what was signed is exactly what promote later moves tags onto.
set -euo pipefail

ref=$(mlci image ref --repository "${IMAGE:-}" --digest "${DIGEST:-}")
cosign sign --yes "$ref"
