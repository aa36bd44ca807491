#!/usr/bin/env bash
# Benchmarks applying peers to kernel WireGuard in the test VM: ValonKit's netlink backend
# side by side with `wg setconf` of the same peers (valon-bench wg-netlink).
#
#   scripts/vm/run-netlink-bench.sh [N ...] [--rounds R]     (default: 1000 10000 --rounds 3)
#
# Builds valon-bench in release mode and the test bundle (the initramfs carries both).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
vm_prepare
cd "$repo"

args=${*:-1000 10000 --rounds 3}
swift build --build-tests
swift build -c release --product valon-bench
bench="$repo/.build/release/valon-bench"
initramfs="$cache/initramfs-bench.cpio"
scripts/vm/build-initramfs.sh "$kroot" "$version" "$repo/.build/debug/valonPackageTests.xctest" none \
  "$initramfs" "$bench" "wg-netlink $args"

log="$cache/vm-bench.log"
marker=$(vm_boot "$initramfs" "$log") || exit 1
grep -a -o 'wg-netlink: .*' "$log" || true
case "$marker" in
  *": PASS "*) echo "run-netlink-bench: done (kernel $version, qemu TCG, 1 vCPU)" ;;
  *) echo "run-netlink-bench: FAIL: $marker" >&2; exit 1 ;;
esac
