#!/usr/bin/env bash
# The whole VALON mesh on one machine, as root:  ./Examples/mesh-demo.sh
#
# Installs what it needs (scripts/install-deps.sh), builds valonctl, valon-discovery,
# valon-sync and valon-bootstrap, and brings up a small internet in network namespaces:
#
#   discovery node 203.0.113.1 (etcd, valon-discovery, WireGuard 100.100.0.1)
#   NAT router 1 (203.0.113.10) ── c1 192.168.1.11, c2 192.168.1.12
#   NAT router 2 (203.0.113.20) ── c3 192.168.2.13
#
# then `valonctl peer add` for each client, `valon-bootstrap` on each and `valon-sync --follow`.
# It prints, for every pair of clients, the endpoint each side uses (LAN or NAT) and a ping
# over the tunnel, and removes everything on exit (also on Ctrl-C).
#
# Options:  --keep        wait for Ctrl-C before cleaning up (to look around with `ip netns exec`)
#           --no-install  skip scripts/install-deps.sh
#           --release     build with -c release (default: debug, which builds in a fraction of the time)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEEP=0 INSTALL=1 CONFIGURATION=debug
for arg in "$@"; do
  case $arg in
    --keep) KEEP=1 ;;
    --no-install) INSTALL=0 ;;
    --release) CONFIGURATION=release ;;
    -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "mesh-demo: unknown option $arg" >&2; exit 2 ;;
  esac
done
[[ $(id -u) == 0 ]] || { echo "mesh-demo: needs root (network namespaces, WireGuard): run it as root (a root shell or su -c '$0')" >&2; exit 1; }

cd "$ROOT"
if ((INSTALL)); then
  echo "== Installing dependencies (scripts/install-deps.sh)"
  ./scripts/install-deps.sh >/tmp/valon-mesh-demo-install.log 2>&1 ||
    { echo "install-deps.sh failed; see /tmp/valon-mesh-demo-install.log" >&2; exit 1; }
fi

echo "== Building ($CONFIGURATION): valonctl valon-discovery valon-sync valon-bootstrap"
for product in valonctl valon-discovery valon-sync valon-bootstrap; do
  swift build -c "$CONFIGURATION" --product "$product" >/tmp/valon-mesh-demo-build.log 2>&1 ||
    { tail -30 /tmp/valon-mesh-demo-build.log >&2; exit 1; }
done
MESH_BIN=$(swift build -c "$CONFIGURATION" --show-bin-path)
MESH_PREFIX=vd
source "$ROOT/scripts/lib/mesh.sh"

trap 'echo; echo "== Cleaning up"; mesh_down' EXIT
trap 'exit 130' INT TERM

echo "== Bringing up the mesh"
mesh_up
echo
echo "== Waiting for every pair of clients to handshake directly"
clients=($MESH_CLIENTS)
for a in "${clients[@]}"; do
  for b in "${clients[@]}"; do
    [[ $a == "$b" ]] || mesh_wait_ping "$a" "$b" 30 || echo "   $a cannot reach $b yet"
  done
done
echo
echo "== valonctl peer list (on the discovery node)"
mesh_valonctl peer list
echo
echo "== Every pair: the endpoint each side uses, and a ping over the tunnel"
mesh_report
echo
echo "== On c1: wg show $(mesh_client_if c1)"
mesh_in c1 wg show "$(mesh_client_if c1)" | sed 's/^/   /'

if ((KEEP)); then
  echo
  echo "Running. Look around, e.g. (as root):  ip netns exec ${MESH_PREFIX}c1 wg show"
  echo "Press Ctrl-C to stop and clean up."
  while true; do sleep 3600 & wait $!; done   # wait, so a signal runs the trap at once
fi
