#!/usr/bin/env bash
# Write the pull request number next to the report, for the fork poster (fork-report.yml), which refuses
# anything but a positive integer. Outside a pull request (PR_NUMBER 0 or empty) it writes nothing.
set -euo pipefail

out_dir=${OUT_DIR:-artifacts}
number=${PR_NUMBER:-}
if [[ -z "$number" || "$number" == 0 ]]; then
  echo "write-pr-number: not a pull request; nothing written" >&2
  exit 0
fi
if [[ ! "$number" =~ ^[1-9][0-9]{0,9}$ ]]; then
  echo "write-pr-number: PR_NUMBER must be a positive integer, got '$number'" >&2
  exit 2
fi
mkdir -p "$out_dir"
printf '%s\n' "$number" >"$out_dir/pr-number"
