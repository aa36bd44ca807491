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
# Usage (sourced):  topo_up PREFIX    topo_down PREFIX    topo_move_client PREFIX CLIENT NAT
# PREFIX is 2-4 characters; namespaces are named PREFIX + role.

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
  topo_link "$inet" inat1 "$nat1" wan
  topo_link "$inet" inat2 "$nat2" wan
  for port in idisc inat1 inat2; do ip -n "$inet" link set "$port" master ix; done
  ip -n "$disc" addr add 203.0.113.1/24 dev wan
  ip -n "$nat1" addr add 203.0.113.10/24 dev wan
  ip -n "$nat2" addr add 203.0.113.20/24 dev wan

  # Each NAT router: a LAN bridge, masquerading, and a drop of NEW inbound on the WAN.
  local n
  for n in 1 2; do
    local nat=${p}nat$n
    ip -n "$nat" link add lan type bridge
    ip -n "$nat" link set lan up
    ip -n "$nat" addr add "192.168.$n.1/24" dev lan
    ip netns exec "$nat" sysctl -qw net.ipv4.ip_forward=1
    ip netns exec "$nat" iptables -t nat -A POSTROUTING -o wan -j MASQUERADE
    ip netns exec "$nat" iptables -A INPUT -i wan -m conntrack --ctstate NEW -j DROP
    ip netns exec "$nat" iptables -A FORWARD -i wan -m conntrack --ctstate NEW -j DROP
  done

  topo_attach "$p" c1 1 11
  topo_attach "$p" c2 1 12
  topo_attach "$p" c3 2 13
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
  for ns in "${p}c1" "${p}c2" "${p}c3" "${p}nat1" "${p}nat2" "${p}disc" "${p}inet"; do
    ip netns del "$ns" 2>/dev/null || true
  done
}
