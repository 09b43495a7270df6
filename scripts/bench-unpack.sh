#!/bin/bash
# Benchmark: unpacking the same image by jrun and by `umoci raw unpack`.
# The image: one gzip layer of SIZE MB (default 300) of the host's /usr (files and
# symlinks, in find order), in an OCI layout. Each unpacks it N times (default 3),
# alternating, into a fresh directory; prints the median wall time and the peak
# memory (maximum RSS, /usr/bin/time -v) of each and the ratio jrun/umoci.
#   jrun     `jrun unpack NAME DIR` from jrun's store (pulled once before, untimed):
#            rootfs + config.json, the diff ID checked
#   jrun+pull `jrun unpack oci:LAYOUT DIR` into an empty store: the blob copied into
#            the store and verified first (shown, not in the ratio)
#   umoci    `umoci raw unpack --image LAYOUT:bench DIR` (rootfs only)
# Needs root, umoci and GNU time (scripts/setup.sh installs them), and a build
# (mvn -DskipTests package).
# Unpacks into a tmpfs (in a private mount namespace) unless BENCH_DISK=1.
# Usage: scripts/bench-unpack.sh [SIZE_MB] [N]
set -euo pipefail
[ "${BENCH_IN_NS:-}" = 1 ] || exec unshare -m --propagation private env BENCH_IN_NS=1 "$0" "$@"
size_mb=${1:-300}
n=${2:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
jrun=${JRUN:-$top/cli/target/jrun/bin/jrun}
umoci=$(command -v umoci) || { echo "bench-unpack: umoci is not installed (apt-get install umoci)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench-unpack: GNU time is not installed (apt-get install time)" >&2; exit 1; }
work=$(mktemp -d /var/tmp/jrun-bench-unpack.XXXXXX)
trap 'umount "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
# a tmpfs in this private mount namespace: the figures are the unpackers' work, not this
# machine's shared disk (on it, both take 2-3 times longer and vary with the neighbours' I/O);
# BENCH_DISK=1 measures on the disk
[ "${BENCH_DISK:-}" = 1 ] || mount -t tmpfs -o size=$((size_mb * 4 + 512))m jrun-bench "$work"

# the layer: files and symlinks of /usr up to size_mb
{ find /usr -xdev \( -type f -o -type l \) -printf '%s %P\n' 2>/dev/null || true; } \
  | awk -v max=$((size_mb * 1000000)) '{ s += $1; if (s > max) exit; sub(/^[0-9]+ /, ""); print "usr/" $0 }' > "$work/list" || true
tar -C / --no-recursion -cf "$work/layer.tar" -T "$work/list"
files=$(wc -l < "$work/list")
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -1 -c "$work/layer.tar" > "$work/layer.tar.gz"
raw=$(stat -c %s "$work/layer.tar")
rm "$work/layer.tar"
oci=$work/oci
mkdir -p "$oci/blobs/sha256"
blob() { # file -> prints "digest size", the file moved into the layout
  local d s
  d=$(sha256sum "$1" | cut -d' ' -f1)
  s=$(stat -c %s "$1")
  mv "$1" "$oci/blobs/sha256/$d"
  echo "$d $s"
}
read -r ld ls < <(blob "$work/layer.tar.gz")
printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/usr/bin/true"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$diff_id" > "$work/config.json"
read -r cd cs < <(blob "$work/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
  "$cd" "$cs" "$ld" "$ls" > "$work/manifest.json"
read -r md ms < <(blob "$work/manifest.json")
echo '{"imageLayoutVersion":"1.0.0"}' > "$oci/oci-layout"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"bench"}}]}' \
  "$md" "$ms" > "$oci/index.json"
"$jrun" pull --image-root "$work/store" --name bench "oci:$oci:bench" >/dev/null

# prints "seconds maxrss_kb" of one run of the command
timed() {
  sync # each run starts without the previous one's dirty pages to write back
  /usr/bin/time -v -o "$work/time" "$@" >/dev/null 2>>"$work/stderr"
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = (n == 3) ? t[1]*3600 + t[2]*60 + t[3] : t[1]*60 + t[2] }
              /Maximum resident set size/ { m = $2 } END { printf "%.3f %d\n", s, m }' "$work/time"
}
declare -a tj tp tu mj mp mu
for i in $(seq "$n"); do
  read -r t m < <(timed "$jrun" unpack --image-root "$work/store" bench "$work/j$i"); tj+=("$t"); mj+=("$m")
  rm -rf "$work/j$i"
  read -r t m < <(timed "$umoci" raw unpack --image "$oci:bench" "$work/u$i"); tu+=("$t"); mu+=("$m")
  rm -rf "$work/u$i"
  rm -rf "$work/store2"
  read -r t m < <(timed "$jrun" unpack --image-root "$work/store2" "oci:$oci:bench" "$work/p$i"); tp+=("$t"); mp+=("$m")
  rm -rf "$work/p$i"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
printf 'image: %d files, %.0f MB uncompressed, %.0f MB gzip; %d runs each, alternating, on %s; %d cpus, %s\n' \
  "$files" "$(echo "$raw / 1000000" | bc -l)" "$(echo "$ls / 1000000" | bc -l)" "$n" \
  "$([ "${BENCH_DISK:-}" = 1 ] && echo disk || echo tmpfs)" "$(nproc)" "$(uname -r)"
printf 'jrun unpack (from store): median %6.2f s  peak RSS %4d MB\n' "$(median "${tj[@]}")" $(( $(median "${mj[@]}") / 1024 ))
printf 'jrun unpack (oci: + pull): median %6.2f s  peak RSS %4d MB\n' "$(median "${tp[@]}")" $(( $(median "${mp[@]}") / 1024 ))
printf 'umoci raw unpack:          median %6.2f s  peak RSS %4d MB  (%s)\n' "$(median "${tu[@]}")" $(( $(median "${mu[@]}") / 1024 )) \
  "$("$umoci" --version)"
printf 'ratio jrun/umoci (medians, from store): %.2f\n' "$(echo "$(median "${tj[@]}") / $(median "${tu[@]}")" | bc -l)"
