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
SUF=$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
DISC=vbd$SUF CLIENT=vbc$SUF
now() { date +%s.%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }

read -r DNSP APIP < <(fixtures_free_ports 2)
fixtures_etcd_start --max-txn-ops 100000 --max-request-bytes 33554432 --log-level error
EP=${FIXTURES_ETCD#http://127.0.0.1:}
export ETCDCTL_API=3

fixtures_wg_start "$DISC"
fixtures_wg_start "$CLIENT"
(umask 077; wg genkey >"$WORK/disc.key"; wg genkey >"$WORK/client.key")
wg set "$DISC" private-key "$WORK/disc.key" listen-port 0
ip link set "$DISC" up
wg set "$CLIENT" private-key "$WORK/client.key" listen-port 0
ip link set "$CLIENT" up

# Registry: PEERS (then BIG) peers in 100.64.0.0/16, each with a NAT endpoint.
register() {  # FROM TO, in transactions of at most 2,000 peers (etcdctl sends at most 2 MiB)
    local from=$1 to=$2
    while [ $((to - from)) -gt 2000 ]; do register_txn "$from" $((from + 2000)); from=$((from + 2000)); done
    register_txn "$from" "$to"
}
register_txn() {
    local from=$1 to=$2 batch="$WORK/txn"
    : >"$batch.keys"
    { echo; for ((i = from; i < to; i++)); do
        key=$(head -c32 /dev/urandom | base64)
        ip="100.64.$((i / 250 + 1)).$((i % 250 + 2))"
        echo "$key $ip p$i" >>"$batch.keys"
        echo "put /valon/peers/$key/wg_ip $ip"
        echo "put /valon/peers/$key/alias p$i"
        echo "put /valon/peers/$key/nat_endpoint 203.0.$((i / 250)).$((i % 250 + 1)):$((40000 + i % 20000))"
        echo "put /valon/aliases/p$i $key"
        echo "put /valon/ips/$ip $key"
      done; echo; echo; } >"$batch"
    etcdctl --endpoints=127.0.0.1:$EP txn <"$batch" >/dev/null
    cat "$batch.keys" >>"$WORK/peers"
}
: >"$WORK/peers"
register 0 "$PEERS"

cat >"$WORK/discovery.yml" <<YML
zone: valon.bench
etcd_endpoints: [http://127.0.0.1:$EP]
wg_interface: $DISC
ddns_listen: 127.0.0.1:$APIP
bind: [127.0.0.1]
port: $DNSP
axfr_allow: [127.0.0.0/8]
state_dir: $WORK/discovery-state
YML
"$BIN/valon-discovery" --config "$WORK/discovery.yml" --log-level notice >"$WORK/discovery.log" 2>&1 &
fixtures_remember $!
serial() { dig +short -p "$DNSP" @127.0.0.1 valon.bench SOA | awk '{print $3}'; }
for _ in $(seq 300); do [ -n "$(serial 2>/dev/null)" ] && break; sleep 0.1; done
[ -n "$(serial 2>/dev/null)" ] || { echo "client-sync.sh: valon-discovery did not answer; log: $(cat "$WORK/discovery.log")" >&2; exit 1; }
wait_registry() {  # COUNT: until the zone and the discovery interface hold COUNT peers
    until [ "$(wg show "$DISC" peers | wc -l)" -ge "$1" ]; do sleep 0.2; done
    until [ "$(dig +tcp -p "$DNSP" @127.0.0.1 valon.bench AXFR | grep -c 'TXT.*"pub=')" -ge "$1" ]; do sleep 0.2; done
}
wait_registry "$PEERS"

cat >"$WORK/client.conf" <<CONF
WG_INTERFACE=$CLIENT
DISCOVERY_PUBKEY=$(wg pubkey <"$WORK/disc.key")
DISCOVERY_ENDPOINT=127.0.0.1:$(wg show "$DISC" listen-port)
DISCOVERY_DNS=127.0.0.1:$DNSP
DISCOVERY_API=http://127.0.0.1:$APIP
DNS_ZONE=valon.bench
OWN_WG_IP=100.64.0.254
ALLOWED_IPS=100.64.0.0/16
PRIVATE_KEY_FILE=$WORK/client.key
CONF
sync() { "$BIN/valon-sync" --config "$WORK/client.conf" --state-dir "$WORK/state" --no-report --json "$@"; }

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
