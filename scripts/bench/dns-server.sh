#!/usr/bin/env bash
# valon-discovery's DNS server against NSD, side by side, on the same synthetic zone:
#   1. dnsperf (UDP, 10 s each) against the in-process server (valon-bench dns-server serve,
#      a PEERS-peer snapshot without etcd) and against NSD serving the zone file the bench
#      wrote from the same snapshot, with the same query file;
#   2. the server's resident memory with PEERS and BIG peers;
#   3. time from an etcd write to the changed answer (p50, p99) with a real etcd member.
# Usage: scripts/bench/dns-server.sh [PEERS] [BIG] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
peers=${1:-10000}
big=${2:-100000}
seconds=${3:-10}
dir=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
wait_for() { for _ in $(seq 300); do dig +short +time=1 +tries=1 -p "$1" @127.0.0.1 valon.internal SOA | grep -q . && return 0; sleep 0.1; done; echo "no answer on port $1" >&2; exit 1; }
# perf PORT [MAX_QPS]: as fast as it goes (200 outstanding), or at a fixed rate.
perf() { dnsperf -s 127.0.0.1 -p "$1" -d "$dir/queries" -c 4 -q 200 -l "$seconds" ${2:+-Q "$2"} 2>&1 |
  grep -E 'Queries (sent|completed|lost)|Queries per second|Average Latency' | sed 's/^ */  /'; }
rate=20000

swift build -c release --product valon-bench >/dev/null
bench=.build/release/valon-bench

# 1. valon-discovery vs NSD, same zone, same queries.
ours=$(free_port)
"$bench" dns-server serve --peers "$peers" --port "$ours" --zone-file "$dir/valon.internal.zone" \
  --queries-file "$dir/queries" > "$dir/ours.log" 2>&1 &
pids+=($!); ours_pid=$!
wait_for "$ours"
nsd_port=$(free_port)
cat > "$dir/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1
  port: $nsd_port
  do-ip6: no
  reuseport: yes
  server-count: 2
  username: ""
  chroot: ""
  zonesdir: "$dir"
  pidfile: "$dir/nsd.pid"
  xfrdfile: "$dir/xfrd.state"
  xfrdir: "$dir"
  zonelistfile: "$dir/zone.list"
  database: ""
  logfile: "$dir/nsd.log"
  hide-version: yes
remote-control:
  control-enable: no
zone:
  name: "valon.internal"
  zonefile: "valon.internal.zone"
CONF
nsd -d -c "$dir/nsd.conf" &
pids+=($!)
wait_for "$nsd_port"
echo "== $peers peers, $(wc -l < "$dir/queries") distinct queries (alias A, key-label A, nated A, SRV), dnsperf -c 4 -q 200 -l $seconds"
nsd_version=$(nsd -v 2>&1 | head -1 | awk '{print $NF}')
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
kill "$ours_pid"; wait "$ours_pid" 2>/dev/null || true

# 2. Resident memory: a fresh server per size (no zone file written), after 3 s of dnsperf.
echo "== resident memory (VmRSS) of valon-bench dns-server serve"
for count in "$peers" "$big"; do
  port=$(free_port)
  "$bench" dns-server serve --peers "$count" --port "$port" > "$dir/mem-$count.log" 2>&1 &
  pids+=($!); pid=$!
  wait_for "$port"
  started=$(rss "$pid")
  dnsperf -s 127.0.0.1 -p "$port" -d "$dir/queries" -c 4 -q 200 -l 3 >/dev/null 2>&1
  echo "  $count peers: $started KiB serving, $(rss "$pid") KiB after 3 s of dnsperf"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done

# 3. etcd write → changed answer.
client=$(free_port); peer=$(free_port)
etcd --name bench --data-dir "$dir/etcd" --listen-client-urls "http://127.0.0.1:$client" \
  --advertise-client-urls "http://127.0.0.1:$client" --listen-peer-urls "http://127.0.0.1:$peer" \
  --initial-advertise-peer-urls "http://127.0.0.1:$peer" --initial-cluster "bench=http://127.0.0.1:$peer" \
  > "$dir/etcd.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -s "http://127.0.0.1:$client/health" | grep -q true && break; sleep 0.1; done
echo "== etcd write → changed answer (real etcd $(etcd --version | head -1 | awk '{print $3}'), 100 peers, 200 writes)"
"$bench" dns-server latency --etcd "http://127.0.0.1:$client" --writes 200 --peers 100 | sed 's/^/  /'
