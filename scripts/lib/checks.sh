#!/usr/bin/env bash
# The check helpers of the test scripts (scripts/e2e/*.sh, scripts/install-test.sh). Sourced.
#
#   check NAME COMMAND...   runs COMMAND; prints "PASS  NAME" or "FAIL  NAME" and counts it in
#                           $passed / $failed; on a failure it calls show_state when the
#                           script defines one (what the script wants printed to explain it)
#   poll TRIES COMMAND...   runs COMMAND up to TRIES times, half a second apart, until it
#                           succeeds (a bounded poll, never a wall-clock assertion)
#   checks_summary          prints "N passed, N failed"; fails when any check failed

passed=0 failed=0

check() {
  local name=$1; shift
  if "$@"; then
    echo "PASS  $name"; passed=$((passed + 1))
  else
    echo "FAIL  $name"; failed=$((failed + 1))
    if declare -F show_state >/dev/null; then show_state; fi
  fi
  return 0
}

poll() { local tries=$1 i; shift; for ((i = 0; i < tries; i++)); do "$@" && return 0; sleep 0.5; done; "$@"; }

checks_summary() {
  echo "$passed passed, $failed failed"
  [[ $failed == 0 ]]
}
