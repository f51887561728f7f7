#!/usr/bin/env bash
# tests/real-mq/simulated.sh [--transcript DIR] — the qualification kit run against a simulated
# installation, so that it cannot rot: lays out `mqsim install ROOT` in a temporary directory, runs
# tests/real-mq/qualify.sh on it exactly as an administrator runs it on real MQ (the kit knows
# nothing of the simulator; --simulated only labels the transcript), then has the parsers read the
# transcript it wrote (crates/mq-core/tests/real_transcripts.rs with MQHA_TRANSCRIPTS).
# --transcript DIR keeps the transcript there (how tests/fixtures/real/simulator-* is made).
# Needs root, tests/setup.sh run once and `cargo build --release --workspace`. 15 to 30 s.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/cluster/lib.sh
source "$here/../cluster/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root"
KEEP=""
while [ $# -gt 0 ]; do
    case $1 in
        --transcript) [ -n "${2-}" ] || die "--transcript needs a directory"; KEEP=$2; shift 2 ;;
        *) die "unknown option '$1' (usage: $0 [--transcript DIR])" ;;
    esac
done
[ -z "$KEEP" ] || [ ! -e "$KEEP" ] || die "--transcript $KEEP exists already"
REL=$PCMK_REPO/target/release
for b in mqsim ibmmq; do
    [ -x "$REL/$b" ] || die "build first: cargo build --release --workspace ($REL/$b missing)"
done

T0=$(now_ms)
ROOT=$(mktemp -d /var/tmp/mqha-qual-sim.XXXXXX) || die "mktemp"
chmod 0755 "$ROOT"
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    # Whatever the kit left (it deletes its queue manager itself): every process of this ROOT.
    "$REL/mqsim" cleanup "$ROOT/mq" >/dev/null 2>&1
    rm -rf "$ROOT"
    say "real-mq kit against the simulator: $([ $rc = 0 ] && echo PASSED || echo FAILED) in $((($(now_ms) - T0) / 1000))s"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$REL/mqsim" install "$ROOT/mq" >/dev/null || die "mqsim install $ROOT/mq failed"
# shellcheck disable=SC2119 # free_port probes here, with no command before it
PORT=$(free_port) || die "no free port"
OUT=$ROOT/transcript
# A 10 s escalation budget keeps the run short: 5 s of controlled end, then endmqm -p. mqm2 (made
# by tests/setup.sh, outside the mq group) is the client check's dedicated monitoring user.
"$here/qualify.sh" --installation "$ROOT/mq/opt/mqm" --mq-user mqm --port "$PORT" --output "$OUT" \
    --agent "$REL/ibmmq" --escalation-timeout 10 --client-user mqm2 --simulated
kit_rc=$?
[ "$kit_rc" = 0 ] || { printf 'FAIL: the kit exited %s; its summary:\n' "$kit_rc" >&2; cat "$OUT/summary" >&2; exit 1; }

if [ -n "$KEEP" ]; then
    mkdir -p "$(dirname "$KEEP")" || die "cannot create $(dirname "$KEEP")"
    cp -a "$OUT" "$KEEP" || die "cannot copy the transcript to $KEEP"
    say "transcript kept in $KEEP"
fi

say "the parsers read the transcript it wrote"
(cd "$PCMK_REPO" && MQHA_TRANSCRIPTS=$OUT cargo test --release --locked --offline -q -p mq-core \
    --test real_transcripts -- --nocapture) || { printf 'FAIL: the parsers rejected the transcript\n' >&2; exit 1; }
