#!/usr/bin/env bash
# tests/cluster/single-node.sh — the live cluster suite: a real one-node Pacemaker 2.1.5 cluster
# (corosync -f + pacemakerd, no systemd) in namespaces of its own, the mqha agents managing a
# simulated queue manager, and every mq-sim fault injected with Pacemaker's reaction asserted
# within a deadline. Each scenario prints its measured reaction time. See tests/README.md.
#
#   tests/cluster/single-node.sh                  # harness proof with ocf:heartbeat:Dummy, then mqha
#   tests/cluster/single-node.sh --harness-only   # only the Dummy part (no mqha build needed)
#
# Needs root, tests/setup.sh run once, and `cargo build --release --workspace`.
# Leaves nothing behind: the trap stops the cluster, kills what is left in its network namespace
# (ours by construction), runs `mqsim cleanup` on the simulated installation and removes the state.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/cluster/lib.sh
source "$here/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (it creates namespaces and starts corosync/pacemaker)"
harness_only=""
[ "${1:-}" = --harness-only ] && harness_only=1

REL=$PCMK_REPO/target/release
RUN=$(mktemp -d /var/tmp/mqha-pcmk.XXXXXX)
chmod 0755 "$RUN"
NS=mqha-pcmk-$$
STATE=$RUN/node1
AGENTS=$RUN/agents
MQROOT=$RUN/mq
QM=QM1
SUITE_T0=$(now_ms)

teardown() {
    local rc=$?
    trap - EXIT INT TERM
    say "teardown: stopping the cluster (resources first), then the namespace"
    if [ -s "$STATE/node.pid" ]; then
        node_stop "$STATE" 120 || echo "warning: orderly cluster stop timed out; killed what was left" >&2
    fi
    if [ -x "$REL/mqsim" ] && [ -d "$MQROOT" ]; then "$REL/mqsim" cleanup "$MQROOT" >/dev/null 2>&1 || true; fi
    netns_destroy "$NS"
    if [ $rc -ne 0 ] && [ -n "${KEEP_LOGS:-}" ]; then
        echo "state kept in $RUN (KEEP_LOGS set)" >&2
    else
        rm -rf "$RUN"
    fi
    say "single-node: $([ $rc -eq 0 ] && echo PASSED || echo FAILED) in $(( ($(now_ms) - SUITE_T0) / 1000 ))s"
    exit $rc
}
trap teardown EXIT
trap 'exit 130' INT TERM

N() { node_exec "$STATE" "$@"; }

# ---- what the cluster says (crm_mon XML; the same data crm_mon -1 shows an administrator) --------
mon_xml() { N crm_mon -1 --output-as xml 2>/dev/null; }
xq() { xmllint --xpath "$1" - 2>/dev/null; }
role() { mon_xml | xq "string(//resources//resource[@id='$1']/@role)"; }
is_role() { [ "$(role "$1")" = "$2" ]; }
all_role() { local r; for r in "${@:2}"; do is_role "$r" "$1" || return 1; done; }
fail_count() { local v; v=$(mon_xml | xq "string(//resource_history[@id='$1']/@fail-count)"); echo "${v:-0}"; }
fail_count_is() { [ "$(fail_count "$1")" = "$2" ]; }
fail_count_at_least() { [ "$(fail_count "$1")" -ge "$2" ]; }
exit_reasons() { mon_xml | xq "//failures/failure[starts-with(@op_key,'$1_')]/@exitreason" | sed 's/^ *exitreason=//'; }
rsc_absent() { [ "$(mon_xml | xq "count(//resources//resource[@id='$1'])")" = 0 ]; }
# (output captured first: grep -q closing the pipe early would fail the pipeline under pipefail)
banned() { local out; out=$(N crm_simulate -L -s 2>/dev/null); grep -q "$1 allocation score on node1: -INFINITY" <<<"$out"; }

diagnose() {
    echo "---- crm_mon -1 --show-detail" >&2; N crm_mon -1 --show-detail >&2 2>&1 || true
    echo "---- pacemaker.log (last 40 lines)" >&2; tail -40 "$STATE/log-pacemaker/pacemaker.log" >&2 2>/dev/null || true
}

# expect DESC SECONDS CMD... — a bounded wait that is an assertion: prints the time taken or fails.
expect() {
    local desc=$1 secs=$2; shift 2
    if wait_for "$desc" "$secs" "$@"; then
        printf '  ok   %-62s %6.1fs\n' "$desc" "$(bc_ms "$WAITED_MS")"
    else
        printf '  FAIL %-62s (not within %ss)\n' "$desc" "$secs" >&2
        diagnose
        exit 1
    fi
}
check() {
    local desc=$1; shift
    if "$@"; then printf '  ok   %s\n' "$desc"; else printf '  FAIL %s\n' "$desc" >&2; diagnose; exit 1; fi
}
bc_ms() { printf '%d.%d' $(($1 / 1000)) $((($1 % 1000) / 100)); }
scenario() { printf '\n-- %s\n' "$*"; SCEN_T0=$(now_ms); }
reaction() { printf '  => reaction time (%s): %ss\n' "$1" "$(bc_ms $(( $(now_ms) - SCEN_T0 )))"; REACTIONS+=("$1: $(bc_ms $(( $(now_ms) - SCEN_T0 )))s"); }
REACTIONS=()

# ---- the node --------------------------------------------------------------------------------------
if [ -z "$harness_only" ]; then
    agents_stage "$AGENTS" || exit 1
    [ -x "$REL/mqsim" ] || die "build first: cargo build --workspace --release ($REL/mqsim missing)"
fi
say "starting a one-node cluster in network namespace $NS (state in $RUN)"
cluster1_start "$STATE" "$NS" "$([ -z "$harness_only" ] && echo "$AGENTS")" || die "cluster did not start"
say "cluster up with a DC after $(bc_ms "$CLUSTER_START_MS")s"

# ---- part 1: the harness itself, proven with resource-agents' Dummy --------------------------------
scenario "harness: ocf:heartbeat:Dummy created with pcs, monitored every 2 s"
N pcs resource create dummy ocf:heartbeat:Dummy op monitor interval=2s meta migration-threshold=2 >/dev/null \
    || die "pcs resource create dummy failed"
expect "dummy Started" 30 is_role dummy Started

scenario "harness: Dummy's state file removed -> monitor fails -> restarted in place"
N rm -f /run/resource-agents/Dummy-dummy.state
expect "fail-count of dummy is 1" 20 fail_count_is dummy 1
expect "dummy Started again" 20 is_role dummy Started
reason=$(exit_reasons dummy | tail -1)
check "exit reason in crm_mon: $reason" test -n "$reason"
reaction "Dummy failure -> restarted"

scenario "harness: second failure reaches migration-threshold=2 -> banned from node1"
N rm -f /run/resource-agents/Dummy-dummy.state
expect "fail-count of dummy is 2" 20 fail_count_is dummy 2
expect "dummy Stopped" 20 is_role dummy Stopped
check "dummy's allocation score on node1 is -INFINITY" banned dummy
reaction "Dummy threshold -> banned"

scenario "harness: pcs resource cleanup -> back to Started"
N pcs resource cleanup dummy >/dev/null 2>&1
expect "dummy Started after cleanup" 20 is_role dummy Started
N pcs resource delete dummy >/dev/null 2>&1 || die "pcs resource delete dummy failed"
expect "dummy gone from the cluster" 20 rsc_absent dummy

[ -n "$harness_only" ] && exit 0

# ---- part 2: the mqha agents against a simulated MQ installation -----------------------------------
