#!/usr/bin/env bash
# Runs VALON's kernel-netlink tests inside a qemu VM booted with Debian's kernel, where the
# WireGuard module exists (this machine's kernel has none). DESIGN §8.
#
#   scripts/vm/run-netlink-tests.sh [--no-build]
#
# Fetches linux-image-amd64's kernel into .build-vm/ (cached), builds the tests, packs an
# initramfs (busybox-static, the Swift Testing bundle and its libraries, ip, wg, wireguard.ko
# and friends), boots it under TCG, and exits 0 only when the VM reports PASS with at least
# one test run. The tests there see VALON_VM_KERNEL_WIREGUARD=1; the kernel-only suites
# are disabled without it, so they never pass vacuously on the host.
# Environment: VM_TIMEOUT (seconds, default 1200), VM_FILTER (test filter regex), VM_MEMORY.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
cache="$repo/.build-vm"
mkdir -p "$cache"

if [ "$(id -u)" -ne 0 ]; then
  echo "run-netlink-tests: needs root (apt-get download, depmod into the cache)" >&2
  exit 1
fi
for tool in qemu-system-x86_64 busybox cpio modprobe depmod ip wg; do
  command -v "$tool" >/dev/null || { echo "run-netlink-tests: $tool missing (scripts/install-deps.sh)" >&2; exit 1; }
done

version=$(scripts/vm/fetch-kernel.sh "$cache")
kroot="$cache/kernel-$version"

if [ "${1:-}" != "--no-build" ]; then
  swift build --build-tests
fi
binary="$repo/.build/debug/valonPackageTests.xctest"
[ -x "$binary" ] || { echo "run-netlink-tests: $binary missing; build the tests first" >&2; exit 1; }

filter=${VM_FILTER:-RouteNetlinkClientTests|KernelWireGuard|WireGuardNetlink}
initramfs="$cache/initramfs-$version.cpio"
scripts/vm/build-initramfs.sh "$kroot" "$version" "$binary" "$filter" "$initramfs"

log="$cache/vm-$(date +%Y%m%d-%H%M%S).log"
echo "== booting Debian kernel $version under TCG (log: $log)"
set +e
timeout "${VM_TIMEOUT:-1200}" qemu-system-x86_64 -accel tcg -cpu max -m "${VM_MEMORY:-1G}" -nographic -no-reboot \
  -kernel "$kroot/boot/vmlinuz-$version" -initrd "$initramfs" \
  -append "console=ttyS0 panic=-1 quiet" < /dev/null 2>&1 | tr -d '\r' | tee "$log"
qemu_status=${PIPESTATUS[0]}
set -e

marker=$(grep -a '^VALON-VM-RESULT:' "$log" | tail -n 1 || true)
if [ -z "$marker" ]; then
  echo "run-netlink-tests: FAIL: no result marker from the VM (qemu exit $qemu_status; 124 is a timeout)" >&2
  exit 1
fi
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
