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
#      difference is made once) and QUERIES/10 AXFRs;
#   4. a `valon-sync --follow`'s CPU (its process CPU-time clock, nanoseconds) for each sync a
#      NOTIFY wakes, ROUNDS changes, and the bytes on the wire for one, NOTIFY included: the
#      node is started again with NOTIFY on, the client registered at its OWN_WG_IP.
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
# The node's WireGuard address, where section 4's follower asks and NOTIFY comes from.
BENCH_DISC_ADDRESS=100.64.0.1/32
NOTIFYP=$(fixtures_free_port)
echo "== $PEERS peers, ${BUILD:-debug} build, load $(cut -d' ' -f1-3 /proc/loadavg)"
bench_registry_start "$PEERS"
# Counts every IP byte to and from the DNS port on lo (a chain of our own, removed on exit).
CHAIN=VBIXFR$SUF
iptables -N "$CHAIN"
iptables -A "$CHAIN" -p tcp --dport "$DNSP" -j RETURN
iptables -A "$CHAIN" -p tcp --sport "$DNSP" -j RETURN
iptables -A "$CHAIN" -p udp --dport "$DNSP" -j RETURN
iptables -A "$CHAIN" -p udp --sport "$DNSP" -j RETURN
iptables -A "$CHAIN" -p udp --dport "$NOTIFYP" -j RETURN
iptables -A "$CHAIN" -p udp --sport "$NOTIFYP" -j RETURN
iptables -I INPUT -i lo -j "$CHAIN"
# Section 4's NOTIFY to the other peers' addresses goes nowhere (not out of this machine).
ip route add blackhole 100.64.0.0/16
trap 'ip route del blackhole 100.64.0.0/16; iptables -D INPUT -i lo -j "$CHAIN"; iptables -F "$CHAIN"; iptables -X "$CHAIN"; fixtures_cleanup' EXIT
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
# node_cpu_for COMMAND…: the node's CPU ticks while COMMAND runs, less its idle CPU for as
# long, measured right after over at least 20 s (so that the 10 s resync falls in it as
# often as it falls in the run) and scaled to the run's length.
node_cpu_for() {
  local before after t0 t1 idle window
  before=$(node_cpu); t0=$(date +%s.%N)
  "$@"
  after=$(node_cpu); t1=$(date +%s.%N)
  local busy=$((after - before))
  window=$(awk -v a="$t0" -v b="$t1" 'BEGIN { w = b - a; printf "%.2f", (w < 20 ? 20 : w) }')
  before=$(node_cpu); sleep "$window"; idle=$(( $(node_cpu) - before ))
  awk -v busy="$busy" -v idle="$idle" -v a="$t0" -v b="$t1" -v w="$window" 'BEGIN { printf "%d", busy - idle * (b - a) / w }'
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

echo "-- 4. a valon-sync --follow's CPU for each sync a NOTIFY wakes ($ROUNDS changes)"
# The client registered at its OWN_WG_IP (so that the node notifies it), the node started
# again with NOTIFY on; the follower asks the node at its WireGuard address, as in a mesh.
CLIENT_KEY=$(wg pubkey <"$WORK/client.key")
etcdctl --endpoints=127.0.0.1:$EP txn >/dev/null <<TXN

put /valon/peers/$CLIENT_KEY/wg_ip 100.64.0.254
put /valon/peers/$CLIENT_KEY/alias benchclient
put /valon/aliases/benchclient $CLIENT_KEY
put /valon/ips/100.64.0.254 $CLIENT_KEY


TXN
ip addr add 100.64.0.254/32 dev "$CLIENT"
fixtures_stop "$DISCOVERY_PID"
sed -i "s/^notify: .*/notify: true/; s/^notify_port: .*/notify_port: $NOTIFYP/" "$WORK/discovery.yml"
"$BIN/valon-discovery" --config "$WORK/discovery.yml" --log-level notice >>"$WORK/discovery.log" 2>&1 &
DISCOVERY_PID=$!
fixtures_remember "$DISCOVERY_PID"
bench_registry_wait_answer
wait_registry $((PEERS + 1))
sed "s|^DISCOVERY_DNS=.*|DISCOVERY_DNS=100.64.0.1:$DNSP|" "$WORK/client.conf" >"$WORK/follow.conf"
echo "NOTIFY_PORT=$NOTIFYP" >>"$WORK/follow.conf"
"$BIN/valon-sync" --config "$WORK/follow.conf" --state-dir "$WORK/state" --no-report --json --follow --interval 600 \
  --no-network-watch >"$WORK/follow.log" 2>&1 &
FOLLOW_PID=$!
fixtures_remember "$FOLLOW_PID"
# follow_cpu_ns: the follower's CPU so far, in nanoseconds: its process CPU-time clock
# (clock_getcpuclockid(3)), every thread's time included, also of threads that have exited.
follow_cpu_ns() {
  python3 -c 'import ctypes, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
clock = ctypes.c_int()
if libc.clock_getcpuclockid(int(sys.argv[1]), ctypes.byref(clock)) != 0: sys.exit("clock_getcpuclockid failed")
class timespec(ctypes.Structure): _fields_ = [("s", ctypes.c_long), ("ns", ctypes.c_long)]
t = timespec()
if libc.clock_gettime(clock.value, ctypes.byref(t)) != 0: sys.exit("clock_gettime failed")
print(t.s * 1000000000 + t.ns)' "$FOLLOW_PID"
}
# follow_line SERIAL: the follower's line for the sync that saw SERIAL.
follow_line() { grep "\"serial\":$1[,}]" "$WORK/follow.log" | head -1; }
synced=
for _ in $(seq 600); do [ -n "$(follow_line "$(serial)")" ] && synced=1 && break; sleep 0.1; done
[ -n "$synced" ] || { echo "ixfr.sh: the follower did not sync serial $(serial): $(tail -3 "$WORK/follow.log" | cut -c1-400)" >&2; exit 1; }
sleep 1
idle0=$(follow_cpu_ns); sleep 5; idle1=$(follow_cpu_ns)
: >"$WORK/follow.us"
incremental=0
for step in $(seq "$ROUNDS"); do
  before=$(follow_cpu_ns)
  [ "$step" -eq 1 ] && bytes0=$(wire_bytes)
  change >/dev/null
  new=$(serial)
  for _ in $(seq 300); do [ -n "$(follow_line "$new")" ] && break; sleep 0.02; done
  line=$(follow_line "$new")
  [ -n "$line" ] || { echo "ixfr.sh: the follower never synced serial $new" >&2; exit 1; }
  sleep 0.5   # the sync's line is its last act; anything after it would show here
  after=$(follow_cpu_ns)
  [ "$step" -eq 1 ] && bytes1=$(wire_bytes)
  grep -q '"incremental":true' <<<"$line" && incremental=$((incremental + 1))
  echo $(( (after - before) / 1000 )) >>"$WORK/follow.us"
done
median_us=$(median <"$WORK/follow.us")
echo "valon-sync --follow, the sync a NOTIFY woke: $(awk -v u="$median_us" 'BEGIN { printf "%.2f", u / 1000 }') ms CPU (median; all in µs: $(tr '\n' ' ' <"$WORK/follow.us"))"
echo "  $incremental of $ROUNDS syncs were incremental; idle for 5 s: $(( (idle1 - idle0) / 1000 )) µs CPU"
echo "  one change, everything on the wire: $((bytes1 - bytes0)) bytes (IP packets: NOTIFY, its answer, the IXFR and its answer)"
echo "  the follower's line: $(cut -c1-300 <<<"$line")"
