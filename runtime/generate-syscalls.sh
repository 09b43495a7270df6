#!/bin/sh
# Writes the syscall name tables the seccomp compiler needs, from the kernel's UAPI headers
# (linux-libc-dev, which gcc brings): OUT/syscalls-<arch>.properties, name=number.
# x86_64, x86 and x32 come from asm/unistd_{64,32,x32}.h; aarch64 from asm-generic/unistd.h
# (its 64-bit branch). Called by Maven in generate-resources.
set -eu
out=$1
inc=${KERNEL_HEADERS:-/usr/include}
asm=$inc/x86_64-linux-gnu/asm
[ -d "$asm" ] || asm=$inc/asm
mkdir -p "$out"
for f in "$asm/unistd_64.h" "$asm/unistd_32.h" "$asm/unistd_x32.h" "$inc/asm-generic/unistd.h"; do
  [ -f "$f" ] || { echo "generate-syscalls: $f is missing (apt-get install linux-libc-dev)" >&2; exit 1; }
done
sed -n 's/^#define __NR_\([a-z0-9_]*\)[ \t]\{1,\}\([0-9]\{1,\}\)$/\1=\2/p' "$asm/unistd_64.h" > "$out/syscalls-x86_64.properties"
sed -n 's/^#define __NR_\([a-z0-9_]*\)[ \t]\{1,\}\([0-9]\{1,\}\)$/\1=\2/p' "$asm/unistd_32.h" > "$out/syscalls-x86.properties"
# x32: (__X32_SYSCALL_BIT + N)
sed -n 's/^#define __NR_\([a-z0-9_]*\)[ \t]\{1,\}(__X32_SYSCALL_BIT + \([0-9]\{1,\}\))$/\1 \2/p' "$asm/unistd_x32.h" \
  | awk '{ printf "%s=%d\n", $1, 1073741824 + $2 }' > "$out/syscalls-x32.properties"
# aarch64: asm-generic, taking the 64-bit side of "#if __BITS_PER_LONG == 32" blocks
awk '
  /^#if __BITS_PER_LONG == 32/ { skip = 1; inblk = 1; next }
  inblk && /^#else/ { skip = 0; next }
  inblk && /^#endif/ { skip = 0; inblk = 0; next }
  skip { next }
  /^#define __NR3264_[a-z0-9_]+[ \t]+[0-9]+$/ { sub(/^__NR3264_/, "", $2); n3264[$2] = $3; next }
  /^#define __NR_[a-z0-9_]+[ \t]+[0-9]+$/ { sub(/^__NR_/, "", $2); if ($2 != "syscalls") print $2 "=" $3; next }
  /^#define __NR_[a-z0-9_]+[ \t]+__NR3264_[a-z0-9_]+$/ { sub(/^__NR_/, "", $2); sub(/^__NR3264_/, "", $3); alias[$2] = $3; next }
  END { for (a in alias) if (alias[a] in n3264) print a "=" n3264[alias[a]] }
' "$inc/asm-generic/unistd.h" | sort > "$out/syscalls-aarch64.properties"
for a in x86_64 x86 x32 aarch64; do
  n=$(wc -l < "$out/syscalls-$a.properties")
  [ "$n" -gt 250 ] || { echo "generate-syscalls: only $n syscalls for $a" >&2; exit 1; }
done
