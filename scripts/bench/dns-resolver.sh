#!/usr/bin/env bash
# Benchmarks ValonKit's stub resolver against a local NSD: sequential vs pipelined
# queries (valon-bench dns-resolver), with dnsperf and a dig loop on the same server
# and names as the reference. Usage: scripts/bench/dns-resolver.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-1000}
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
zone=bench.test
{
  echo "\$ORIGIN $zone."
  echo "\$TTL 300"
  echo "@ IN SOA ns1 hostmaster 1 3600 600 86400 2"
  echo "@ IN NS ns1"
  echo "ns1 IN A 127.0.0.1"
  for i in $(seq 0 $((count - 1))); do echo "host$i IN A 10.$((i / 65536 % 256)).$((i / 256 % 256)).$((i % 256))"; done
} > "$dir/$zone.zone"
cat > "$dir/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1
  port: $port
  username: ""
  chroot: ""
  zonesdir: "$dir"
  pidfile: "$dir/nsd.pid"
  xfrdfile: "$dir/xfrd.state"
  xfrdir: "$dir"
  zonelistfile: "$dir/zone.list"
  database: ""
  logfile: "$dir/nsd.log"
  server-count: 1
remote-control:
  control-enable: no
zone:
  name: "$zone"
  zonefile: "$zone.zone"
CONF
nsd -d -c "$dir/nsd.conf" &
nsd_pid=$!
trap 'kill $nsd_pid 2>/dev/null; wait $nsd_pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 50); do dig +short +time=1 +tries=1 -p "$port" @127.0.0.1 "$zone" SOA | grep -q . && break; sleep 0.1; done

swift build -c release --product valon-bench >/dev/null
echo "== valon-bench dns-resolver 127.0.0.1:$port $zone $count"
.build/release/valon-bench dns-resolver "127.0.0.1:$port" "$zone" "$count" 3

echo "== reference: dnsperf, the same $count names, 100 outstanding, 5 s"
for i in $(seq 0 $((count - 1))); do echo "host$i.$zone A"; done > "$dir/queries"
dnsperf -s 127.0.0.1 -p "$port" -d "$dir/queries" -q 100 -l 5 | grep -E 'Queries (sent|completed)|Queries per second|Average Latency'

echo "== reference: a dig loop, $count queries one after another (one process per query)"
start=$(date +%s.%N)
for i in $(seq 0 $((count - 1))); do dig +short +time=1 +tries=1 -p "$port" @127.0.0.1 "host$i.$zone" A >/dev/null; done
end=$(date +%s.%N)
python3 -c "print('dig loop: %d queries in %.3f s = %.0f queries/s' % ($count, $end - $start, $count / ($end - $start)))"
