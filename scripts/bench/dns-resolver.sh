#!/usr/bin/env bash
# Benchmarks ValonKit's stub resolver against a local NSD: sequential vs pipelined
# queries (valon-bench dns-resolver), with dnsperf and a dig loop on the same server
# and names as the reference. Usage: scripts/bench/dns-resolver.sh [COUNT]   (BUILD=debug)
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-1000}
# shellcheck source=../lib/fixtures.sh
source scripts/lib/fixtures.sh
fixtures_init valon-dns-resolver-bench
dir=$FIXTURES_DIR
zone=bench.test
{
  echo "\$ORIGIN $zone."
  echo "\$TTL 300"
  echo "@ IN SOA ns1 hostmaster 1 3600 600 86400 2"
  echo "@ IN NS ns1"
  echo "ns1 IN A 127.0.0.1"
  for i in $(seq 0 $((count - 1))); do echo "host$i IN A 10.$((i / 65536 % 256)).$((i / 256 % 256)).$((i % 256))"; done
} > "$dir/$zone.zone"
fixtures_nsd_start "$zone" "$dir/$zone.zone" "server-count: 1"
port=$FIXTURES_NSD_PORT

bench=$(fixtures_build valon-bench)
echo "== valon-bench dns-resolver 127.0.0.1:$port $zone $count"
"$bench" dns-resolver "127.0.0.1:$port" "$zone" "$count" 3

echo "== reference: dnsperf, the same $count names, 100 outstanding, 5 s"
for i in $(seq 0 $((count - 1))); do echo "host$i.$zone A"; done > "$dir/queries"
dnsperf -s 127.0.0.1 -p "$port" -d "$dir/queries" -q 100 -l 5 | grep -E 'Queries (sent|completed)|Queries per second|Average Latency'

echo "== reference: a dig loop, $count queries one after another (one process per query)"
start=$(date +%s.%N)
for i in $(seq 0 $((count - 1))); do dig +short +time=1 +tries=1 -p "$port" @127.0.0.1 "host$i.$zone" A >/dev/null; done
end=$(date +%s.%N)
python3 -c "print('dig loop: %d queries in %.3f s = %.0f queries/s' % ($count, $end - $start, $count / ($end - $start)))"
