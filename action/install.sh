#!/usr/bin/env bash
# Installs layerctl for the GitHub Action (action.yml; docs/github-action.md).
#
# LAYERCTL_VERSION    latest (default), a release tag (v1.2.3), or source
# LAYERCTL_RELEASES   where the releases are (default
#                     https://github.com/layerctl/layerctl/releases); https:
#                     or, for mirrors and tests, file:
# LAYERCTL_BIN_DIR    where layerctl goes (default $RUNNER_TEMP/layerctl/bin)
#
# A release is the archive GoReleaser made for this OS and architecture,
# checked against the release's checksums.txt before anything is unpacked.
# `source` builds the action's own checkout (the ref in `uses:`) with go.
# Writes the outputs path= and version= to $GITHUB_OUTPUT and the folder to
# $GITHUB_PATH, when they are set.
set -euo pipefail

fail() {
	echo "layerctl install: $*" >&2
	exit 1
}

version=${LAYERCTL_VERSION:-latest}
releases=${LAYERCTL_RELEASES:-https://github.com/layerctl/layerctl/releases}
releases=${releases%/}
bin_dir=${LAYERCTL_BIN_DIR:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/layerctl/bin}
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The version goes into URLs and file names: only the three forms.
if [[ ! $version =~ ^(latest|source|v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?)$ ]]; then
	fail "version \"$version\" is not latest, source or a release tag such as v1.2.3"
fi
case $releases in
https://* | file://*) ;;
*) fail "releases URL \"$releases\" must start with https:// (or file://)" ;;
esac

# The runner's OS and architecture, as GoReleaser names them.
platform() {
	local os=${RUNNER_OS:-$(uname -s)} arch=${RUNNER_ARCH:-$(uname -m)}
	case $os in
	Linux | linux) os=linux ;;
	macOS | Darwin | darwin) os=darwin ;;
	*) fail "there is no layerctl release for $os: use a Linux or macOS runner" ;;
	esac
	case $arch in
	X64 | x86_64 | amd64) arch=amd64 ;;
	ARM64 | arm64 | aarch64) arch=arm64 ;;
	*) fail "there is no layerctl release for the $arch architecture: use an x64 or arm64 runner" ;;
	esac
	echo "${os}_${arch}"
}

# fetch URL FILE MAX_BYTES: https (also after redirects) or file only,
# bounded in size and time, retried on transient errors.
fetch() {
	curl --fail --silent --show-error --location \
		--proto '=https,file' --proto-redir '=https' \
		--max-filesize "$3" --max-time 300 --retry 3 \
		--output "$2" "$1" || fail "could not download $1"
}

sha256() {
	if command -v sha256sum >/dev/null; then
		sha256sum "$1" | cut -d' ' -f1
	else
		shasum -a 256 "$1" | cut -d' ' -f1
	fi
}

# from_release installs the archive for this platform from the release
# named by $version, and prints the tag it installed.
from_release() {
	local plat tmp base tag sums archive want got
	plat=$(platform)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT

	if [[ $version == latest ]]; then
		base=$releases/latest/download
	else
		base=$releases/download/$version
	fi
	fetch "$base/checksums.txt" "$tmp/checksums.txt" 1048576
	# checksums.txt: "<sha256>  layerctl_<version>_<os>_<arch>.tar.gz"
	sums=$(grep -E "^[0-9a-f]{64}  layerctl_[0-9A-Za-z.+-]+_${plat}\.tar\.gz\$" "$tmp/checksums.txt" || true)
	if [[ -z $sums || $(wc -l <<<"$sums") -ne 1 ]]; then
		fail "the $version release has no single layerctl_*_${plat}.tar.gz in its checksums.txt ($base/checksums.txt)"
	fi
	want=${sums%% *}
	archive=${sums##* }
	tag=v${archive#layerctl_}
	tag=${tag%"_${plat}.tar.gz"}
	if [[ $version != latest && $tag != "$version" ]]; then
		fail "the $version release lists $archive, which is not $version"
	fi
	# From the tag itself, so that a release made meanwhile cannot mix in.
	fetch "$releases/download/$tag/$archive" "$tmp/$archive" 209715200
	got=$(sha256 "$tmp/$archive")
	if [[ $got != "$want" ]]; then
		fail "$archive has SHA-256 $got, but checksums.txt says $want: not installed"
	fi

	mkdir "$tmp/x"
	tar -xzf "$tmp/$archive" -C "$tmp/x" layerctl || fail "$archive holds no layerctl"
	if [[ ! -f $tmp/x/layerctl || -L $tmp/x/layerctl ]]; then
		fail "$archive: layerctl is not a regular file"
	fi
	mkdir -p "$bin_dir"
	install -m 0755 "$tmp/x/layerctl" "$bin_dir/layerctl"
	echo "$tag"
}

# from_source builds the action's own checkout. Its version is what the go
# command records: "dev" in the action's download (no .git), a
# pseudo-version in a git checkout (uses: ./).
from_source() {
	command -v go >/dev/null || fail "version: source builds layerctl with Go: set up Go 1.26 or later first (actions/setup-go)"
	mkdir -p "$bin_dir"
	(cd "$source_dir" && CGO_ENABLED=0 GOBIN=$bin_dir go install -trimpath .) ||
		fail "go install in $source_dir failed"
}

if [[ $version == source ]]; then
	from_source
	want_version=
else
	want_version=$(from_release)
fi

installed=$("$bin_dir/layerctl" version) || fail "$bin_dir/layerctl does not run on this machine"
got_version=$(cut -d' ' -f2 <<<"$installed")
if [[ -n $want_version && $got_version != "$want_version" ]]; then
	fail "$bin_dir/layerctl says it is $got_version, not $want_version ($installed)"
fi
echo "installed $installed into $bin_dir"

if [[ -n ${GITHUB_OUTPUT:-} ]]; then
	printf 'path=%s\nversion=%s\n' "$bin_dir/layerctl" "$got_version" >>"$GITHUB_OUTPUT"
fi
if [[ -n ${GITHUB_PATH:-} ]]; then
	echo "$bin_dir" >>"$GITHUB_PATH"
fi
