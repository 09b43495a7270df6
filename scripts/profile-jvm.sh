#!/bin/bash
# Profile of jrun's JVM path (no cached plan: JRUN_PLAN_CACHE=off) for `run` and `create` of /bin/true in
# the busybox bundle bench-run.sh uses, per distribution named (default cli/target/jrun), alternating:
#  - phases of `run` (a create's init would keep strace -f waiting), medians of N runs each, from `strace -f --seccomp-bpf -ttt` stopping only at the marks
#    (execve, clone, mkdir, exit_group): launcher start -> JVM exec; JVM exec -> state directory made (JVM
#    start, Main, config read and validated); -> container cloned (cgroups made, plan compiled and sent);
#    -> /bin/true exec'd; its exit -> launcher exit; the total
#  - one run each with -Xlog (in a copy of the distribution): classes loaded and how many came from
#    outside the class-data archive / AOT cache, "Create VM" (JVM start to main), GC pauses
# Needs root, strace, and a build (mvn -DskipTests package). Takes the same lock as the ITs when run
# by hand: flock /work/it.lock scripts/profile-jvm.sh ...
# Usage: scripts/profile-jvm.sh [N] [DIST...]
set -euo pipefail
[ "${BENCH_IN_NS:-}" = 1 ] || exec unshare -m --propagation private env BENCH_IN_NS=1 "$0" "$@"
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-5}
shift || true
dists=("$@")
[ ${#dists[@]} -gt 0 ] || dists=("$top/cli/target/jrun")
work=$(mktemp -d /tmp/jrun-profile.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -a "$top/rootfs-fixtures/target/rootfs/busybox" "$work/rootfs"
"${dists[0]}/bin/jrun" spec --hardened --bundle "$work"
sed -i 's#"sh"#"/bin/true"#' "$work/config.json"
export JRUN_PLAN_CACHE=off
phases() { # strace file -> "exec jvm state clone true exit total"
  awk 'function ms(a, b) { return sprintf("%.1f", (b - a) * 1000) }
    NR == 1 { t0 = $2; lpid = $1 }
    /execve\(".*bin\/java"/ && !tj { tj = $2 }
    /mkdir\("/ && !/\/sys\/fs\/cgroup/ && !ts { ts = $2 }
    /clone\(.*CLONE_NEWPID/ && !tn { tn = $2 }
    /execve\("\/bin\/true"/ && !tx { tx = $2 }
    /exit_group/ && tx && !te && $1 != lpid { te = $2 }
    $1 == lpid && /exit_group/ { tl = $2 }
    END { if (tx) print ms(t0, tj), ms(tj, ts), ms(ts, tn), ms(tn, tx), ms(te, tl), ms(t0, tl)
          else print ms(t0, tj), ms(tj, ts), ms(ts, tn), "-", ms(tn, tl), ms(t0, tl) }' "$1"
}
one() { # dist, command, id -> phases
  local f=$work/trace
  strace -f --seccomp-bpf -ttt -e trace=execve,clone,mkdir,exit_group -e signal=none -o "$f" \
    "$1/bin/jrun" --root "$work/state" "$2" --bundle "$work" "$3" &
  local sp=$!
  wait "$sp"
  phases "$f"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "profile-jvm: $n runs each, alternating; $(nproc) cpus, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
for cmd in run; do
  declare -A rows=()
  for r in $(seq "$n"); do
    for k in "${!dists[@]}"; do rows[$k]="${rows[$k]:-}$(one "${dists[$k]}" "$cmd" "p$k-$cmd-$r")"$'\n'; done
  done
  echo "$cmd: medians in ms: launcher->JVM exec | JVM exec->state dir | ->clone | ->/bin/true exec | exit->launcher exit | total"
  for k in "${!dists[@]}"; do
    line=""
    for c in 1 2 3 4 5 6; do
      line="$line $(echo -n "${rows[$k]}" | awk -v c=$c '{ print $c }' | grep -v '^-$' | median || true)"
    done
    echo "  ${dists[$k]}:$line"
  done
done
for k in "${!dists[@]}"; do
  copy=$work/dist-$k
  cp -a "${dists[$k]}" "$copy"
  for cmd in run create; do
    sed -i "s#^-Xlog:disable\$##; s#^-Xlog:cds=off\$#-Xlog:class+load=info:file=$work/cl-$cmd.txt\n-Xlog:gc=info:file=$work/gc-$cmd.txt\n-Xlog:startuptime=info:file=$work/st-$cmd.txt#" "$copy/lib/jrun.launch"
    "$copy/bin/jrun" --root "$work/state" "$cmd" --bundle "$work" "x$k-$cmd" >/dev/null
    [ "$cmd" = create ] && "$copy/bin/jrun" --root "$work/state" delete --force "x$k-$cmd"
    cp "${dists[$k]}/lib/jrun.launch" "$copy/lib/jrun.launch"
    echo "${dists[$k]} $cmd: $(grep -c . "$work/cl-$cmd.txt") classes loaded, $(grep -vc 'shared objects file' "$work/cl-$cmd.txt" || true) not from the archive;" \
      "$(grep -o 'Create VM, [0-9.]*' "$work/st-$cmd.txt" | awk '{ printf "JVM start to main %.1f ms", $3 * 1000 }');" \
      "GC pauses: $(grep -c 'Pause' "$work/gc-$cmd.txt" || true) $(grep -o 'Pause.* [0-9.]*ms' "$work/gc-$cmd.txt" | grep -o '[0-9.]*ms$' | tr '\n' ' ')"
  done
done
