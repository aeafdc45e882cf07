#!/usr/bin/env bash
# make bench: prints the figures the project tracks. Nothing here asserts a
# time; the numbers are for people (and issue notes) to compare.
#   1. the test bed: up from down (warm caches), engine start, first and
#      cached `dagger call`, disk used by the caches;
#   2. every Go benchmark (go test -bench), e.g. the data checks' rows/s.
set -euo pipefail
cd "$(dirname "$0")/.."
tb=bin/testbed

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f s", b - a }'; }

"$tb" down >/dev/null 2>&1 || true
t0=$(now)
"$tb" up 2>/tmp/ferry-bench-up.log
t1=$(now)
trap '"$tb" down >/dev/null' EXIT
eval "$("$tb" env)"
engine=$(grep -o 'engine ready in [^ ]*' /tmp/ferry-bench-up.log | awk '{print $4}')

call() { dagger call --image-lock="$FERRY_IMAGE_LOCK" images >/dev/null 2>&1; }
t2=$(now); call; t3=$(now); call; t4=$(now)

echo "testbed up (warm caches, from down)  $(secs "$t0" "$t1")"
echo "engine start                         ${engine}"
echo "first dagger call after engine start $(secs "$t2" "$t3")"
echo "cached dagger call                   $(secs "$t3" "$t4")"
"$tb" status | grep '^disk'

# The data checks on 1,000,000 rows generated from the real data: rows/s
# and peak memory, for CSV and Parquet.
go run ./pipelines/data/cmd/databench -rows 1000000 -format csv
go run ./pipelines/data/cmd/databench -rows 1000000 -format parquet

go test -run '^$' -bench . -benchmem ./pipelines/...
