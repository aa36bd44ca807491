#!/usr/bin/env bash
# End-to-end test of the whole VALON mesh on one machine (needs root): the topology of
# scripts/lib/mesh-topology.sh, a three-member etcd, wireguard-go, valon-discovery, valonctl,
# valon-bootstrap and valon-sync --follow, all real. Each check prints PASS or FAIL with its
# name; the last line is "N passed, N failed"; the exit status is non-zero on any failure.
#
# Usage (as root): scripts/e2e/mesh-test.sh [BIN_DIR]   (default: swift build --show-bin-path)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MESH_BIN=${1:-$(cd "$ROOT" && swift build --show-bin-path)}
for tool in valonctl valon-discovery valon-sync valon-bootstrap; do
  [[ -x $MESH_BIN/$tool ]] || { echo "mesh-test: $MESH_BIN/$tool missing (swift build first)" >&2; exit 2; }
done
MESH_PREFIX=${MESH_PREFIX:-vt$((RANDOM % 90 + 10))}
MESH_ETCD_MEMBERS=3
MESH_FOLLOW_INTERVAL=1
source "$ROOT/scripts/lib/mesh.sh"

source "$ROOT/scripts/lib/checks.sh"
finish() {
  mesh_down quiet
  checks_summary
}
trap 'finish; exit $?' EXIT
trap 'exit 130' INT TERM


endpoint_is() { mesh_endpoint_is "$@"; }
handshake_on() { # A has a handshake on B's own peer entry (direct, not via the discovery node)
  local t; t=$(mesh_peer_field "$1" "$2" handshake); [[ -n $t && $t != 0 ]]
}
has_peer() { [[ -n $(mesh_peer_field "$1" "$2" endpoint) ]]; }
lacks_peer() { ! has_peer "$1" "$2"; }
everyone_pings() { mesh_everyone_pings "$@"; }
show_state() { local c; for c in $MESH_CLIENTS; do echo "   $c:"; mesh_in "$c" wg show "$(mesh_client_if "$c")" dump | cut -f1,3,4,5 | sed 's/^/      /'; done; }

if ! mesh_up 2>"$MESH_DIR.up.log"; then
  cat "$MESH_DIR.up.log" >&2
  check "mesh comes up (3-member etcd, valon-discovery, 3 clients bootstrapped)" false
  exit 1
fi
rm -f "$MESH_DIR.up.log"
check "mesh comes up (3-member etcd, valon-discovery, 3 clients bootstrapped)" true

check "every client pings every other over the tunnel" everyone_pings 40
check "c1 -> c2 (same NAT) uses c2's LAN endpoint" poll 20 endpoint_is c1 c2 LAN
check "c2 -> c1 (same NAT) uses c1's LAN endpoint" poll 20 endpoint_is c2 c1 LAN
for pair in "c1 c3" "c3 c1" "c2 c3" "c3 c2"; do
  set -- $pair
  check "$1 -> $2 (across NATs) uses $2's NAT endpoint" poll 20 endpoint_is "$1" "$2" NAT
  check "$1 has a direct handshake with $2 (wg dump latest-handshake on $2's peer)" poll 20 handshake_on "$1" "$2"
done
registry_count() { # registry_count FIELD: peers in `valonctl peer list --json` with FIELD set
  mesh_valonctl peer list --json | grep -c "\"$1\" : \""
}
check "valon-discovery learned every client's NAT endpoint (valonctl peer list)" poll 20 eval '[[ $(registry_count nat_endpoint) == 3 ]]'
check "every client reported its LAN endpoint (valonctl peer list)" poll 20 eval '[[ $(registry_count lan_endpoint) == 3 ]]'

# Examples/peer-endpoint (ValonKit embedded) against the live discovery DNS, from c1.
if [[ -x $MESH_BIN/peer-endpoint ]]; then
  peer_endpoint() { mesh_in c1 "$MESH_BIN/peer-endpoint" "$MESH_DISC_IP" "$MESH_ZONE" "$@"; }
  check "peer-endpoint on c1: c2 is reached at its LAN endpoint (connected subnet)" \
    eval '[[ $(peer_endpoint c2) == "c2 192.168.1.12:51820 lan lan-connected-subnet" ]]'
  check "peer-endpoint on c1 with --nat 203.0.113.10 --subnet 10.9.0.0/16: c2 by the same NAT" \
    eval '[[ $(peer_endpoint c2 --nat 203.0.113.10 --subnet 10.9.0.0/16) == "c2 192.168.1.12:51820 lan lan-same-nat" ]]'
  check "peer-endpoint on c1: c3 is reached at its NAT endpoint" \
    eval '[[ $(peer_endpoint c3) == "c3 $(mesh_peer_field c1 c3 endpoint) nat nat" ]]'
  check "peer-endpoint on c1: an unknown alias exits 3" eval 'peer_endpoint nobody >/dev/null 2>&1; [[ $? == 3 ]]'
else
  check "Examples/peer-endpoint is built ($MESH_BIN/peer-endpoint)" false
fi

# valon-discovery stops and starts again: the mesh keeps working throughout.
mesh_discovery_stop
check "valon-discovery is stopped (no DNS answer on the discovery node)" \
  bash -c "! ip netns exec $(mesh_ns disc) dig +short +time=1 +tries=1 @127.0.0.1 c1.$MESH_ZONE A | grep -qE '^[0-9.]+$'"
check "with valon-discovery stopped, every client still pings every other" everyone_pings 10
mesh_discovery_start 2>/dev/null
check "valon-discovery restarted answers DNS" \
  bash -c "ip netns exec $(mesh_ns disc) dig +short @127.0.0.1 c1.$MESH_ZONE A | grep -qx '$(mesh_wgip c1)'"
check "after restarting valon-discovery, every client pings every other" everyone_pings 20

# One of the three etcd members stops: nothing changes.
mesh_etcd_member_stop 0
check "etcd member 0 is stopped (etcdctl sees it unhealthy)" \
  bash -c "! ip netns exec $(mesh_ns disc) etcdctl --endpoints http://127.0.0.1:2379 endpoint health >/dev/null 2>&1"
check "with etcd member 0 stopped, valon-discovery answers DNS" \
  bash -c "ip netns exec $(mesh_ns disc) dig +short @127.0.0.1 c3.$MESH_ZONE A | grep -qx '$(mesh_wgip c3)'"
check "with etcd member 0 stopped, valonctl peer list lists every client" eval '[[ $(registry_count alias) == 3 ]]'
check "with etcd member 0 stopped, every client pings every other" everyone_pings 20

# A client moves: c2 unplugs from NAT 1's LAN and plugs in behind NAT 2 as 192.168.2.12.
topo_move_client "$MESH_PREFIX" c2 2 12
# Reachable within the --follow interval plus one handshake: polled, bounded.
check "after c2 moves behind NAT 2, c3 reaches c2" mesh_wait_ping c3 c2 12
check "after c2 moves behind NAT 2, c2 reaches c3" mesh_wait_ping c2 c3 12
check "after c2 moves behind NAT 2, c1 reaches c2" mesh_wait_ping c1 c2 12
check "after c2 moves behind NAT 2, c2 reaches c1" mesh_wait_ping c2 c1 12
check "after the move, c3 -> c2 (now the same NAT) uses c2's LAN endpoint" poll 20 endpoint_is c3 c2 LAN
check "after the move, c1 -> c2 (now across NATs) uses c2's NAT endpoint" poll 20 endpoint_is c1 c2 NAT
# Whatever the bound above said, the mesh must settle: docs/ARCHITECTURE.md §4 keeps an endpoint with a
# handshake younger than 180 s, so allow that much and a sync more (bounded polls).
check "after the move, the mesh settles (every client pings every other, hysteresis bound)" everyone_pings 90

# Every pair here has a working direct path, so none was relayed (valon-sync asks for a relay
# only when a direct path gets no handshake for 15 s, docs/ARCHITECTURE.md §10).
check "no pair with a working direct path was relayed (valonctl relay list)" \
  eval '[[ $(mesh_valonctl relay list 2>&1) == "No relayed pairs." ]]'

# valonctl peer remove: c3 disappears from every client.
mesh_valonctl peer remove c3 >/dev/null 2>&1
check "valonctl peer remove c3: c1 drops c3" poll 40 lacks_peer c1 c3
check "valonctl peer remove c3: c2 drops c3" poll 40 lacks_peer c2 c3
check "valonctl peer remove c3: the discovery node's DNS answers NXDOMAIN for c3" \
  bash -c "ip netns exec $(mesh_ns disc) dig @127.0.0.1 c3.$MESH_ZONE A | grep -q 'status: NXDOMAIN'"
check "after removing c3, c1 and c2 still ping each other" mesh_wait_ping c1 c2 20


# NOTIFY (docs/ARCHITECTURE.md §12): c1 follows with --interval 300, so after its first run
# nothing but a push from the discovery node can bring it a change within seconds.
notify_port=53530
c1_log=$MESH_DIR/c1/sync.log
kill "$(cat "$MESH_DIR/c1/sync.pid")" 2>/dev/null; wait "$(cat "$MESH_DIR/c1/sync.pid")" 2>/dev/null
# Every run saves the state file (its summary on stdout is block-buffered into the log): an
# old mtime that turns new says the restarted valon-sync has finished its first run.
c1_state=$MESH_DIR/c1/state/$(mesh_client_if c1).state.json
touch -d @946684800 "$c1_state"
MESH_FOLLOW_INTERVAL=300 mesh_sync_start c1
c1_listening() { grep -q "listening for NOTIFY on $(mesh_wgip c1):$notify_port" "$c1_log"; }
c1_ran_once() { (($(stat -c %Y "$c1_state") > 946684800)); }
check "c1's valon-sync --follow --interval 300 listens for NOTIFY on its WireGuard address" poll 20 c1_listening
check "c1's restarted valon-sync has run its first sync" poll 20 c1_ran_once
c1_udp_sockets() { mesh_in c1 ss -Hulnp | grep "pid=$(cat "$MESH_DIR/c1/sync.pid")," | awk '{ print $4 }'; }
check "valon-sync opens nothing but the NOTIFY socket on c1 (ss -ulnp)" \
  eval '[[ $(c1_udp_sockets) == "$(mesh_wgip c1):$notify_port" ]]'
pushed_key=$(wg genkey | wg pubkey)
c1_has_pushed() { mesh_in c1 wg show "$(mesh_client_if c1)" peers | grep -qxF "$pushed_key"; }
push_start=$(date +%s%N)
mesh_valonctl peer add "$pushed_key" --alias pushed >/dev/null
pushed=false
for ((i = 0; i < 200; i++)); do c1_has_pushed && { pushed=true; break; }; sleep 0.05; done
echo "      measured: peer add -> c1 (--interval 300) $((($(date +%s%N) - push_start) / 1000000)) ms"
# 10 s is 30 times shorter than c1's interval: only the NOTIFY can explain it.
check "valonctl peer add reaches c1 (following with --interval 300) within 10 s: pushed by NOTIFY" $pushed
c2_has_pushed() { mesh_in c2 wg show "$(mesh_client_if c2)" peers | grep -qxF "$pushed_key"; }
check "the pushed peer reaches c2 too" poll 20 c2_has_pushed
mesh_valonctl peer remove pushed >/dev/null 2>&1
c1_lacks_pushed() { ! c1_has_pushed; }
check "valonctl peer remove reaches c1 (--interval 300) too" poll 20 c1_lacks_pushed

# Bad input on c1's NOTIFY port, through the real tunnels (dig +opcode=notify, as any DNS
# primary would send it).
notify_dig() { # notify_dig NAMESPACE SOURCE ZONE: dig's header line, or "no answer"
  local out
  out=$(mesh_in "$1" dig ${2:+-b "$2"} @"$(mesh_wgip c1)" -p "$notify_port" +opcode=notify +tries=1 +time=2 "$3" SOA 2>&1) || { echo "no answer"; return; }
  grep -o 'opcode: [A-Z]*, status: [A-Z]*' <<<"$out" || echo "no answer"
}
check "a NOTIFY from the discovery node's address ($MESH_DISC_IP) is answered NOERROR" \
  eval '[[ $(notify_dig disc "$MESH_DISC_IP" "$MESH_ZONE") == "opcode: NOTIFY, status: NOERROR" ]]'
check "a NOTIFY for another zone from the discovery node is answered REFUSED" \
  eval '[[ $(notify_dig disc "$MESH_DISC_IP" example.com) == "opcode: NOTIFY, status: REFUSED" ]]'
check "a NOTIFY from another peer (c2, $(mesh_wgip c2)) gets no answer" \
  eval '[[ $(notify_dig c2 "" "$MESH_ZONE") == "no answer" ]]'
c1_logged() { grep -q "$1" "$c1_log"; }
check "c1 logs the datagram from c2 as not a discovery node's" poll 10 c1_logged "ignored a datagram from $(mesh_wgip c2):"
mesh_in disc python3 -c "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('$MESH_DISC_IP', 0)); s.sendto(b'\\x12\\x34junk', ('$(mesh_wgip c1)', $notify_port))"
check "a malformed datagram from the discovery node is dropped and logged" poll 10 c1_logged "dropped a malformed datagram from $MESH_DISC_IP:"
check "c1 still pings c2 after the bad input" mesh_wait_ping c1 c2 10
node_metrics() { mesh_in c1 curl -s --max-time 5 "http://$MESH_DISC_IP:8053/metrics"; }
check "the node's /metrics counts answered NOTIFY" \
  eval 'node_metrics | grep -qE "^valon_notify_answered_total\{rcode=\"NOERROR\"\} [1-9]"'
