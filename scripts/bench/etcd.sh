#!/usr/bin/env bash
# etcd client benchmark: ValonKit's EtcdClient (valon-bench etcd) side by side with a
# minimal keep-alive curl loop (one curl process, one connection, requests chained with
# `next` in a --config file) against the same freshly started etcd member; then the time
# to list a registry of PEERS peers with one range.
#
#   scripts/bench/etcd.sh [COUNT] [PEERS]      (defaults: 3000 requests, 10000 peers)
#
# Each throughput figure is the best of three alternating rounds per side. The client runs
# with its defaults (sent on the calling thread, answers awaited off it).
#
# Needs etcd (etcd-server), curl and python3 (to write the curl config). Prints one line
# per figure; docs/performance/etcd.md records a run. BUILD=debug measures a debug build.
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${1:-3000}
PEERS=${2:-10000}
# shellcheck source=../lib/fixtures.sh
source scripts/lib/fixtures.sh
fixtures_init valon-etcd-bench
WORK=$FIXTURES_DIR

BENCH=$(fixtures_build valon-bench)
fixtures_etcd_start --quota-backend-bytes 4294967296
ENDPOINT=$FIXTURES_ETCD

echo "etcd $(etcd --version | awk 'NR == 1 {print $3}') at $ENDPOINT, $COUNT requests each, $(nproc) cores"

# A curl --config with COUNT requests of one kind, chained with `next` (one connection).
curl_config() {
  python3 - "$1" "$COUNT" "$ENDPOINT" <<'PY'
import base64, json, sys
kind, count, endpoint = sys.argv[1], int(sys.argv[2]), sys.argv[3]
b = lambda s: base64.b64encode(s.encode()).decode()
value = b("v" * 64)
out = []
for i in range(count):
    if kind == "puts":
        path, body = "/v3/kv/put", {"key": b(f"/bench/put/{i % 1000}"), "value": value}
    elif kind == "ranges":
        path, body = "/v3/kv/range", {"key": b("/bench/range")}
    else:
        path, body = "/v3/kv/txn", {"compare": [{"key": b("/bench/none"), "target": "VERSION", "result": "EQUAL", "version": "0"}],
                                    "success": [{"request_put": {"key": b("/bench/txn"), "value": b(str(i))}}]}
    out.append(f'url = "{endpoint}{path}"\ndata = {json.dumps(body, separators=(",", ":"))}\noutput = "/dev/null"')
print("\nnext\n".join(out))
PY
}

for kind in puts ranges txns; do
  curl_config "$kind" >"$WORK/$kind.curl"
  if [ "$kind" = ranges ]; then curl -s "$ENDPOINT/v3/kv/put" -d "{\"key\":\"$(printf /bench/range | base64)\",\"value\":\"eA==\"}" >/dev/null; fi
  curl -s -K "$WORK/$kind.curl" >/dev/null   # warm-up run (also fills the keys)
  # Three alternating rounds, best of each side: the machine is shared, and a load spike
  # during one side's round would otherwise decide the ratio.
  curl_rate=0; ours_rate=0
  for _ in 1 2 3; do
    start=$(date +%s.%N)
    curl -s -K "$WORK/$kind.curl" >/dev/null
    end=$(date +%s.%N)
    rate=$(python3 -c "print(round($COUNT / ($end - $start)))")
    if [ "$rate" -gt "$curl_rate" ]; then curl_rate=$rate; fi
    ours=$("$BENCH" etcd "$kind" "$ENDPOINT" "$COUNT")
    rate=$(sed -E 's/.*= ([0-9]+)\/s/\1/' <<<"$ours")
    if [ "$rate" -gt "$ours_rate" ]; then ours_rate=$rate; fi
  done
  ratio=$(python3 -c "print(f'{$ours_rate / $curl_rate:.2f}')")
  printf '%-7s valon %7s/s   curl keep-alive loop %7s/s   ratio %s\n' "$kind" "$ours_rate" "$curl_rate" "$ratio"
done

"$BENCH" etcd list "$ENDPOINT" "$PEERS"
"$BENCH" etcd list "$ENDPOINT" "$PEERS" gateway
