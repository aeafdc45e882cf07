#!/usr/bin/env bash
# The README's first command (make run): the pipeline end to end on the
# embedded default. On this offline machine it runs on the test bed, brought
# up if needed and stopped afterwards (KEEP_TESTBED=1 keeps it running).
set -euo pipefail
cd "$(dirname "$0")/.."
tb=bin/testbed

started=0
if ! "$tb" status >/dev/null 2>&1; then
	"$tb" up
	started=1
fi
cleanup() {
	if [ "$started" = 1 ] && [ "${KEEP_TESTBED:-0}" != 1 ]; then
		"$tb" down
	fi
}
trap cleanup EXIT

eval "$("$tb" env)"
dagger --progress=plain call \
	--image-lock="$FERRY_IMAGE_LOCK" \
	--pip-index-url="$FERRY_PIP_INDEX_URL" \
	--goproxy="$FERRY_GOPROXY" \
	--trivy-db-repository="$FERRY_TRIVY_DB" \
	--insecure-registries="$FERRY_REGISTRY" \
	run "$@"
