#!/usr/bin/env bash
# The README's second command (make test), and all that .ci/run runs: bring
# the test bed up, lint, run every Go test, run the e2e checks against the
# real engine, and always take the test bed down again.
set -euo pipefail
cd "$(dirname "$0")/.."
tb=bin/testbed

start=$(date +%s)
step() { echo "==> $* ($(( $(date +%s) - start ))s)" >&2; }

trap 'step "taking the test bed down"; "$tb" down' EXIT
step "bringing the test bed up"
"$tb" up
eval "$("$tb" env)"

step "generating the Dagger module's SDK"
dagger --progress=plain develop >/dev/null

step "lint"
scripts/lint.sh

step "unit and integration tests"
go test -count=1 ./...

step "e2e checks on the test bed"
go test -count=1 -v -tags e2e -timeout 45m ./e2e/...

step "all checks passed"
