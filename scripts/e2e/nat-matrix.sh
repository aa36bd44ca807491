#!/usr/bin/env bash
# The NAT matrix (docs/ARCHITECTURE.md §10): every pair connects, whatever NATs the clients sit
# behind. The mesh of scripts/lib/mesh.sh (c1 and c2 behind NAT 1, c3 behind NAT 2) comes up
# once per case, with each NAT router "cone" (MASQUERADE) or "symmetric" (MASQUERADE --random):
#
#   symmetric/cone   c1, c2 behind a symmetric NAT: relayed with c3; the pair's relay port
#                    survives a valon-discovery restart; a relayed pair pings after 60 s idle;
#                    and the time from "direct failed" to "relayed pair pings" is printed
#   cone/symmetric   c3 behind a symmetric NAT: relayed; then c3 moves behind NAT 1 (cone) and
#                    goes direct again (LAN), its relays dropped
#   symmetric/both   both NATs symmetric: every cross-NAT pair relayed
#   cone/cone        two clients behind one cone NAT, both sending from port 51820, and c3
#                    behind the other: every pair direct (LAN or NAT), none relayed
#   carrier NAT      c3 behind a home NAT (cone) behind a carrier NAT (symmetric) on
#                    100.64.2.0/24, which does not overlap the VALON network 100.100.0.0/24
#
# (scripts/e2e/mesh-test.sh runs the cone/cone mesh through restarts and moves.) In every case
# every client pings every other over the tunnel, pairs within one NAT use the LAN, and each
# relayed pair is relayed on both sides: the wg endpoint is the relay's port, and valon-sync
# --json says "relay". Each check prints PASS or FAIL; the last line is "N passed, N failed".
#
# Usage (as root): scripts/e2e/nat-matrix.sh [BIN_DIR] [CASE...]   (default: every case)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MESH_BIN=${1:-$(cd "$ROOT" && swift build --show-bin-path)}
shift || true
for tool in valonctl valon-discovery valon-sync valon-bootstrap; do
  [[ -x $MESH_BIN/$tool ]] || { echo "nat-matrix: $MESH_BIN/$tool missing (swift build first)" >&2; exit 2; }
done
MESH_PREFIX=${MESH_PREFIX:-vx$((RANDOM % 90 + 10))}
MESH_ETCD_MEMBERS=1
MESH_FOLLOW_INTERVAL=1
MESH_SYNC_FLAGS=--json
source "$ROOT/scripts/lib/mesh.sh"

source "$ROOT/scripts/lib/checks.sh"
finish() {
  mesh_down quiet
  checks_summary
}
trap 'finish; exit $?' EXIT
trap 'exit 130' INT TERM


endpoint_is() { mesh_endpoint_is "$@"; }
everyone_pings() { mesh_everyone_pings "$@"; }
show_state() {
  local c
  for c in $MESH_CLIENTS; do
    echo "   $c:"
    mesh_in "$c" wg show "$(mesh_client_if "$c")" dump 2>/dev/null | cut -f1,3,4,5 | sed 's/^/      /'
    tail -n 1 "$MESH_DIR/$c/sync.log" 2>/dev/null | cut -c1-600 | sed 's/^/      last sync: /'
  done
  mesh_valonctl relay list 2>&1 | sed 's/^/   /'
}

# sync_path A B: the path A's latest valon-sync --json gave for B ("relay …", "lan …", "nat …").
sync_path() {
  python3 - "$MESH_DIR/$1/sync.log" "$(mesh_pub "$2")" <<'EOF'
import json, sys
path = None
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("{"):
        try:
            path = json.loads(line).get("paths", {}).get(sys.argv[2], path)
        except ValueError:
            pass
print(path or "")
EOF
}
# relayed A B: both sides point at a relay port of the discovery node, and both say "relay".
relayed() {
  endpoint_is "$1" "$2" RELAY && endpoint_is "$2" "$1" RELAY &&
    [[ $(sync_path "$1" "$2") == relay* && $(sync_path "$2" "$1") == relay* ]]
}
# direct A B KIND: both sides use KIND (LAN or NAT) and say so, and neither is relayed.
direct() {
  local kind; kind=$(tr '[:upper:]' '[:lower:]' <<<"$3")
  endpoint_is "$1" "$2" "$3" && endpoint_is "$2" "$1" "$3" &&
    [[ $(sync_path "$1" "$2") == "$kind "*"handshake seen"* && $(sync_path "$2" "$1") == "$kind "*"handshake seen"* ]]
}
relay_port() { # relay_port A B: the pair's port in `valonctl relay list --json`, or nothing
  mesh_valonctl relay list --json 2>/dev/null | python3 -c '
import json, sys
a, b = sys.argv[1], sys.argv[2]
for r in json.load(sys.stdin):
    if {r["first_alias"], r["second_alias"]} == {a, b}:
        print(r["port"])' "$1" "$2"
}
# shows_relay A B: relay list has the pair; peer list's RELAYED WITH column has B:port on A's
# row and A:port on B's; status lists "A–B on port P" (either order).
shows_relay() {
  local port; port=$(relay_port "$1" "$2")
  [[ -n $port ]] || return 1
  local list; list=$(mesh_valonctl peer list)
  awk -v a="$1" '$1 == a { print $NF }' <<<"$list" | tr , '\n' | grep -qx "$2:$port" &&
    awk -v b="$2" '$1 == b { print $NF }' <<<"$list" | tr , '\n' | grep -qx "$1:$port" &&
    mesh_valonctl status 2>/dev/null | grep -qE "^    ($1–$2|$2–$1) on port $port\$"
}
no_relays() { [[ $(mesh_valonctl relay list 2>&1) == "No relayed pairs." ]]; }

# failed_at A B: when the first of A and B found their direct path failed (Unix seconds), from
# their valon-sync --json lines ("failed at T"); the side that saw the relay first never fails.
failed_at() {
  python3 - "$MESH_DIR/$1/sync.log" "$(mesh_pub "$2")" "$MESH_DIR/$2/sync.log" "$(mesh_pub "$1")" <<'EOF'
import json, re, sys
times = []
for log, key in ((sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])):
    for line in open(log, errors="replace"):
        if line.startswith("{"):
            try:
                m = re.search(r"failed at (\d+)", json.loads(line).get("paths", {}).get(key, ""))
            except ValueError:
                continue
            if m:
                times.append(int(m.group(1))); break
print(min(times) if times else "")
EOF
}

# up CASE NAT1 NAT2 [CARRIER]: a fresh mesh for one case.
up() {
  echo "== $1 (NAT 1 $2, NAT 2 $3${4:+, NAT $4 behind a carrier NAT})"
  TOPO_NAT1=$2 TOPO_NAT2=$3 TOPO_CARRIER=${4:-}
  if ! mesh_up 2>"$MESH_DIR.up.log"; then
    cat "$MESH_DIR.up.log" >&2
    check "$1: the mesh comes up" false
    return 1
  fi
  rm -f "$MESH_DIR.up.log"
}
# The checks every case makes: everyone pings, c1-c2 on the LAN, the cross pairs as expected.
common_checks() { # common_checks CASE "PAIRS RELAYED" "PAIRS DIRECT OVER NAT"
  local case=$1 pair
  # Bounded: a relay needs the 15 s verification window, one request and one sync.
  check "$case: every client pings every other over the tunnel" everyone_pings 60
  check "$case: c1 and c2 (one NAT) use each other's LAN endpoint, handshake seen" poll 40 direct c1 c2 LAN
  for pair in $2; do
    check "$case: ${pair%-*} and ${pair#*-} are relayed on both sides (wg endpoint and valon-sync --json)" \
      poll 40 relayed "${pair%-*}" "${pair#*-}"
    check "$case: valonctl relay list, peer list and status show ${pair%-*}-${pair#*-}" shows_relay "${pair%-*}" "${pair#*-}"
  done
  for pair in $3; do
    check "$case: ${pair%-*} and ${pair#*-} go direct over their NAT endpoints" poll 40 direct "${pair%-*}" "${pair#*-}" NAT
  done
}

cases=${*:-symmetric-cone cone-symmetric symmetric-symmetric cone-cone carrier}

for case in $cases; do
  case $case in
  symmetric-cone)
    up "$case" symmetric cone || continue
    # Pings from c1 to c3 from the start, timestamped: the first answer after "direct failed".
    ping_started=$(date +%s.%N)
    ip netns exec "$(mesh_ns c1)" ping -D -i 0.2 -W 1 "$(mesh_wgip c3)" >"$MESH_DIR/ping-c1-c3.log" 2>&1 &
    pinger=$!
    common_checks "$case" "c1-c3 c2-c3" ""
    kill "$pinger" 2>/dev/null; wait "$pinger" 2>/dev/null
    failed_ts=$(failed_at c1 c3) first=$(awk -F'[][]' '/bytes from/ { print $2; exit }' "$MESH_DIR/ping-c1-c3.log")
    if [[ -n $failed_ts && -n $first ]]; then
      echo "      measured: c1-c3's direct path was found failed at $failed_ts; c1's first ping answer through the relay came $(awk -v a="$first" -v b="$failed_ts" 'BEGIN { printf "%.1f", a - b }') s later ($(awk -v a="$first" -v b="$ping_started" 'BEGIN { printf "%.1f", a - b }') s after c1's first ping)"
    else
      echo "      not measured: failed at '$failed_ts', first answer '$first'; $(head -c 300 "$MESH_DIR/ping-c1-c3.log")"
    fi
    # NAT_MATRIX_MEASURE_ONLY=1 (scripts/bench/relay-failover.sh) stops after the measurement.
    [[ -n ${NAT_MATRIX_MEASURE_ONLY:-} ]] && { mesh_down quiet; continue; }
    # Idle for 60 s: keepalives alone hold both NAT mappings and the relay's binding.
    before=$(relay_port c1 c3)
    sleep 60
    check "$case: after 60 s idle, c1 pings c3 through the relay at once" mesh_wait_ping c1 c3 2
    check "$case: after 60 s idle, c3 pings c2 through the relay at once" mesh_wait_ping c3 c2 2
    mesh_discovery_stop
    mesh_discovery_start 2>/dev/null
    check "$case: after a valon-discovery restart the relay allocation is the same (port $before)" \
      eval '[[ -n $before && $(relay_port c1 c3) == "$before" ]]'
    check "$case: after a valon-discovery restart the relayed pairs ping again" \
      eval 'mesh_wait_ping c1 c3 20 && mesh_wait_ping c3 c2 20'
    check "$case: after the restart c1 and c3 are still relayed on both sides" poll 20 relayed c1 c3
    ;;
  cone-symmetric)
    up "$case" cone symmetric || continue
    common_checks "$case" "c1-c3 c2-c3" ""
    # c3 unplugs from the symmetric NAT and plugs in behind NAT 1: its endpoints change, the
    # node drops its relays, and the pairs go direct on the LAN.
    topo_move_client "$MESH_PREFIX" c3 1 13
    check "after c3 moves behind the cone NAT, c1 and c3 go direct on the LAN" poll 90 direct c1 c3 LAN
    check "after c3 moves behind the cone NAT, c2 and c3 go direct on the LAN" poll 40 direct c2 c3 LAN
    check "after c3 moves, its relays are dropped (valonctl relay list)" poll 40 no_relays
    check "after c3 moves, every client pings every other" everyone_pings 20
    ;;
  symmetric-symmetric)
    up "$case" symmetric symmetric || continue
    common_checks "$case" "c1-c3 c2-c3" ""
    ;;
  cone-cone)
    # c1 and c2 behind one cone NAT, both sending from port 51820: the node learns them at two
    # ports of one address. Linux's MASQUERADE keeps a source's first mapping for every later
    # destination, so each goes direct to c3 over the port the node learned.
    up "$case" cone cone || continue
    common_checks "$case" "" "c1-c3 c2-c3"
    check "$case: no pair is relayed (valonctl relay list)" no_relays
    ;;
  carrier)
    up "$case" cone cone 2 || continue
    check "$case: the node learned c3's NAT endpoint at the carrier NAT's address" \
      poll 20 eval 'mesh_valonctl peer show c3 --json | grep -q "\"nat_endpoint\" : \"203.0.113.30:"'
    common_checks "$case" "c1-c3 c2-c3" ""
    ;;
  *)
    echo "nat-matrix: unknown case $case" >&2
    failed=$((failed + 1))
    continue
    ;;
  esac
  mesh_down quiet
done
