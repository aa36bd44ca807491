#!/usr/bin/env bash
# The relay's data plane next to the path it replaces, in one invocation:
#
#   scripts/bench/relay.sh [SECONDS=10]
#
# Three network namespaces: a node and two clients A and B, each client joined to the node by
# its own veth pair, so A and B cannot reach each other's underlay. Each runs wireguard-go.
#   1. routed: A and B reach each other through the node's own WireGuard interface
#      (ip_forward on the node, both clients' AllowedIPs through the node's peer): every packet
#      is decrypted and encrypted again on the node;
#   2. relayed: A and B are each other's peers, their endpoint for each other a relay port on
#      the node (`valon-bench relay serve`, the RelayPort valon-discovery runs): the node
#      forwards ciphertext and never decrypts.
# For each: iperf3 TCP throughput A→B over the tunnel for SECONDS, ping RTT (50 pings), and the
# node's CPU seconds (wireguard-go's for routed, the relay process's for relayed) per GB moved.
# Needs root, wireguard-go, wg, iperf3, ping; builds valon-bench (BUILD=release by default).
# Cleans up what it started.
set -euo pipefail
SECONDS_RUN=${1:-10}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/fixtures.sh
source "$ROOT/scripts/lib/fixtures.sh"
fixtures_init valon-bench-relay
bench=$(fixtures_build valon-bench)
SUF=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
N=vrn$SUF A=vra$SUF B=vrb$SUF
NAMESPACES=()
cleanup_all() {
  fixtures_cleanup
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup_all EXIT
for ns in $N $A $B; do ip netns add "$ns"; NAMESPACES+=("$ns"); done
ip -n "$N" link set lo up
# Underlay: A 10.91.1.2 – node 10.91.1.1, B 10.91.2.2 – node 10.91.2.1.
for side in A B; do
  ns=${!side}; net=$([ "$side" = A ] && echo 1 || echo 2)
  ip link add "ul$side$SUF" netns "$N" type veth peer name ul0 netns "$ns"
  ip -n "$N" addr add "10.91.$net.1/24" dev "ul$side$SUF"; ip -n "$N" link set "ul$side$SUF" up
  ip -n "$ns" addr add "10.91.$net.2/24" dev ul0; ip -n "$ns" link set ul0 up; ip -n "$ns" link set lo up
done

wg_in() {  # NAMESPACE NAME: wireguard-go NAME inside NAMESPACE, until its socket exists
  WG_PROCESS_FOREGROUND=1 ip netns exec "$1" wireguard-go "$2" >"$FIXTURES_DIR/wg-$2.log" 2>&1 &
  WG_LAST_PID=$!
  fixtures_remember "$WG_LAST_PID"
  FIXTURES_WG+=("$2")
  for _ in $(seq 200); do [ -S "/var/run/wireguard/$2.sock" ] && return 0; sleep 0.05; done
  fixtures_log "wireguard-go $2: no socket"; return 1
}
(umask 077; for x in n a b; do wg genkey >"$FIXTURES_DIR/$x.key"; done)
pub() { wg pubkey <"$FIXTURES_DIR/$1.key"; }
KN=$(pub n) KA=$(pub a) KB=$(pub b)
wg_in "$N" "wgn$SUF"; NODE_WG_PID=$WG_LAST_PID
wg_in "$A" "wga$SUF"; wg_in "$B" "wgb$SUF"
ip netns exec "$N" wg set "wgn$SUF" private-key "$FIXTURES_DIR/n.key" listen-port 51820 \
  peer "$KA" allowed-ips 10.99.0.2/32 peer "$KB" allowed-ips 10.99.0.3/32
ip -n "$N" addr add 10.99.0.1/24 dev "wgn$SUF"; ip -n "$N" link set "wgn$SUF" up
ip netns exec "$N" sysctl -qw net.ipv4.ip_forward=1
for side in a b; do
  ns=$([ $side = a ] && echo "$A" || echo "$B"); net=$([ $side = a ] && echo 1 || echo 2)
  ip=$([ $side = a ] && echo 10.99.0.2 || echo 10.99.0.3); other=$([ $side = a ] && echo 10.99.0.3 || echo 10.99.0.2)
  ip netns exec "$ns" wg set "wg$side$SUF" private-key "$FIXTURES_DIR/$side.key" listen-port 51820 \
    peer "$KN" endpoint "10.91.$net.1:51820" allowed-ips "10.99.0.1/32,$other/32" persistent-keepalive 25
  ip -n "$ns" addr add "$ip/24" dev "wg$side$SUF"; ip -n "$ns" link set "wg$side$SUF" up
done

cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, in clock ticks
ticks=$(getconf CLK_TCK)
measure() {  # LABEL CPU-PID-OR-EMPTY: throughput, RTT, node CPU per GB
  local label=$1 pid=$2 before after json bits bytes rtt
  ip netns exec "$A" ping -c 3 -W 2 10.99.0.3 >/dev/null
  ip netns exec "$B" iperf3 -s -1 -B 10.99.0.3 >/dev/null 2>&1 &
  local server=$!; sleep 0.5
  [ -n "$pid" ] && before=$(cpu_of "$pid")
  json=$(ip netns exec "$A" iperf3 -c 10.99.0.3 -t "$SECONDS_RUN" -J)
  [ -n "$pid" ] && after=$(cpu_of "$pid")
  wait "$server" 2>/dev/null || true
  bits=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"])' <<<"$json")
  bytes=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bytes"])' <<<"$json")
  rtt=$(ip netns exec "$A" ping -c 50 -i 0.05 -q 10.99.0.3 | awk -F'/' '/rtt/ {print $5}')
  printf '%s: iperf3 %.1f Mbit/s, ping avg %s ms' "$label" "$(awk -v b="$bits" 'BEGIN{print b/1e6}')" "$rtt"
  if [ -n "$pid" ]; then
    awk -v a="$after" -v b="$before" -v t="$ticks" -v n="$bytes" 'BEGIN { printf ", node CPU %.2f s for %.2f GB = %.2f s/GB\n", (a-b)/t, n/1e9, ((a-b)/t)/(n/1e9) }'
  else
    echo
  fi
}

echo "== routed through the node's WireGuard interface (decrypt + encrypt on the node)"
measure routed "$NODE_WG_PID"

echo "== relayed by a relay port on the node (ciphertext forwarded)"
for side in a b; do
  ns=$([ $side = a ] && echo "$A" || echo "$B"); net=$([ $side = a ] && echo 1 || echo 2)
  ip netns exec "$ns" wg set "wg$side$SUF" peer "$KN" allowed-ips 10.99.0.1/32
done
ip netns exec "$N" "$bench" relay serve --port 51821 --first "$KA@10.91.1.2" --second "$KB@10.91.2.2" --seconds 600 \
  >"$FIXTURES_DIR/relay.out" 2>&1 &
RELAY_PID=$!
fixtures_remember "$RELAY_PID"
for _ in $(seq 100); do grep -q listening "$FIXTURES_DIR/relay.out" 2>/dev/null && break; sleep 0.05; done
ip netns exec "$A" wg set "wga$SUF" peer "$KB" endpoint 10.91.1.1:51821 allowed-ips 10.99.0.3/32 persistent-keepalive 25
ip netns exec "$B" wg set "wgb$SUF" peer "$KA" endpoint 10.91.2.1:51821 allowed-ips 10.99.0.2/32 persistent-keepalive 25
for _ in $(seq 40); do ip netns exec "$A" ping -c 1 -W 1 10.99.0.3 >/dev/null 2>&1 && break; done
measure relayed "$RELAY_PID"
kill -TERM "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null || true
echo "relay counters: $(tail -1 "$FIXTURES_DIR/relay.out")"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
