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
# per figure; docs/performance/etcd.md records a run.
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${1:-3000}
PEERS=${2:-10000}

swift build -c release --product valon-bench >/dev/null
BENCH=$(swift build -c release --show-bin-path)/valon-bench

WORK=$(mktemp -d /tmp/valon-etcd-bench.XXXXXX)
read -r CLIENT_PORT PEER_PORT < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
ENDPOINT=http://127.0.0.1:$CLIENT_PORT
etcd --name bench --data-dir "$WORK/data" \
  --listen-client-urls "$ENDPOINT" --advertise-client-urls "$ENDPOINT" \
  --listen-peer-urls "http://127.0.0.1:$PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$PEER_PORT" \
  --initial-cluster "bench=http://127.0.0.1:$PEER_PORT" --log-level warn --logger zap \
  --quota-backend-bytes 4294967296 >"$WORK/etcd.log" 2>&1 &
ETCD_PID=$!
trap 'kill $ETCD_PID 2>/dev/null; wait $ETCD_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do
  curl -sf "$ENDPOINT/health" >/dev/null && break
  sleep 0.1
done

echo "etcd $(etcd --version | head -1 | awk '{print $3}') at $ENDPOINT, $COUNT requests each, $(nproc) cores"

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
