#!/usr/bin/env bash
# What proves an image's origin, by the repository's visibility and plan (SIGNING, default auto):
#   public  keyless cosign signature and GitHub artifact attestation, both in the public Sigstore logs (Rekor records
#           the repository, workflow and commit): free for public repositories;
#   github  GitHub artifact attestation only: for a private repository it uses GitHub's own Sigstore instance and
#           needs GitHub Enterprise Cloud (Free, Pro and Team plans have no attestations on private repositories);
#   none    neither: the pushed digest and its governance record are what promotion checks;
#   auto    public for a public repository, none otherwise: a private repository's names never reach a public log
#           unless asked for (SIGNING=public).
# Writes mode=, cosign=true|false, attest=true|false to $GITHUB_OUTPUT (stdout when unset).
set -euo pipefail

mode=${SIGNING:-auto}
visibility=${VISIBILITY:-}
if [[ "$mode" == auto ]]; then
  case "$visibility" in
    public) mode=public ;;
    private | internal) mode=none ;;
    *) echo "signing-mode: repository visibility unknown ('$visibility'); set signing explicitly" >&2; exit 2 ;;
  esac
  if [[ "$mode" == none ]]; then
    echo "::notice title=signing::$visibility repository: no keyless signature or attestation (set signing: github on GitHub Enterprise Cloud, or public to publish to the public Sigstore logs)"
  fi
fi
case "$mode" in
  public) cosign=true attest=true ;;
  github) cosign=false attest=true ;;
  none) cosign=false attest=false ;;
  *) echo "signing-mode: signing must be auto, public, github or none, got '$mode'" >&2; exit 2 ;;
esac
printf 'mode=%s\ncosign=%s\nattest=%s\n' "$mode" "$cosign" "$attest" >>"${GITHUB_OUTPUT:-/dev/stdout}"
