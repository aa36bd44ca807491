# Shared by run-netlink-tests.sh and run-netlink-bench.sh (sourced, not run).
# vm_prepare: checks root and tools, fetches the kernel; sets repo, cache, version, kroot.
# vm_boot INITRAMFS LOG: boots it under TCG, tees the console to LOG, prints the marker line.

vm_prepare() {
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  cache="$repo/.build-vm"
  mkdir -p "$cache"
  if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/vm: needs root (apt-get download, depmod into the cache)" >&2
    exit 1
  fi
  local tool
  for tool in qemu-system-x86_64 busybox cpio modprobe depmod ip wg apt-get dpkg-deb; do
    command -v "$tool" >/dev/null || { echo "scripts/vm: $tool missing (scripts/install-deps.sh)" >&2; exit 1; }
  done
  version=$("$repo/scripts/vm/fetch-kernel.sh" "$cache")
  kroot="$cache/kernel-$version"
}

vm_boot() {
  local initramfs=$1 log=$2 status
  echo "== booting Debian kernel $version under TCG (console log: $log)" >&2
  set +e
  timeout "${VM_TIMEOUT:-1200}" qemu-system-x86_64 -accel tcg -cpu max -m "${VM_MEMORY:-1G}" \
    -nographic -no-reboot -kernel "$kroot/boot/vmlinuz-$version" -initrd "$initramfs" \
    -append "console=ttyS0 panic=-1 quiet" < /dev/null 2>&1 | tr -d '\r' | tee "$log" >&2
  status=${PIPESTATUS[0]}
  set -e
  if ! grep -a '^VALON-VM-RESULT:' "$log" | tail -n 1; then
    echo "scripts/vm: no result marker from the VM (qemu exit $status; 124 is a timeout)" >&2
    return 1
  fi
}
