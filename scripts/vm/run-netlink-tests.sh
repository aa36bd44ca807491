#!/usr/bin/env bash
# Runs VALON's kernel-netlink tests inside a qemu VM booted with Debian's kernel, where the
# WireGuard module exists (this machine's kernel has none). docs/ARCHITECTURE.md §8.
#
#   scripts/vm/run-netlink-tests.sh [--no-build]
#
# Fetches linux-image-amd64's kernel into .build-vm/ (cached), builds the tests, packs an
# initramfs (busybox-static, the Swift Testing bundle and its libraries, ip, wg, wireguard.ko
# and friends), boots it under TCG, and exits 0 only when the VM reports PASS with at least
# one test run. The tests there see VALON_VM_KERNEL_WIREGUARD=1; the kernel-only suite
# (KernelWireGuardRootTests) is disabled without it, so it never passes vacuously on the host.
# Environment: VM_TIMEOUT (seconds, default 1200), VM_FILTER (test filter regex), VM_MEMORY.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
vm_prepare
cd "$repo"

if [ "${1:-}" != "--no-build" ]; then
  swift build --build-tests
fi
binary="$repo/.build/debug/valonPackageTests.xctest"
[ -x "$binary" ] || { echo "run-netlink-tests: $binary missing; build the tests first" >&2; exit 1; }

filter=${VM_FILTER:-RouteNetlinkClientRootTests|KernelWireGuard|WireGuardNetlink}
initramfs="$cache/initramfs-tests.cpio"
scripts/vm/build-initramfs.sh "$kroot" "$version" "$binary" "$filter" "$initramfs"

marker=$(vm_boot "$initramfs" "$cache/vm-tests.log") || { echo "run-netlink-tests: FAIL" >&2; exit 1; }
tests=$(echo "$marker" | sed -n 's/.*tests=\([0-9]*\).*/\1/p')
case "$marker" in
  *": PASS "*)
    if [ "${tests:-0}" -eq 0 ]; then
      echo "run-netlink-tests: FAIL: the VM ran zero tests (filter '$filter')" >&2
      exit 1
    fi
    echo "run-netlink-tests: PASS ($tests tests in the VM)"
    ;;
  *)
    echo "run-netlink-tests: FAIL: $marker" >&2
    exit 1
    ;;
esac
