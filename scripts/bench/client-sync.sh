#!/usr/bin/env bash
# valon-sync against a live valon-discovery, side by side with what the seed's bash client did.
#
#   scripts/bench/client-sync.sh [PEERS=1000] [BIG=10000]
#
# Starts etcd (loopback), a discovery wireguard-go interface and valon-discovery (DNS on
# loopback, AXFR allowed there), registers PEERS peers (etcdctl txn batches), then measures on a
# fresh client wireguard-go interface:
#   1. valon-sync, full sync of PEERS peers into an empty device (one AXFR, one UAPI set);
#   2. the seed's way: per peer `dig` for TXT, SRV and the nated/lan A records, then `wg set`;
#   3. a valon-sync run with no change (one SOA query);
#   4. with BIG peers: valon-sync from empty (and its --dry-run, without the apply) next to
#      `wg setconf` of the same peers.
# Needs root, etcd, etcdctl, wireguard-go, wg, dig; the binaries from `swift build`
# (BUILD=release for release ones; SWIFT_SCRATCH_PATH for another build directory).
# Cleans up what it started.
set -euo pipefail
PEERS=${1:-1000}
BIG=${2:-10000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${SWIFT_SCRATCH_PATH:-$ROOT/.build}/${BUILD:-debug}
for tool in valon-discovery valon-sync; do
  [ -x "$BIN/$tool" ] || { echo "client-sync.sh: no $BIN/$tool; build it first: swift build -c ${BUILD:-debug}" >&2; exit 1; }
done
# shellcheck source=../lib/fixtures.sh
source "$ROOT/scripts/lib/fixtures.sh"
fixtures_init valon-bench-client
WORK=$FIXTURES_DIR
now() { date +%s.%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }

# shellcheck source=../lib/bench-registry.sh
source "$ROOT/scripts/lib/bench-registry.sh"
bench_registry_start "$PEERS"

echo "== $PEERS peers, full sync into an empty device (${BUILD:-debug} build)"
t0=$(now); out=$(sync); t1=$(now)
echo "valon-sync: $(ms "$t0" "$t1") ms  $out" | cut -c1-220
[ "$(wg show "$CLIENT" peers | wc -l)" -eq "$PEERS" ] || { echo "expected $PEERS peers"; exit 1; }
VALON_FULL=$(ms "$t0" "$t1")

echo "== the same with the seed's per-peer dig + wg set loop"
wg set "$CLIENT" $(wg show "$CLIENT" peers | sed 's/^/peer /; s/$/ remove/' | tr '\n' ' ')
t0=$(now)
# The peers by alias, as the seed's client knew them (one DNS-SD PTR answer for 1,000 peers
# would not fit a DNS message).
for name in $(awk '{print $3}' "$WORK/peers"); do
    instance=$name._wireguard._udp.valon.bench
    txt=$(dig +short -p "$DNSP" @127.0.0.1 "$instance" TXT)
    pub=$(sed -n 's/.*"pub=\([^"]*\)".*/\1/p' <<<"$txt"); wgip=$(sed -n 's/.*"wg_ip=\([^"]*\)".*/\1/p' <<<"$txt")
    srv=$(dig +short -p "$DNSP" @127.0.0.1 "_wireguard._udp.$name.valon.bench" SRV)
    natport=$(awk '$1 == 10 { print $3 }' <<<"$srv"); lanport=$(awk '$1 == 0 { print $3 }' <<<"$srv")
    nat=$(dig +short -p "$DNSP" @127.0.0.1 "nated.$name.valon.bench" A)
    lan=$(dig +short -p "$DNSP" @127.0.0.1 "lan.$name.valon.bench" A)
    endpoint=""
    if [ -n "$lan" ] && [ -n "$lanport" ]; then endpoint="$lan:$lanport"; fi
    if [ -n "$nat" ] && [ -n "$natport" ]; then endpoint="$nat:$natport"; fi
    wg set "$CLIENT" peer "$pub" allowed-ips "$wgip/32" ${endpoint:+endpoint $endpoint} persistent-keepalive 25
done
t1=$(now)
[ "$(wg show "$CLIENT" peers | wc -l)" -eq "$PEERS" ] || { echo "bash loop: expected $PEERS peers"; exit 1; }
BASH_FULL=$(ms "$t0" "$t1")
echo "bash loop: $BASH_FULL ms"
echo "speed-up: $(awk -v a="$BASH_FULL" -v b="$VALON_FULL" 'BEGIN { printf "%.0fx", a / b }')"

echo "== no change (after one sync that records the serial)"
sync >/dev/null
t0=$(now); out=$(sync); t1=$(now)
echo "valon-sync: $(ms "$t0" "$t1") ms  $out"

echo "== $BIG peers: valon-sync from empty next to wg setconf of the same peers"
register "$PEERS" "$BIG"
wait_registry "$BIG"
wg set "$CLIENT" $(wg show "$CLIENT" peers | sed 's/^/peer /; s/$/ remove/' | tr '\n' ' '); rm -rf "$WORK/state"
# What the apply leaves out: the same run without the UAPI set (it prints every planned peer).
t0=$(now); sync --dry-run >/dev/null; t1=$(now)
echo "valon-sync --dry-run (AXFR, parse, plan, JSON of every peer; no apply): $(ms "$t0" "$t1") ms"
t0=$(now); out=$(sync); t1=$(now)
[ "$(wg show "$CLIENT" peers | wc -l)" -eq "$BIG" ] || { echo "expected $BIG peers"; exit 1; }
echo "valon-sync: $(ms "$t0" "$t1") ms  $(cut -c1-160 <<<"$out")"
wg showconf "$CLIENT" >"$WORK/big.conf"
wg set "$CLIENT" $(wg show "$CLIENT" peers | sed 's/^/peer /; s/$/ remove/' | tr '\n' ' ')
t0=$(now); wg setconf "$CLIENT" "$WORK/big.conf"; t1=$(now)
echo "wg setconf: $(ms "$t0" "$t1") ms"
