#!/bin/bash
# Sizes of microcontainers `jrun micro` builds from this host's files: Debian's busybox-static,
# and python3 (http.server) and nodejs (an http app), each traced with a workload that starts
# the app and fetches / over loopback with busybox wget (so the workload's shell and busybox are
# in those results too). Prints per app the files, the bytes of the rootfs (du -b), the OCI
# layer's size (tar.gz) and the trace runs.
# Needs root and a build (mvn -DskipTests package).
set -euo pipefail
[ "${MICRO_IN_NS:-}" = 1 ] || exec unshare -m --propagation private env MICRO_IN_NS=1 "$0" "$@"
top=$(cd "$(dirname "$0")/.." && pwd)
jrun=${JRUN:-$top/cli/target/jrun/bin/jrun}
# outside /tmp: a traced container gets its own tmpfs there
work=$(mktemp -d /var/tmp/jrun-micro-sizes.XXXXXX)
trap 'rm -rf "$work"' EXIT
state="$work/state"
mkdir -p "$work/site"
echo "hello from a microcontainer" > "$work/site/index.html"
cat > "$work/server.js" <<JS
require('http').createServer((q, s) => s.end('hello from a microcontainer\n')).listen(Number(process.env.PORT), '127.0.0.1');
JS
fetch() { # SERVER PORT: the --trace workload
  echo "$1 >/dev/null 2>&1 & i=0; while [ \$i -lt 100 ]; do /usr/bin/busybox wget -qO- http://127.0.0.1:$2/ 2>/dev/null && break; /usr/bin/busybox sleep 0.1; i=\$((i+1)); done; kill \$!"
}
report() { # NAME OUT
  local layer
  layer=$(find "$2.layout/blobs/sha256" -type f -size +100k -printf '%s\n' | sort -n | tail -1)
  printf '%-8s %6s files %6.1f MB rootfs %6.1f MB tar.gz  (%s)\n' "$1" \
    "$(find "$2.bundle/rootfs" ! -type d | wc -l)" \
    "$(du -sb "$2.bundle/rootfs" | awk '{print $1 / 1e6}')" "$(echo "$layer" | awk '{print $1 / 1e6}')" \
    "$(grep -o 'trace: [0-9]* runs' "$2.bundle/sizes.txt" || echo 'no trace')"
}
build() { # NAME ARGS...: one build into a bundle, one into an OCI layout
  local name=$1; shift
  if ! "$jrun" --root "$state" micro --bundle "$work/$name.bundle" "$@" 2>"$work/$name.log" ||
     ! "$jrun" --root "$state" micro --oci "$work/$name.layout" "$@" 2>>"$work/$name.log"; then
    cat "$work/$name.log" >&2
    exit 1
  fi
}
# no trace for the static busybox: it needs nothing, and a workload runs under the host's
# /bin/sh (dash and glibc), which a trace would keep
build busybox --from-host --entrypoint /usr/bin/busybox -- sh
report busybox "$work/busybox"
build python --from-host --entrypoint /usr/bin/python3 --add "$work/site" \
  --trace "$(fetch "/usr/bin/python3 -m http.server 18080 --bind 127.0.0.1 --directory $work/site" 18080)" \
  -- -m http.server 18080 --bind 127.0.0.1 --directory "$work/site"
report python "$work/python"
build node --from-host --entrypoint /usr/bin/node --add "$work/server.js" --env PORT=18081 \
  --trace "$(fetch "/usr/bin/node $work/server.js" 18081)" -- "$work/server.js"
report node "$work/node"
