#!/bin/bash
# A/B benchmark of jrun's JVM path (no cached plan: JRUN_PLAN_CACHE=off): `run` of /bin/true, or
# `create` alone (the delete after it untimed), for each distribution named (DIST: a directory
# holding bin/jrun and lib/, e.g. a copy of cli/target/jrun with other flags in lib/jrun.launch),
# and runc, alternating in the same run, N rounds after 2 warm-up rounds; prints each one's median
# and p90 and its ratio against runc's median, and the load average; with BENCH_CPU=1 (and perf(1)
# installed) also the median CPU time (perf stat's task-clock of the command and its children, each run
# wrapped in perf, which adds its own time to the wall times).
# Needs root, runc (apt-get install runc), and a build (mvn -DskipTests package).
# Usage: scripts/bench-jvm.sh N run|create DIST...   (default: 20 run cli/target/jrun)
set -euo pipefail
[ "${BENCH_IN_NS:-}" = 1 ] || exec unshare -m --propagation private env BENCH_IN_NS=1 "$0" "$@"
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-20}
mode=${2:-run}
shift 2 2>/dev/null || shift $#
dists=("$@")
[ ${#dists[@]} -gt 0 ] || dists=("$top/cli/target/jrun")
runc=$(command -v runc) || { echo "bench-jvm: runc is not installed (apt-get install runc)" >&2; exit 1; }
work=$(mktemp -d /tmp/jrun-bench-jvm.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -a "$top/rootfs-fixtures/target/rootfs/busybox" "$work/rootfs"
# the profile bench-run.sh measures: jrun's hardened one (a seccomp filter, no terminal)
"${dists[0]}/bin/jrun" spec --hardened --bundle "$work"
sed -i 's#"sh"#"/bin/true"#' "$work/config.json"
export JRUN_PLAN_CACHE=off
now() { echo "${EPOCHREALTIME/./}"; }
perf=""
[ "${BENCH_CPU:-0}" = 1 ] && perf=$(command -v perf || true)
one() { # $1 = runtime binary, $2 = state root, $3 = id; prints wall and CPU microseconds
  local t0 t1 cpu=0
  t0=$(now)
  if [ -n "$perf" ]; then
    "$perf" stat -x, -e task-clock -o "$work/perf" "$1" --root "$2" "$mode" --bundle "$work" "$3"
  else
    "$1" --root "$2" "$mode" --bundle "$work" "$3"
  fi
  t1=$(now)
  [ -n "$perf" ] && cpu=$(awk -F, '/task-clock/ { printf "%d", $1 * 1000 }' "$work/perf")
  [ "$mode" = create ] && "$1" --root "$2" delete --force "$3"
  echo "$(( t1 - t0 )) $cpu"
}
names=("${dists[@]}" runc)
declare -A times cpus
for r in $(seq -2 "$n"); do
  for k in "${!names[@]}"; do
    if [ "${names[$k]}" = runc ]; then bin=$runc; else bin=${names[$k]}/bin/jrun; fi
    read -r t c <<<"$(one "$bin" "$work/state-$k" "b$k-$r")"
    [ "$r" -gt 0 ] && times[$k]="${times[$k]:-} $t" && cpus[$k]="${cpus[$k]:-} $c"
  done
done
stats() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {printf "%.1f %.1f", a[int((NR+1)/2)]/1000, a[int(NR*0.9+0.5)]/1000}'; }
read -r rm rp <<<"$(echo "${times[$(( ${#names[@]} - 1 ))]}" | stats)"
echo "bench-jvm: $n rounds of $mode, alternating; busybox bundle, /bin/true, $(nproc) cpus, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
for k in "${!names[@]}"; do
  read -r m p <<<"$(echo "${times[$k]}" | stats)"
  read -r c _ <<<"$(echo "${cpus[$k]}" | stats)"
  awk -v name="${names[$k]}" -v m="$m" -v p="$p" -v r="$rm" -v c="$c" \
    'BEGIN { printf "%-40s median %6.1f ms  p90 %6.1f ms  ratio %.2f  cpu %6.1f ms\n", name, m, p, m / r, c }'
done
