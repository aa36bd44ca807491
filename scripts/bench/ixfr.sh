#!/usr/bin/env bash
# What one endpoint change costs a follower, by IXFR (RFC 1995) and, beside it in the same
# run, by the whole zone (AXFR), with a PEERS-peer registry on a live valon-discovery:
#   1. bytes: the SOA query and answer, dig's IXFR=<old serial> and AXFR (";; XFR size"
#      as dig counts DNS messages), and what one valon-sync run puts on the wire to and from
#      the node's DNS port (IP packets counted by an iptables chain on lo: headers, TCP
#      handshake and all), by IXFR and with --force;
#   2. valon-sync's CPU (user + system, the whole process) for the sync that reads the
#      change: by IXFR from its applied zone, and with --force (AXFR), ROUNDS changes each;
#   3. the node's CPU per answer (/proc/PID/stat) for QUERIES IXFRs from one serial (the
#      difference is made once) and QUERIES/10 AXFRs.
#
#   scripts/bench/ixfr.sh [PEERS=10000] [ROUNDS=10] [QUERIES=200]   (BUILD=debug|release)
# Needs root, etcd, etcdctl, wireguard-go, wg, dig. Cleans up what it started.
set -euo pipefail
PEERS=${1:-10000}
ROUNDS=${2:-10}
QUERIES=${3:-200}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${SWIFT_SCRATCH_PATH:-$ROOT/.build}/${BUILD:-debug}
for tool in valon-discovery valon-sync; do
  [ -x "$BIN/$tool" ] || { echo "ixfr.sh: no $BIN/$tool; build it first: swift build -c ${BUILD:-debug}" >&2; exit 1; }
done
# shellcheck source=../lib/fixtures.sh
source "$ROOT/scripts/lib/fixtures.sh"
fixtures_init valon-bench-ixfr
WORK=$FIXTURES_DIR
# shellcheck source=../lib/bench-registry.sh
source "$ROOT/scripts/lib/bench-registry.sh"
echo "== $PEERS peers, ${BUILD:-debug} build, load $(cut -d' ' -f1-3 /proc/loadavg)"
bench_registry_start "$PEERS"
# Counts every IP byte to and from the DNS port on lo (a chain of our own, removed on exit).
CHAIN=VBIXFR$SUF
iptables -N "$CHAIN"
iptables -A "$CHAIN" -p tcp --dport "$DNSP" -j RETURN
iptables -A "$CHAIN" -p tcp --sport "$DNSP" -j RETURN
iptables -A "$CHAIN" -p udp --dport "$DNSP" -j RETURN
iptables -A "$CHAIN" -p udp --sport "$DNSP" -j RETURN
iptables -I INPUT -i lo -j "$CHAIN"
trap 'iptables -D INPUT -i lo -j "$CHAIN"; iptables -F "$CHAIN"; iptables -X "$CHAIN"; fixtures_cleanup' EXIT
wire_bytes() { iptables -L "$CHAIN" -v -x -n | awk 'NR > 2 {sum += $2} END {print sum + 0}'; }
ticks=$(getconf CLK_TCK)
node_cpu() { awk '{print $14 + $15}' "/proc/$DISCOVERY_PID/stat"; }
KEY=$(awk 'NR == 1 {print $1}' "$WORK/peers")
round=0
# change: one peer's NAT endpoint moves; waits for the new serial and prints the old one.
change() {
  local old; old=$(serial)
  round=$((round + 1))
  etcdctl --endpoints=127.0.0.1:$EP put "/valon/peers/$KEY/nat_endpoint" "198.51.100.$((round % 250 + 1)):$((41000 + round))" >/dev/null
  for _ in $(seq 500); do [ "$(serial)" != "$old" ] && break; sleep 0.01; done
  echo "$old"
}
# cpu_ms COMMAND…: runs it, prints "user+system ms" of it and its children, output discarded.
cpu_ms() {
  local before after
  before=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
  "$@" >"$WORK/last.out" 2>&1
  after=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
  echo $(( (after - before) * 1000 / ticks ))
}
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

sync >/dev/null   # the first, whole read: it keeps the applied zone
[ "$(wg show "$CLIENT" peers | wc -l)" -eq "$PEERS" ] || { echo "ixfr.sh: expected $PEERS peers on the client" >&2; exit 1; }

echo "-- 1. bytes on the wire for one endpoint change"
old=$(change)
soa=$(dig -p "$DNSP" @127.0.0.1 valon.bench SOA | awk '/MSG SIZE/ {print $NF}')
query=$(dig +qr -p "$DNSP" @127.0.0.1 valon.bench SOA | awk '/QUERY SIZE/ {print $NF; exit}')
ixfr=$(dig +tcp -p "$DNSP" @127.0.0.1 valon.bench "IXFR=$old" | grep 'XFR size')
axfr=$(dig +tcp -p "$DNSP" @127.0.0.1 valon.bench AXFR | grep 'XFR size')
ixfr_query=$(dig +qr +tcp -p "$DNSP" @127.0.0.1 valon.bench "IXFR=$old" | awk '/QUERY SIZE/ {print $NF; exit}')
echo "SOA check: query $query bytes, answer $soa bytes"
echo "IXFR=$old: query $ixfr_query bytes; answer $ixfr"
echo "AXFR:      $axfr"
change >/dev/null
before=$(wire_bytes); out=$(sync); after=$(wire_bytes)
grep -q '"method":"ixfr"' <<<"$out" || { echo "ixfr.sh: the sync did not read by IXFR: $(cut -c1-300 <<<"$out")" >&2; exit 1; }
echo "one valon-sync run by IXFR: $((after - before)) bytes on the wire (IP packets to and from the DNS port)"
change >/dev/null
before=$(wire_bytes); sync --force >/dev/null; after=$(wire_bytes)
echo "one valon-sync --force run by AXFR: $((after - before)) bytes on the wire"

echo "-- 2. valon-sync's CPU for the sync that reads one change ($ROUNDS changes each, median)"
: >"$WORK/ixfr.ms"; : >"$WORK/axfr.ms"
for _ in $(seq "$ROUNDS"); do
  change >/dev/null
  cpu_ms sync >>"$WORK/ixfr.ms"
  grep -q '"method":"ixfr"' "$WORK/last.out" || { echo "ixfr.sh: the sync did not read by IXFR: $(cut -c1-300 "$WORK/last.out")" >&2; exit 1; }
done
for _ in $(seq "$ROUNDS"); do
  change >/dev/null
  cpu_ms sync --force >>"$WORK/axfr.ms"
  grep -q '"method":"axfr"' "$WORK/last.out" || { echo "ixfr.sh: --force did not read by AXFR" >&2; exit 1; }
done
echo "valon-sync by IXFR:          $(median <"$WORK/ixfr.ms") ms CPU (all: $(tr '\n' ' ' <"$WORK/ixfr.ms"))"
echo "valon-sync --force by AXFR:  $(median <"$WORK/axfr.ms") ms CPU (all: $(tr '\n' ' ' <"$WORK/axfr.ms"))"
# What the process costs before it reads anything: a run with the serial unchanged.
: >"$WORK/quiet.ms"
for _ in $(seq "$ROUNDS"); do cpu_ms sync >>"$WORK/quiet.ms"; done
echo "valon-sync, serial unchanged (device read, one SOA query): $(median <"$WORK/quiet.ms") ms CPU"

echo "-- 3. the node's CPU per answer (less its idle CPU over as long: the learner's poll, the resync)"
# node_cpu_for SECONDS COMMAND…: the node's CPU ticks while COMMAND runs, less what it used
# idle for as long right after.
node_cpu_for() {
  local before after t0 t1 idle
  before=$(node_cpu); t0=$(date +%s.%N)
  "$@"
  after=$(node_cpu); t1=$(date +%s.%N)
  local busy=$((after - before))
  before=$(node_cpu); sleep "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"; idle=$(( $(node_cpu) - before ))
  echo $((busy - idle))
}
ixfr_loop() { for _ in $(seq "$QUERIES"); do dig +tcp -p "$DNSP" @127.0.0.1 valon.bench "IXFR=$old" >/dev/null; done; }
axfrs=$((QUERIES / 10))
axfr_loop() { for _ in $(seq "$axfrs"); do dig +tcp -p "$DNSP" @127.0.0.1 valon.bench AXFR >/dev/null; done; }
old=$(change)
dig +tcp -p "$DNSP" @127.0.0.1 valon.bench "IXFR=$old" >/dev/null   # the difference is made on the first
net=$(node_cpu_for ixfr_loop)
echo "IXFR: $QUERIES answers, $(awk -v t="$net" -v q="$QUERIES" -v k="$ticks" 'BEGIN { printf "%.2f", t * 1000 / k / q }') ms node CPU each"
net=$(node_cpu_for axfr_loop)
echo "AXFR: $axfrs answers, $(awk -v t="$net" -v q="$axfrs" -v k="$ticks" 'BEGIN { printf "%.2f", t * 1000 / k / q }') ms node CPU each"
echo "node's IXFR answers: $(curl -s "http://127.0.0.1:$APIP/metrics" | grep '^valon_dns_ixfr_total' | tr '\n' ' ')"
