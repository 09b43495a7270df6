#!/bin/bash
# Runs every test: unit tests, then the integration tests that run real
# containers as root.  Maven runs in a private mount namespace (unshare -m
# --propagation private), so no mount a test or a bug makes can reach the host;
# the tests refuse to run as root outside of it.
# Usage: scripts/test.sh [extra mvn arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] && scripts/setup.sh   # a fresh host: the JDK, Maven, musl, busybox-static, podman...
export JRUN_TEST_HOST_MNTNS
JRUN_TEST_HOST_MNTNS=$(readlink /proc/self/ns/mnt)
required=false
[ "$(id -u)" = 0 ] && required=true
exec unshare -m --propagation private mvn -B verify -Djrun.it.required="$required" "$@"
