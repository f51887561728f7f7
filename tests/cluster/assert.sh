# shellcheck shell=bash
# tests/cluster/assert.sh — the assertions every suite counts and prints the same way (sourced by
# lib.sh, not run). Each assertion prints one line, "  ok   WHAT" on stdout or "  FAIL WHAT" on
# stderr, and counts in ASSERT_PASSED / ASSERT_FAILED; `summary` prints the totals.
# A failed `check` stops the run when the suite sets CHECK_FATAL=1 (its later steps build on the
# state it asserted); otherwise it is counted and the run goes on, so that every failure is reported.

ASSERT_PASSED=0
ASSERT_FAILED=0

ok() { ASSERT_PASSED=$((ASSERT_PASSED + 1)); printf '  ok   %s\n' "$*"; }
bad() { ASSERT_FAILED=$((ASSERT_FAILED + 1)); printf '  FAIL %s\n' "$*" >&2; }
# fail WHAT — a failed assertion after which the run cannot go on.
fail() { bad "$@"; exit 1; }

# check WHAT CMD... — one assertion: CMD succeeds.
check() {
    local what=$1
    shift
    if "$@"; then
        ok "$what"
    elif [ -n "${CHECK_FATAL:-}" ]; then
        fail "$what"
    else
        bad "$what"
    fi
}

# run_expect RC WHAT CMD... — CMD must exit RC; its output is kept in $OUT for `contains`.
run_expect() {
    local want=$1 what=$2 rc
    shift 2
    OUT=$("$@" 2>&1)
    rc=$?
    if [ "$rc" = "$want" ]; then ok "$what (rc $rc)"; else bad "$what: rc $rc, wanted $want"; printf '%s\n' "$OUT" | tail -15 >&2; fi
}

# contains WHAT TEXT — $OUT (of the last run_expect) contains TEXT.
contains() {
    local what=$1 needle=$2
    if grep -qF -- "$needle" <<<"$OUT"; then ok "$what"; else bad "$what: '$needle' not in output"; printf '%s\n' "$OUT" | tail -15 >&2; fi
}

section() { printf '\n-- %s\n' "$*"; }

# quiet COMMAND... — runs COMMAND, showing its output (indented, last 20 lines) only when it fails;
# for `check` of tools that talk even when all is well (xmllint, pcs, crm).
quiet() {
    local log rc=0
    log=$("$@" 2>&1) || rc=$?
    [ "$rc" = 0 ] || printf '%s\n' "$log" | sed 's/^/    | /' | tail -20
    return "$rc"
}

# summary [LABEL] — "N passed, N failed" (after "LABEL: "); fails when any assertion failed.
summary() {
    printf '%s%s passed, %s failed\n' "${1:+$1: }" "$ASSERT_PASSED" "$ASSERT_FAILED"
    [ "$ASSERT_FAILED" = 0 ]
}
