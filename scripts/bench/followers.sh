#!/usr/bin/env bash
# The follower simulator (valon-bench followers): N followers of one live valon-discovery in
# one process, each on its own loopback address (127.77.x.y, registered as a peer's wg_ip, so
# the node sends it NOTIFY), answering NOTIFY, asking the SOA and reading the change by
# IXFR, as valon-sync --follow does. Beside it in the same invocation, the reference: the
# same followers reading the whole zone (AXFR) on each NOTIFY.
# For each round (one nat_endpoint write to etcd) it prints the time until every follower
# has the new serial, the DNS bytes per follower and the node's CPU for the wave.
#
#   scripts/bench/followers.sh [FOLLOWERS=1000] [ROUNDS=5] [AXFR_FOLLOWERS=FOLLOWERS]   (BUILD=debug|release)
# Needs root, etcd, etcdctl, wireguard-go, dig. Cleans up what it started.
set -euo pipefail
FOLLOWERS=${1:-1000}
ROUNDS=${2:-5}
AXFR_FOLLOWERS=${3:-$FOLLOWERS}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${SWIFT_SCRATCH_PATH:-$ROOT/.build}/${BUILD:-debug}
for tool in valon-discovery valon-sync valon-bench; do
  [ -x "$BIN/$tool" ] || { echo "followers.sh: no $BIN/$tool; build it first: swift build -c ${BUILD:-debug} --product $tool" >&2; exit 1; }
done
ulimit -n $((FOLLOWERS + 1024))
# shellcheck source=../lib/fixtures.sh
source "$ROOT/scripts/lib/fixtures.sh"
fixtures_init valon-bench-followers
WORK=$FIXTURES_DIR
NOTIFYP=$(fixtures_free_port)
BENCH_PEER_NET=127.77 BENCH_DISC_ADDRESS=100.64.0.1/16 BENCH_NOTIFY=true BENCH_NOTIFY_PORT=$NOTIFYP
export BENCH_PEER_NET BENCH_DISC_ADDRESS BENCH_NOTIFY BENCH_NOTIFY_PORT
# shellcheck source=../lib/bench-registry.sh
source "$ROOT/scripts/lib/bench-registry.sh"
echo "== $FOLLOWERS followers, ${BUILD:-debug} build, load $(cut -d' ' -f1-3 /proc/loadavg)"
bench_registry_start "$FOLLOWERS"
KEY=$(awk 'NR == 1 {print $1}' "$WORK/peers")
awk '{print $2}' "$WORK/peers" >"$WORK/addresses"
head -n "$AXFR_FOLLOWERS" "$WORK/addresses" >"$WORK/axfr-addresses"
simulate() {  # MODE ADDRESSES
  "$BIN/valon-bench" followers --dns "127.0.0.1:$DNSP" --zone valon.bench --addresses "$2" --notify-port "$NOTIFYP" \
    --source 100.64.0.1 --etcd "http://127.0.0.1:$EP" --key "$KEY" --rounds "$ROUNDS" --mode "$1" --node-pid "$DISCOVERY_PID"
}
echo "-- IXFR after each NOTIFY"
simulate ixfr "$WORK/addresses"
echo "-- reference: the whole zone (AXFR) after each NOTIFY, $AXFR_FOLLOWERS followers"
simulate axfr "$WORK/axfr-addresses"
echo "node: $(curl -s "http://127.0.0.1:$APIP/metrics" | grep -E '^valon_(notify|dns_ixfr)' | tr '\n' ' ')"
