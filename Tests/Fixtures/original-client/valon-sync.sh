#!/bin/bash
# A fixture: the original system's bash client, client-scripts/bin/valon-sync, as its
# README and its operators describe it, written down so that tests can run it against our
# discovery node (Tests/ValonDiscoveryTests/API/OriginalClientFixtureTests.swift). It is
# not a VALON tool; valon-sync (Swift) replaces it.
#
# What it does, in the original's way, with dig, wg, ip and curl only:
#   1. its LAN address: the source address toward DISCOVERY_ENDPOINT (`ip route get`), with
#      WG_PORT; none found → "" (the original's "no LAN address"); --offline → "0.0.0.0:0";
#   2. posts {"pubkey","lan_endpoint","alias"} to DISCOVERY_API/api/endpoint with curl;
#   3. for every peer of WG_INTERFACE but the discovery node: the key label (base64 -d |
#      base32, no padding, lowercase), `dig +short _wireguard._udp.<label>.<zone> SRV`,
#      `grep 'lan\.'` and `grep 'nated\.'` on it, `awk '{print $3}'` for the port and
#      `awk '{print $4}'` for the target, one `dig +short <target> A` per target;
#   4. picks LAN when its address is on a directly connected network (`ip route get`
#      names no gateway), else NAT, else LAN, and sets it with `wg set … endpoint`.
#
# Usage: valon-sync.sh [--offline] CONFIG
#   CONFIG is a client.conf (KEY=value): WG_INTERFACE, DISCOVERY_PUBKEY, DISCOVERY_ENDPOINT,
#   DISCOVERY_DNS, DISCOVERY_API, DNS_ZONE, OWN_ALIAS, WG_PORT, and for tests DNS_PORT
#   (default 53).
#
# Output, one line each, for the test to compare with the registry:
#   post <json>                  the body it sent
#   response <http status> <body>
#   peer <base64 key> label=<key label>
#   srv <base64 key> <one line of dig +short>
#   lan <base64 key> port=<port> target=<target> a=<address|>
#   nated <base64 key> port=<port> target=<target> a=<address|>
#   set <base64 key> <endpoint|none>
set -u

offline=0
if [ "${1:-}" = "--offline" ]; then
    offline=1
    shift
fi
config=${1:?usage: valon-sync.sh [--offline] CONFIG}
# shellcheck disable=SC1090
. "$config"
DNS_PORT=${DNS_PORT:-53}

dns() {
    dig +short +time=3 +tries=2 @"$DISCOVERY_DNS" -p "$DNS_PORT" "$@"
}

# 1. The LAN endpoint.
pubkey=$(wg show "$WG_INTERFACE" public-key)
if [ "$offline" = 1 ]; then
    lan_endpoint="0.0.0.0:0"
else
    discovery_host=${DISCOVERY_ENDPOINT%:*}
    lan_ip=$(ip -4 route get "$discovery_host" 2>/dev/null | grep -o 'src [0-9.]*' | awk '{print $2}')
    if [ -n "$lan_ip" ]; then
        lan_endpoint="$lan_ip:$WG_PORT"
    else
        lan_endpoint=""
    fi
fi

# 2. The report.
json="{\"pubkey\": \"$pubkey\", \"lan_endpoint\": \"$lan_endpoint\", \"alias\": \"$OWN_ALIAS\"}"
echo "post $json"
answer=$(curl -s --max-time 10 -X POST -H "Content-Type: application/json" -d "$json" \
    -w '\n%{http_code}' "$DISCOVERY_API/api/endpoint")
status=$(echo "$answer" | tail -n 1)
body=$(echo "$answer" | sed '$d')
echo "response $status $body"

# 3. and 4. Every peer's endpoints from DNS.
for peer in $(wg show "$WG_INTERFACE" peers); do
    [ "$peer" = "$DISCOVERY_PUBKEY" ] && continue
    label=$(echo "$peer" | base64 -d | base32 | tr -d '=' | tr 'A-Z' 'a-z')
    echo "peer $peer label=$label"
    srv=$(dns "_wireguard._udp.$label.$DNS_ZONE" SRV)
    if [ -n "$srv" ]; then
        echo "$srv" | while read -r line; do echo "srv $peer $line"; done
    fi

    lan_line=$(echo "$srv" | grep 'lan\.')
    nat_line=$(echo "$srv" | grep 'nated\.')
    lan_port=$(echo "$lan_line" | awk '{print $3}')
    lan_target=$(echo "$lan_line" | awk '{print $4}')
    nat_port=$(echo "$nat_line" | awk '{print $3}')
    nat_target=$(echo "$nat_line" | awk '{print $4}')
    lan_addr=""
    nat_addr=""
    if [ -n "$lan_target" ]; then
        lan_addr=$(dns "$lan_target" A | head -n 1)
        echo "lan $peer port=$lan_port target=$lan_target a=$lan_addr"
    fi
    if [ -n "$nat_target" ]; then
        nat_addr=$(dns "$nat_target" A | head -n 1)
        echo "nated $peer port=$nat_port target=$nat_target a=$nat_addr"
    fi

    endpoint=""
    if [ -n "$lan_addr" ] && ip route get "$lan_addr" 2>/dev/null | head -n 1 | grep -qv ' via '; then
        endpoint="$lan_addr:$lan_port"
    elif [ -n "$nat_addr" ]; then
        endpoint="$nat_addr:$nat_port"
    elif [ -n "$lan_addr" ]; then
        endpoint="$lan_addr:$lan_port"
    fi
    if [ -n "$endpoint" ]; then
        wg set "$WG_INTERFACE" peer "$peer" endpoint "$endpoint"
        echo "set $peer $endpoint"
    else
        echo "set $peer none"
    fi
done
