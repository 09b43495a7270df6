#!/bin/bash
# The main job, on a fresh Debian/Ubuntu host as root: install what is needed,
# build jrun, make a busybox microcontainer (a 2 MB rootfs from Debian's
# busybox-static) and run it with `jrun run`, showing its isolated view.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/setup.sh
echo "== building jrun (mvn -DskipTests install)"
mvn -B -q -DskipTests install
jrun=$top/cli/target/jrun/bin/jrun
bundle=$(mktemp -d /tmp/jrun-demo.XXXXXX)
trap 'rm -rf "$bundle"' EXIT
cp -a rootfs-fixtures/target/rootfs/busybox "$bundle/rootfs"
"$jrun" spec --hardened --bundle "$bundle"
sed -i 's#"sh"#"sh", "-c", "echo \\"microcontainer: $(du -sh / 2>/dev/null | cut -f1) rootfs, hostname $(hostname), pid $$, user $(id -un)\\"; echo; echo processes:; ps; echo; echo network interfaces: $(ls /sys/class/net); echo; echo mounts:; cat /proc/mounts; echo; touch /etc/x 2>\&1 || true"#' "$bundle/config.json"
echo "== $jrun run $bundle"
"$jrun" run "$bundle"
echo "== exit status $?; jrun version: $("$jrun" --version | head -1)"
