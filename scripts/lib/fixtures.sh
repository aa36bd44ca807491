#!/usr/bin/env bash
# The real parts the benchmark scripts measure against, on this host's loopback: free ports,
# an etcd member, NSD, wireguard-go interfaces, and the binaries under test. Sourced by
# scripts/bench/*.sh (scripts/lib/mesh.sh builds the namespaced mesh instead).
#
# fixtures_init makes a fresh temporary directory ($FIXTURES_DIR) and installs an EXIT trap;
# every process a fixture starts is recorded by its PID, and fixtures_cleanup (the trap)
# stops those PIDs, removes the wireguard-go interfaces it created and the directory.
#
# Usage:  source scripts/lib/fixtures.sh
#         fixtures_init valon-etcd-bench
#         bench=$(fixtures_build valon-bench)            # swift build -c ${BUILD:-release}
#         read -r a b < <(fixtures_free_ports 2)
#         fixtures_etcd_start --log-level error          # $FIXTURES_ETCD, $FIXTURES_ETCD_PID
#         fixtures_nsd_start example.test "$FIXTURES_DIR/example.test.zone" "server-count: 2"
#         fixtures_wg_start vbd1234                      # wireguard-go, until its socket exists
#         some-server & fixtures_remember $!
#         fixtures_stop "$pid"
#
# Environment: BUILD (release or debug, for fixtures_build), SWIFT_SCRATCH_PATH (passed to
# swift build as --scratch-path when set).

FIXTURES_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

fixtures_log() { printf '%s\n' "$*" >&2; }

# fixtures_init [NAME]: $FIXTURES_DIR=/tmp/NAME.XXXXXX, cleanup on exit.
fixtures_init() {
  FIXTURES_DIR=$(mktemp -d "/tmp/${1:-valon-bench}.XXXXXX")
  FIXTURES_PIDS=()
  FIXTURES_WG=()
  trap fixtures_cleanup EXIT
}

# fixtures_remember PID: stopped by fixtures_cleanup.
fixtures_remember() { FIXTURES_PIDS+=("$1"); }

# fixtures_stop PID: SIGTERM, then waits for it (a PID this shell started).
fixtures_stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

fixtures_cleanup() {
  local pid name
  for pid in "${FIXTURES_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${FIXTURES_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for name in "${FIXTURES_WG[@]}"; do
    rm -f "/var/run/wireguard/$name.sock"
    ip link del "$name" 2>/dev/null || true
  done
  [ -n "${FIXTURES_DIR:-}" ] && rm -rf "$FIXTURES_DIR"
  return 0
}

# fixtures_free_ports N: N distinct free TCP ports on 127.0.0.1 (bound at once, then freed),
# on one line.
fixtures_free_ports() {
  python3 -c 'import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])' "${1:-1}"
}

# fixtures_free_port: one free TCP port on 127.0.0.1.
fixtures_free_port() { fixtures_free_ports 1; }

# fixtures_build PRODUCT: builds it (swift build -c ${BUILD:-release}) and prints its path.
fixtures_build() {
  local flags=(-c "${BUILD:-release}")
  [ -n "${SWIFT_SCRATCH_PATH:-}" ] && flags+=(--scratch-path "$SWIFT_SCRATCH_PATH")
  (cd "$FIXTURES_ROOT" && swift build "${flags[@]}" --product "$1" >/dev/null &&
    echo "$(swift build "${flags[@]}" --show-bin-path)/$1")
}

# fixtures_etcd_start [ETCD ARGS…]: one etcd member on free loopback ports with its data in
# $FIXTURES_DIR/etcd, log in $FIXTURES_DIR/etcd.log; waits until /health says true. Later
# arguments override earlier ones (etcd takes a flag's last value): --log-level error.
# Sets FIXTURES_ETCD (the client URL) and FIXTURES_ETCD_PID.
fixtures_etcd_start() {
  local client peer
  read -r client peer < <(fixtures_free_ports 2)
  FIXTURES_ETCD=http://127.0.0.1:$client
  etcd --name bench --data-dir "$FIXTURES_DIR/etcd" \
    --listen-client-urls "$FIXTURES_ETCD" --advertise-client-urls "$FIXTURES_ETCD" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "bench=http://127.0.0.1:$peer" --log-level warn --logger zap "$@" \
    >"$FIXTURES_DIR/etcd.log" 2>&1 &
  FIXTURES_ETCD_PID=$!
  fixtures_remember "$FIXTURES_ETCD_PID"
  local _
  for _ in $(seq 150); do
    curl -sf --max-time 1 "$FIXTURES_ETCD/health" 2>/dev/null | grep -q '"health":"true"' && return 0
    kill -0 "$FIXTURES_ETCD_PID" 2>/dev/null || break
    sleep 0.1
  done
  fixtures_log "etcd at $FIXTURES_ETCD did not become healthy:"
  tail -20 "$FIXTURES_DIR/etcd.log" >&2
  return 1
}

# fixtures_nsd_start ZONE ZONEFILE [SERVER LINE…]: NSD in the foreground serving ZONE from
# ZONEFILE on 127.0.0.1 and a free port (no user switch, no chroot, no database, no remote
# control), each SERVER LINE ("server-count: 2") added to its server: clause; waits until
# it answers the zone's SOA. Sets FIXTURES_NSD_PORT and FIXTURES_NSD_PID.
fixtures_nsd_start() {
  local zone=$1 zonefile=$2; shift 2
  local dir=$FIXTURES_DIR/nsd line
  mkdir -p "$dir"
  FIXTURES_NSD_PORT=$(fixtures_free_port)
  {
    echo "server:"
    echo "  ip-address: 127.0.0.1"
    echo "  port: $FIXTURES_NSD_PORT"
    echo "  username: \"\""
    echo "  chroot: \"\""
    echo "  zonesdir: \"$(dirname "$zonefile")\""
    echo "  pidfile: \"$dir/nsd.pid\""
    echo "  xfrdfile: \"$dir/xfrd.state\""
    echo "  xfrdir: \"$dir\""
    echo "  zonelistfile: \"$dir/zone.list\""
    echo "  database: \"\""
    echo "  logfile: \"$dir/nsd.log\""
    for line in "$@"; do echo "  $line"; done
    echo "remote-control:"
    echo "  control-enable: no"
    echo "zone:"
    echo "  name: \"$zone\""
    echo "  zonefile: \"$(basename "$zonefile")\""
  } >"$dir/nsd.conf"
  nsd -d -c "$dir/nsd.conf" &
  FIXTURES_NSD_PID=$!
  fixtures_remember "$FIXTURES_NSD_PID"
  local _
  for _ in $(seq 300); do
    dig +short +time=1 +tries=1 -p "$FIXTURES_NSD_PORT" @127.0.0.1 "$zone" SOA 2>/dev/null | grep -q . && return 0
    kill -0 "$FIXTURES_NSD_PID" 2>/dev/null || break
    sleep 0.1
  done
  fixtures_log "NSD on port $FIXTURES_NSD_PORT does not answer for $zone:"
  tail -20 "$dir/nsd.log" >&2 2>/dev/null
  return 1
}

# fixtures_wg_start NAME: a wireguard-go interface NAME in this namespace (needs root),
# in the foreground of a background job; waits for its UAPI socket. Removed at cleanup.
fixtures_wg_start() {
  WG_PROCESS_FOREGROUND=1 wireguard-go "$1" >"$FIXTURES_DIR/wireguard-go-$1.log" 2>&1 &
  fixtures_remember $!
  FIXTURES_WG+=("$1")
  local _
  for _ in $(seq 200); do
    [ -S "/var/run/wireguard/$1.sock" ] && return 0
    sleep 0.05
  done
  fixtures_log "wireguard-go $1: no socket in /var/run/wireguard"
  return 1
}
