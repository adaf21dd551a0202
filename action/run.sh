#!/usr/bin/env bash
# Runs one layerctl command for the GitHub Action (action.yml;
# docs/github-action.md).
#
# LAYERCTL_BIN        the layerctl to run (default: the one on PATH)
# LAYERCTL_COMMAND    the command line after "layerctl", split into words as
#                     a shell would split it: quotes and backslashes work,
#                     nothing is expanded ($VAR, globs, `...`) or run
#
# What layerctl writes to $GITHUB_OUTPUT (publish: arn-<layer>-<region>=ARN)
# is passed on, and gathered into one output a composite action can declare:
# arns={"arn-<layer>-<region>":"ARN",...}. exit-code= is layerctl's exit
# code, which is also this script's (3: attach partly done).
set -euo pipefail

fail() {
	echo "layerctl action: $*" >&2
	exit 1
}

bin=${LAYERCTL_BIN:-layerctl}
line=${LAYERCTL_COMMAND:-}
[[ $line =~ [^[:space:]] ]] || fail "the command input is empty: give a layerctl command such as \"publish\""

# xargs splits words as the shell does (quotes, backslashes) and expands
# nothing; printf hands each word back NUL-terminated.
words=$(mktemp)
outputs=$(mktemp)
trap 'rm -f "$words" "$outputs"' EXIT
printf '%s\n' "$line" | xargs printf '%s\0' >"$words" ||
	fail "the command input is not a command line (an unmatched quote?): $line"
args=()
while IFS= read -r -d '' word; do
	args+=("$word")
done <"$words"

echo "layerctl ${line}" >&2
status=0
GITHUB_OUTPUT=$outputs "$bin" "${args[@]}" || status=$?

# Every ARN output as one JSON object. Layer names, regions and ARNs hold
# no character JSON must escape; a line that is not such an output is
# passed on but not gathered.
json=
while IFS= read -r output; do
	if [[ $output =~ ^(arn-[A-Za-z0-9_-]+)=(arn:[A-Za-z0-9:/_.-]+)$ ]]; then
		json+="${json:+,}\"${BASH_REMATCH[1]}\":\"${BASH_REMATCH[2]}\""
	fi
done <"$outputs"

if [[ -n ${GITHUB_OUTPUT:-} ]]; then
	{
		cat "$outputs"
		echo "arns={$json}"
		echo "exit-code=$status"
	} >>"$GITHUB_OUTPUT"
fi
exit "$status"
