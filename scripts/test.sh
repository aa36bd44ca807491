#!/usr/bin/env bash
# VALON's whole test suite, as CI runs it: installs what the tests need, builds, and runs
#   0. scripts/check-core-purity.sh: ValonCore imports no Glibc or C module, no DESIGN refs;
#   1. swift test: unit tables and integration tests against real etcd, NSD, wireguard-go,
#      network namespaces, with dig, wg, etcdctl and curl as oracles;
#   2. the DNS decoder under libFuzzer (scripts/fuzz-dns.sh);
#   3. the live DNS server under random and mutated packets (scripts/fuzz-dns-server.sh);
#   4. the netlink tests in a qemu VM against the kernel's WireGuard module (scripts/vm/);
#   5. the install paths: install.sh into a temporary root, the .debs (lintian, dpkg --root
#      into a debootstrap rootfs), the container deployment under podman (scripts/install-test.sh,
#      which makes the release build first);
#   6. the end-to-end mesh test: NAT routers, discovery node, three clients (scripts/e2e/);
#   7. side by side: the NAT matrix (cone and symmetric NATs, a carrier NAT, relayed pairs;
#      scripts/e2e/nat-matrix.sh) and several discovery nodes on one etcd (scripts/e2e/multi-node.sh).
# Needs root (network namespaces, WireGuard, apt). Ends with "N passed, N failed".
#
#   scripts/test.sh                 everything (as root)
#   FUZZ_SECONDS=10 scripts/test.sh shorter fuzz runs (CI uses the defaults)
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/test.sh needs root (network namespaces, WireGuard, apt); run it as root (a root shell or su -c '$0')" >&2
  exit 1
fi

scripts/install-deps.sh || { echo "test.sh: installing dependencies failed" >&2; exit 1; }

echo "== build"
swift build --build-tests || { echo "test.sh: build failed" >&2; exit 1; }

passed=0
failed=0
failures=()
step() {
  local name=$1; shift
  echo
  echo "== $name"
  local started=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    echo "== $name: passed ($((SECONDS - started)) s)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "== $name: FAILED ($((SECONDS - started)) s)"
  fi
}

step "pure core (scripts/check-core-purity.sh)" scripts/check-core-purity.sh
# The failing tests' lines are kept and printed again at the very end, where a CI log's
# tail shows them.
failed_tests=$(mktemp)
swift_test() {
  local log; log=$(mktemp)
  swift test --skip-build 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  grep -a '✘' "$log" | grep -av '^✘ Suite\|^✘ Test run' | head -40 >>"$failed_tests"
  rm -f "$log"
  return "$status"
}
step "swift test" swift_test
# The pure suites again, as an unprivileged user: they must need no root (a socket option
# only root may set once closed every DNS-over-TCP connection of a non-root node).
pure_as_nobody() {
  setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp TMPDIR=/tmp PATH="$PATH" \
    "$(swift build --show-bin-path)/valonPackageTests.xctest" --testing-library swift-testing --skip 'ProcessTests|RootTests'
}
step "pure suites as nobody" pure_as_nobody
step "fuzz: DNS decoder" scripts/fuzz-dns.sh "${FUZZ_SECONDS:-60}"
step "fuzz: live DNS server" scripts/fuzz-dns-server.sh "${FUZZ_SECONDS:-30}"
step "kernel WireGuard in a VM" scripts/vm/run-netlink-tests.sh --no-build
step "deployment units (systemd-analyze verify)" scripts/deployments-check.sh
step "install paths: install.sh, .debs, podman (scripts/install-test.sh)" scripts/install-test.sh
step "end-to-end mesh" scripts/e2e/mesh-test.sh
# The NAT matrix and the several-nodes test side by side: each waits mostly on timers (the
# relay's 15 s window, a 300 s quiet window), in namespaces of its own.
side_by_side() {
  local dir; dir=$(mktemp -d)
  scripts/e2e/nat-matrix.sh >"$dir/matrix.log" 2>&1 &
  local matrix=$!
  scripts/e2e/multi-node.sh >"$dir/nodes.log" 2>&1 &
  local nodes=$!
  local status=0
  wait "$matrix" || status=1
  wait "$nodes" || status=1
  echo "-- NAT matrix (scripts/e2e/nat-matrix.sh)"; cat "$dir/matrix.log"
  echo "-- several discovery nodes (scripts/e2e/multi-node.sh)"; cat "$dir/nodes.log"
  rm -rf "$dir"
  return "$status"
}
step "NAT matrix and several discovery nodes (scripts/e2e/nat-matrix.sh, multi-node.sh)" side_by_side

echo
if [ -s "$failed_tests" ]; then
  echo "failing tests (swift test):"
  cut -c1-400 "$failed_tests"
fi
rm -f "$failed_tests"
for name in "${failures[@]}"; do echo "failed: $name"; done
echo "steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
