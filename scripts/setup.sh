#!/bin/bash
# Installs what jrun's build, demo and tests need on a Debian/Ubuntu host (as root),
# skipping what is already there: a JDK 17+, Maven, gcc, musl (for the static
# stage), busybox-static (for the test rootfs), util-linux (unshare, setpriv),
# procps (kill), iproute2, Podman with conmon and containerd (the tests drive jrun
# through them), docker-registry with apache2-utils' htpasswd (a loopback registry
# for the image pull tests), umoci and GNU time (the unpack benchmark), python3 and
# nodejs (apps the jrun micro tests minimise).
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
java_ok() { have javac && javac -version 2>&1 | awk '{split($2, v, "."); exit !(v[1] >= 17)}'; }
java_ok || need+=(openjdk-17-jdk-headless)
have mvn || need+=(maven)
have gcc || need+=(gcc libc6-dev)
have musl-gcc || need+=(musl-tools)
# a static busybox: ldd fails on it
{ [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || need+=(busybox-static)
have unshare && have setpriv || need+=(util-linux)
have kill || need+=(procps)
have ip || need+=(iproute2)
have script || need+=(bsdutils)
have podman || need+=(podman)
have conmon || need+=(conmon)
have containerd || need+=(containerd)
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
have htpasswd || need+=(apache2-utils)
# scripts/bench-unpack.sh compares jrun's unpack with umoci's, timed by GNU time
have umoci || need+=(umoci)
[ -x /usr/bin/time ] || need+=(time)
# jrun micro's tests minimise Debian's python3 (http.server) and nodejs apps from the host's files
[ -x /usr/bin/python3 ] || need+=(python3)
[ -x /usr/bin/node ] || need+=(nodejs)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
