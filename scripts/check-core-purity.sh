#!/usr/bin/env bash
# Holds the line around ValonCore, the pure core (docs/ARCHITECTURE.md §2):
#   1. every file under Sources/ValonCore imports only FoundationEssentials, Crypto and Yams:
#      never Glibc, Darwin, a C module (CCurl, CMnl, ...), Foundation (on Linux it
#      re-exports Glibc, so a syscall would build) or FoundationNetworking;
#   2. Sources/ValonCore holds Swift files only (no C sources, headers or module maps);
#   3. Package.swift gives the ValonCore target no dependency but the Crypto and Yams
#      products, and no linker or unsafe flags;
#   4. no file in Sources/, Tests/ or scripts/ cites the old design file by section (the
#      references point at docs/ARCHITECTURE.md).
# Exits non-zero naming each violation. scripts/test.sh runs it as a step, and the
# CorePurityCheck build-tool plugin runs it on every ValonCore build (with --stamp FILE,
# which writes FILE, a Swift comment, when the check passes), so `swift build` fails too.
#
#   scripts/check-core-purity.sh [--stamp FILE]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
stamp=""
if [ "${1:-}" = "--stamp" ]; then stamp=${2:?--stamp needs a file}; fi

core="$root/Sources/ValonCore"
allowed="FoundationEssentials Crypto Yams"
problems=0
fail() { echo "check-core-purity: $*" >&2; problems=$((problems + 1)); }

[ -d "$core" ] || fail "no $core"

# 1. Imports: any `import M`, `@preconcurrency import M`, `import struct M.T`, inside #if or not.
while IFS= read -r hit; do
    file=${hit%%:*}; rest=${hit#*:}; line=${rest%%:*}; text=${rest#*:}
    module=$(sed -E 's/^[[:space:]]*(@[A-Za-z_]+[[:space:]]+)*import[[:space:]]+((typealias|struct|class|enum|protocol|let|var|func)[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*).*/\4/' <<<"$text")
    case " $allowed " in
        *" $module "*) ;;
        *) fail "${file#"$root"/}:$line imports $module; ValonCore may import only: $allowed" ;;
    esac
done < <(grep -rnE '^[[:space:]]*(@[A-Za-z_]+[[:space:]]+)*import[[:space:]]' "$core" --include='*.swift')

# 2. Swift only.
while IFS= read -r other; do
    fail "${other#"$root"/} is not a Swift file; ValonCore holds no C code or module map"
done < <(find "$core" -type f ! -name '*.swift')

# 3. The target's entry in Package.swift: from `name: "ValonCore"` to the target's closing `),`.
block=$(awk '/\.target\(/ { buffer = ""; inside = 1 }
             inside { buffer = buffer $0 "\n" }
             inside && /^        \),?$/ { if (buffer ~ /name: "ValonCore"/) printf "%s", buffer; inside = 0 }' "$root/Package.swift")
if [ -z "$block" ]; then
    fail "Package.swift has no .target(name: \"ValonCore\")"
else
    dependencies=$(awk '/dependencies: \[/ { inside = 1; next } inside && /^            \],?$/ { inside = 0 } inside' <<<"$block")
    while IFS= read -r entry; do
        entry=$(sed -E 's/^[[:space:]]+//; s/,$//' <<<"$entry")
        case "$entry" in
            "") ;;
            '.product(name: "Crypto", package: "swift-crypto")' | '.product(name: "Yams", package: "Yams")') ;;
            *) fail "Package.swift: ValonCore depends on $entry; it may depend only on the Crypto and Yams products" ;;
        esac
    done <<<"$dependencies"
    for word in linkedLibrary linkedFramework unsafeFlags cSettings cxxSettings linkerSettings; do
        grep -q "$word" <<<"$block" && fail "Package.swift: the ValonCore target uses $word"
    done
fi

# 4. The old design file's section references (the pattern is split so this file does not match).
old="DESIGN"" §"
while IFS= read -r hit; do
    fail "${hit#"$root"/} cites the old design file; point at docs/ARCHITECTURE.md §N"
done < <(grep -rn --exclude-dir='.build*' -e "$old" "$root/Sources" "$root/Tests" "$root/scripts")

if [ "$problems" -ne 0 ]; then
    echo "check-core-purity: FAILED, $problems problem(s)" >&2
    exit 1
fi
if [ -n "$stamp" ]; then
    printf '// Written by scripts/check-core-purity.sh: ValonCore passed the purity check.\n' > "$stamp"
fi
echo "check-core-purity: passed ($(find "$core" -name '*.swift' | wc -l) files; imports only $allowed)"
