#!/usr/bin/env bash
# A small internet in network namespaces, for the mesh demo and the end-to-end test.
#
#                      ${P}inet  (bridge "ix", 203.0.113.0/24, the "internet")
#            ┌──────────────┼───────────────────┐
#   ${P}disc 203.0.113.1    ${P}nat1 wan 203.0.113.10     ${P}nat2 wan 203.0.113.20
#   (discovery, etcd)       lan 192.168.1.1/24            lan 192.168.2.1/24
#                           ├── ${P}c1 192.168.1.11       └── ${P}c3 192.168.2.13
#                           └── ${P}c2 192.168.1.12
#
# The NAT routers masquerade their LAN behind their WAN address and, like real home
# routers, drop NEW connections arriving on the WAN side (docs/ARCHITECTURE.md §8): without that, a
# peer's first probe leaves an unreplied conntrack entry on the far router that forces
# a new source port for the reply, and hole punching never succeeds.
#
# Each NAT router is "cone" (MASQUERADE: the mapping keeps the source port where it can and
# is the same toward every destination) or "symmetric" (MASQUERADE --random: every new
# destination gets a new random port, as carrier-grade NAT, many corporate firewalls and
# mobile networks do): TOPO_NAT1 / TOPO_NAT2, default cone. With TOPO_CARRIER=N, NAT router
# N's WAN is not on the internet but on a carrier network, 100.64.N.0/24, behind a carrier
# NAT ${P}cgn (symmetric, WAN 203.0.113.30): a home NAT behind a carrier-grade NAT.
#
#   ${P}cgn wan 203.0.113.30, lan 100.64.N.1/24  ──  ${P}natN wan 100.64.N.2/24
#
# Usage (sourced):  topo_up PREFIX    topo_down PREFIX    topo_move_client PREFIX CLIENT NAT
# PREFIX is 2-4 characters; namespaces are named PREFIX + role.

: "${TOPO_NAT1:=cone}"
: "${TOPO_NAT2:=cone}"
: "${TOPO_CARRIER:=}"
# TOPO_SECOND_DISCOVERY=1: a namespace ${P}disc2 at 203.0.113.2 for a second discovery node.
: "${TOPO_SECOND_DISCOVERY:=}"

topo_ns() { echo "$1$2"; }

# topo_link NS_A IF_A NS_B IF_B: a veth pair between two namespaces.
topo_link() {
  local tmp_a="vt$RANDOM$RANDOM" tmp_b="vt$RANDOM$RANDOM"
  tmp_a=${tmp_a:0:15}; tmp_b=${tmp_b:0:15}
  ip link add "$tmp_a" type veth peer name "$tmp_b"
  ip link set "$tmp_a" netns "$1"
  ip link set "$tmp_b" netns "$3"
  ip -n "$1" link set "$tmp_a" name "$2"
  ip -n "$3" link set "$tmp_b" name "$4"
  ip -n "$1" link set "$2" up
  ip -n "$3" link set "$4" up
}

topo_up() {
  local p=$1
  local inet=${p}inet disc=${p}disc nat1=${p}nat1 nat2=${p}nat2
  for ns in "$inet" "$disc" "$nat1" "$nat2" "${p}c1" "${p}c2" "${p}c3"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done

  # The internet: one bridge joining the discovery node and both NAT routers' WANs.
  ip -n "$inet" link add ix type bridge
  ip -n "$inet" link set ix up
  topo_link "$inet" idisc "$disc" wan
  ip -n "$inet" link set idisc master ix
  ip -n "$disc" addr add 203.0.113.1/24 dev wan
  if [[ -n $TOPO_SECOND_DISCOVERY ]]; then
    # A second discovery node on the internet (docs/ARCHITECTURE.md §11).
    ip netns add "${p}disc2"
    ip -n "${p}disc2" link set lo up
    topo_link "$inet" idisc2 "${p}disc2" wan
    ip -n "$inet" link set idisc2 master ix
    ip -n "${p}disc2" addr add 203.0.113.2/24 dev wan
  fi
  local n
  for n in 1 2; do
    local nat=${p}nat$n
    if [[ $TOPO_CARRIER == "$n" ]]; then
      # The carrier NAT: its LAN is the carrier network, the home router's WAN sits on it.
      local cgn=${p}cgn
      ip netns add "$cgn"
      ip -n "$cgn" link set lo up
      topo_link "$inet" icgn "$cgn" wan
      ip -n "$inet" link set icgn master ix
      ip -n "$cgn" addr add 203.0.113.30/24 dev wan
      topo_link "$cgn" lan "$nat" wan
      ip -n "$cgn" addr add "100.64.$n.1/24" dev lan
      ip -n "$nat" addr add "100.64.$n.2/24" dev wan
      ip -n "$nat" route add default via "100.64.$n.1"
      topo_nat "$cgn" symmetric
    else
      topo_link "$inet" "inat$n" "$nat" wan
      ip -n "$inet" link set "inat$n" master ix
      ip -n "$nat" addr add "203.0.113.${n}0/24" dev wan
    fi
  done

  # Each NAT router: a LAN bridge, masquerading, and a drop of NEW inbound on the WAN.
  for n in 1 2; do
    local nat=${p}nat$n mode_var=TOPO_NAT$n
    ip -n "$nat" link add lan type bridge
    ip -n "$nat" link set lan up
    ip -n "$nat" addr add "192.168.$n.1/24" dev lan
    topo_nat "$nat" "${!mode_var}"
  done

  topo_attach "$p" c1 1 11
  topo_attach "$p" c2 1 12
  topo_attach "$p" c3 2 13
}

# topo_nat NAMESPACE cone|symmetric: masquerade everything leaving on "wan", and drop NEW
# connections arriving there (a home router's default).
topo_nat() {
  local random=()
  case $2 in
    cone) ;;
    symmetric) random=(--random) ;;
    *) echo "topo_nat: NAT mode \"$2\" is neither cone nor symmetric" >&2; return 1 ;;
  esac
  ip netns exec "$1" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$1" iptables -t nat -A POSTROUTING -o wan -j MASQUERADE "${random[@]}"
  ip netns exec "$1" iptables -A INPUT -i wan -m conntrack --ctstate NEW -j DROP
  ip netns exec "$1" iptables -A FORWARD -i wan -m conntrack --ctstate NEW -j DROP
}

# topo_attach PREFIX CLIENT NAT HOST: plug a client into NAT router NAT's LAN as 192.168.NAT.HOST.
topo_attach() {
  local p=$1 client=$1$2 nat=$1nat$3
  topo_link "$client" eth0 "$nat" "l$2"
  ip -n "$nat" link set "l$2" master lan
  ip -n "$client" addr add "192.168.$3.$4/24" dev eth0
  ip -n "$client" route add default via "192.168.$3.1"
}

# topo_move_client PREFIX CLIENT NAT HOST: unplug a client and plug it in behind another NAT.
topo_move_client() {
  local p=$1 client=$1$2
  ip -n "$client" link del eth0 2>/dev/null || true
  topo_attach "$p" "$2" "$3" "$4"
}

topo_down() {
  local p=$1 ns
  for ns in "${p}c1" "${p}c2" "${p}c3" "${p}nat1" "${p}nat2" "${p}cgn" "${p}disc2" "${p}disc" "${p}inet"; do
    ip netns del "$ns" 2>/dev/null || true
  done
}
