#!/usr/bin/env bash
# Applying 1,000 and 10,000 peers to wireguard-go through ValonKit's userspace (UAPI)
# backend, side by side with `wg setconf` of the same peers (same wireguard-go binary,
# same network namespace, a fresh device for every run), then reading them back with our
# get and with `wg show dump`. Results go to docs/performance/wireguard.md by hand.
# Needs root (network namespaces, /dev/net/tun). Usage: scripts/bench/wg-uapi.sh [N...] [--rounds R]
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/bench/wg-uapi.sh needs root (network namespaces, wireguard-go)" >&2
  exit 1
fi
for tool in wireguard-go wg ip; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install wireguard-go wireguard-tools iproute2)" >&2; exit 1; }
done

# shellcheck source=../lib/fixtures.sh
source scripts/lib/fixtures.sh
bench=$(fixtures_build valon-bench)   # the bench starts its own wireguard-go devices
if [ "$#" -eq 0 ]; then set -- 1000 10000 --rounds 5; fi
exec "$bench" wg-uapi "$@"
