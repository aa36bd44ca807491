#!/usr/bin/env bash
# Several discovery nodes on one etcd cluster (docs/ARCHITECTURE.md §11), end to end: the mesh
# of scripts/lib/mesh.sh with a three-member etcd listening on the test internet, a second
# discovery node (namespace PREFIXdisc2, 203.0.113.2, WireGuard 100.100.0.2), and the three
# clients behind the two NATs. Checks:
#   - both nodes register (valonctl discovery list, etcdctl), the zone lists both
#     (discovery.<zone> A, _discovery._udp SRV and TXT, the AXFR), every client has both as peers;
#   - for FLAP_SECONDS (default 300) with both nodes up, nat_endpoint of each peer is written
#     at most once (etcdctl watch counts the writes);
#   - node 1 stops: `valonctl peer add` on node 2 reaches every client; a client booted from
#     nothing with node 2 in DISCOVERY_FALLBACKS comes up through it; a client that moves is
#     reachable again; a client-to-client ping runs throughout (the longest gap is printed);
#   - node 1 starts again and node 2 stops: the same, and one etcd member stops meanwhile;
#   - node 1 is killed with SIGKILL: its record disappears after the lease TTL and node 2's
#     zone stops listing it;
#   - a client's NAT turns symmetric: the peer is marked nat_kind=symmetric within a poll.
# Each check prints PASS or FAIL; the last line is "N passed, N failed".
#
# Usage (as root): scripts/e2e/multi-node.sh [BIN_DIR]
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MESH_BIN=${1:-$(cd "$ROOT" && swift build --show-bin-path)}
for tool in valonctl valon-discovery valon-sync valon-bootstrap; do
  [[ -x $MESH_BIN/$tool ]] || { echo "multi-node: $MESH_BIN/$tool missing (swift build first)" >&2; exit 2; }
done
MESH_PREFIX=${MESH_PREFIX:-vn$((RANDOM % 90 + 10))}
MESH_ETCD_MEMBERS=3
MESH_ETCD_HOST=203.0.113.1
MESH_FOLLOW_INTERVAL=1
MESH_LEASE_TTL=5s
FLAP_SECONDS=${FLAP_SECONDS:-300}
TOPO_SECOND_DISCOVERY=1
source "$ROOT/scripts/lib/mesh.sh"

DISC2_IP=100.100.0.2
DISC2_ENDPOINT=203.0.113.2:51820

source "$ROOT/scripts/lib/checks.sh"
show_state() {
  local c
  for c in $MESH_CLIENTS; do
    echo "   $c:"
    mesh_in "$c" wg show "$(mesh_client_if "$c")" dump 2>/dev/null | cut -f1,3,4,5 | sed 's/^/      /'
    tail -n 2 "$MESH_DIR/$c/sync.log" 2>/dev/null | cut -c1-400 | sed 's/^/      sync: /'
  done
  etcdctl_ get --prefix /valon/peers/ 2>/dev/null | paste - - | grep -E "nat_|lan_" | sed 's/^/   etcd: /'
  etcdctl_ get --prefix /valon/relays/ 2>/dev/null | paste - - | sed 's/^/   etcd: /'
  mesh_in disc2 curl -s "http://$DISC2_IP:8053/metrics" 2>/dev/null | grep '^valon_relay' | sed 's/^/   node 2: /'
  mesh_in disc curl -s "http://$MESH_DISC_IP:8053/metrics" 2>/dev/null | grep '^valon_relay' | sed 's/^/   node 1: /'
}
finish() {
  [[ -n ${watcher:-} ]] && kill "$watcher" 2>/dev/null
  [[ -n ${pinger:-} ]] && kill "$pinger" 2>/dev/null
  mesh_down quiet
  checks_summary
}
trap 'finish; exit $?' EXIT
trap 'exit 130' INT TERM

etcdctl_() { mesh_in disc etcdctl --endpoints "$(mesh_etcd_endpoints)" "$@"; }

# The second node: its WireGuard interface, configs and valon-discovery, in PREFIXdisc2.
disc2_if() { echo "${MESH_PREFIX}wd2"; }
disc2_up() {
  "$MESH_BIN/valonctl" genkey >"$MESH_DIR/disc2.key"
  chmod 600 "$MESH_DIR/disc2.key"
  "$MESH_BIN/valonctl" pubkey <"$MESH_DIR/disc2.key" >"$MESH_DIR/disc2.pub"
  WG_PROCESS_FOREGROUND=1 ip netns exec "$(mesh_ns disc2)" wireguard-go -f "$(disc2_if)" >"$MESH_DIR/wireguard-go-disc2.log" 2>&1 &
  mesh_remember $!
  local tries
  for ((tries = 0; tries < 50; tries++)); do [[ -S /var/run/wireguard/$(disc2_if).sock ]] && break; sleep 0.1; done
  mesh_in disc2 wg set "$(disc2_if)" private-key "$MESH_DIR/disc2.key" listen-port 51820
  mesh_in disc2 ip addr add "$DISC2_IP/24" dev "$(disc2_if)"
  mesh_in disc2 ip link set "$(disc2_if)" up
  sed -e "s|interface: $(mesh_disc_if)|interface: $(disc2_if)|" -e "s|ip: $MESH_DISC_IP|ip: $DISC2_IP|" \
    -e "s|endpoint: $MESH_DISC_ENDPOINT|endpoint: $DISC2_ENDPOINT|" -e "s|http://$MESH_DISC_IP:8053|http://$DISC2_IP:8053|" \
    "$MESH_DIR/valonctl.yml" >"$MESH_DIR/valonctl2.yml"
  sed -e "s|wg_interface: $(mesh_disc_if)|wg_interface: $(disc2_if)|" -e "s|ddns_listen: $MESH_DISC_IP:8053|ddns_listen: $DISC2_IP:8053|" \
    -e "s|bind: \[$MESH_DISC_IP, 127.0.0.1\]|bind: [$DISC2_IP, 127.0.0.1]|" -e "s|state_dir: .*|state_dir: $MESH_DIR/discovery2-state|" \
    -e "s|advertise_endpoint: .*|advertise_endpoint: $DISC2_ENDPOINT|" "$MESH_DIR/discovery.yml" >"$MESH_DIR/discovery2.yml"
  disc2_start
}
disc2_start() {
  ip netns exec "$(mesh_ns disc2)" "$MESH_BIN/valon-discovery" --config "$MESH_DIR/discovery2.yml" >>"$MESH_DIR/discovery2.log" 2>&1 &
  echo $! >"$MESH_DIR/discovery2.pid"
  mesh_remember $!
  poll 40 eval 'mesh_in disc2 dig +short +time=1 +tries=1 @127.0.0.1 "$MESH_ZONE" SOA 2>/dev/null | grep -q .'
}
disc2_stop() { local pid; pid=$(cat "$MESH_DIR/discovery2.pid"); kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
valonctl2() { mesh_in disc2 "$MESH_BIN/valonctl" "$@" --config "$MESH_DIR/valonctl2.yml"; }

has_key() { # has_key CLIENT KEY: the client's interface has a peer with KEY
  mesh_in "$1" wg show "$(mesh_client_if "$1")" dump 2>/dev/null | awk -v k="$2" '$1 == k { found = 1 } END { exit !found }'
}
handshake_with_key() { # a fresh handshake with the peer KEY on CLIENT
  local t; t=$(mesh_in "$1" wg show "$(mesh_client_if "$1")" dump 2>/dev/null | awk -v k="$2" '$1 == k { print $5 }')
  [[ -n $t && $t != 0 && $(($(date +%s) - t)) -lt 180 ]]
}
everyone_has_key() { local c; for c in $MESH_CLIENTS; do has_key "$c" "$1" || return 1; done; }
everyone_handshakes_with() { local c; for c in $MESH_CLIENTS; do handshake_with_key "$c" "$1" || return 1; done; }
registered_nodes() { etcdctl_ get --prefix --keys-only /valon/discovery/ | grep -c '/wg_ip$'; }
everyone_pings() { mesh_everyone_pings "$@"; }
# add_peer_reaches_all NODE_CTL NAME: a new key registered on one node reaches every client; prints the time.
add_peer_reaches_all() {
  local ctl=$1 name=$2 key start
  key=$("$MESH_BIN/valonctl" genkey | "$MESH_BIN/valonctl" pubkey)
  start=$(date +%s.%N)
  "$ctl" peer add "$key" --alias "$name" >/dev/null || return 1
  poll 16 everyone_has_key "$key" || return 1
  echo "      measured: $name reached every client $(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { printf "%.1f", a - b }') s after peer add"
}
# The longest gap between ping answers in a ping -D log, in seconds.
longest_gap() {
  awk -F'[][]' '/bytes from/ { t = $2 + 0; if (last && t - last > gap) gap = t - last; last = t } END { printf "%.1f", gap + 0 }' "$1"
}

if ! mesh_up 2>"$MESH_DIR.up.log"; then
  cat "$MESH_DIR.up.log" >&2
  check "mesh comes up (3-member etcd on the internet, node 1, 3 clients)" false
  exit 1
fi
rm -f "$MESH_DIR.up.log"
check "mesh comes up (3-member etcd on the internet, node 1, 3 clients)" true
disc1_key=$(cat "$MESH_DIR/disc.pub")
check "node 2 comes up in $(mesh_ns disc2) and answers DNS" disc2_up
disc2_key=$(cat "$MESH_DIR/disc2.pub")

check "both nodes registered under /valon/discovery/ (etcdctl)" poll 20 eval '[[ $(registered_nodes) == 2 ]]'
check "node 2 claimed its address under /valon/ips/ (etcdctl)" \
  eval '[[ $(etcdctl_ get --print-value-only /valon/ips/$DISC2_IP) == "$disc2_key" ]]'
check "valonctl discovery list on node 2 shows both nodes answering DNS and API" \
  poll 20 eval '[[ $(valonctl2 discovery list --json | python3 -c "import json,sys; print(sum(1 for n in json.load(sys.stdin) if n[\"answers_dns\"] and n[\"answers_api\"] and n[\"lease_ttl\"]))") == 2 ]]'
check "discovery.$MESH_ZONE A on node 1 lists both nodes (dig)" \
  poll 20 eval '[[ $(mesh_in disc dig +short @127.0.0.1 discovery.$MESH_ZONE A | sort | tr "\n" " ") == "$MESH_DISC_IP $DISC2_IP " ]]'
check "_discovery._udp.$MESH_ZONE SRV on node 2: one per node, to each endpoint's port (dig)" \
  eval '[[ $(mesh_in disc2 dig +short @127.0.0.1 _discovery._udp.$MESH_ZONE SRV | grep -c " 51820 ") == 2 ]]'
check "_discovery._udp.$MESH_ZONE TXT names node 2's key and address (dig)" \
  eval 'mesh_in disc dig +short @127.0.0.1 _discovery._udp.$MESH_ZONE TXT | grep -F "\"pub=$disc2_key\"" | grep -qF "\"wg_ip=$DISC2_IP\""'
check "the AXFR from node 1 carries both nodes' TXT (dig AXFR)" \
  eval '[[ $(mesh_in disc dig @127.0.0.1 $MESH_ZONE AXFR | grep -c "_discovery._udp.$MESH_ZONE.*TXT") == 2 ]]'
check "every client has node 2 as a peer with a handshake (learned from the zone)" poll 40 everyone_handshakes_with "$disc2_key"
check "every client pings every other" everyone_pings 40
# measure_failover KEY NAME START: waits until every client's last sync went through the node
# KEY, and prints how long after START (the other node's stop) that was.
active_is() { state_json "$1" | python3 -c 'import json, sys; sys.exit(0 if json.load(sys.stdin).get("activeDiscovery") == sys.argv[1] else 1)' "$2"; }
measure_failover() {
  local key=$1 name=$2 start=$3 c i all
  for ((i = 0; i < 300; i++)); do
    all=1
    for c in $MESH_CLIENTS; do active_is "$c" "$key" || { all=0; break; }; done
    if ((all)); then
      echo "      measured: every client synced through $name $(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { printf "%.1f", a - b }') s after the other node stopped"
      return 0
    fi
    sleep 0.1
  done
  return 1
}
# A node record another process wrote, for a key no node holds: listed, a WireGuard peer on
# probation, but never verified (it cannot answer /health through the tunnel), so never synced
# through, failed over to or relayed through.
forged_key=$("$MESH_BIN/valonctl" genkey | "$MESH_BIN/valonctl" pubkey)
etcdctl_ put "/valon/discovery/$forged_key/wg_ip" 100.100.0.250 >/dev/null
etcdctl_ put "/valon/discovery/$forged_key/endpoint" 203.0.113.66:51820 >/dev/null
etcdctl_ put "/valon/discovery/$forged_key/relay" 203.0.113.66:51821-52820 >/dev/null
state_json() { cat "$MESH_DIR/$1/state/$(mesh_client_if "$1").state.json" 2>/dev/null; }
knows_unverified() { # CLIENT KEY: the key is among the zone's nodes, and not verified
  state_json "$1" | python3 -c 'import json, sys
s = json.load(sys.stdin); key = sys.argv[1]
sys.exit(0 if any(n.get("pubkey") == key for n in s.get("discoveryNodes", [])) and key not in s.get("verifiedDiscovery", []) else 1)' "$2"
}
everyone_knows_unverified() { local c; for c in $MESH_CLIENTS; do knows_unverified "$c" "$1" || return 1; done; }
check "a forged /valon/discovery/ record is listed by valonctl discovery list, answering neither DNS nor API" \
  poll 20 eval 'valonctl2 discovery list --json | python3 -c "import json,sys; n=[x for x in json.load(sys.stdin) if x[\"pubkey\"]==\"$forged_key\"]; sys.exit(0 if n and not n[0][\"answers_dns\"] and not n[0][\"answers_api\"] else 1)"'
check "every client learns the forged node but never verifies it (state: verifiedDiscovery)" poll 30 everyone_knows_unverified "$forged_key"
verified_on() { state_json "$1" | python3 -c 'import json, sys; sys.exit(0 if sys.argv[1] in json.load(sys.stdin).get("verifiedDiscovery", []) else 1)' "$2"; }
everyone_verified() { local c; for c in $MESH_CLIENTS; do verified_on "$c" "$1" || return 1; done; }
check "node 2 is verified on every client (it answered /health through the tunnel)" poll 20 everyone_verified "$disc2_key"
etcdctl_ del --prefix "/valon/discovery/$forged_key/" >/dev/null
check "every client pings every other with the forged record present and gone" everyone_pings 40
check "valonctl peer add on node 2 prints DISCOVERY_FALLBACKS naming node 1" \
  eval 'valonctl2 peer add "$("$MESH_BIN/valonctl" genkey | "$MESH_BIN/valonctl" pubkey)" --alias probe | grep -q "^DISCOVERY_FALLBACKS=$disc1_key@$MESH_DISC_ENDPOINT@$MESH_DISC_IP$"'

# Both nodes up, nothing moving: count the nat_endpoint writes.
mesh_in disc etcdctl --endpoints "$(mesh_etcd_endpoints)" watch --prefix /valon/peers/ >"$MESH_DIR/watch.log" 2>&1 &
watcher=$!
sleep "$FLAP_SECONDS"
kill "$watcher" 2>/dev/null; wait "$watcher" 2>/dev/null; watcher=
nat_writes() { grep -c "/$(mesh_pub "$1")/nat_endpoint$" "$MESH_DIR/watch.log"; }
for c in $MESH_CLIENTS; do
  check "with both nodes up for $FLAP_SECONDS s, $c's nat_endpoint was written at most once (etcdctl watch: $(nat_writes "$c"))" \
    eval '[[ $(nat_writes $c) -le 1 ]]'
done

# Node 1 stops. A ping between two clients runs throughout.
ip netns exec "$(mesh_ns c1)" ping -D -i 0.2 -W 1 "$(mesh_wgip c3)" >"$MESH_DIR/ping.log" 2>&1 &
pinger=$!
failover_start=$(date +%s.%N)
mesh_discovery_stop
check "node 1 stopped cleanly: its record is gone at once (etcdctl)" poll 10 eval '[[ $(registered_nodes) == 1 ]]'
check "every client syncs through node 2 after node 1 stops (state: activeDiscovery)" measure_failover "$disc2_key" "node 2" "$failover_start"
check "with node 1 down, valonctl peer add on node 2 reaches every client" add_peer_reaches_all valonctl2 new1
topo_move_client "$MESH_PREFIX" c2 2 12
check "with node 1 down, c2 moves behind NAT 2 and c3 reaches it again" mesh_wait_ping c3 c2 20
check "with node 1 down, c1 reaches c2 again" mesh_wait_ping c1 c2 20
# c2 boots from nothing while its configured node (1) is down: its client.conf names node 2
# in DISCOVERY_FALLBACKS, as `valonctl peer add` on node 1 prints it now.
rebootstrap_via_fallback() {
  local c=$1 dir="$MESH_DIR/$1" pid
  pid=$(cat "$dir/sync.pid"); kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  mesh_in "$c" "$MESH_BIN/valon-bootstrap" --down --config "$dir/client.conf" --state-dir "$dir/state" >/dev/null 2>&1 || return 1
  ! mesh_in "$c" ip link show "$(mesh_client_if "$c")" >/dev/null 2>&1 || return 1
  { grep -v '^DISCOVERY_FALLBACKS=' "$dir/client.conf"; echo "DISCOVERY_FALLBACKS=$disc2_key@$DISC2_ENDPOINT@$DISC2_IP"; } >"$dir/client.conf.new"
  mv "$dir/client.conf.new" "$dir/client.conf"
  mesh_in "$c" "$MESH_BIN/valon-bootstrap" --config "$dir/client.conf" --state-dir "$dir/state" >"$dir/bootstrap-fallback.log" 2>&1 || {
    cat "$dir/bootstrap-fallback.log" >&2; return 1; }
  mesh_sync_start "$c"
}
check "with node 1 down, c2 boots from nothing (bootstrap --down first) through DISCOVERY_FALLBACKS" rebootstrap_via_fallback c2
check "after booting through node 2, c2 has a handshake with node 2 and pings c1 and c3" \
  eval 'poll 30 handshake_with_key c2 "$disc2_key" && mesh_wait_ping c2 c1 30 && mesh_wait_ping c2 c3 30'

# Node 1 comes back, node 2 stops, and one etcd member stops too.
mesh_discovery_start 2>/dev/null
check "node 1 started again registers again (etcdctl)" poll 20 eval '[[ $(registered_nodes) == 2 ]]'
failover_start=$(date +%s.%N)
disc2_stop
check "every client syncs through node 1 after node 2 stops (state: activeDiscovery)" measure_failover "$disc1_key" "node 1" "$failover_start"
mesh_etcd_member_stop 2
check "with node 2 and etcd member 2 down, valonctl peer add on node 1 reaches every client" add_peer_reaches_all mesh_valonctl new2
topo_move_client "$MESH_PREFIX" c2 1 12
check "with node 2 down, c2 moves back behind NAT 1 and c1 reaches it" mesh_wait_ping c1 c2 20
check "with node 2 down, every client pings every other" everyone_pings 40
kill "$pinger" 2>/dev/null; wait "$pinger" 2>/dev/null; pinger=
echo "      measured: the longest gap between c1's ping answers from c3 through both failovers: $(longest_gap "$MESH_DIR/ping.log") s"
check "c1's pings to c3 kept being answered through both failovers (longest gap ≤ 3 s)" \
  eval '[[ $(awk -v g="$(longest_gap "$MESH_DIR/ping.log")" "BEGIN { print (g <= 3) }") == 1 ]]'
mesh_etcd_member_start 2

# kill -9: the record goes with the lease.
disc2_start
check "node 2 started again registers again (etcdctl)" poll 20 eval '[[ $(registered_nodes) == 2 ]]'
kill -9 "$(cat "$MESH_DIR/discovery.pid")"
check "node 1 killed with SIGKILL: its record is still there at first (lease not expired)" eval '[[ $(registered_nodes) == 2 ]]'
check "node 1's record disappears after the lease TTL ($MESH_LEASE_TTL) (etcdctl)" poll 30 eval '[[ $(registered_nodes) == 1 ]]'
check "node 2's zone stops listing node 1 (dig discovery.$MESH_ZONE A)" \
  poll 10 eval '[[ $(mesh_in disc2 dig +short @127.0.0.1 discovery.$MESH_ZONE A | tr "\n" " ") == "$DISC2_IP " ]]'
mesh_discovery_start 2>/dev/null
check "node 1 back: both registered" poll 20 eval '[[ $(registered_nodes) == 2 ]]'

# NAT 2 turns symmetric and c3 gets a new address behind it: both nodes see new, different ports.
mesh_in nat2 iptables -t nat -R POSTROUTING 1 -o wan -j MASQUERADE --random
topo_move_client "$MESH_PREFIX" c3 2 14
c3_kind() { etcdctl_ get --print-value-only "/valon/peers/$(mesh_pub c3)/nat_kind"; }
check "behind a symmetric NAT, c3 is marked nat_kind=symmetric (etcdctl)" poll 40 eval '[[ $(c3_kind) == symmetric ]]'
check "the zone publishes it: c3's TXT has nat=symmetric (dig)" \
  poll 10 eval 'mesh_in disc dig +short @127.0.0.1 c3._wireguard._udp.$MESH_ZONE TXT | grep -q "\"nat=symmetric\""'
relayed_with_c3() { # c1's and c3's wg endpoints for each other are relay ports of a discovery node
  [[ $(mesh_endpoint_kind "$(mesh_peer_field c1 c3 endpoint)") == RELAY && $(mesh_endpoint_kind "$(mesh_peer_field c3 c1 endpoint)") == RELAY ]]
}
check "c1 and c3 skip the symmetric NAT endpoint and go through the relay" poll 60 relayed_with_c3
# Their session had worked directly: valon-sync restarts it on the switch, so that both
# sides handshake through the relay, which binds them (docs/ARCHITECTURE.md §10).
check "c1 and c3 ping each other through the relay" eval 'mesh_wait_ping c1 c3 40 && mesh_wait_ping c3 c1 20'
# MULTI_NODE_HOLD=SECONDS keeps the mesh up at the end, for a look by hand.
[[ -n ${MULTI_NODE_HOLD:-} ]] && { echo "holding the mesh ($MESH_PREFIX) for $MULTI_NODE_HOLD s"; sleep "$MULTI_NODE_HOLD"; }
