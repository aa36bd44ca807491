#!/usr/bin/env bash
# The persisted registry snapshot (docs/ARCHITECTURE.md §9): valon-bench saves and loads
# the file for N peers (encode, write, fsync, rename, fsync of the directory; read, strict
# decode, index), and in the same invocation Python's json module does the same work on
# the same file as the reference (json.dumps + write + fsync + rename; json.load + a dict
# per peer). Prints medians over RUNS rounds.
# Usage: scripts/bench/snapshot-file.sh [debug|release]   (PEERS="1000 10000" RUNS=10)
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-release}
peers=${PEERS:-1000 10000}
runs=${RUNS:-10}
# shellcheck source=../lib/fixtures.sh
source scripts/lib/fixtures.sh
fixtures_init valon-snapshot-bench
dir=$FIXTURES_DIR
bin=$(BUILD=$mode fixtures_build valon-bench)
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $peers; do
  "$bin" snapshot-file "$n" --rounds "$runs" --dir "$dir"
  python3 - "$dir/registry-snapshot.json" "$runs" <<'PY'
import json, os, statistics, sys, time
path, runs = sys.argv[1], int(sys.argv[2])
doc = json.load(open(path))
saves, loads = [], []
for _ in range(runs):
    t = time.perf_counter()
    tmp = path + ".py"
    with open(tmp, "w") as f:
        f.write(json.dumps(doc, sort_keys=True))
        f.flush(); os.fsync(f.fileno())
    os.rename(tmp, path + ".ref")
    d = os.open(os.path.dirname(path), os.O_RDONLY); os.fsync(d); os.close(d)
    saves.append(time.perf_counter() - t)
    t = time.perf_counter()
    loaded = json.load(open(path + ".ref"))
    index = {p["pubkey"]: p for p in loaded["peers"]}
    loads.append(time.perf_counter() - t)
print(f"python reference: {len(doc['peers'])} peers: save median {statistics.median(saves)*1000:.1f} ms, load median {statistics.median(loads)*1000:.1f} ms")
PY
done
