#!/usr/bin/env bash
# Paired benchmark: layerctl build vs Info-ZIP (zip -r -X) vs Python's zipfile
# (ZIP_DEFLATED) on the same deterministic ~200 MB / ~7,000-file Lambda-layer
# tree (see bench/gentree).
#
#   bash bench/build.sh                  # from the repo root
#   ROUNDS=5 bash bench/build.sh         # more rounds (default 3)
#   BENCH_REBUILD=1 bash bench/build.sh  # also time rebuilds with nothing changed (the build cache)
#
# Optional knobs: SEED (default 1), TREE_MB (200), TREE_FILES (7000).
# Needs go, zip, unzip, python3 and GNU time (/usr/bin/time).
set -euo pipefail

ROUNDS="${ROUNDS:-3}"
SEED="${SEED:-1}"
TREE_MB="${TREE_MB:-200}"
TREE_FILES="${TREE_FILES:-7000}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

for tool in go zip unzip python3 /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "build.sh: $tool is required" >&2; exit 1; }
done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "build.sh: ROUNDS must be a positive integer" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/layerctl-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

echo "== building layerctl and gentree"
go build -o "$WORK/layerctl" .
go build -o "$WORK/gentree" ./bench/gentree

echo "== generating the tree (seed $SEED, $TREE_MB MB, $TREE_FILES files)"
"$WORK/gentree" -out "$WORK/tree" -seed "$SEED" -mb "$TREE_MB" -files "$TREE_FILES"

cat >"$WORK/layerctl.yaml" <<'EOF'
version: 1
layers:
  bench:
    runtimes: [python3.12]
    files:
      - {from: tree/python, to: python}
EOF

# The real interpreter, so a version-manager shim (pyenv) is not timed.
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

# Untimed warm-up read so every tool reads the tree from the page cache.
# (Not `tar cf /dev/null`: GNU tar skips reading file contents for /dev/null.)
find "$WORK/tree/python" -type f -print0 | xargs -0 cat >/dev/null

# measure NAME DIR CMD...: runs CMD in DIR under GNU time; sets WALL (s), RSS (KB).
# The command's stderr goes to $WORK/NAME.err (shown if it fails).
measure() {
	local name="$1" dir="$2"
	shift 2
	local tf="$WORK/time.$name"
	if ! (cd "$dir" && /usr/bin/time -f '%e %M' -o "$tf" "$@" 2>"$WORK/$name.err"); then
		echo "build.sh: $name failed:" >&2
		cat "$WORK/$name.err" "$tf" >&2 || true
		exit 1
	fi
	read -r WALL RSS <"$tf"
}

# median of the arguments
median() {
	printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

LC_ZIP=""
run_layerctl() {
	measure layerctl "$WORK" "$WORK/layerctl" build -f "$WORK/layerctl.yaml" \
		--out "$WORK/out-layerctl" --output json >"$WORK/layerctl.json"
	LC_ZIP="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["artifacts"][0]["path"])' \
		"$WORK/layerctl.json" 2>/dev/null || true)"
	if [[ -n "$LC_ZIP" && "$LC_ZIP" != /* ]]; then
		LC_ZIP="$WORK/$LC_ZIP"
	fi
	if [[ -z "$LC_ZIP" || ! -f "$LC_ZIP" ]]; then
		LC_ZIP="$(find "$WORK/out-layerctl" -type f -name '*.zip' | sort | head -n 1)"
	fi
	[[ -n "$LC_ZIP" && -f "$LC_ZIP" ]] || { echo "build.sh: no zip from layerctl in $WORK/out-layerctl" >&2; exit 1; }
}

declare -a LC_W=() LC_M=() ZIP_W=() ZIP_M=() PY_W=() PY_M=()

for ((round = 1; round <= ROUNDS; round++)); do
	rm -rf "$WORK/out-layerctl"
	run_layerctl
	LC_W+=("$WALL") LC_M+=("$RSS")
	printf 'round %d: layerctl %6.2fs %7d KB' "$round" "$WALL" "$RSS"

	rm -f "$WORK/zip.zip"
	measure zip "$WORK/tree" zip -r -X -q "$WORK/zip.zip" python
	ZIP_W+=("$WALL") ZIP_M+=("$RSS")
	printf ' | zip %6.2fs %7d KB' "$WALL" "$RSS"

	rm -f "$WORK/py.zip"
	measure python "$WORK" "$PY" "$WORK/pyzip.py" "$WORK/tree" "$WORK/py.zip"
	PY_W+=("$WALL") PY_M+=("$RSS")
	printf ' | python %6.2fs %7d KB\n' "$WALL" "$RSS"
done

REBUILD_WALL=""
if [[ "${BENCH_REBUILD:-0}" == 1 ]]; then
	# Builds over the last round's output, nothing changed: the build cache
	# answers. ROUNDS of them, the median kept.
	declare -a RB_W=() RB_M=()
	for ((round = 1; round <= ROUNDS; round++)); do
		run_layerctl
		grep -q '^skipped building bench: unchanged' "$WORK/layerctl.err" || {
			echo "build.sh: the rebuild was not answered by the build cache:" >&2
			cat "$WORK/layerctl.err" >&2
			exit 1
		}
		RB_W+=("$WALL") RB_M+=("$RSS")
	done
	REBUILD_WALL="$(median "${RB_W[@]}")" REBUILD_RSS="$(median "${RB_M[@]}")"
fi

LC_SIZE="$(stat -c %s "$LC_ZIP")"
ZIP_SIZE="$(stat -c %s "$WORK/zip.zip")"
PY_SIZE="$(stat -c %s "$WORK/py.zip")"

lc_w="$(median "${LC_W[@]}")" lc_m="$(median "${LC_M[@]}")"
zip_w="$(median "${ZIP_W[@]}")" zip_m="$(median "${ZIP_M[@]}")"
py_w="$(median "${PY_W[@]}")" py_m="$(median "${PY_M[@]}")"

# Validity: every archive must test clean and hold every file of the tree.
declare -a VALID=()
for pair in "layerctl:$LC_ZIP" "zip -r -X:$WORK/zip.zip" "python zipfile:$WORK/py.zip"; do
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
echo "== machine: $(nproc) CPUs, ${CPU:-unknown CPU}, $(uname -sr)"
echo "== tools: $(zip -v | sed -n 2p | awk '{print $3, $4}'), $("$PY" -V 2>&1), $(go version | cut -d' ' -f3)"
echo "== tree: $TREE_FILES_ACTUAL files, $TREE_BYTES bytes ($(awk -v b="$TREE_BYTES" 'BEGIN {printf "%.1f", b / 1048576}') MiB), seed $SEED"
if [[ -s "$WORK/layerctl.err" ]]; then
	echo "== layerctl stderr (last run):"
	sed 's/^/   /' "$WORK/layerctl.err"
fi
echo "== medians over $ROUNDS round(s)"
printf '%-16s %12s %14s %14s\n' tool "wall (s)" "peak RSS (MB)" "size (bytes)"
row() { printf '%-16s %12.2f %14.1f %14d\n' "$1" "$2" "$(awk -v k="$3" 'BEGIN {print k / 1024}')" "$4"; }
row layerctl "$lc_w" "$lc_m" "$LC_SIZE"
row "zip -r -X" "$zip_w" "$zip_m" "$ZIP_SIZE"
row "python zipfile" "$py_w" "$py_m" "$PY_SIZE"
echo

# %e has 10 ms resolution; clamp the divisor so a very fast build cannot divide by zero.
# Raw values decide PASS/FAIL; they are only rounded for display.
read -r zip_x py_x size_pct lc_mb < <(awk -v l="$lc_w" -v z="$zip_w" -v p="$py_w" \
	-v ls="$LC_SIZE" -v zs="$ZIP_SIZE" -v m="$lc_m" 'BEGIN {
	if (l < 0.01) l = 0.01
	printf "%.6f %.6f %.6f %.6f\n", z / l, p / l, (ls - zs) * 100 / zs, m / 1024 }')
show() { printf "$1" "$2"; }
echo "zip -r -X / layerctl wall time: $(show %.1f "$zip_x")x"
echo "python zipfile / layerctl wall time: $(show %.1f "$py_x")x"
echo "layerctl size vs zip: $(show %+.1f "$size_pct")%"
echo "layerctl peak RSS: $(show %.0f "$lc_mb") MB"
if [[ -n "$REBUILD_WALL" ]]; then
	rb_pct="$(awk -v r="$REBUILD_WALL" -v l="$lc_w" 'BEGIN {if (l < 0.01) l = 0.01; printf "%.6f", r * 100 / l}')"
	printf 'rebuild (cache) wall time: %.2fs, %.1f%% of the first build (peak RSS %.1f MB, median of %d)\n' \
		"$REBUILD_WALL" "$rb_pct" "$(awk -v k="$REBUILD_RSS" 'BEGIN {print k / 1024}')" "$ROUNDS"
fi
echo

verdict() { if awk "BEGIN {exit !($1)}"; then echo PASS; else echo FAIL; fi; }
echo "$(verdict "$zip_x >= 4")  >= 4x faster than zip -r -X ($(show %.2f "$zip_x")x)"
echo "$(verdict "$py_x >= 4")  >= 4x faster than python zipfile ($(show %.2f "$py_x")x)"
echo "$(verdict "$size_pct <= 5")  size no more than 5% larger than zip's ($(show %+.2f "$size_pct")%)"
echo "$(verdict "$lc_mb < 100")  peak RSS under 100 MB ($(show %.1f "$lc_mb") MB)"
if [[ -n "$REBUILD_WALL" ]]; then
	echo "$(verdict "$rb_pct < 10")  cached rebuild under 10% of the first build ($(show %.1f "$rb_pct")%)"
	echo "$(verdict "$REBUILD_WALL <= 0.5")  cached rebuild at most 0.5 s ($(show %.2f "$REBUILD_WALL") s)"
fi
printf '%s\n' "${VALID[@]}"

# Exit non-zero only if an archive is invalid; missed targets are reported above.
for v in "${VALID[@]}"; do
	[[ "$v" == PASS* ]] || exit 1
done
