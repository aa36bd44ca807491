#!/usr/bin/env bash
# The time from "direct failed" to "the relayed pair pings" (docs/ARCHITECTURE.md §10), in
# follow mode (--interval 1): the NAT matrix's symmetric/cone case, RUNS times. Each run
# brings up a fresh mesh, c1 pings c3 every 0.2 s from the start, and the figure is the first
# ping answer through the relay minus the earlier of both sides' "failed at" (whole seconds,
# so ±1 s). For reference, each run also prints how long the pair needed from its first
# ping to the first answer, direct attempts included.
#
# Usage (as root): scripts/bench/relay-failover.sh [RUNS] [BIN_DIR]   (default 3 runs, debug build)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${1:-3}
BIN=${2:-$(cd "$ROOT" && swift build --show-bin-path)}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 1; i <= RUNS; i++)); do
  NAT_MATRIX_MEASURE_ONLY=1 "$ROOT/scripts/e2e/nat-matrix.sh" "$BIN" symmetric-cone 2>&1 | grep -E 'measured:|FAIL|passed' | sed "s/^/run $i: /"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
