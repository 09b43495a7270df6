#!/bin/sh
# Lays out the runnable distribution (called by Maven at package):
#   DIST/bin/jrun        the static C launcher + stage (from the native-bindings jar)
#   DIST/lib/*.jar       jrun and its dependencies
#   DIST/lib/jrun.launch the java binary and JVM flags the launcher uses
#   DIST/lib/jrun.aot    JDK 25+: an AOT cache (JEP 483/514/515), trained on a real `jrun run` and `create`
#   DIST/lib/jrun.jsa    JDK 17-24: an AppCDS archive, trained on the CLI's start-up path
# The JVM jrun runs on is the newest JDK (17 or later) among the one Maven runs on and those
# under /usr/lib/jvm, or JRUN_JAVA_HOME when set: the classes are compiled for 17 either way.
# Usage: assemble.sh DIST MAVEN_JAVA_HOME CLI_JAR DEPENDENCY_DIR
set -eu
dist=$1 maven_java_home=$2 cli_jar=$3 deps=$4

# feature release of a JDK (17, 21, 25...), 0 when it is not a JDK with a release file
jdk_feature() {
  [ -x "$1/bin/java" ] && [ -f "$1/release" ] || { echo 0; return; }
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" | grep . || echo 0
}
if [ -n "${JRUN_JAVA_HOME:-}" ]; then
  java_home=$JRUN_JAVA_HOME
else
  java_home=$maven_java_home
  for home in /usr/lib/jvm/*/; do
    home=${home%/}
    [ -L "$home" ] && continue # Debian's short aliases of the same JDK
    [ "$(jdk_feature "$home")" -gt "$(jdk_feature "$java_home")" ] && java_home=$home
  done
fi
feature=$(jdk_feature "$java_home")
[ "$feature" -ge 17 ] || { echo "assemble: $java_home is not a JDK 17 or later" >&2; exit 1; }
java=$java_home/bin/java
rm -rf "$dist"
mkdir -p "$dist/bin" "$dist/lib"
cp "$deps"/*.jar "$dist/lib/"
cp "$cli_jar" "$dist/lib/jrun-cli.jar"
# `jrun --version`'s commit line, as runc prints the commit it was built from
git -C "$(dirname "$0")" rev-parse --short=12 HEAD > "$dist/lib/jrun.commit" 2>/dev/null || rm -f "$dist/lib/jrun.commit"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && "$maven_java_home/bin/jar" xf "$dist"/lib/jrun-native-bindings-*.jar io/jrun/nativebind/jrun-stage)
install -m 0755 "$tmp/io/jrun/nativebind/jrun-stage" "$dist/bin/jrun"
# jrun's own jars first, the image commands' libraries (jackson, commons-compress, zstd-jni) last:
# the class loader opens the jars in order until it finds a class, so `jrun run` never opens theirs.
cp=""
for j in "$dist"/lib/jrun-cli.jar "$dist"/lib/jrun-runtime-*.jar "$dist"/lib/jrun-native-bindings-*.jar \
    "$dist"/lib/jrun-image-*.jar "$dist"/lib/*.jar; do
  case ":$cp:" in *":@LIB@/$(basename "$j"):"*) continue ;; esac
  [ -f "$j" ] && cp="$cp${cp:+:}@LIB@/$(basename "$j")"
done
# Flags for a short-lived JVM: each was measured to shorten `jrun run` (see BENCHMARKS.md).
# Measured and left out (BENCHMARKS.md, "The JVM path without a cached plan"): -XX:ArchiveRelocationMode=0
# and -Xms32m -Xmn24m (no young collection) made a quiet machine's `run` slower, not faster.
flags="-XX:+UseSerialGC
-XX:TieredStopAtLevel=1
-XX:CICompilerCount=1
-XX:-UsePerfData
-XX:+DisableAttachMechanism
-Xss512k
-Xms8m
-Xmx256m
-XX:MetaspaceSize=16m
-XX:ReservedCodeCacheSize=16m
-Xlog:cds=off
-Xlog:cds+dynamic=off"
if [ "$feature" -ge 25 ]; then
  # JDK 25's AOT cache: classes loaded and linked, and method profiles, from a training run.
  # A JVM named by JRUN_JAVA that predates it ignores the option and starts without a cache.
  archive_flags="-XX:+IgnoreUnrecognizedVMOptions
-Xlog:disable
-XX:AOTCache=@LIB@/jrun.aot"
  archive=$dist/lib/jrun.aot
else
  archive_flags="-Xshare:auto
-XX:SharedArchiveFile=@LIB@/jrun.jsa"
  archive=$dist/lib/jrun.jsa
fi

# Train the archive on what every start loads: the CLI, config.json, validation, the plan, the
# stage channel and the state files.  As root, the training container runs a static program (this
# stage, which exits at once as it has no socket to talk to) in new namespaces in a throw-away
# rootfs; as another user the training stops at the root check.
mkdir -p "$tmp/bundle/rootfs"
cp "$dist/bin/jrun" "$tmp/bundle/rootfs/stage"
realcp=$(echo "$cp" | sed "s#@LIB@#$dist/lib#g")
"$java" -cp "$realcp" io.jrun.cli.Main spec --hardened --bundle "$tmp/bundle"
sed -i 's#"sh"#"/stage", "--stage", "/nonexistent"#' "$tmp/bundle/config.json"
if [ "$feature" -ge 25 ]; then
  training="-XX:AOTCacheOutput=$archive" # the JVM writes the cache as it exits
else
  training="-XX:ArchiveClassesAtExit=$archive"
fi
# One JVM trains on what users run most: `run`, then `create`, `start`, `state`, `delete`, and the
# errors they hit most (a bundle without config.json, an id in use) (cli's Training).
JRUN_LAUNCHER="$dist/bin/jrun" "$java" $flags $training -cp "$realcp" \
  io.jrun.cli.Training "$tmp/state" "$tmp/bundle" training-$$ >/dev/null 2>&1 || true
{
  echo "$java"
  echo "$flags"
  echo "$archive_flags"
  echo "-cp"
  echo "$cp"
  echo "io.jrun.cli.Main"
} > "$dist/lib/jrun.launch"
test -s "$archive" || echo "assemble: no class-data archive was written; jrun still works, slower" >&2
echo "assemble: jrun runs on JDK $feature ($java_home) with $(basename "$archive")"
