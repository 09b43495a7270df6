#!/bin/bash
# Benchmark of the test-harness API (testing/): in one warm JVM, N containers of the busybox
# rootfs running /bin/true (start -> exit, and with the clean-up), alternating with `runc run`
# of the same rootfs; then busybox httpd containers, start -> first HTTP byte through
# connect(80), and exec("true"). Prints p50/p99 and the ratio against runc.
# Needs root, runc, and a build (mvn -DskipTests install).
# Usage: scripts/bench-harness.sh [N]   (default 200)
set -euo pipefail
[ "${BENCH_IN_NS:-}" = 1 ] || exec unshare -m --propagation private env BENCH_IN_NS=1 "$0" "$@"
n=${1:-200}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/jrun-bench-harness.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$top/testing"
mvn -q -o ${MAVEN_ARGS:-} dependency:build-classpath -Dmdep.outputFile="$work/cp" -Dmdep.includeScope=test >/dev/null
cp -a "$top/rootfs-fixtures/target/rootfs/busybox" "$work/rootfs"
"$top/cli/target/jrun/bin/jrun" spec --bundle "$work"   # runc gets the config bench-run.sh gives both
sed -i -e 's#"sh"#"/bin/true"#' -e 's#"terminal": true#"terminal": false#' "$work/config.json"   # no tty where this runs
java ${JAVA_OPTS:-} -Djrun.testing.root="$work/root" -Djrun.testing.images="$work/images" \
  -Djrun.rootfs.busybox="$top/rootfs-fixtures/target/rootfs/busybox" \
  -cp "target/classes:target/test-classes:$(cat "$work/cp")" io.jrun.testing.HarnessBench "$n" "$work"
