#!/usr/bin/env bash
# Paired benchmark of `layerctl build` on one tree, each contender in the
# same round, several rounds, medians, the machine's load beside every
# figure:
#   1. first build: layerctl vs Info-ZIP (zip -r -X, default level) vs
#      Python's zipfile (ZIP_DEFLATED): wall time, peak RSS, ZIP size;
#   2. rebuild after one changed file: layerctl (over the first build's
#      output and cache) vs a read-and-hash floor (sha256sum of every file,
#      one process per CPU); then after a change to the largest file;
#   3. rebuild with nothing changed, of the same tree with a pip requirement
#      (python3 as found on PATH: through pyenv's shim, if that is what you
#      have): wall time, and the processes it starts (strace).
#
#   bash bench/build.sh                  # from the repo root
#   ROUNDS=5 bash bench/build.sh         # more rounds (default 3)
#   TREE=real bash bench/build.sh        # python3's stdlib, Go's source and
#                                        # two Go binaries instead of gentree's
#
# gentree's tree (the default) is ~200 MB in ~7,000 files shaped like a
# Python layer (bench/gentree); knobs: SEED (1), TREE_MB (200), TREE_FILES
# (7000). Needs go, zip, unzip, python3 with pip, sha256sum, GNU time
# (/usr/bin/time); strace to count processes (else they are not counted).
# Targets missed are reported; the exit code is non-zero only when an
# archive is invalid.
set -euo pipefail

ROUNDS="${ROUNDS:-3}"
TREE="${TREE:-gentree}"
SEED="${SEED:-1}"
TREE_MB="${TREE_MB:-200}"
TREE_FILES="${TREE_FILES:-7000}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

for tool in go zip unzip python3 sha256sum /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "build.sh: $tool is required" >&2; exit 1; }
done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "build.sh: ROUNDS must be a positive integer" >&2; exit 1; }
[[ "$TREE" == gentree || "$TREE" == real ]] || { echo "build.sh: TREE must be gentree or real" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/layerctl-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
load() { cut -d' ' -f1 /proc/loadavg; }

echo "== building layerctl"
go build -o "$WORK/layerctl" .

if [[ "$TREE" == gentree ]]; then
	echo "== generating the tree (seed $SEED, $TREE_MB MB, $TREE_FILES files)"
	go build -o "$WORK/gentree" ./bench/gentree
	"$WORK/gentree" -out "$WORK/tree" -seed "$SEED" -mb "$TREE_MB" -files "$TREE_FILES"
else
	# A real layer's mix: source text of two languages and native binaries.
	STDLIB="$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')"
	GOROOT="$(go env GOROOT)"
	echo "== copying the tree: $STDLIB (no site-packages, tests, bytecode), $GOROOT/src (no testdata), go and gofmt"
	mkdir -p "$WORK/tree/python/stdlib" "$WORK/tree/python/gosrc" "$WORK/tree/python/bin"
	(cd "$STDLIB" && tar cf - --exclude=./site-packages --exclude=./test --exclude=__pycache__ .) | tar xf - -C "$WORK/tree/python/stdlib"
	(cd "$GOROOT/src" && tar cf - --exclude=testdata .) | tar xf - -C "$WORK/tree/python/gosrc"
	cp "$GOROOT/bin/go" "$GOROOT/bin/gofmt" "$WORK/tree/python/bin/"
	# Native code for other architectures, which a layer's checks refuse.
	find "$WORK/tree/python" \( -name '*.syso' -o -type l \) -delete
fi

# A wheel for the pip layer: PyPI is not needed.
mkdir -p "$WORK/wheels"
python3 - "$WORK/wheels" <<'EOF'
import base64, hashlib, sys, zipfile
files = {
    "benchpkg/__init__.py": b"VALUE = 1\n",
    "benchpkg-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: benchpkg\nVersion: 1.0\n",
    "benchpkg-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = "".join("%s,sha256=%s,%d\n" % (n, base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode(), len(d)) for n, d in files.items())
with zipfile.ZipFile(sys.argv[1] + "/benchpkg-1.0-py3-none-any.whl", "w") as z:
    for n, d in files.items():
        z.writestr(n, d)
    z.writestr("benchpkg-1.0.dist-info/RECORD", record + "benchpkg-1.0.dist-info/RECORD,,\n")
EOF
echo "benchpkg==1.0" >"$WORK/requirements.txt"

cat >"$WORK/layerctl.yaml" <<'EOF'
version: 1
layers:
  bench:
    runtimes: [python3.12]
    files:
      - {from: tree/python, to: python}
  bench-pip:
    runtimes: [python3.12]
    python: {requirements: requirements.txt, installer: pip, find_links: [wheels], no_index: true}
    files:
      - {from: tree/python, to: python/vendor}
EOF

# The real interpreter, so a version manager's shim (pyenv) is not timed.
PY="$(python3 -c 'import sys; print(sys.executable)')"

cat >"$WORK/pyzip.py" <<'EOF'
import os, sys, zipfile

src, dst = sys.argv[1], sys.argv[2]  # src holds python/
with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_DEFLATED) as zf:
    for dirpath, dirnames, filenames in os.walk(os.path.join(src, "python")):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            zf.write(full, os.path.relpath(full, src))
EOF

TREE_FILES_ACTUAL="$(find "$WORK/tree/python" -type f | wc -l)"
TREE_BYTES="$(find "$WORK/tree/python" -type f -printf '%s\n' | awk '{s += $1} END {printf "%d", s}')"
# The file a rebuild sees changed: a small source file, the usual edit;
# then the largest file, the worst case.
CHANGED="$(find "$WORK/tree/python" -type f -name '*.py' -size +1k -size -16k | sort | awk 'NR == 1')"
LARGEST="$(find "$WORK/tree/python" -type f -printf '%s %p\n' | sort -n | awk 'END {print $2}')"

# Untimed warm-up read so every tool reads the tree from the page cache.
# (Not `tar cf /dev/null`: GNU tar skips reading file contents for /dev/null.)
find "$WORK/tree/python" -type f -print0 | xargs -0 cat >/dev/null

# measure NAME DIR CMD...: runs CMD in DIR under GNU time; sets WALL (s),
# CPU (user + system, s), RSS (KB). The command's stderr goes to
# $WORK/NAME.err (shown if it fails).
measure() {
	local name="$1" dir="$2"
	shift 2
	local tf="$WORK/time.$name"
	if ! (cd "$dir" && /usr/bin/time -f '%e %M %U %S' -o "$tf" "$@" 2>"$WORK/$name.err"); then
		echo "build.sh: $name failed:" >&2
		cat "$WORK/$name.err" "$tf" >&2 || true
		exit 1
	fi
	read -r WALL RSS user sys <"$tf"
	CPU="$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')"
}

# median of the arguments
median() {
	printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# layerctl NAME LAYER OUT [FLAGS...]: a timed build; LC_ZIP is its ZIP.
LC_ZIP=""
layerctl() {
	local name="$1" layer="$2" out="$3"
	shift 3
	measure "$name" "$WORK" "$WORK/layerctl" build -f "$WORK/layerctl.yaml" --out "$out" --output json "$@" "$layer" >"$WORK/$name.json"
	LC_ZIP="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["artifacts"][0]["path"])' "$WORK/$name.json")"
	[[ "$LC_ZIP" == /* ]] || LC_ZIP="$WORK/$LC_ZIP"
	[[ -f "$LC_ZIP" ]] || { echo "build.sh: no zip from layerctl ($name)" >&2; exit 1; }
}

# Builds of bench-pip to rebuild with nothing changed: the first one runs
# pip; files the memo saw change in the last 2 seconds are read again,
# so the tree is left to settle first.
prime_pip() {
	sleep 2.1
	layerctl prime bench-pip "$WORK/out-pip"
}

echo "== priming the pip layer (the first build runs pip)"
prime_pip

CHILDREN="not counted (install strace)"
if command -v strace >/dev/null; then
	strace -f -qq -e trace=execve -o "$WORK/strace.txt" "$WORK/layerctl" build -f "$WORK/layerctl.yaml" --out "$WORK/out-pip" bench-pip >/dev/null 2>"$WORK/strace.err"
	CHILDREN="$(($(grep -c 'execve(.* = 0$' "$WORK/strace.txt") - 1))"
fi

declare -a LOADS=() LC_W=() LC_M=() LC_C=() ZIP_W=() ZIP_M=() ZIP_C=() PY_W=() PY_M=() PY_C=() CH_W=() CH_M=() FL_W=() BIG_W=() BIG_M=() NOOP_W=() NOOP_M=()
# Per-round ratios: each pair ran in the same round, under the same load.
declare -a ZIP_X=() PY_X=() CH_X=()
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b < 0.01) b = 0.01; printf "%.6f", a / b}'; }
REUSED=""
for ((round = 1; round <= ROUNDS; round++)); do
	LOADS+=("$(load)")
	printf 'round %d (load %s):' "$round" "$(load)"

	layerctl noop bench-pip "$WORK/out-pip"
	grep -q '^skipped building bench-pip: unchanged' "$WORK/noop.err" || {
		echo "build.sh: the rebuild with nothing changed was not answered by the build cache:" >&2
		cat "$WORK/noop.err" >&2
		exit 1
	}
	NOOP_W+=("$WALL") NOOP_M+=("$RSS")
	printf ' no-op %.2fs |' "$WALL"

	rm -rf "$WORK/out-layerctl"
	layerctl first bench "$WORK/out-layerctl"
	LC_W+=("$WALL") LC_M+=("$RSS") LC_C+=("$CPU")
	FIRST_ZIP="$LC_ZIP"
	printf ' first: layerctl %.2fs %d KB' "$WALL" "$RSS"

	rm -f "$WORK/zip.zip"
	measure zip "$WORK/tree" zip -r -X -q "$WORK/zip.zip" python
	ZIP_W+=("$WALL") ZIP_M+=("$RSS") ZIP_C+=("$CPU") ZIP_X+=("$(ratio "$WALL" "${LC_W[-1]}")")
	printf ', zip %.2fs' "$WALL"

	rm -f "$WORK/py.zip"
	measure python "$WORK" "$PY" "$WORK/pyzip.py" "$WORK/tree" "$WORK/py.zip"
	PY_W+=("$WALL") PY_M+=("$RSS") PY_C+=("$CPU") PY_X+=("$(ratio "$WALL" "${LC_W[-1]}")")
	printf ', python %.2fs |' "$WALL"

	echo "# changed in round $round" >>"$CHANGED"
	layerctl changed bench "$WORK/out-layerctl"
	CH_W+=("$WALL") CH_M+=("$RSS")
	REUSED="$(grep -o '[0-9]* of [0-9]* files copied compressed' "$WORK/changed.err" || echo "no file copied")"
	measure floor "$WORK/tree" sh -c 'find python -type f -print0 | xargs -0 -P "$(nproc)" -n 256 sha256sum >/dev/null'
	FL_W+=("$WALL") CH_X+=("$(ratio "${CH_W[-1]}" "$WALL")")
	printf ' one changed: layerctl %.2fs, sha256sum %.2fs |' "${CH_W[-1]}" "$WALL"

	echo "changed in round $round" >>"$LARGEST"
	layerctl big bench "$WORK/out-layerctl"
	BIG_W+=("$WALL") BIG_M+=("$RSS")
	printf ' largest changed: %.2fs\n' "$WALL"

	# Each rebuild after a change must be the ZIP a build from scratch makes.
	measure scratch "$WORK" "$WORK/layerctl" build -f "$WORK/layerctl.yaml" --out "$WORK/out-scratch" --no-cache bench >/dev/null
	cmp -s "$LC_ZIP" "$(ls "$WORK"/out-scratch/bench-*.zip | awk 'NR == 1')" || {
		echo "build.sh: the rebuild after a change differs from a build from scratch (--no-cache)" >&2
		exit 1
	}
	rm -rf "$WORK/out-scratch"

	[[ "$round" == "$ROUNDS" ]] || prime_pip
done

LC_SIZE="$(stat -c %s "$FIRST_ZIP")"
ZIP_SIZE="$(stat -c %s "$WORK/zip.zip")"
PY_SIZE="$(stat -c %s "$WORK/py.zip")"

lc_w="$(median "${LC_W[@]}")" lc_m="$(median "${LC_M[@]}")" lc_c="$(median "${LC_C[@]}")"
zip_w="$(median "${ZIP_W[@]}")" zip_m="$(median "${ZIP_M[@]}")" zip_c="$(median "${ZIP_C[@]}")"
py_w="$(median "${PY_W[@]}")" py_m="$(median "${PY_M[@]}")" py_c="$(median "${PY_C[@]}")"
ch_w="$(median "${CH_W[@]}")" ch_m="$(median "${CH_M[@]}")"
fl_w="$(median "${FL_W[@]}")"
big_w="$(median "${BIG_W[@]}")" big_m="$(median "${BIG_M[@]}")"
noop_w="$(median "${NOOP_W[@]}")" noop_m="$(median "${NOOP_M[@]}")"
load_med="$(median "${LOADS[@]}")"
load_range="$(printf '%s\n' "${LOADS[@]}" | sort -g | sed -n '1p;$p' | paste -sd- -)"

# Validity: every archive must test clean and hold every file of the tree.
declare -a VALID=()
for pair in "layerctl:$FIRST_ZIP" "zip -r -X:$WORK/zip.zip" "python zipfile:$WORK/py.zip"; do
	name="${pair%%:*}" f="${pair#*:}"
	if unzip -tq "$f" >"$WORK/unzip.log" 2>&1; then
		n="$(unzip -Z1 "$f" | grep -cv '/$' || true)"
		if [[ "$n" == "$TREE_FILES_ACTUAL" ]]; then
			VALID+=("PASS  $name: unzip -t OK, $n files")
		else
			VALID+=("FAIL  $name: unzip -t OK but $n files (tree has $TREE_FILES_ACTUAL)")
		fi
	else
		VALID+=("FAIL  $name: unzip -t: $(tail -n 1 "$WORK/unzip.log")")
	fi
done

CPU="$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)"
echo
echo "== machine: $(nproc) CPUs, ${CPU:-unknown CPU}, $(uname -sr); load average (1 min) over the rounds: median $load_med, range $load_range; now: $(uptime | sed 's/.*load average: //')"
echo "== tools: $(zip -v | sed -n 2p | awk '{print $3, $4}'), $("$PY" -V 2>&1), $(go version | cut -d' ' -f3), python3 on PATH: $(command -v python3)"
echo "== tree ($TREE): $TREE_FILES_ACTUAL files, $TREE_BYTES bytes ($(awk -v b="$TREE_BYTES" 'BEGIN {printf "%.1f", b / 1048576}') MiB); the changed file: ${CHANGED#"$WORK"/tree/} ($(stat -c %s "$CHANGED") bytes); the largest: ${LARGEST#"$WORK"/tree/} ($(stat -c %s "$LARGEST") bytes)"
echo "== medians over $ROUNDS paired round(s), at load $load_med ($load_range)"
printf '%-44s %9s %14s %14s %8s\n' "" "wall (s)" "peak RSS (MB)" "size (bytes)" "CPU (s)"
row() { printf '%-44s %9.2f %14.1f %14s %8s\n' "$1" "$2" "$(awk -v k="$3" 'BEGIN {print k / 1024}')" "$4" "${5:-}"; }
row "first build: layerctl" "$lc_w" "$lc_m" "$LC_SIZE" "$lc_c"
row "first build: zip -r -X" "$zip_w" "$zip_m" "$ZIP_SIZE" "$zip_c"
row "first build: python zipfile" "$py_w" "$py_m" "$PY_SIZE" "$py_c"
row "one file changed: layerctl" "$ch_w" "$ch_m" "($REUSED)"
printf '%-44s %9.2f %14s\n' "one file changed: sha256sum of every file" "$fl_w" "(-P $(nproc))"
row "the largest file changed: layerctl" "$big_w" "$big_m" ""
row "nothing changed, pip layer: layerctl" "$noop_w" "$noop_m" "($CHILDREN processes)"
echo

# Ratios are the medians of each round's (a pair measured together);
# %e has 10 ms resolution, so divisors are clamped at 0.01 s. Raw values
# decide PASS/FAIL; they are only rounded for display.
zip_x="$(median "${ZIP_X[@]}")" py_x="$(median "${PY_X[@]}")" ch_x="$(median "${CH_X[@]}")"
read -r size_pct lc_mb < <(awk -v ls="$LC_SIZE" -v zs="$ZIP_SIZE" -v m="$lc_m" 'BEGIN {
	printf "%.6f %.6f\n", (ls - zs) * 100 / zs, m / 1024 }')
show() { printf "$1" "$2"; }
verdict() { if awk "BEGIN {exit !($1)}"; then echo PASS; else echo FAIL; fi; }
echo "$(verdict "$zip_x >= 5")  first build at least 5x faster than zip -r -X ($(show %.2f "$zip_x")x, the median of the rounds' ratios; python zipfile: $(show %.2f "$py_x")x; CPU time: zip $(show %.2f "$zip_c") s, layerctl $(show %.2f "$lc_c") s)"
echo "$(verdict "$size_pct <= 5")  first build's ZIP at most 5% larger than zip's ($(show %+.2f "$size_pct")%)"
echo "$(verdict "$lc_mb < 100")  first build under 100 MB peak RSS ($(show %.1f "$lc_mb") MB)"
echo "$(verdict "$ch_x <= 2")  one changed file within 2x the read-and-hash floor ($(show %.2f "$ch_x")x, the median of the rounds' ratios)"
echo "$(verdict "$noop_w < 0.2")  nothing changed: under 0.2 s ($(show %.2f "$noop_w") s)"
if [[ "$CHILDREN" =~ ^[0-9]+$ ]]; then
	echo "$(verdict "$CHILDREN == 0")  nothing changed: no process started ($CHILDREN)"
fi
echo "PASS  rebuilds after changes: the ZIP is byte for byte a build from scratch's (--no-cache), every round"
printf '%s\n' "${VALID[@]}"

# Exit non-zero only if an archive is invalid; missed targets are reported above.
for v in "${VALID[@]}"; do
	[[ "$v" == PASS* ]] || exit 1
done
