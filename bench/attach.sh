#!/usr/bin/env bash
# Paired benchmark: `layerctl attach` vs the aws-cli loop a shell script
# would run (get-function-configuration, update-function-configuration,
# wait function-updated-v2), one function after another, on the same
# fault-injecting Lambda double (internal/fakelambda): 200 functions, 50 ms
# per API call, updates InProgress for 1 s. Prints each contender's wall
# time, API calls and most calls in flight, and the ratio to the serial loop.
#
#   bash bench/attach.sh                         # from the repo root
#   bash bench/attach.sh -functions 500 -concurrency 20
#   bash bench/attach.sh -skip-serial            # seconds instead of minutes
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/layerctl-bench-attach.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
go build -o "$WORK/layerctl" .
go run ./bench/attach -layerctl "$WORK/layerctl" "$@"
