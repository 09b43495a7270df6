#!/bin/bash
# Benchmark of the commands the launcher runs without a JVM (issue 10, items 2 and 5): jrun against
# runc on the same busybox bundle, alternating, in the same run; prints medians (p50), p90 and the
# ratio jrun/runc.
#   lifecycle   create + start + state (until stopped) + delete of /bin/true, timed together
#   state       `state ID` of a running container (sleep)
#   kill        `kill ID CONT` of a running container (harmless to sleep: repeatable)
#   start       `start ID` of a created container (created and deleted untimed around it)
#   exec        `exec ID /bin/true` into a running container: from the plan cache (the first exec, untimed,
#               stores the entry), and with JRUN_PLAN_CACHE=off (the JVM compiles it)
#   concurrent  M lifecycles at once (default 50): the wall time until all are deleted
#   rss         the peak resident set of `run` of /bin/true (jrun: its launcher or its JVM, the
#               larger), and of `state` (GNU time's %M; needs apt-get install time); the JVM an
#               uncached `create` starts (JRUN_JAVA: a wrapper that runs the JVM under GNU time),
#               against runc's create; `exec` from the plan cache (the launcher, no JVM)
# and, as the floor of any command timed this way, a fork and exec of /bin/true.
# Needs root, runc (apt-get install runc), and a build (mvn -DskipTests package).
# JRUN_NO_NATIVE=1 in the environment measures jrun's JVM path instead.
# Usage: scripts/bench-cli.sh [N] [M]   (default 30 runs of each, 50 concurrent)
set -euo pipefail
[ "${BENCH_IN_NS:-}" = 1 ] || exec unshare -m --propagation private env BENCH_IN_NS=1 "$0" "$@"
n=${1:-30}
m=${2:-50}
top=$(cd "$(dirname "$0")/.." && pwd)
jrun=${JRUN:-$top/cli/target/jrun/bin/jrun}
runc=$(command -v runc) || { echo "bench-cli: runc is not installed (apt-get install runc)" >&2; exit 1; }
work=$(mktemp -d /tmp/jrun-bench-cli.XXXXXX)
cleanup() {
  for rt in "$jrun" "$runc"; do
    root=$work/$([ "$rt" = "$jrun" ] && echo jrun || echo runc)-state
    for id in $("$rt" --root "$root" list -q 2>/dev/null); do "$rt" --root "$root" delete --force "$id" >/dev/null 2>&1 || true; done
  done
  rm -rf "$work"
}
trap cleanup EXIT
cp -a "$top/rootfs-fixtures/target/rootfs/busybox" "$work/rootfs"
mkdir "$work/true" "$work/sleep"
# the profile bench-run.sh measures: jrun's hardened one (a seccomp filter, no terminal)
"$jrun" spec --hardened --bundle "$work/true"
sed -i "s#\"sh\"#\"/bin/true\"#; s#\"path\": *\"rootfs\"#\"path\": \"$work/rootfs\"#" "$work/true/config.json"
sed 's#"/bin/true"#"sleep", "1000"#' "$work/true/config.json" >"$work/sleep/config.json"
grep -q "$work/rootfs" "$work/true/config.json" || { echo "bench-cli: could not point root.path at $work/rootfs" >&2; exit 1; }

rt_of() { [ "$1" = jrun ] && echo "$jrun" || echo "$runc"; }
root_of() { echo "$work/$1-state"; }

lifecycle() { # $1 jrun|runc, $2 id: prints microseconds
  local rt root t0 t1
  rt=$(rt_of "$1") root=$(root_of "$1")
  t0=${EPOCHREALTIME/./}
  "$rt" --root "$root" create --bundle "$work/true" "$2" && "$rt" --root "$root" start "$2"
  while [ "$("$rt" --root "$root" state "$2" | grep -c '"stopped"')" = 0 ]; do :; done
  "$rt" --root "$root" delete "$2"
  t1=${EPOCHREALTIME/./}
  echo $((t1 - t0))
}

timed() { # $1 jrun|runc, then the command's arguments after --root: prints microseconds
  local rt root t0 t1
  rt=$(rt_of "$1") root=$(root_of "$1")
  shift
  t0=${EPOCHREALTIME/./}
  "$rt" --root "$root" "$@" >/dev/null
  t1=${EPOCHREALTIME/./}
  echo $((t1 - t0))
}

stats() { sort -n | awk '{a[NR]=$1} END {printf "%.2f %.2f\n", a[int((NR+1)/2)]/1000, a[int(NR*0.9+0.5)]/1000}'; }
report() { # $1 what, $2 jrun samples file, $3 runc samples file
  local jm jp rm rp
  read -r jm jp <"$2.s"
  read -r rm rp <"$3.s"
  printf '%-22s jrun p50 %7.2f ms  p90 %7.2f | runc p50 %7.2f ms  p90 %7.2f | ratio %.2f\n' "$1" "$jm" "$jp" "$rm" "$rp" \
    "$(awk -v j="$jm" -v r="$rm" 'BEGIN { printf "%.3f", j / r }')"
}
sample() { # $1 name, then the samples on stdin
  cat >"$work/$1"
  stats <"$work/$1" >"$work/$1.s"
}

echo "runs: $n each, alternating; busybox bundle, $(nproc) cpus, $(uname -r); $("$runc" --version | head -1)"
[ -n "${JRUN_NO_NATIVE:-}" ] && echo "JRUN_NO_NATIVE=$JRUN_NO_NATIVE: jrun's JVM path"

# warm-up
for i in 1 2 3; do lifecycle jrun w$i >/dev/null; lifecycle runc w$i >/dev/null; done

lj=() lr=()
for i in $(seq "$n"); do lj+=("$(lifecycle jrun l$i)"); lr+=("$(lifecycle runc l$i)"); done
printf '%s\n' "${lj[@]}" | sample lj
printf '%s\n' "${lr[@]}" | sample lr
report "create+start+state+delete" "$work/lj" "$work/lr"

# state and kill of a running container
for rt in jrun runc; do
  "$(rt_of $rt)" --root "$(root_of $rt)" create --bundle "$work/sleep" s1
  "$(rt_of $rt)" --root "$(root_of $rt)" start s1
done
sj=() sr=() kj=() kr=()
for i in $(seq "$n"); do
  sj+=("$(timed jrun state s1)"); sr+=("$(timed runc state s1)")
  kj+=("$(timed jrun kill s1 CONT)"); kr+=("$(timed runc kill s1 CONT)")
done
printf '%s\n' "${sj[@]}" | sample sj
printf '%s\n' "${sr[@]}" | sample sr
printf '%s\n' "${kj[@]}" | sample kj
printf '%s\n' "${kr[@]}" | sample kr
report "state" "$work/sj" "$work/sr"
fl=()
for i in $(seq "$n"); do t0=${EPOCHREALTIME/./}; /bin/true; t1=${EPOCHREALTIME/./}; fl+=($((t1 - t0))); done
printf '%s\n' "${fl[@]}" | sample fl
read -r fm fp <"$work/fl.s"
printf '%-22s p50 %7.2f ms  p90 %7.2f (the floor: a fork and exec from this shell now)\n' "/bin/true" "$fm" "$fp"
report "kill" "$work/kj" "$work/kr"
ej=() er=() eu=()
timed jrun exec s1 /bin/true >/dev/null # stores the plan (untimed)
for i in $(seq "$n"); do
  ej+=("$(timed jrun exec s1 /bin/true)"); er+=("$(timed runc exec s1 /bin/true)")
  eu+=("$(JRUN_PLAN_CACHE=off timed jrun exec s1 /bin/true)")
done
printf '%s\n' "${ej[@]}" | sample ej
printf '%s\n' "${er[@]}" | sample er
printf '%s\n' "${eu[@]}" | sample eu
report "exec (plan cache)" "$work/ej" "$work/er"
report "exec (JVM)" "$work/eu" "$work/er"
if [ -x /usr/bin/time ]; then
  rss() { # $1 jrun|runc, then the command's arguments after --root: prints the peak RSS in KiB
    /usr/bin/time -f %M -o "$work/rss" "$(rt_of "$1")" --root "$(root_of "$1")" "${@:2}" >/dev/null 2>&1 || true
    tail -1 "$work/rss"
  }
  printf '%-22s jrun %7s KiB | runc %7s KiB\n' "peak RSS of state" "$(rss jrun state s1)" "$(rss runc state s1)"
  printf '%-22s jrun %7s KiB | runc %7s KiB\n' "peak RSS of run" "$(rss jrun run --bundle "$work/true" r1)" \
    "$(rss runc run --bundle "$work/true" r1)"
  printf '%-22s jrun %7s KiB | runc %7s KiB\n' "peak RSS of exec" "$(rss jrun exec s1 /bin/true)" \
    "$(rss runc exec s1 /bin/true)"
  # the JVM of an uncached create, under GNU time through JRUN_JAVA (the launcher's own RSS is apart)
  java=$(head -1 "$(dirname "$jrun")/../lib/jrun.launch")
  printf '#!/bin/sh\nexec /usr/bin/time -f %%M -o %s %s "$@"\n' "$work/jvm-rss" "$java" >"$work/java-rss"
  chmod +x "$work/java-rss"
  JRUN_PLAN_CACHE=off JRUN_JAVA=$work/java-rss "$jrun" --root "$(root_of jrun)" create --bundle "$work/sleep" v1 \
    >/dev/null 2>&1 || true
  # the launcher returns on Java's "exit N", before the JVM's teardown: time writes its figure after that
  for _ in $(seq 100); do [ -s "$work/jvm-rss" ] && break; sleep 0.05; done
  printf '%-22s jrun %7s KiB | runc %7s KiB\n' "peak RSS, create's JVM" "$(tail -1 "$work/jvm-rss")" \
    "$(rss runc create --bundle "$work/sleep" v1)"
  for rt in jrun runc; do "$(rt_of $rt)" --root "$(root_of $rt)" delete --force v1 >/dev/null 2>&1 || true; done
else
  echo "rss: /usr/bin/time is missing (apt-get install time)"
fi
for rt in jrun runc; do "$(rt_of $rt)" --root "$(root_of $rt)" delete --force s1; done

# start of a created container
tj=() tr=()
for i in $(seq "$n"); do
  for rt in jrun runc; do
    "$(rt_of $rt)" --root "$(root_of $rt)" create --bundle "$work/sleep" t$i
    if [ $rt = jrun ]; then tj+=("$(timed jrun start t$i)"); else tr+=("$(timed runc start t$i)"); fi
    "$(rt_of $rt)" --root "$(root_of $rt)" delete --force t$i
  done
done
printf '%s\n' "${tj[@]}" | sample tj
printf '%s\n' "${tr[@]}" | sample tr
report "start" "$work/tj" "$work/tr"

# m lifecycles at once
for rt in jrun runc; do
  t0=${EPOCHREALTIME/./}
  for i in $(seq "$m"); do lifecycle $rt c$i >/dev/null & done
  wait
  t1=${EPOCHREALTIME/./}
  echo $(((t1 - t0) / 1000)) >"$work/c$rt"
done
printf '%-22s jrun %7d ms | runc %7d ms | ratio %.2f\n' "$m concurrent lifecycles" "$(cat "$work/cjrun")" \
  "$(cat "$work/crunc")" "$(awk -v j="$(cat "$work/cjrun")" -v r="$(cat "$work/crunc")" 'BEGIN { printf "%.3f", j / r }')"
