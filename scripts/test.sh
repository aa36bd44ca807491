#!/usr/bin/env bash
# VALON's whole test suite, as CI runs it: installs what the tests need, builds,
# runs the unit and integration tests (real etcd, NSD, wireguard-go, dig, wg),
# the DNS decoder fuzzer, and the kernel-WireGuard tests in a qemu VM.
# Needs root (network namespaces, wireguard-go, apt).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/test.sh needs root (network namespaces, WireGuard, apt); try: sudo $0" >&2
  exit 1
fi

scripts/install-deps.sh

echo "== build"
swift build --build-tests

echo "== swift test"
swift test --skip-build

for extra in scripts/fuzz-dns.sh scripts/vm/run-netlink-tests.sh; do
  if [ -x "$extra" ]; then
    echo "== $extra"
    "$extra"
  fi
done
