#!/usr/bin/env bash
# The whole VALON mesh on one machine, shared by Examples/mesh-demo.sh, scripts/e2e/mesh-test.sh
# and scripts/bench/mesh-convergence.sh. Sourced; needs root.
#
# On top of mesh-topology.sh's small internet it starts, inside the discovery namespace, an
# etcd (one member, or three with MESH_ETCD_MEMBERS=3) with a temporary data directory, the
# discovery node's WireGuard interface (userspace wireguard-go: these kernels have none),
# valon-discovery; then for each client `valonctl genkey`, `valonctl peer add`, the client.conf
# valonctl printed (with this run's interface and file names), `valon-bootstrap` and a
# `valon-sync --follow`.
#
# Every name carries the prefix (namespaces PREFIXdisc…, interfaces PREFIXwd, PREFIXc1w…),
# since /var/run/wireguard/ is shared by every namespace. Everything started is recorded by
# PID in $MESH_DIR/pids and stopped by mesh_down.
#
# Usage:  MESH_PREFIX=vd; MESH_BIN=…/.build/debug; source scripts/lib/mesh.sh
#         mesh_up; mesh_report; mesh_down

MESH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=mesh-topology.sh
source "$MESH_LIB_DIR/mesh-topology.sh"

: "${MESH_PREFIX:=vm}"
: "${MESH_ETCD_MEMBERS:=1}"
: "${MESH_FOLLOW_INTERVAL:=1}"
: "${MESH_CLIENTS:=c1 c2 c3}"
MESH_DIR=${MESH_DIR:-/tmp/valon-mesh-$MESH_PREFIX}
MESH_ZONE=valon.internal
MESH_DISC_IP=100.100.0.1
MESH_DISC_ENDPOINT=203.0.113.1:51820
# Where etcd's members listen: the discovery node's loopback, or (MESH_ETCD_HOST=203.0.113.1)
# its WAN address, so that a second discovery node on the test internet reaches them too.
: "${MESH_ETCD_HOST:=127.0.0.1}"
: "${MESH_LEASE_TTL:=10s}"

mesh_log() { printf '%s\n' "$*" >&2; }
mesh_ns() { echo "${MESH_PREFIX}$1"; }
mesh_disc_if() { echo "${MESH_PREFIX}wd"; }
mesh_client_if() { echo "${MESH_PREFIX}$1w"; }
mesh_in() { local ns; ns=$(mesh_ns "$1"); shift; ip netns exec "$ns" "$@"; }
mesh_valonctl() { mesh_in disc "$MESH_BIN/valonctl" "$@" --config "$MESH_DIR/valonctl.yml"; }

# mesh_remember PID: stopped by mesh_down.
mesh_remember() { echo "$1" >>"$MESH_DIR/pids"; }

mesh_etcd_endpoints() {
  local i out=""
  for ((i = 0; i < MESH_ETCD_MEMBERS; i++)); do out+="${out:+,}http://$MESH_ETCD_HOST:$((2379 + 100 * i))"; done
  echo "$out"
}

# mesh_etcd_start: MESH_ETCD_MEMBERS members on the discovery node's loopback.
mesh_etcd_start() {
  local i cluster=""
  for ((i = 0; i < MESH_ETCD_MEMBERS; i++)); do cluster+="${cluster:+,}m$i=http://$MESH_ETCD_HOST:$((2380 + 100 * i))"; done
  for ((i = 0; i < MESH_ETCD_MEMBERS; i++)); do mesh_etcd_member_start "$i" "$cluster"; done
  local tries
  for ((tries = 0; tries < 100; tries++)); do
    mesh_in disc etcdctl --endpoints "$(mesh_etcd_endpoints)" endpoint health >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  mesh_log "etcd did not become healthy; log: $MESH_DIR/etcd-0.log"
  return 1
}

# mesh_etcd_member_start INDEX [CLUSTER]: start (or restart) member INDEX.
mesh_etcd_member_start() {
  local i=$1 cluster=${2:-$(cat "$MESH_DIR/etcd-cluster")}
  echo "$cluster" >"$MESH_DIR/etcd-cluster"
  local client=$((2379 + 100 * i)) peer=$((2380 + 100 * i))
  # `ip netns exec` directly (not mesh_in): a backgrounded function is a subshell, and $!
  # must be the program's own PID (ip netns exec execs it) so that a kill stops it.
  ip netns exec "$(mesh_ns disc)" etcd --name "m$i" --data-dir "$MESH_DIR/etcd-$i" \
    --listen-client-urls "http://$MESH_ETCD_HOST:$client" --advertise-client-urls "http://$MESH_ETCD_HOST:$client" \
    --listen-peer-urls "http://$MESH_ETCD_HOST:$peer" --initial-advertise-peer-urls "http://$MESH_ETCD_HOST:$peer" \
    --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token "valon-$MESH_PREFIX" \
    >>"$MESH_DIR/etcd-$i.log" 2>&1 &
  echo $! >"$MESH_DIR/etcd-$i.pid"
  mesh_remember $!
}

# mesh_etcd_member_stop INDEX
mesh_etcd_member_stop() {
  local pid; pid=$(cat "$MESH_DIR/etcd-$1.pid")
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# mesh_disc_wg_up: the discovery node's interface, 100.100.0.1/24, port 51820.
mesh_disc_wg_up() {
  local ifname; ifname=$(mesh_disc_if)
  "$MESH_BIN/valonctl" genkey >"$MESH_DIR/disc.key"
  chmod 600 "$MESH_DIR/disc.key"
  "$MESH_BIN/valonctl" pubkey <"$MESH_DIR/disc.key" >"$MESH_DIR/disc.pub"
  WG_PROCESS_FOREGROUND=1 ip netns exec "$(mesh_ns disc)" wireguard-go -f "$ifname" >"$MESH_DIR/wireguard-go-disc.log" 2>&1 &
  mesh_remember $!
  local tries
  for ((tries = 0; tries < 50; tries++)); do [[ -S /var/run/wireguard/$ifname.sock ]] && break; sleep 0.1; done
  mesh_in disc wg set "$ifname" private-key "$MESH_DIR/disc.key" listen-port 51820
  mesh_in disc ip addr add "$MESH_DISC_IP/24" dev "$ifname"
  mesh_in disc ip link set "$ifname" up
}

mesh_write_configs() {
  local etcd_yaml="" e
  for e in ${1//,/ }; do etcd_yaml+="    - $e"$'\n'; done
  cat >"$MESH_DIR/valonctl.yml" <<EOF
wireguard:
  interface: $(mesh_disc_if)
  ip: $MESH_DISC_IP
  endpoint: $MESH_DISC_ENDPOINT
  network: 100.100.0.0/24
  dns_zone: $MESH_ZONE
etcd:
  endpoints:
$etcd_yaml
ddns:
  api_url: http://$MESH_DISC_IP:8053
EOF
  cat >"$MESH_DIR/discovery.yml" <<EOF
zone: $MESH_ZONE
etcd_endpoints:
$etcd_yaml
wg_interface: $(mesh_disc_if)
wg_poll_interval: 1s
etcd_sync_interval: 10s
ddns_listen: $MESH_DISC_IP:8053
ddns_bind_device: true
bind: [$MESH_DISC_IP, 127.0.0.1]
port: 53
cache: 1
axfr_allow: [100.100.0.0/24, 127.0.0.0/8]
state_dir: $MESH_DIR/discovery-state
advertise_endpoint: $MESH_DISC_ENDPOINT
discovery_lease_ttl: $MESH_LEASE_TTL
EOF
  # MESH_NOTIFY=off: the node sends no NOTIFY (docs/ARCHITECTURE.md §12), for poll-only references.
  [[ ${MESH_NOTIFY:-on} == off ]] && echo "notify: false" >>"$MESH_DIR/discovery.yml"
  return 0
}

# mesh_discovery_start: valon-discovery in the discovery namespace, waiting for DNS to answer.
mesh_discovery_start() {
  ip netns exec "$(mesh_ns disc)" "$MESH_BIN/valon-discovery" --config "$MESH_DIR/discovery.yml" >>"$MESH_DIR/discovery.log" 2>&1 &
  echo $! >"$MESH_DIR/discovery.pid"
  mesh_remember $!
  local tries
  for ((tries = 0; tries < 100; tries++)); do
    mesh_in disc dig +short +time=1 +tries=1 @127.0.0.1 "$MESH_ZONE" SOA 2>/dev/null | grep -q . && return 0
    sleep 0.2
  done
  mesh_log "valon-discovery did not answer DNS; log: $MESH_DIR/discovery.log"
  tail -20 "$MESH_DIR/discovery.log" >&2
  return 1
}

mesh_discovery_stop() {
  local pid; pid=$(cat "$MESH_DIR/discovery.pid")
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# mesh_client_add CLIENT [WG_IP]: key, `valonctl peer add`, client.conf. Prints nothing.
mesh_client_add() {
  local c=$1 wgip=${2:-} dir="$MESH_DIR/$1"
  mkdir -p "$dir/state"
  "$MESH_BIN/valonctl" genkey >"$dir/key"
  chmod 600 "$dir/key"
  "$MESH_BIN/valonctl" pubkey <"$dir/key" >"$dir/pub"
  local args=(peer add "$(cat "$dir/pub")" --alias "$c")
  [[ -n $wgip ]] && args+=(--wg-ip "$wgip")
  mesh_valonctl "${args[@]}" >"$dir/peer-add.txt" || { cat "$dir/peer-add.txt" >&2; return 1; }
  awk '/^  Allocated IP: / { print $3 }' "$dir/peer-add.txt" >"$dir/wgip"
  # The client.conf valonctl printed, with this run's interface name, port and key file.
  awk '/^Save this as \/etc\/valon\/client.conf/ { on = 1; next }
       on && /^=====/ { exit }
       on && /^[A-Z_]+=/ && !/^(WG_INTERFACE|PRIVATE_KEY_FILE|WG_PORT)=/ { print }' "$dir/peer-add.txt" >"$dir/client.conf"
  {
    echo "WG_INTERFACE=$(mesh_client_if "$c")"
    echo "WG_PORT=51820"
    echo "PRIVATE_KEY_FILE=$dir/key"
  } >>"$dir/client.conf"
  grep -q '^DISCOVERY_PUBKEY=' "$dir/client.conf" || { mesh_log "no client.conf in valonctl peer add's output"; return 1; }
}

# mesh_client_up CLIENT: valon-bootstrap, then valon-sync --follow in the background.
mesh_client_up() {
  local c=$1 dir="$MESH_DIR/$1"
  mesh_in "$c" "$MESH_BIN/valon-bootstrap" --config "$dir/client.conf" --state-dir "$dir/state" >"$dir/bootstrap.log" 2>&1 || {
    mesh_log "valon-bootstrap failed on $c:"; cat "$dir/bootstrap.log" >&2; return 1
  }
  mesh_sync_start "$c"
}

# mesh_sync_start CLIENT: valon-sync --follow in the background (with $MESH_SYNC_FLAGS, e.g.
# --json for one JSON object per sync in CLIENT/sync.log).
mesh_sync_start() {
  local c=$1 dir="$MESH_DIR/$1"
  # shellcheck disable=SC2086 # MESH_SYNC_FLAGS is a list of flags
  ip netns exec "$(mesh_ns "$c")" "$MESH_BIN/valon-sync" --config "$dir/client.conf" --state-dir "$dir/state" \
    --follow --interval "$MESH_FOLLOW_INTERVAL" ${MESH_SYNC_FLAGS:-} >>"$dir/sync.log" 2>&1 &
  echo $! >"$dir/sync.pid"
  mesh_remember $!
}

# mesh_up: the whole mesh, from nothing (a leftover run of the same prefix is removed first).
mesh_up() {
  mesh_down quiet
  mkdir -p "$MESH_DIR"
  chmod 700 "$MESH_DIR"
  : >"$MESH_DIR/pids"
  mesh_log "topology: namespaces ${MESH_PREFIX}{inet,disc,nat1,nat2,c1,c2,c3}${TOPO_CARRIER:+ and ${MESH_PREFIX}cgn}; NAT 1 $TOPO_NAT1, NAT 2 $TOPO_NAT2${TOPO_CARRIER:+, NAT $TOPO_CARRIER behind a carrier NAT}"
  topo_up "$MESH_PREFIX"
  mesh_log "etcd: $MESH_ETCD_MEMBERS member(s) in $(mesh_ns disc)"
  mesh_etcd_start || return 1
  mesh_log "discovery WireGuard interface $(mesh_disc_if) (wireguard-go), $MESH_DISC_IP/24 at $MESH_DISC_ENDPOINT"
  mesh_disc_wg_up || return 1
  mesh_write_configs "$(mesh_etcd_endpoints)"
  mesh_log "valon-discovery: DNS $MESH_DISC_IP:53, DDNS API $MESH_DISC_IP:8053"
  mesh_discovery_start || return 1
  local c n=10
  for c in $MESH_CLIENTS; do
    n=$((n + 1))
    mesh_log "valonctl peer add $c (100.100.0.$n)"
    mesh_client_add "$c" "100.100.0.$n" || return 1
  done
  for c in $MESH_CLIENTS; do
    mesh_log "valon-bootstrap on $c"
    mesh_client_up "$c" || return 1
  done
}

# mesh_pub CLIENT, mesh_wgip CLIENT
mesh_pub() { cat "$MESH_DIR/$1/pub"; }
mesh_wgip() { cat "$MESH_DIR/$1/wgip"; }

# mesh_peer_field CLIENT PEER FIELD: endpoint / handshake / allowed of PEER's entry on CLIENT's
# interface (`wg show dump`: pubkey psk endpoint allowed-ips latest-handshake rx tx keepalive).
mesh_peer_field() {
  local key; key=$(mesh_pub "$2")
  mesh_in "$1" wg show "$(mesh_client_if "$1")" dump 2>/dev/null | awk -v k="$key" -v f="$3" '
    $1 == k { if (f == "endpoint") print $3; else if (f == "allowed") print $4; else if (f == "handshake") print $5 }'
}

# mesh_endpoint_kind ENDPOINT: LAN (a private 192.168 address), DISCOVERY (a discovery node's
# WireGuard port: 203.0.113.1, or .2 for a second node), RELAY (another port of a discovery
# node: its relay) or NAT (a router's WAN address).
mesh_endpoint_kind() {
  case $1 in
    192.168.*) echo LAN ;;
    "${MESH_DISC_ENDPOINT%:*}":* | 203.0.113.2:*) [[ ${1#*:} == 51820 ]] && echo DISCOVERY || echo RELAY ;;
    203.0.113.*) echo NAT ;;
    "" | "(none)") echo none ;;
    *) echo other ;;
  esac
}

# mesh_ping FROM TO: one ping over the tunnel (to TO's WireGuard address); status only.
mesh_ping() { mesh_in "$1" ping -c 1 -W 2 "$(mesh_wgip "$2")" >/dev/null 2>&1; }

# mesh_wait_ping FROM TO [TRIES]
mesh_wait_ping() {
  local i
  for ((i = 0; i < ${3:-20}; i++)); do mesh_ping "$1" "$2" && return 0; sleep 0.5; done
  return 1
}

# mesh_endpoint_is A B KIND: A's entry for B uses a KIND (LAN, NAT, RELAY, DISCOVERY) endpoint.
mesh_endpoint_is() { [[ $(mesh_endpoint_kind "$(mesh_peer_field "$1" "$2" endpoint)") == "$3" ]]; }

# mesh_everyone_pings [TRIES]: every client pings every other over the tunnel; names the pair that does not.
mesh_everyone_pings() {
  local a b
  for a in $MESH_CLIENTS; do for b in $MESH_CLIENTS; do
    [[ $a == "$b" ]] || mesh_wait_ping "$a" "$b" "${1:-20}" || { echo "      $a cannot ping $b" >&2; return 1; }
  done; done
}

# mesh_report: for every pair, the endpoint each side uses, LAN or NAT, and a ping.
mesh_report() {
  local a b
  local clients=($MESH_CLIENTS)
  local i j
  printf '%-8s %-22s %-4s   %-22s %-4s   %s\n' PAIR "A -> B endpoint" KIND "B -> A endpoint" KIND "PING (over the tunnel)"
  for ((i = 0; i < ${#clients[@]}; i++)); do
    for ((j = i + 1; j < ${#clients[@]}; j++)); do
      a=${clients[i]}; b=${clients[j]}
      local eab eba ping
      mesh_wait_ping "$a" "$b" 10 || true
      eab=$(mesh_peer_field "$a" "$b" endpoint); eba=$(mesh_peer_field "$b" "$a" endpoint)
      if ping=$(mesh_in "$a" ping -c 1 -W 2 "$(mesh_wgip "$b")" 2>&1); then
        ping="$(mesh_wgip "$a") -> $(mesh_wgip "$b") $(grep -o 'time=[0-9.]* ms' <<<"$ping")"
      else
        ping="$(mesh_wgip "$a") -> $(mesh_wgip "$b") FAILED"
      fi
      printf '%-8s %-22s %-4s   %-22s %-4s   %s\n' "$a-$b" "${eab:-none}" "$(mesh_endpoint_kind "$eab")" \
        "${eba:-none}" "$(mesh_endpoint_kind "$eba")" "$ping"
    done
  done
}

# mesh_down [quiet]: stop everything this prefix started and remove its namespaces, sockets, files.
mesh_down() {
  local c pid ns
  if [[ -d $MESH_DIR ]]; then
    for c in $MESH_CLIENTS; do
      [[ -f $MESH_DIR/$c/client.conf ]] && ip netns list | grep -q "^$(mesh_ns "$c")\b" &&
        mesh_in "$c" timeout 20 "$MESH_BIN/valon-bootstrap" --down --config "$MESH_DIR/$c/client.conf" \
          --state-dir "$MESH_DIR/$c/state" >/dev/null 2>&1
    done
    if [[ -f $MESH_DIR/pids ]]; then
      while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$MESH_DIR/pids"
    fi
  fi
  # Whatever still runs inside this run's namespaces (wireguard-go that valon-bootstrap
  # started) was started by this run.
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${MESH_PREFIX}\(inet\|disc\|disc2\|nat1\|nat2\|cgn\|c[0-9]\+\)$"); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  done
  sleep 0.3
  topo_down "$MESH_PREFIX"
  rm -f "/var/run/wireguard/$(mesh_disc_if).sock" "/var/run/wireguard/$(mesh_disc_if)2.sock"
  for c in $MESH_CLIENTS c4 c5; do rm -f "/var/run/wireguard/$(mesh_client_if "$c").sock"; done
  rm -rf "$MESH_DIR"
  [[ ${1:-} == quiet ]] || mesh_log "cleaned up: namespaces ${MESH_PREFIX}*, processes, sockets, $MESH_DIR"
}
