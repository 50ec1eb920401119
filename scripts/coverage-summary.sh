#!/usr/bin/env bash
# Append the coverage table (from the .coverage data `make pytest` wrote) to the job summary.
set -euo pipefail

summary=${GITHUB_STEP_SUMMARY:-/dev/stdout}
coverage=coverage
if [[ -x .venv/bin/coverage ]]; then coverage=.venv/bin/coverage; fi

{
  printf '## Coverage\n\n'
  if [[ -f .coverage ]]; then
    "$coverage" report --format=markdown
  else
    printf 'No coverage data: the test run stopped before writing it (see the log).\n'
  fi
} >>"$summary"
