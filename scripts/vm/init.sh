#!/bin/busybox sh
# /init of the VALON kernel-WireGuard test VM: mounts the pseudo file systems, loads the
# modules listed in /modules/order, runs the test binary and prints one marker line that
# scripts/vm/run-netlink-tests.sh parses:
#   VALON-VM-RESULT: PASS|FAIL tests=<N> status=<exit status>
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /var /usr/bin /usr/sbin /sbin
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox mount -t tmpfs tmpfs /tmp
/bin/busybox mount -t tmpfs tmpfs /run
/bin/busybox mkdir -p /run/netns /run/wireguard
/bin/busybox ln -sfn /run /var/run   # as on Debian: ip netns uses /run/netns
/bin/busybox --install -s /bin
export PATH=/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin HOME=/root

fail() {
  echo "VALON-VM-RESULT: FAIL tests=0 status=$1 reason=$2"
  reboot -f
}

while read -r module; do
  [ -n "$module" ] || continue
  insmod "/modules/$module" || fail 1 "insmod-$module"
done < /modules/order
ip link set lo up

export VALON_VM_KERNEL_WIREGUARD=1
cd /tmp
if [ -f /bench-args ]; then
  # Benchmark mode (scripts/vm/run-netlink-bench.sh).
  # shellcheck disable=SC2046
  /tests/valon-bench $(cat /bench-args)
  status=$?
  if [ "$status" -eq 0 ]; then echo "VALON-VM-RESULT: PASS tests=1 status=0 bench"; else echo "VALON-VM-RESULT: FAIL tests=0 status=$status bench"; fi
  sync
  reboot -f
fi
filter=$(cat /test-filter)
/tests/valonPackageTests.xctest --testing-library swift-testing --filter "$filter" > /tmp/test.log 2>&1
status=$?
cat /tmp/test.log
# Swift Testing's summary: "Test run with N tests in M suites passed|failed after …".
tests=$(sed -n 's/.*Test run with \([0-9][0-9]*\) tests\{0,1\} .*/\1/p' /tmp/test.log | tail -n 1)
if [ "$status" -eq 0 ] && grep -q 'Test run with .* passed' /tmp/test.log; then
  echo "VALON-VM-RESULT: PASS tests=${tests:-0} status=$status"
else
  echo "VALON-VM-RESULT: FAIL tests=${tests:-0} status=$status"
fi
sync
reboot -f
