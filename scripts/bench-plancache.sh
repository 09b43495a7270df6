#!/bin/bash
# Benchmark of the compiled-plan cache: `jrun run` of /bin/true with a cached plan (no JVM),
# without one (JRUN_PLAN_CACHE=off: the JVM compiles, as before the cache), and runc, alternating
# in the same run, N runs each (default 40) after 3 warm-up runs each; prints medians, p90s and
# the ratios against runc's median.
# Needs root, runc (apt-get install runc), and a build (mvn -DskipTests install).
# Usage: scripts/bench-plancache.sh [N]
set -euo pipefail
[ "${BENCH_IN_NS:-}" = 1 ] || exec unshare -m --propagation private env BENCH_IN_NS=1 "$0" "$@"
n=${1:-40}
top=$(cd "$(dirname "$0")/.." && pwd)
jrun=${JRUN:-$top/cli/target/jrun/bin/jrun}
runc=$(command -v runc) || { echo "bench-plancache: runc is not installed (apt-get install runc)" >&2; exit 1; }
work=$(mktemp -d /tmp/jrun-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -a "$top/rootfs-fixtures/target/rootfs/busybox" "$work/rootfs"
# the profile bench-run.sh measures: jrun's hardened one (a seccomp filter, no terminal)
"$jrun" spec --hardened --bundle "$work"
sed -i 's#"sh"#"/bin/true"#' "$work/config.json"

now() { echo "${EPOCHREALTIME/./}"; }
declare -a tc tu tr
one() { # $1 = cached|uncached|runc, $2 = id
  local t0 t1
  t0=$(now)
  case $1 in
    cached) "$jrun" --root "$work/jrun-state" run --bundle "$work" "$2" ;;
    uncached) JRUN_PLAN_CACHE=off "$jrun" --root "$work/jrun-state" run --bundle "$work" "$2" ;;
    runc) "$runc" --root "$work/runc-state" run --bundle "$work" "$2" ;;
  esac
  t1=$(now)
  echo $(( t1 - t0 ))
}
for i in 1 2 3; do one cached w$i >/dev/null; one uncached u$i >/dev/null; one runc w$i >/dev/null; done
# the first cached run above stored the plan: every later one must find it
ls "$work"/jrun-state/.plan-cache/*/* >/dev/null 2>&1 || { echo "bench-plancache: no plan was cached" >&2; exit 1; }
for i in $(seq "$n"); do
  tc+=("$(one cached c$i)")
  tu+=("$(one uncached u$i)")
  tr+=("$(one runc r$i)")
done
stats() { sort -n | awk '{a[NR]=$1} END {printf "%.1f %.1f", a[int((NR+1)/2)]/1000, a[int(NR*0.9+0.5)]/1000}'; }
read -r cm cp <<<"$(printf '%s\n' "${tc[@]}" | stats)"
read -r um up <<<"$(printf '%s\n' "${tu[@]}" | stats)"
read -r rm rp <<<"$(printf '%s\n' "${tr[@]}" | stats)"
echo "runs: $n each, alternating; busybox bundle, /bin/true, $(nproc) cpus, $(uname -r)"
printf 'jrun run, cached plan:   median %6.1f ms  p90 %6.1f ms\n' "$cm" "$cp"
printf 'jrun run, no cache:      median %6.1f ms  p90 %6.1f ms\n' "$um" "$up"
printf 'runc run:                median %6.1f ms  p90 %6.1f ms  (%s)\n' "$rm" "$rp" "$("$runc" --version | head -1)"
awk -v c="$cm" -v u="$um" -v r="$rm" 'BEGIN { printf "ratio cached/runc: %.2f   uncached/runc: %.2f   (medians)\n", c / r, u / r }'
