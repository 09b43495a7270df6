#!/bin/sh
# Builds a busybox microcontainer rootfs in $1 from Debian's busybox-static
# (apt-get install busybox-static), plus the static probe from src/main/c, and host-side
# test tools next to it (recvtty, seccomp-agent).
# Nothing is downloaded. The result is ~2 MB.
set -eu
out=$1
here=$(dirname "$0")
bb=/bin/busybox
if [ ! -x "$bb" ] || ! ldd "$bb" 2>&1 | grep -q 'not a dynamic'; then
  echo "build-busybox-rootfs: $bb is not a static busybox: apt-get install busybox-static" >&2
  exit 1
fi
tmp="$out.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp/bin" "$tmp/etc" "$tmp/tmp" "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/root" "$tmp/home" "$tmp/usr/bin" "$tmp/sbin"
cp "$bb" "$tmp/bin/busybox"
for applet in $("$bb" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$tmp/bin/$applet"
done
chmod 1777 "$tmp/tmp"
cat > "$tmp/etc/passwd" <<PW
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/home:/bin/false
PW
cat > "$tmp/etc/group" <<GR
root:x:0:
tty:x:5:
nogroup:x:65534:
GR
echo "127.0.0.1 localhost" > "$tmp/etc/hosts"
cc=gcc
command -v musl-gcc >/dev/null 2>&1 && cc=musl-gcc
$cc -std=gnu11 -Os -s -static -Wall -Werror -o "$tmp/bin/probe" "$here/src/main/c/probe.c"
rm -rf "$out"
mv "$tmp" "$out"
# host-side test tools, next to the rootfs
mkdir -p "$out/../../tools"
$cc -std=gnu11 -Os -s -static -Wall -Werror -o "$out/../../tools/recvtty" "$here/src/main/c/recvtty.c"
$cc -std=gnu11 -Os -s -static -Wall -Werror -o "$out/../../tools/seccomp-agent" "$here/src/main/c/seccomp-agent.c"
