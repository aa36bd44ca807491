#!/usr/bin/env bash
# Fuzzes the DNS decoder with libFuzzer for a bounded time.
#
#   scripts/fuzz-dns.sh [SECONDS]     (default 60)
#
# Compiles the wire codec (Sources/ValonCore/DNSCodec, which imports nothing) with
# Sources/ValonCore/Net and Fuzz/DNSDecoderFuzzer.swift using
# swiftc -sanitize=fuzzer,address (a whole-package fuzzer build would rebuild swift-crypto),
# seeds the corpus from the captured packets in Tests/Fixtures/dns/, and runs. Exits
# non-zero when the fuzzer finds a crash, a hang or a leak; the input that caused it is
# left in .build-fuzz/artifacts/.
set -euo pipefail

seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/.build-fuzz"
corpus="$work/corpus"
artifacts="$work/artifacts"
binary="$work/dns-decoder-fuzzer"
mkdir -p "$corpus" "$artifacts"
rm -f "$artifacts"/*

for fixture in "$root"/Tests/Fixtures/dns/*.hex; do
    sed 's/;.*//' "$fixture" | xxd -r -p > "$corpus/seed-$(basename "$fixture" .hex)"
done

echo "fuzz-dns: building $binary"
# The linker warns about ASan's local symbols; those lines are noise.
swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name ValonDNSFuzz \
    "$root"/Sources/ValonCore/DNSCodec/*.swift "$root"/Sources/ValonCore/Net/*.swift "$root"/Fuzz/DNSDecoderFuzzer.swift \
    -o "$binary" 2> >(grep -v "Cannot export local symbol" >&2)

echo "fuzz-dns: running for $seconds s with $(ls "$corpus" | wc -l) corpus inputs"
log="$work/fuzz.log"
set +e
# Swift's own crash backtracer would run inside ASan and bury the failure message.
SWIFT_BACKTRACE=enable=no "$binary" "$corpus" -dict="$root/Fuzz/dns.dict" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$artifacts/" -print_final_stats=1 > "$log" 2>&1
status=$?
set -e

runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
found=$(ls "$artifacts" | wc -l)
echo "fuzz-dns: $runs inputs in $seconds s, coverage $coverage edges, corpus $(ls "$corpus" | wc -l) inputs, $found artifacts"
if [ "$status" -ne 0 ]; then
    grep -E "ERROR|Fatal error|Precondition failed|SUMMARY|Test unit written" "$log" >&2 || tail -n 40 "$log" >&2
    echo "fuzz-dns: FAILED (libFuzzer exit $status); log $log, inputs in $artifacts" >&2
    exit 1
fi
echo "fuzz-dns: passed, no crash"
