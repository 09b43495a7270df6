#!/bin/bash
# The cgroup v2 suite: the integration tests that touch cgroups (limits, OOM, placement,
# lifecycle, security, device programs) against a pure cgroup v2 kernel, in the throw-away QEMU guest of
# ../shared/cgv2-run (software-emulated: minutes, not seconds). Installs the build into
# ~/.m2 first (the guest runs only the cli module, offline, and sees the host's files as
# they were when it booted); writes the failsafe reports under cli/target.
# Usage: scripts/cgv2-suite.sh            (from the host: boots the guest)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" != --in-guest ]; then
  cgv2=${CGV2_RUN:-$top/../shared/cgv2-run}
  cd "$top"
  mvn -B -q -DskipTests install
  exec "$cgv2" --mem 4G --timeout 1500 -- "$top/scripts/cgv2-suite.sh" --in-guest
fi
cd "$top"
echo "guest: $(uname -r), cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
export JRUN_TEST_HOST_MNTNS JRUN_CGV2_GUEST=1 # tests that may change the guest's own cgroups
JRUN_TEST_HOST_MNTNS=$(readlink /proc/self/ns/mnt)
# Runs one module's ITs; once more if a JVM died of the emulator rather than of a test. The
# software-emulated CPU has killed JVMs in C1-compiled JDK code (SIGILL, SIGSEGV in
# java.nio.Buffer methods, in Maven's JVM and in the tests'), leaving an hs_err file, which a
# failing test does not; the JVMs of Maven and of the tests run without C1 (C2 only).
export MAVEN_OPTS="${MAVEN_OPTS:-} -XX:-TieredCompilation"
crashed() { # module: an hs_err file in it or here
  compgen -G "hs_err_pid*.log" >/dev/null || compgen -G "$1/hs_err_pid*.log" >/dev/null
}
its() { # module, test classes
  local try
  for try in 1 2; do
    rm -f hs_err_pid*.log "$1"/hs_err_pid*.log
    if unshare -m --propagation private mvn -o -B -pl "$1" failsafe:integration-test failsafe:verify \
        -Dit.test="$2" -Djrun.it.required=true -DargLine=-XX:-TieredCompilation; then
      return 0
    fi
    if ! crashed "$1" || [ $try = 2 ]; then
      return 1
    fi
    echo "cgv2-suite: a JVM crashed under the emulator ($(cat hs_err_pid*.log "$1"/hs_err_pid*.log 2>/dev/null | grep -m1 -A1 'Problematic frame' | tail -1)); once more"
  done
}
# the device programs and CLONE_INTO_CGROUP at the stage's level (runtime), then through the CLI
its runtime DeviceRulesIT,ParallelIT
its cli CgroupsIT,LifecycleIT,SecurityIT,PlanCacheIT,NativeCommandsIT
