#!/usr/bin/env bash
# Builds the test VM's initramfs (an uncompressed newc cpio, fastest to unpack under TCG):
# busybox-static, /init (init.sh), the test binary with every shared library `ldd` names,
# `ip` and `wg` as oracles, and the kernel modules for wireguard, veth and bridge with
# their dependencies in `modprobe --show-depends` order (decompressed when .xz/.zst).
# With BENCH_BINARY, /init runs `valon-bench BENCH_ARGS` instead of the tests.
# Usage: build-initramfs.sh KERNEL_ROOT VERSION TEST_BINARY FILTER OUTPUT [BENCH_BINARY BENCH_ARGS]
set -euo pipefail
kroot=${1:?kernel root}; version=${2:?version}; binary=${3:?test binary}; filter=${4:?filter}; output=${5:?output}
bench=${6:-}; bench_args=${7:-}
here=$(cd "$(dirname "$0")" && pwd)
stage="$output.d"
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,lib64,etc,root,tests,modules,proc,sys,dev,tmp,run}

cp /bin/busybox "$stage/bin/busybox"
install -m 0755 "$here/init.sh" "$stage/init"
# A real env: busybox's would run its own applets (its `ip` lacks netns and -j) first.
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$stage/etc/passwd"
printf 'root:x:0:\n' > "$stage/etc/group"
printf '%s\n' "$filter" > "$stage/test-filter"

# Copies a file and the shared libraries it needs, each at its own path.
copy_with_libraries() {
  local file=$1 destination=$2
  install -D -m 0755 "$file" "$stage$destination"
  ldd "$file" | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' | while read -r lib; do
    [ -e "$stage$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$stage$lib"
  done
}
copy_with_libraries "$binary" /tests/valonPackageTests.xctest
copy_with_libraries "$(command -v ip)" /usr/sbin/ip
copy_with_libraries "$(command -v wg)" /usr/bin/wg
copy_with_libraries /usr/bin/env /usr/bin/env
if [ -n "$bench" ]; then
  copy_with_libraries "$bench" /tests/valon-bench
  printf '%s\n' "$bench_args" > "$stage/bench-args"
fi
mkdir -p "$stage/lib/x86_64-linux-gnu"
[ -e "$stage/lib64/ld-linux-x86-64.so.2" ] || install -D /lib64/ld-linux-x86-64.so.2 "$stage/lib64/ld-linux-x86-64.so.2"

# Modules in load order, each once.
: > "$stage/modules/order"
for module in wireguard veth bridge; do
  modprobe -S "$version" -d "$kroot" --show-depends "$module" | while read -r kind path _; do
    [ "$kind" = insmod ] || continue   # "builtin NAME" needs nothing
    name=$(basename "$path"); name=${name%.xz}; name=${name%.zst}
    grep -qx "$name" "$stage/modules/order" && continue
    case "$path" in
      *.xz) xz -dc "$path" > "$stage/modules/$name" ;;
      *.zst) zstd -qdc "$path" > "$stage/modules/$name" ;;
      *) cp "$path" "$stage/modules/$name" ;;
    esac
    echo "$name" >> "$stage/modules/order"
  done
done
grep -qx wireguard.ko "$stage/modules/order" || { echo "build-initramfs: wireguard.ko not found for $version" >&2; exit 1; }

(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) > "$output.tmp"
mv "$output.tmp" "$output"
rm -rf "$stage"
