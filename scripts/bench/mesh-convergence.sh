#!/usr/bin/env bash
# Mesh convergence on one machine (needs root), on the topology of scripts/lib/mesh.sh, with
# DNS NOTIFY (docs/ARCHITECTURE.md §12) and, beside it in the same invocation, the poll-only
# reference (the node with `notify: false`, the clients with `--notify-port 0
# --no-network-watch`):
#  1. `valonctl peer add` → every client's interface has the new peer;
#  2. a client's move behind the other NAT → a working tunnel again: c3 moves from NAT 2 to
#     NAT 1's LAN (192.168.1.13) and the time until c1 and c2 both ping it is taken; each
#     round on a fresh mesh.
# Each is measured ROUNDS times (default 5) per mode; the median, min and max are printed in
# ms, with the load average (uptime) before and after.
#
# Usage (as root): scripts/bench/mesh-convergence.sh [ROUNDS] [BIN_DIR]
#   BENCH_MODES="notify poll" (default; either alone), MESH_FOLLOW_INTERVAL (default 2)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ROUNDS=${1:-5}
MESH_BIN=${2:-$(cd "$ROOT" && swift build --show-bin-path)}
MESH_PREFIX=vb
MESH_FOLLOW_INTERVAL=${MESH_FOLLOW_INTERVAL:-2}
BENCH_MODES=${BENCH_MODES:-notify poll}
source "$ROOT/scripts/lib/mesh.sh"
trap 'mesh_down quiet' EXIT
trap 'exit 130' INT TERM

now_ms() { echo $(($(date +%s%N) / 1000000)); }
stats() { # stats VALUES...: median min max
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "median %d ms, min %d ms, max %d ms (%d rounds)\n", m, v[1], v[NR], NR }'
}
fast_ping() { mesh_in "$1" ping -c 1 -W 1 "$(mesh_wgip "$2")" >/dev/null 2>&1; }
wait_until() { # wait_until LIMIT_TRIES COMMAND...: polls every 50 ms
  local i; for ((i = 0; i < $1; i++)); do "${@:2}" && return 0; sleep 0.05; done; return 1
}
all_have() { local c key=$1; for c in $MESH_CLIENTS; do
  mesh_in "$c" wg show "$(mesh_client_if "$c")" peers | grep -qxF "$key" || return 1; done; }
settle() { local a b; for a in $MESH_CLIENTS; do for b in $MESH_CLIENTS; do [[ $a == "$b" ]] || mesh_wait_ping "$a" "$b" 60; done; done; }
both_reach_c3() { fast_ping c1 c3 && fast_ping c2 c3; }

# mode MODE: the settings of MODE (notify or poll) for the next mesh_up.
mode() {
  if [[ $1 == poll ]]; then MESH_NOTIFY=off; MESH_SYNC_FLAGS="--notify-port 0 --no-network-watch"; else MESH_NOTIFY=on; MESH_SYNC_FLAGS=""; fi
}

# measure_adds MODE: ROUNDS peer adds on one mesh; the times in adds_MODE.
measure_adds() {
  local -n out=adds_$1
  local r key start
  mode "$1"
  mesh_up 2>/dev/null || { echo "mesh did not come up" >&2; exit 1; }
  settle
  sleep 2
  for ((r = 1; r <= ROUNDS; r++)); do
    key=$(wg genkey | wg pubkey)
    start=$(now_ms)
    mesh_valonctl peer add "$key" --alias "new$r" >/dev/null
    if wait_until 2400 all_have "$key"; then
      out+=($(($(now_ms) - start))); echo "$1: peer add round $r: ${out[-1]} ms"
    else
      echo "$1: peer add round $r: not on every client within the poll limit"
    fi
    mesh_valonctl peer remove "new$r" >/dev/null
    sleep 2
  done
}

# measure_moves MODE: ROUNDS moves, each on a fresh mesh; the times in moves_MODE.
measure_moves() {
  local -n out=moves_$1
  local r start
  mode "$1"
  for ((r = 1; r <= ROUNDS; r++)); do
    mesh_up 2>/dev/null || { echo "mesh did not come up" >&2; exit 1; }
    settle
    sleep 2
    start=$(now_ms)
    topo_move_client "$MESH_PREFIX" c3 1 13
    if wait_until 2400 both_reach_c3; then
      out+=($(($(now_ms) - start))); echo "$1: move round $r (c3 behind NAT 1): ${out[-1]} ms"
    else
      echo "$1: move round $r: no tunnel within the poll limit"
    fi
  done
}

echo "valon-sync --follow --interval $MESH_FOLLOW_INTERVAL; wg_poll_interval 1s; $(nproc) cores, $(uname -r)"
echo "before: $(uptime)"
adds_notify=() adds_poll=() moves_notify=() moves_poll=()
for m in $BENCH_MODES; do measure_adds "$m"; done
for m in $BENCH_MODES; do measure_moves "$m"; done
echo "after:  $(uptime)"

label() { [[ $1 == poll ]] && echo "poll only" || echo "NOTIFY"; }
echo
for m in $BENCH_MODES; do
  unset -n a 2>/dev/null
  declare -n a=adds_$m
  printf 'peer add -> on every client, %-9s  %s\n' "$(label "$m"):" "$( ((${#a[@]})) && stats "${a[@]}" || echo none)"
done
for m in $BENCH_MODES; do
  unset -n v 2>/dev/null
  declare -n v=moves_$m
  printf 'move -> working tunnel,      %-9s  %s\n' "$(label "$m"):" "$( ((${#v[@]})) && stats "${v[@]}" || echo none)"
done
