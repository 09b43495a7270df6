#!/bin/sh
# Lays out the runnable distribution (called by Maven at package):
#   DIST/bin/jrun        the static C launcher + stage (from the native-bindings jar)
#   DIST/lib/*.jar       jrun and its dependencies
#   DIST/lib/jrun.launch the java binary and JVM flags the launcher uses
#   DIST/lib/jrun.jsa    an AppCDS archive, trained on the CLI's start-up path
# Usage: assemble.sh DIST JAVA_HOME CLI_JAR DEPENDENCY_DIR
set -eu
dist=$1 java_home=$2 cli_jar=$3 deps=$4
java=$java_home/bin/java
rm -rf "$dist"
mkdir -p "$dist/bin" "$dist/lib"
cp "$deps"/*.jar "$dist/lib/"
cp "$cli_jar" "$dist/lib/jrun-cli.jar"
# `jrun --version`'s commit line, as runc prints the commit it was built from
git -C "$(dirname "$0")" rev-parse --short=12 HEAD > "$dist/lib/jrun.commit" 2>/dev/null || rm -f "$dist/lib/jrun.commit"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && "$java_home/bin/jar" xf "$dist"/lib/jrun-native-bindings-*.jar io/jrun/nativebind/jrun-stage)
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
-Xlog:cds+dynamic=off
-Xshare:auto"
{
  echo "$java"
  echo "$flags"
  echo "-XX:SharedArchiveFile=@LIB@/jrun.jsa"
  echo "-cp"
  echo "$cp"
  echo "io.jrun.cli.Main"
} > "$dist/lib/jrun.launch"

# Train the class-data archive on what every start loads: the CLI, config.json,
# validation, the plan, the stage channel and the state files.  As root, the
# training container runs a static program (this stage, which exits at once as
# it has no socket to talk to) in new namespaces in a throw-away rootfs; as
# another user the training stops at the root check.
mkdir -p "$tmp/bundle/rootfs"
cp "$dist/bin/jrun" "$tmp/bundle/rootfs/stage"
realcp=$(echo "$cp" | sed "s#@LIB@#$dist/lib#g")
"$java" -cp "$realcp" io.jrun.cli.Main spec --hardened --bundle "$tmp/bundle"
sed -i 's#"sh"#"/stage", "--stage", "/nonexistent"#' "$tmp/bundle/config.json"
JRUN_LAUNCHER="$dist/bin/jrun" "$java" $flags -XX:ArchiveClassesAtExit="$dist/lib/jrun.jsa" -cp "$realcp" \
  io.jrun.cli.Main --root "$tmp/state" run --bundle "$tmp/bundle" cds-training-$$ >/dev/null 2>&1 || true
test -s "$dist/lib/jrun.jsa" || echo "assemble: no CDS archive was written; jrun still works, slower" >&2
