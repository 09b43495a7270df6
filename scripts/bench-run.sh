#!/bin/bash
# Benchmark: `jrun run` against `runc run` on the same busybox bundle running
# /bin/true, alternating, N runs each (default 40), after 3 warm-up runs each.
# Prints the median and p90 wall time of each and the ratio jrun/runc.
# Needs root, runc (apt-get install runc), and a build (mvn -DskipTests install).
# Usage: scripts/bench-run.sh [N]
set -euo pipefail
[ "${BENCH_IN_NS:-}" = 1 ] || exec unshare -m --propagation private env BENCH_IN_NS=1 "$0" "$@"
n=${1:-40}
top=$(cd "$(dirname "$0")/.." && pwd)
jrun=${JRUN:-$top/cli/target/jrun/bin/jrun}
runc=$(command -v runc) || { echo "bench-run: runc is not installed (apt-get install runc)" >&2; exit 1; }
work=$(mktemp -d /tmp/jrun-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -a "$top/rootfs-fixtures/target/rootfs/busybox" "$work/rootfs"
"$jrun" spec --bundle "$work"
sed -i 's#"sh"#"/bin/true"#' "$work/config.json"

now() { echo "${EPOCHREALTIME/./}"; }
declare -a tj tr
one() { # $1 = jrun|runc, $2 = id
  local t0 t1
  t0=$(now)
  if [ "$1" = jrun ]; then "$jrun" --root "$work/jrun-state" run --bundle "$work" "$2"
  else "$runc" --root "$work/runc-state" run --bundle "$work" "$2"; fi
  t1=$(now)
  echo $(( t1 - t0 ))
}
for i in 1 2 3; do one jrun w$i >/dev/null; one runc w$i >/dev/null; done
for i in $(seq "$n"); do
  tj+=("$(one jrun j$i)")
  tr+=("$(one runc r$i)")
done
stats() { sort -n | awk '{a[NR]=$1} END {printf "%.1f %.1f", a[int((NR+1)/2)]/1000, a[int(NR*0.9+0.5)]/1000}'; }
read -r jm jp <<<"$(printf '%s\n' "${tj[@]}" | stats)"
read -r rm rp <<<"$(printf '%s\n' "${tr[@]}" | stats)"
echo "runs: $n each, alternating; busybox bundle, /bin/true, $(nproc) cpus, $(uname -r)"
printf 'jrun run: median %6.1f ms  p90 %6.1f ms\n' "$jm" "$jp"
printf 'runc run: median %6.1f ms  p90 %6.1f ms  (%s)\n' "$rm" "$rp" "$("$runc" --version | head -1)"
awk -v j="$jm" -v r="$rm" 'BEGIN { printf "ratio jrun/runc (medians): %.2f\n", j / r }'
