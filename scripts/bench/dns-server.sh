#!/usr/bin/env bash
# valon-discovery's DNS server against NSD, side by side, on the same synthetic zone:
#   1. dnsperf (UDP, 10 s each) against the in-process server (valon-bench dns-server serve,
#      a PEERS-peer snapshot without etcd) and against NSD serving the zone file the bench
#      wrote from the same snapshot, with the same query file;
#   2. the server's resident memory with PEERS and BIG peers;
#   3. time from an etcd write to the changed answer (p50, p99) with a real etcd member.
# Usage: scripts/bench/dns-server.sh [PEERS] [BIG] [SECONDS]   (BUILD=debug)
set -euo pipefail
cd "$(dirname "$0")/../.."
peers=${1:-10000}
big=${2:-100000}
seconds=${3:-10}
# shellcheck source=../lib/fixtures.sh
source scripts/lib/fixtures.sh
fixtures_init valon-dns-server-bench
dir=$FIXTURES_DIR
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
wait_for() { for _ in $(seq 300); do dig +short +time=1 +tries=1 -p "$1" @127.0.0.1 valon.internal SOA | grep -q . && return 0; sleep 0.1; done; echo "no answer on port $1" >&2; exit 1; }
# perf PORT [MAX_QPS]: as fast as it goes (200 outstanding), or at a fixed rate.
perf() { dnsperf -s 127.0.0.1 -p "$1" -d "$dir/queries" -c 4 -q 200 -l "$seconds" ${2:+-Q "$2"} 2>&1 |
  grep -E 'Queries (sent|completed|lost)|Queries per second|Average Latency' | sed 's/^ */  /'; }
rate=20000

bench=$(fixtures_build valon-bench)

# 1. valon-discovery vs NSD, same zone, same queries.
ours=$(fixtures_free_port)
"$bench" dns-server serve --peers "$peers" --port "$ours" --zone-file "$dir/valon.internal.zone" \
  --queries-file "$dir/queries" > "$dir/ours.log" 2>&1 &
ours_pid=$!; fixtures_remember "$ours_pid"
wait_for "$ours"
fixtures_nsd_start valon.internal "$dir/valon.internal.zone" "do-ip6: no" "reuseport: yes" "server-count: 2" "hide-version: yes"
nsd_port=$FIXTURES_NSD_PORT
echo "== $peers peers, $(wc -l < "$dir/queries") distinct queries (alias A, key-label A, nated A, SRV), dnsperf -c 4 -q 200 -l $seconds"
nsd_version=$(nsd -v 2>&1 | awk 'NR == 1 {print $NF}')
echo "-- saturation (as fast as each server answers)"
echo "valon-discovery (in process, 2 UDP sockets, SO_REUSEPORT):"
perf "$ours"
echo "NSD $nsd_version (server-count 2, reuseport):"
perf "$nsd_port"
echo "-- fixed rate, $rate queries/s (latency without queueing)"
echo "valon-discovery:"
perf "$ours" "$rate"
echo "NSD $nsd_version:"
perf "$nsd_port" "$rate"
fixtures_stop "$ours_pid"

# 2. Resident memory: a fresh server per size (no zone file written), after 3 s of dnsperf.
echo "== resident memory (VmRSS) of valon-bench dns-server serve"
for count in "$peers" "$big"; do
  port=$(fixtures_free_port)
  "$bench" dns-server serve --peers "$count" --port "$port" > "$dir/mem-$count.log" 2>&1 &
  pid=$!; fixtures_remember "$pid"
  wait_for "$port"
  started=$(rss "$pid")
  dnsperf -s 127.0.0.1 -p "$port" -d "$dir/queries" -c 4 -q 200 -l 3 >/dev/null 2>&1
  echo "  $count peers: $started KiB serving, $(rss "$pid") KiB after 3 s of dnsperf"
  fixtures_stop "$pid"
done

# 3. etcd write → changed answer.
fixtures_etcd_start
echo "== etcd write → changed answer (real etcd $(etcd --version | awk 'NR == 1 {print $3}'), 100 peers, 200 writes)"
"$bench" dns-server latency --etcd "$FIXTURES_ETCD" --writes 200 --peers 100 | sed 's/^/  /'
