#!/usr/bin/env bash
# valonctl: `peer list --json` and `peer export` over N registered peers (default 1000),
# against `etcdctl get --prefix /valon/ -w json` of the same registry as the reference.
# Starts its own etcd on a free loopback port; each command runs RUNS times (default 20);
# prints the median and the minimum wall time per command.
# Usage: scripts/bench/valonctl.sh [debug|release]   (PEERS=1000 RUNS=20)
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-release}
peers=${PEERS:-1000}
runs=${RUNS:-20}
# shellcheck source=../lib/fixtures.sh
source scripts/lib/fixtures.sh
fixtures_init valon-valonctl-bench
dir=$FIXTURES_DIR
bin=$(BUILD=$mode fixtures_build valonctl)

fixtures_etcd_start --log-level error
url=$FIXTURES_ETCD

# The registry: N peers in 4-key records plus alias and IP claims, written in
# transactions of 20 peers (120 puts, under etcd's 128-operation limit).
python3 - "$peers" "$dir/txns" <<'PY'
import base64, os, sys
count, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out)
for batch in range(0, count, 20):
    ops = []
    for i in range(batch, min(batch + 20, count)):
        key = base64.b64encode(os.urandom(32)).decode()
        ip = f"100.100.{(i + 2) // 256}.{(i + 2) % 256}"
        ops += [f'put /valon/peers/{key}/wg_ip "{ip}"', f'put /valon/peers/{key}/alias "p{i}"',
                f'put /valon/peers/{key}/lan_endpoint "192.168.1.{i % 250 + 1}:51820"',
                f'put /valon/peers/{key}/nat_endpoint "203.0.113.{i % 250 + 1}:{40000 + i}"',
                f'put /valon/aliases/p{i} "{key}"', f'put /valon/ips/{ip} "{key}"']
    with open(f"{out}/{batch:06d}", "w") as f:
        f.write("\n\n" + "\n".join(ops) + "\n\n")
PY
for txn in "$dir"/txns/*; do ETCDCTL_API=3 etcdctl --endpoints="$url" txn <"$txn" >/dev/null; done

cat >"$dir/valonctl.yml" <<YML
wireguard:
  interface: vkbench0
  ip: 100.100.0.1
  endpoint: 192.168.1.100:51820
  network: 100.100.0.0/16
etcd:
  endpoints:
    - $url
ddns:
  api_url: http://127.0.0.1:9
YML

echo "valonctl $mode, $peers peers, $runs runs each ($(nproc) cores)"
python3 - "$runs" "$bin" "$dir/valonctl.yml" "$url" <<'PY'
import os, statistics, subprocess, sys, time
runs, binary, config, url = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
env = dict(os.environ, ETCDCTL_API="3")
commands = [
    ("reference: etcdctl get --prefix /valon/ -w json", ["etcdctl", f"--endpoints={url}", "get", "--prefix", "/valon/", "-w", "json"]),
    ("valonctl genkey (start-up only, no etcd)", [binary, "genkey"]),
    ("valonctl peer list --json", [binary, "peer", "list", "--json", "--config", config]),
    ("valonctl peer export", [binary, "peer", "export", "--config", config]),
    ("valonctl peer list (text)", [binary, "peer", "list", "--config", config]),
]
for name, command in commands:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            sys.exit(f"{name}: exit {result.returncode}")
    print(f"{name:50s} median {statistics.median(times) * 1000:7.1f} ms   min {min(times) * 1000:7.1f} ms")
PY
