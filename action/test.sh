#!/usr/bin/env bash
# Tests the GitHub Action's scripts (action/install.sh, action/run.sh) and
# action.yml against a snapshot release that GoReleaser built:
#
#   go run github.com/goreleaser/goreleaser/v2@v2.15.1 release --snapshot --clean --skip=publish
#   bash action/test.sh [DIST]      (DIST: that dist/ folder, the default)
#
# The release is served as GitHub lays out releases, from file: URLs. The
# publish case starts the moto emulator on a free loopback port. The last
# line says how many cases passed and failed.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dist=$(cd "${1:-$root/dist}" && pwd) || exit 1
if [[ ! -f $dist/checksums.txt ]]; then
	echo "no snapshot release in $dist: build one with goreleaser first (see the top of this file)" >&2
	exit 1
fi
work=$(mktemp -d)
moto_pid=
cleanup() {
	if [[ -n $moto_pid ]]; then
		kill "$moto_pid" 2>/dev/null
		wait "$moto_pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
ok() {
	echo "ok   $1"
	passed=$((passed + 1))
}
bad() {
	echo "FAIL $1" >&2
	[[ -f $work/err ]] && sed 's/^/     | /' "$work/err" >&2
	failed=$((failed + 1))
}

# This machine, as GoReleaser names it.
case $(uname -m) in
x86_64) arch=amd64 ;;
aarch64 | arm64) arch=arm64 ;;
*)
	echo "no snapshot archive for $(uname -m)" >&2
	exit 1
	;;
esac
case $(uname -s) in
Linux) plat=linux_$arch ;;
Darwin) plat=darwin_$arch ;;
esac
archive=$(grep -oE "layerctl_[^ ]+_${plat}\.tar\.gz\$" "$dist/checksums.txt")
version=${archive#layerctl_}
version=${version%_"${plat}".tar.gz}
tag=v$version

# A release tree as GitHub serves it: download/TAG/FILE and
# latest/download/FILE.
release() {
	local dir=$work/$1
	mkdir -p "$dir/download/$tag" "$dir/latest"
	cp "$dist"/layerctl_*.tar.gz "$dist/checksums.txt" "$dir/download/$tag/"
	ln -s "../download/$tag" "$dir/latest/download"
	echo "$dir"
}
good=$(release good)

# install NAME [VAR=VALUE...]: runs install.sh as the action does, into
# $work/NAME, with GitHub's output files there.
install() {
	local name=$1
	shift
	mkdir -p "$work/$name"
	env -u RUNNER_OS -u RUNNER_ARCH -u GITHUB_ACTIONS \
		LAYERCTL_BIN_DIR="$work/$name/bin" GITHUB_OUTPUT="$work/$name/output" GITHUB_PATH="$work/$name/path" \
		LAYERCTL_RELEASES="file://$good" "$@" \
		bash "$root/action/install.sh" >"$work/out" 2>"$work/err"
}

# A tag installs that release's archive for this machine; layerctl says
# the tag; the outputs and PATH are written.
if install tag LAYERCTL_VERSION="$tag" &&
	[[ $("$work/tag/bin/layerctl" version) == "layerctl $tag "* ]] &&
	grep -qx "version=$tag" "$work/tag/output" &&
	grep -qx "path=$work/tag/bin/layerctl" "$work/tag/output" &&
	grep -qx "$work/tag/bin" "$work/tag/path"; then
	ok "a release tag installs that release, checksum verified"
else
	bad "a release tag installs that release, checksum verified"
fi

# latest: read from latest/download/checksums.txt, fetched from the tag.
if install latest LAYERCTL_VERSION=latest && grep -qx "version=$tag" "$work/latest/output"; then
	ok "latest installs the newest release ($tag)"
else
	bad "latest installs the newest release ($tag)"
fi

# An archive whose bytes are not the ones checksums.txt lists is refused,
# and nothing is installed.
tampered=$(release tampered)
printf 'x' >>"$tampered/download/$tag/$archive"
if ! install tampered LAYERCTL_VERSION="$tag" LAYERCTL_RELEASES="file://$tampered" &&
	grep -q "$archive has SHA-256 .* but checksums.txt says .*: not installed" "$work/err" &&
	[[ ! -e $work/tampered/bin/layerctl && ! -s $work/tampered/output ]]; then
	ok "a tampered archive is refused, nothing installed"
else
	bad "a tampered archive is refused, nothing installed"
fi

# The runner's OS and architecture pick the archive: macOS on ARM64 wants
# the darwin_arm64 one, which this release lacks here.
partial=$(release partial)
grep -v darwin_arm64 "$dist/checksums.txt" >"$partial/download/$tag/checksums.txt"
if ! install partial LAYERCTL_VERSION="$tag" LAYERCTL_RELEASES="file://$partial" RUNNER_OS=macOS RUNNER_ARCH=ARM64 &&
	grep -q "the $tag release has no single layerctl_\*_darwin_arm64.tar.gz in its checksums.txt" "$work/err"; then
	ok "macOS ARM64 runners get the darwin_arm64 archive, or a clear error"
else
	bad "macOS ARM64 runners get the darwin_arm64 archive, or a clear error"
fi

if ! install windows RUNNER_OS=Windows RUNNER_ARCH=X64 &&
	grep -q "there is no layerctl release for Windows: use a Linux or macOS runner" "$work/err"; then
	ok "a Windows runner gets a clear error"
else
	bad "a Windows runner gets a clear error"
fi

# The version input goes into URLs: anything but the three forms is refused
# before any download.
if ! install evil LAYERCTL_VERSION="../../v1.0.0" &&
	grep -q 'version "../../v1.0.0" is not latest, source or a release tag such as v1.2.3' "$work/err" &&
	! install plainhttp LAYERCTL_RELEASES="http://127.0.0.1:9/releases" &&
	grep -q 'must start with https://' "$work/err"; then
	ok "a version or releases URL that is not one is refused"
else
	bad "a version or releases URL that is not one is refused"
fi

if ! install missing LAYERCTL_VERSION="v9.9.9" && grep -q "could not download file://.*/download/v9.9.9/checksums.txt" "$work/err"; then
	ok "a release that does not exist is named"
else
	bad "a release that does not exist is named"
fi

# source: go install of the action's own checkout.
if install source LAYERCTL_VERSION=source && "$work/source/bin/layerctl" version >/dev/null &&
	grep -q "^version=" "$work/source/output"; then
	ok "source builds the action's checkout with go"
else
	bad "source builds the action's checkout with go"
fi

# run.sh: the command line is split as a shell would, nothing expanded.
layerctl=$work/tag/bin/layerctl
run() {
	: >"$work/run-output"
	GITHUB_OUTPUT="$work/run-output" LAYERCTL_BIN="$layerctl" LAYERCTL_COMMAND="$1" \
		bash "$root/action/run.sh" >"$work/out" 2>"$work/err"
}
if run "version --output 'json'" && grep -q "\"version\": \"$tag\"" "$work/out" &&
	grep -qx 'arns={}' "$work/run-output" && grep -qx 'exit-code=0' "$work/run-output"; then
	ok "run: quotes are words; no ARN gives arns={}"
else
	bad "run: quotes are words; no ARN gives arns={}"
fi
if ! run "version -o 'json" && grep -q "not a command line (an unmatched quote?)" "$work/err" &&
	! run "   " && grep -q "the command input is empty" "$work/err"; then
	ok "run: an unmatched quote or an empty command is refused"
else
	bad "run: an unmatched quote or an empty command is refused"
fi

# run.sh publish against moto: layerctl's arn-<layer>-<region> outputs are
# passed on and gathered into arns.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do
	curl -fs "http://127.0.0.1:$port/moto-api/" >/dev/null && break
	sleep 0.2
done
cp -R "$root/examples/python-shared" "$work/example"
rm -rf "$work/example/dist" "$work/example/layerctl.lock"
arn=arn:aws:lambda:eu-west-1:123456789012:layer:payments-common:1

# shellcheck disable=SC2016 # the $HOME layerctl is given, unexpanded
if ! (cd "$work/example" && run 'build $HOME') && grep -qF 'no layer "$HOME" in layerctl.yaml' "$work/err" &&
	grep -qx 'exit-code=2' "$work/run-output"; then
	ok "run: \$HOME is passed as written; layerctl's exit code 2 is the output and the step's"
else
	bad "run: \$HOME is passed as written; layerctl's exit code 2 is the output and the step's"
fi
if (cd "$work/example" && AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x \
	AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null GITHUB_STEP_SUMMARY="$work/summary" \
	run "publish --region eu-west-1") &&
	grep -qx "arn-payments-common-eu-west-1=$arn" "$work/run-output" &&
	grep -qx "arns={\"arn-payments-common-eu-west-1\":\"$arn\"}" "$work/run-output" &&
	python3 -c 'import json,sys; d=json.loads(sys.argv[1][5:]); assert d=={"arn-payments-common-eu-west-1": sys.argv[2]}' \
		"$(grep '^arns=' "$work/run-output")" "$arn" &&
	grep -q "| payments-common | eu-west-1 | 1 | published |" "$work/summary"; then
	ok "run: publish's ARN outputs are passed on and gathered into arns (JSON)"
else
	bad "run: publish's ARN outputs are passed on and gathered into arns (JSON)"
fi

# action.yml: each input reaches the scripts through env (never pasted into
# a script), each output is one the scripts write, and the scripts exist.
if python3 - "$root/action.yml" >"$work/err" 2>&1 <<'EOF'; then
import os, re, sys, yaml
path = sys.argv[1]
a = yaml.safe_load(open(path))
root = os.path.dirname(path)
assert a["runs"]["using"] == "composite", "not a composite action"
steps = {s["id"]: s for s in a["runs"]["steps"]}
used = set()
for s in steps.values():
    assert "${{" not in s["run"], f"step {s['id']} pastes an expression into its script"
    script = re.search(r'"\$GITHUB_ACTION_PATH/(\S+)"', s["run"]).group(1)
    assert os.path.isfile(os.path.join(root, script)), f"{script} is missing"
    text = " ".join(str(v) for v in list(s.get("env", {}).values()) + [s.get("if", ""), s.get("working-directory", "")])
    used |= set(re.findall(r"inputs\.([a-z-]+)", text))
assert used == set(a["inputs"]), f"inputs used {sorted(used)} != declared {sorted(a['inputs'])}"
writes = {"install": {"path", "version"}, "run": {"arns", "exit-code"}}
for name, o in a["outputs"].items():
    m = re.fullmatch(r"\$\{\{ steps\.([a-z]+)\.outputs\.([a-z-]+) \}\}", o["value"])
    assert m and m.group(2) in writes[m.group(1)], f"output {name}: {o['value']} is written by no script"
    assert m.group(2) == name, f"output {name} maps {m.group(2)}"
EOF
	ok "action.yml: inputs through env, outputs the scripts write, scripts present"
else
	bad "action.yml: inputs through env, outputs the scripts write, scripts present"
fi

if command -v shellcheck >/dev/null; then
	if shellcheck "$root/action/install.sh" "$root/action/run.sh" "$root/action/test.sh" >"$work/err" 2>&1; then
		ok "shellcheck: install.sh, run.sh and test.sh are clean"
	else
		bad "shellcheck: install.sh, run.sh and test.sh are clean"
	fi
else
	echo "shellcheck: not installed, not run (apt-get install shellcheck)" >&2
fi

echo "action: $passed passed, $failed failed"
((failed == 0))
