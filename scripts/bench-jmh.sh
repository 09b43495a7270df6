#!/bin/bash
# JMH benchmark of the test-harness API (bench/, not built by mvn verify), in one run:
#   HarnessJmh: start->exit of /bin/true and start->first HTTP byte of a busybox httpd via
#               connect(80), each with 0 and 2 prepared monitors and 0 and 2 prepared containers
#               (Engine.prepare; p50/p99 from JMH's sample mode);
#   RuncJmh:    `runc run` of a bundle on the same rootfs running /bin/true, from the same JVM;
#   Thousand:   1000 containers in one JVM, 1 and 4 at a time, and 1 at a time with 2 prepared:
#               fds, threads, RSS at 0/500/1000.
# Prints the p50 and p99 ratios against runc. Needs root, runc and `mvn install` of the others.
# Usage: MAVEN_ARGS=-Dmaven.repo.local=... scripts/bench-jmh.sh [JMH options, e.g. -i 3 -r 2]
set -euo pipefail
[ "${BENCH_IN_NS:-}" = 1 ] || exec unshare -m --propagation private env BENCH_IN_NS=1 "$0" "$@"
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/jrun-bench-jmh.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$top"
mvn -q -B ${MAVEN_ARGS:-} -f bench/pom.xml package dependency:build-classpath -Dmdep.outputFile="$work/cp" >/dev/null
cp -a rootfs-fixtures/target/rootfs/busybox "$work/rootfs"
cli/target/jrun/bin/jrun spec --bundle "$work"   # the config `runc spec` gives too
sed -i -e 's#"sh"#"/bin/true"#' -e 's#"terminal": true#"terminal": false#' "$work/config.json"
props="-Djrun.testing.root=$work/root -Djrun.testing.images=$work/images -Djrun.bench.bundle=$work
 -Djrun.rootfs.busybox=$top/rootfs-fixtures/target/rootfs/busybox"
cp="bench/target/classes:$(cat "$work/cp")"
echo "$(date -u '+%F %H:%M UTC'), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r), $(java -version 2>&1 | head -1)"
# shellcheck disable=SC2086
java $props -cp "$cp" org.openjdk.jmh.Main -rf csv -rff "$work/jmh.csv" "$@" 'io.jrun.bench.(HarnessJmh|RuncJmh)' \
  | grep -E '^(Benchmark|HarnessJmh|RuncJmh)|p0\.(50|99)|·p|:p0' || true
echo
awk -F, 'NR > 1 { gsub(/"/, ""); n = $1; sub(/^io\.jrun\.bench\./, "", n); if (n ~ /:p0\.(50|99)$/) printf "%-48s monitors %-3s prepared %-3s %8.2f ms\n", n, $8, $9, $5 }' "$work/jmh.csv"
awk -F, 'NR > 1 { gsub(/"/, "") }
  $1 ~ /runcRunTrue:p0\.50$/ { r50 = $5 } $1 ~ /runcRunTrue:p0\.99$/ { r99 = $5 }
  $1 ~ /trueStartToExit:p0\.50$/ { t50[$8 " " $9] = $5 } $1 ~ /trueStartToExit:p0\.99$/ { t99[$8 " " $9] = $5 }
  END { for (m in t50) if (r50 > 0 && r99 > 0) { split(m, mp, " ")
          printf "start->exit of /bin/true, %s prepared monitors, %s prepared containers / runc run: p50 %.2f, p99 %.2f\n", mp[1], mp[2], t50[m] / r50, t99[m] / r99 } }' \
  "$work/jmh.csv"
cp "$work/jmh.csv" bench/target/jmh.csv
echo
# shellcheck disable=SC2086
java $props -cp "$cp" io.jrun.bench.Thousand 1000 1
# shellcheck disable=SC2086
java $props -cp "$cp" io.jrun.bench.Thousand 1000 4
# shellcheck disable=SC2086
java $props -cp "$cp" io.jrun.bench.Thousand 1000 1 2
