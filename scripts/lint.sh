#!/usr/bin/env bash
# gofmt and go vet over both Go modules (root and the Dagger module in ci/).
# The Dagger module's generated SDK (ci/internal, ci/dagger.gen.go) comes from
# `make develop`, which needs the test bed's engine.
set -euo pipefail
cd "$(dirname "$0")/.."

unformatted=$(gofmt -l $(git ls-files --cached --others --exclude-standard '*.go'))
if [ -n "$unformatted" ]; then
	echo "lint: gofmt wants changes in:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...
go vet -tags e2e ./e2e/...
if [ ! -f ci/dagger.gen.go ]; then
	echo "lint: ci/dagger.gen.go is missing: run \`make develop\` (needs the test bed up) first" >&2
	exit 1
fi
(cd ci && go vet ./...)
echo "lint: gofmt and go vet clean" >&2
