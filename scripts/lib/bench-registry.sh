# The bench registry for scripts/bench/client-sync.sh and ixfr.sh: etcd on loopback, a
# discovery wireguard-go interface with the real valon-discovery (DNS on loopback, AXFR and
# IXFR allowed there), a client wireguard-go interface and its client.conf, and N peers
# registered with etcdctl txn batches (each in 100.64.0.0/16 with a NAT endpoint).
#
#   source scripts/lib/fixtures.sh; fixtures_init NAME
#   BIN=… WORK=$FIXTURES_DIR source scripts/lib/bench-registry.sh
#   bench_registry_start PEERS        # then: sync [valon-sync options], serial, register FROM TO,
#                                     # wait_registry COUNT; $DISC, $CLIENT, $DNSP, $APIP, $EP,
#                                     # $DISCOVERY_PID; $WORK/peers lists "KEY IP ALIAS" lines
# Optional: BENCH_PEER_NET (the peers' first two octets, default 100.64), BENCH_DISC_ADDRESS
# (an address for the discovery interface, e.g. 100.64.0.1/16; the node's DNS answers there
# too, transfers included), BENCH_NOTIFY (true to send NOTIFY, default false) and
# BENCH_NOTIFY_PORT. bench_registry_wait_answer
# waits until a node started again (after $WORK/discovery.yml changed) answers.
SUF=$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
DISC=vbd$SUF CLIENT=vbc$SUF

# bench_registry_start PEERS (the body is not indented: it holds here-documents).
bench_registry_start() {
read -r DNSP APIP < <(fixtures_free_ports 2)
fixtures_etcd_start --max-txn-ops 100000 --max-request-bytes 33554432 --log-level error
EP=${FIXTURES_ETCD#http://127.0.0.1:}
export ETCDCTL_API=3

fixtures_wg_start "$DISC"
fixtures_wg_start "$CLIENT"
(umask 077; wg genkey >"$WORK/disc.key"; wg genkey >"$WORK/client.key")
wg set "$DISC" private-key "$WORK/disc.key" listen-port 0
ip link set "$DISC" up
[ -n "${BENCH_DISC_ADDRESS:-}" ] && ip addr add "$BENCH_DISC_ADDRESS" dev "$DISC"
wg set "$CLIENT" private-key "$WORK/client.key" listen-port 0
ip link set "$CLIENT" up

# Registry: $1 peers in 100.64.0.0/16, each with a NAT endpoint.
register() {  # FROM TO, in transactions of at most 2,000 peers (etcdctl sends at most 2 MiB)
    local from=$1 to=$2
    while [ $((to - from)) -gt 2000 ]; do register_txn "$from" $((from + 2000)); from=$((from + 2000)); done
    register_txn "$from" "$to"
}
register_txn() {
    local from=$1 to=$2 batch="$WORK/txn"
    : >"$batch.keys"
    { echo; for ((i = from; i < to; i++)); do
        key=$(head -c32 /dev/urandom | base64)
        ip="${BENCH_PEER_NET:-100.64}.$((i / 250 + 1)).$((i % 250 + 2))"
        echo "$key $ip p$i" >>"$batch.keys"
        echo "put /valon/peers/$key/wg_ip $ip"
        echo "put /valon/peers/$key/alias p$i"
        echo "put /valon/peers/$key/nat_endpoint 203.0.$((i / 250)).$((i % 250 + 1)):$((40000 + i % 20000))"
        echo "put /valon/aliases/p$i $key"
        echo "put /valon/ips/$ip $key"
      done; echo; echo; } >"$batch"
    etcdctl --endpoints=127.0.0.1:$EP txn <"$batch" >/dev/null
    cat "$batch.keys" >>"$WORK/peers"
}
: >"$WORK/peers"
register 0 "$1"

cat >"$WORK/discovery.yml" <<YML
zone: valon.bench
etcd_endpoints: [http://127.0.0.1:$EP]
wg_interface: $DISC
ddns_listen: 127.0.0.1:$APIP
bind: [127.0.0.1${BENCH_DISC_ADDRESS:+, ${BENCH_DISC_ADDRESS%/*}}]
port: $DNSP
axfr_allow: [127.0.0.0/8${BENCH_DISC_ADDRESS:+, ${BENCH_DISC_ADDRESS%/*}/32}]
state_dir: $WORK/discovery-state
notify: ${BENCH_NOTIFY:-false}
notify_port: ${BENCH_NOTIFY_PORT:-53530}
YML
"$BIN/valon-discovery" --config "$WORK/discovery.yml" --log-level notice >"$WORK/discovery.log" 2>&1 &
DISCOVERY_PID=$!
fixtures_remember "$DISCOVERY_PID"
serial() { dig +short -p "$DNSP" @127.0.0.1 valon.bench SOA | awk '$3 ~ /^[0-9]+$/ {print $3}'; }
bench_registry_wait_answer
wait_registry() {  # COUNT: until the zone and the discovery interface hold COUNT peers
    until [ "$(wg show "$DISC" peers | wc -l)" -ge "$1" ]; do sleep 0.2; done
    until [ "$(dig +tcp -p "$DNSP" @127.0.0.1 valon.bench AXFR | grep -c 'TXT.*"pub=')" -ge "$1" ]; do sleep 0.2; done
}
wait_registry "$1"

cat >"$WORK/client.conf" <<CONF
WG_INTERFACE=$CLIENT
DISCOVERY_PUBKEY=$(wg pubkey <"$WORK/disc.key")
DISCOVERY_ENDPOINT=127.0.0.1:$(wg show "$DISC" listen-port)
DISCOVERY_DNS=127.0.0.1:$DNSP
DISCOVERY_API=http://127.0.0.1:$APIP
DNS_ZONE=valon.bench
OWN_WG_IP=100.64.0.254
ALLOWED_IPS=100.64.0.0/16
PRIVATE_KEY_FILE=$WORK/client.key
CONF
sync() { "$BIN/valon-sync" --config "$WORK/client.conf" --state-dir "$WORK/state" --no-report --json "$@"; }
}

# bench_registry_wait_answer: until the node answers the SOA (exits when it died).
bench_registry_wait_answer() {
for _ in $(seq 1200); do
    [ -n "$(serial 2>/dev/null)" ] && break
    kill -0 "$DISCOVERY_PID" 2>/dev/null || { echo "bench-registry: valon-discovery exited: $(cat "$WORK/discovery.log")" >&2; exit 1; }
    sleep 0.1
done
[ -n "$(serial 2>/dev/null)" ] || { echo "bench-registry: valon-discovery did not answer; log: $(cat "$WORK/discovery.log")" >&2; exit 1; }
}
