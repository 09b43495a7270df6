#!/bin/bash
# Benchmark: jrun against runc on the same busybox bundle running /bin/true,
# alternating, N runs each (default 40), after 3 warm-up runs each; prints the
# median and p90 wall time of each and the ratio jrun/runc.
#   run        `run ID` (default)
#   lifecycle  `create ID` + `start ID` + `delete ID`, timed together
# Needs root, runc (apt-get install runc), and a build (mvn -DskipTests install).
# Usage: scripts/bench-run.sh [N] [run|lifecycle]
set -euo pipefail
[ "${BENCH_IN_NS:-}" = 1 ] || exec unshare -m --propagation private env BENCH_IN_NS=1 "$0" "$@"
n=${1:-40}
mode=${2:-run}
top=$(cd "$(dirname "$0")/.." && pwd)
jrun=${JRUN:-$top/cli/target/jrun/bin/jrun}
runc=$(command -v runc) || { echo "bench-run: runc is not installed (apt-get install runc)" >&2; exit 1; }
work=$(mktemp -d /tmp/jrun-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -a "$top/rootfs-fixtures/target/rootfs/busybox" "$work/rootfs"
# the profile BENCHMARKS.md measured: jrun's hardened one (a seccomp filter, no terminal)
"$jrun" spec --hardened --bundle "$work"
sed -i 's#"sh"#"/bin/true"#' "$work/config.json"

now() { echo "${EPOCHREALTIME/./}"; }
declare -a tj tr
one() { # $1 = jrun|runc, $2 = id
  local t0 t1 rt root
  if [ "$1" = jrun ]; then rt=$jrun root=$work/jrun-state; else rt=$runc root=$work/runc-state; fi
  t0=$(now)
  if [ "$mode" = lifecycle ]; then
    "$rt" --root "$root" create --bundle "$work" "$2" && "$rt" --root "$root" start "$2"
    while [ "$("$rt" --root "$root" state "$2" | grep -c '"stopped"')" = 0 ]; do :; done
    "$rt" --root "$root" delete "$2"
  else
    "$rt" --root "$root" run --bundle "$work" "$2"
  fi
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
what=$([ "$mode" = lifecycle ] && echo "create+start+delete" || echo "run")
echo "runs: $n each, alternating; busybox bundle, /bin/true, $(nproc) cpus, $(uname -r)"
printf 'jrun %s: median %6.1f ms  p90 %6.1f ms\n' "$what" "$jm" "$jp"
printf 'runc %s: median %6.1f ms  p90 %6.1f ms  (%s)\n' "$what" "$rm" "$rp" "$("$runc" --version | head -1)"
awk -v j="$jm" -v r="$rm" 'BEGIN { printf "ratio jrun/runc (medians): %.2f\n", j / r }'
