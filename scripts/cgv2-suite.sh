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
export JRUN_TEST_HOST_MNTNS
JRUN_TEST_HOST_MNTNS=$(readlink /proc/self/ns/mnt)
# the device programs and CLONE_INTO_CGROUP at the stage's level (runtime), then through the CLI
unshare -m --propagation private mvn -o -B -pl runtime failsafe:integration-test failsafe:verify \
  -Dit.test='DeviceRulesIT' -Djrun.it.required=true
exec unshare -m --propagation private mvn -o -B -pl cli failsafe:integration-test failsafe:verify \
  -Dit.test='CgroupsIT,LifecycleIT,SecurityIT' -Djrun.it.required=true
