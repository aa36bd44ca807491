#!/usr/bin/env bash
# Fuzzes the live valon-discovery DNS server for a bounded time: bursts of random and
# mutated packets over UDP, and over TCP (framed and unframed), against
# `valon-bench dns-server serve` (a synthetic 1,000-peer zone). After every burst a valid
# query must still be answered correctly over UDP and over TCP, and the process must be alive.
# Usage: scripts/fuzz-dns-server.sh [SECONDS]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
# A debug build by default: overflow checks and preconditions stay on while fuzzing, and
# CI has built it already. VALON_BUILD_CONFIGURATION=release fuzzes the optimized server.
configuration=${VALON_BUILD_CONFIGURATION:-debug}
swift build -c "$configuration" --product valon-bench >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
.build/"$configuration"/valon-bench dns-server serve --peers 1000 --port "$port" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do dig +short +time=1 +tries=1 -p "$port" @127.0.0.1 valon.internal SOA | grep -q . && break; sleep 0.1; done
python3 - "$port" "$seconds" "$pid" <<'PY'
import os, random, socket, struct, sys, time
port, seconds, pid = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])

def name(text):
    return b"".join(bytes([len(l)]) + l.encode() for l in text.split(".") if l) + b"\0"

def query(qid, qname, qtype, edns=True):
    header = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 1 if edns else 0)
    body = name(qname) + struct.pack(">HH", qtype, 1)
    opt = b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0) if edns else b""
    return header + body + opt

names = ["peer0.valon.internal", "_wireguard._udp.valon.internal", "nated.peer7.valon.internal",
         "valon.internal", "example.com", "_wireguard._udp.peer3.valon.internal", "x.y.z.valon.internal"]
seeds = [query(1, n, t, e) for n in names for t in (1, 28, 12, 33, 16, 6, 255, 252) for e in (True, False)]

def mutant():
    p = bytearray(random.choice(seeds))
    kind = random.randrange(7)
    if kind == 0:
        return os.urandom(random.randrange(0, 700))
    if kind == 1:
        for _ in range(random.randint(1, 8)):
            p[random.randrange(len(p))] = random.randrange(256)
    elif kind == 2:
        del p[random.randrange(len(p)):]
    elif kind == 3:
        p += os.urandom(random.randint(1, 80))
    elif kind == 4:
        i = 4 + 2 * random.randrange(4)
        p[i:i + 2] = os.urandom(2)
    elif kind == 5:
        p[12:14] = b"\xc0\x0c"          # a pointer to itself
    else:
        p[2] = random.randrange(256)    # any flags and opcode
    return bytes(p)

valid = query(0xBEEF, "peer0.valon.internal", 1)
# The check after each burst asks with an ID of its own, which the mutants (made from
# `valid`, ID 0xBEEF) do not carry: a late reply to a mutant is never taken for the answer.
def check_query():
    qid = random.choice([i for i in range(1, 65536) if i != 0xBEEF])
    return qid, struct.pack(">H", qid) + valid[2:]
def check_answer(reply, qid, how):
    if reply[:2] != struct.pack(">H", qid) or reply[3] & 0x0F != 0 or b"\x64\x40\x00\x02" not in reply:
        sys.exit(f"{how}: wrong answer to a valid query: {reply.hex()}")

deadline, bursts, sent = time.time() + seconds, 0, 0
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.settimeout(2)
while time.time() < deadline:
    for _ in range(500):
        udp.sendto(mutant(), ("127.0.0.1", port)); sent += 1
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", port), timeout=2) as tcp:
            for _ in range(random.randint(1, 10)):
                m = mutant(); sent += 1
                data = struct.pack(">H", len(m)) + m if random.random() < 0.7 else m
                try:
                    tcp.sendall(data)
                except OSError:
                    break
    udp.settimeout(0.05)
    try:
        while True: udp.recv(65535)
    except socket.timeout:
        pass
    udp.settimeout(2)
    qid, check = check_query()
    udp.sendto(check, ("127.0.0.1", port))
    while True:
        reply = udp.recv(65535)
        if reply[:2] == struct.pack(">H", qid): break
    check_answer(reply, qid, "UDP")
    qid, check = check_query()
    with socket.create_connection(("127.0.0.1", port), timeout=2) as tcp:
        tcp.sendall(struct.pack(">H", len(check)) + check)
        length = struct.unpack(">H", tcp.recv(2, socket.MSG_WAITALL))[0]
        check_answer(tcp.recv(length, socket.MSG_WAITALL), qid, "TCP")
    os.kill(pid, 0)
    bursts += 1
print(f"fuzz-dns-server: {bursts} bursts, {sent} mutated packets over UDP and TCP in {seconds:.0f} s; "
      "every valid query after a burst was answered")
PY
