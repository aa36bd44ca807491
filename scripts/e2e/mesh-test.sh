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

