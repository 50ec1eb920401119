#!/usr/bin/env bash
# Scheduled drift check: `mlci check drift --reference REFERENCE`. On drift (exit 1) open, or update, the one open
# issue labelled DRIFT_LABEL that the workflow's bot wrote (never a second one, never a person's issue), then exit
# 1 so the run shows red. Bad input exits 2; no REFERENCE configured skips with a notice (a fresh template has none).
set -euo pipefail

label=${DRIFT_LABEL:-mlci-drift}
reference=${REFERENCE:-}
checks=${CHECKS_DIR:-artifacts/checks}
if [[ -z "$reference" ]]; then
  echo "::notice::drift check skipped: set the DRIFT_REFERENCE variable (or the reference input) to a reference dataset"
  exit 0
fi

log=$(mktemp)
body=$(mktemp)
trap 'rm -f "$log" "$body"' EXIT
status=0
mlci check drift --reference "$reference" 2>&1 | tee "$log" || status=$?
case "$status" in
  0) echo "drift-check: no drift against $reference" >&2; exit 0 ;;
  1) ;;
  *) echo "drift-check: mlci check drift failed (exit $status), no issue filed" >&2; exit "$status" ;;
esac

# shellcheck disable=SC2016 # backticks below are markdown code, not command substitution
{
  printf '<!-- mlci-drift -->\nDrift against `%s` found on %s.\n\nRun: %s\n\n' "$reference" "$(date -u +%Y-%m-%d)" "${RUN_URL:-(local run)}"
  printf '```text\n%s\n```\n\n' "$(tail -c 20000 "$log")"
  if [[ -f "$checks/drift.json" ]]; then
    printf '<details><summary>drift.json</summary>\n\n```json\n%s\n```\n</details>\n\n' "$(head -c 40000 "$checks/drift.json")"
  fi
  printf 'The full report (HTML) is in the run'"'"'s `mlci-drift` artifact.\n'
} >"$body"

gh label create "$label" --color D93F0B --description "Data drift found by the scheduled mlci drift check" --force >/dev/null
# The issue to update is the bot's own, with the marker, found on every page; a person's issue with the label
# (a report, a discussion) is never overwritten.
number=$("$(dirname "$0")/post_report.py" sticky-issue "$body" --label "$label" --title "Data drift detected" \
  --again "Drift found again: ${RUN_URL:-(local run)}")
echo "drift-check: drift; opened or updated issue #${number:-?} labelled $label" >&2
exit 1
