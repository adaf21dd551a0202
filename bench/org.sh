#!/usr/bin/env bash
# Organisation-scale benchmark: `layerctl deploy --shard I/N` over 10
# accounts × 3 regions × 100 functions, on Lambda doubles (one per account
# and region, throttling past 15 control-plane calls per second) behind a
# latency proxy that also answers STS, with 1, 2, 4, 8 and 16 shards run at once;
# prints each one's wall time against the quota floor.
#
#   bash bench/org.sh                                   # from the repo root
#   bash bench/org.sh -shards 1,2,4 -latency 80ms
#   bash bench/org.sh -accounts 20 -functions 50 -concurrency 20
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/layerctl-bench-org.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
go build -o "$WORK/layerctl" .
go run ./bench/org -layerctl "$WORK/layerctl" "$@"
