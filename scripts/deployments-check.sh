#!/usr/bin/env bash
# Checks every systemd unit in deployments/ with `systemd-analyze verify` (offline; PID 1
# need not be systemd). The units name /usr/local/bin/valon-*; this script builds them
# and, in a private mount namespace, puts the built binaries there, so the check also
# covers that every ExecStart names a real program. Needs root (for the mount namespace)
# and Debian's `systemd` package (systemd-analyze).
#
# Usage (as root): scripts/deployments-check.sh [BIN_DIR]   (default: swift build --show-bin-path)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$(cd "$ROOT" && swift build --show-bin-path)}
command -v systemd-analyze >/dev/null || { echo "deployments-check: systemd-analyze missing (apt-get install systemd)" >&2; exit 2; }
for tool in valon-discovery valon-sync valon-bootstrap valonctl; do
  [[ -x $BIN/$tool ]] || { echo "deployments-check: $BIN/$tool missing (swift build first)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/valon-units.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/units"
for tool in valon-discovery valon-sync valon-bootstrap valonctl; do cp "$BIN/$tool" "$work/bin/"; done
mapfile -t units < <(find "$ROOT/deployments" -name '*.service' -o -name '*.timer' | sort)
for unit in "${units[@]}"; do cp "$unit" "$work/units/"; done

passed=0 failed=0
for unit in "${units[@]}"; do
  name=$(basename "$unit")
  if out=$(unshare -m sh -c 'mount --bind "$1" /usr/local/bin && cd "$2" && systemd-analyze verify "./$3"' sh \
      "$work/bin" "$work/units" "$name" 2>&1) && [[ -z $out ]]; then
    echo "PASS  systemd-analyze verify ${unit#"$ROOT"/}"; passed=$((passed + 1))
  else
    echo "FAIL  systemd-analyze verify ${unit#"$ROOT"/}"; echo "$out" | sed 's/^/      /'; failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
