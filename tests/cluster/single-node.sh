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
# A queue-manager name of this run only: other suites on this machine run simulated QM1s of their own,
# and the agent recognises a queue manager's processes by program and -m name.
QM=PCMK_S$$
SUITE_T0=$(now_ms)

teardown() {
    local rc=$?
    trap - EXIT INT TERM
    if [ $rc -ne 0 ] && [ -s "$STATE/node.pid" ]; then diagnose; fi
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

# A failed check or expect ends the run: every later scenario builds on the state they assert.
CHECK_FATAL=1

# ---- what the cluster says, beyond crm.sh's queries ------------------------------------------------
exit_reasons() { mon_xml | xq "//failures/failure[starts-with(@op_key,'$1_')]/@exitreason" | sed 's/^ *exitreason=//'; }
rsc_absent() { [ "$(mon_xml | xq "count(//resources//resource[@id='$1'])")" = 0 ]; }
# (output captured first: grep -q closing the pipe early would fail the pipeline under pipefail)
banned() { local out; out=$(N crm_simulate -L -s 2>/dev/null); grep -q "$1 allocation score on node1: -INFINITY" <<<"$out"; }

# (the teardown prints it when the run fails)
diagnose() {
    echo "---- crm_mon -1 --show-detail" >&2; N crm_mon -1 --show-detail >&2 2>&1 || true
    echo "---- pacemaker.log (last 40 lines)" >&2; tail -40 "$STATE/log-pacemaker/pacemaker.log" >&2 2>/dev/null || true
}

# expect DESC SECONDS CMD... — a bounded wait that is an assertion: prints the time taken or fails.
expect() {
    local desc=$1 secs=$2; shift 2
    if wait_for "$desc" "$secs" "$@"; then
        ok "$(printf '%-62s %6.1fs' "$desc" "$(ms_secs "$WAITED_MS")")"
    else
        fail "$(printf '%-62s (not within %ss)' "$desc" "$secs")"
    fi
}
scenario() { section "$@"; SCEN_T0=$(now_ms); }
reaction() { printf '  => reaction time (%s): %ss\n' "$1" "$(ms_secs $(( $(now_ms) - SCEN_T0 )))"; REACTIONS+=("$1: $(ms_secs $(( $(now_ms) - SCEN_T0 )))s"); }
REACTIONS=()

# ---- the node --------------------------------------------------------------------------------------
if [ -z "$harness_only" ]; then
    agents_stage "$AGENTS" || exit 1
    [ -x "$REL/mqsim" ] || die "build first: cargo build --workspace --release ($REL/mqsim missing)"
fi
say "starting a one-node cluster in network namespace $NS (state in $RUN)"
cluster1_start "$STATE" "$NS" "$([ -z "$harness_only" ] && echo "$AGENTS")" || die "cluster did not start"
say "cluster up with a DC after $(ms_secs "$CLUSTER_START_MS")s"

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
INST=$MQROOT/opt/mqm
INITQ=SYSTEM.DEFAULT.INITIATION.QUEUE

port_open() { N python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2).close()' "$1" 2>/dev/null; }
port_closed() { ! port_open "$1"; }
cmdserver_running() {
    local out
    out=$(echo "DISPLAY QMSTATUS CMDSERV" | N runuser -u mqm -- "$INST/bin/runmqsc" "$QM" 2>&1)
    grep -q 'CMDSERV(RUNNING)' <<<"$out"
}
trigger_procs() { local p; for p in $(netns_pids "$NS"); do tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q 'runmqtrm' && echo "$p"; done; return 0; }
has_trigger() { [ -n "$(trigger_procs)" ]; }
sim() { N "$REL/mqsim" "$@"; }
fail_counts_zero() { [ "$(fail_count qm)$(fail_count lsn)$(fail_count trm)" = 000 ]; }
cleanup_all() {
    N pcs resource cleanup >/dev/null 2>&1
    expect "fail-counts cleared by pcs resource cleanup" 30 fail_counts_zero
    expect "qm, lsn and trm Started" 60 group_started
}
print_reason() { local r; r=$(exit_reasons "$1" | tail -1); check "$2: $r" test -n "$r"; }
reason_matches() { exit_reasons "$1" | grep -Eiq "$2"; }

scenario "mqha: simulated installation, queue manager $QM, pcs group qm + listener + trigger monitor"
sim install "$MQROOT" >/dev/null || die "mqsim install $MQROOT failed"
N runuser -u mqm -- "$INST/bin/crtmqm" "$QM" >/dev/null || die "crtmqm $QM failed"
# A crash kills the listener and the trigger monitor with their queue manager. When the listener's
# monitor notices before the queue manager's own, Pacemaker restarts the listener alone, that start
# fails (its queue manager is down) and the listener is banned from the node (start-failure-is-fatal)
# until its failure expires: hence failure-timeout on listener and trigger monitor (the role of the
# Solaris agents' Retry_interval). Seen in this suite; see tests/README.md.
PORT=$(free_port N)
# short monitor intervals keep reactions quick; depth 10 (MQI) and 20 (persistent messages) too.
# migration-threshold=10: one fault may fail all three monitors at once, and each counts; the fault
# scenarios want the restart in place, the threshold scenario lowers it to 2.
N pcs resource create qm ocf:mqha:ibmmq qmgr="$QM" mq_installation="$INST" command_server=yes \
    op monitor interval=4s timeout=20s \
    op monitor interval=6s timeout=20s OCF_CHECK_LEVEL=10 \
    op monitor interval=8s timeout=30s OCF_CHECK_LEVEL=20 \
    op start timeout=60s op stop timeout=60s meta migration-threshold=10 --group mqgrp >/dev/null || die "pcs resource create qm failed"
N pcs resource create lsn ocf:mqha:ibmmq-listener qmgr="$QM" mq_installation="$INST" port="$PORT" \
    op monitor interval=4s timeout=20s meta failure-timeout=20s --group mqgrp >/dev/null || die "pcs resource create lsn failed"
N pcs resource create trm ocf:mqha:ibmmq-trigger qmgr="$QM" mq_installation="$INST" initq="$INITQ" \
    op monitor interval=4s timeout=20s meta failure-timeout=20s --group mqgrp >/dev/null || die "pcs resource create trm failed"
expect "qm, lsn and trm Started" 90 group_started
reaction "group created -> all Started"
check "the queue manager's execution controller runs (pid $(qm_pid))" test -n "$(qm_pid)"
expect "the listener accepts connections on port $PORT" 10 port_open "$PORT"
check "a trigger monitor (runmqtrm) runs" has_trigger
check "the command server runs" cmdserver_running

scenario "mqha: queue manager crash (mqsim crash: execution controller killed -9)"
old=$(qm_pid)
sim crash "$MQROOT" "$QM" >/dev/null || die "mqsim crash failed"
expect "fail-count of qm >= 1" 30 fail_count_at_least qm 1
expect "a new queue manager instance runs" 60 qm_pid_not "$old"
expect "qm, lsn and trm Started again" 90 group_started
expect "the listener accepts connections again" 10 port_open "$PORT"
print_reason qm "our exit reason in crm_mon"
[ "$(fail_count lsn)" != 0 ] && echo "  note: the listener's monitor noticed first; it came back after its failure-timeout"
reaction "crash -> group back"
cleanup_all

scenario "mqha: crash seen first by the listener -> its lone restart fails -> back after failure-timeout"
# crm_resource --fail right after the crash plays the listener's monitor noticing before the queue
# manager's own (which happens by chance with any intervals): Pacemaker restarts only the listener.
lsn_start_failed() { [ "$(mon_xml | xq "count(//failures/failure[@op_key='lsn_start_0'])")" != 0 ]; }
old=$(qm_pid)
sim crash "$MQROOT" "$QM" >/dev/null || die "mqsim crash failed"
N crm_resource --fail -r lsn -N node1 >/dev/null 2>&1 || die "crm_resource --fail -r lsn failed"
if wait_for "the listener's lone start to fail" 20 lsn_start_failed; then
    print_reason lsn "the listener's start failed while its queue manager was down"
else
    echo "  note: the queue manager's monitor won the race this time; no lone listener restart"
fi
expect "a new queue manager instance runs" 60 qm_pid_not "$old"
expect "qm, lsn and trm Started again (the listener after its failure-timeout)" 120 group_started
expect "the listener accepts connections again" 10 port_open "$PORT"
reaction "crash, listener first -> group back"
cleanup_all

scenario "mqha: dead listener (mqsim kill listener) -> only the listener restarted"
old=$(qm_pid)
sim kill "$MQROOT" "$QM" "listener:$PORT" >/dev/null || die "mqsim kill listener failed"
expect "fail-count of lsn is 1" 30 fail_count_is lsn 1
expect "lsn Started again" 30 is_role lsn Started
expect "the listener accepts connections again" 10 port_open "$PORT"
check "the queue manager was not restarted (same pid $old, fail-count 0)" bash -c '[ "$1" = "$2" ] && [ "$3" = 0 ]' _ "$(qm_pid)" "$old" "$(fail_count qm)"
print_reason lsn "our exit reason in crm_mon"
reaction "dead listener -> listener back"
cleanup_all

scenario "mqha: dead trigger monitor (mqsim kill trigger) -> only the trigger monitor restarted"
old=$(qm_pid)
sim kill "$MQROOT" "$QM" trigger >/dev/null || die "mqsim kill trigger failed"
expect "fail-count of trm is 1" 30 fail_count_is trm 1
expect "trm Started again" 30 is_role trm Started
expect "a trigger monitor runs again" 10 has_trigger
check "the queue manager was not restarted (same pid $old, fail-count 0)" bash -c '[ "$1" = "$2" ] && [ "$3" = 0 ]' _ "$(qm_pid)" "$old" "$(fail_count qm)"
reaction "dead trigger monitor -> trigger monitor back"
cleanup_all

scenario "mqha: dead command server (mqsim kill cmdserver) -> restarted in place by the depth-10 monitor"
old=$(qm_pid)
sim kill "$MQROOT" "$QM" cmdserver >/dev/null || die "mqsim kill cmdserver failed"
expect "the command server runs again" 40 cmdserver_running
check "the queue manager was not restarted (same pid $old, fail-count 0)" bash -c '[ "$1" = "$2" ] && [ "$3" = 0 ]' _ "$(qm_pid)" "$old" "$(fail_count qm)"
check "qm, lsn and trm still Started" group_started
reaction "dead command server -> command server back"

scenario "mqha: busy under client load -> never reported hung (hang_timeout default 5 s)"
# Busy, honestly: LOAD_CLIENTS amqsputc loops and as many amqsgetc through the listener (bounded
# in count and time), and every request of every connection answered 200 ms late (mqsim fault
# slow: a queue manager loaded beyond what this 2-core machine can generate), while the three
# monitors (4, 6, 8 s) keep running. The client channel is for this test's client only (as in
# multinode.sh: never advice for production).
LOAD_CLIENTS=4 LOAD_SECS=30 LOAD_BATCHES=60
LOADQ=MQHA.LOAD
printf '%s\n' "DEFINE QLOCAL($LOADQ) DEFPSIST(YES) MAXDEPTH(100000) REPLACE" \
    "DEFINE CHANNEL(MQHA.SVRCONN) CHLTYPE(SVRCONN) TRPTYPE(TCP) REPLACE" \
    "SET CHLAUTH(MQHA.SVRCONN) TYPE(BLOCKUSER) USERLIST('nobody')" \
    "ALTER AUTHINFO(SYSTEM.DEFAULT.AUTHINFO.IDPWOS) AUTHTYPE(IDPWOS) CHCKCLNT(OPTIONAL)" \
    "REFRESH SECURITY TYPE(CONNAUTH)" | N runuser -u mqm -- "$INST/bin/runmqsc" "$QM" >/dev/null \
    || die "runmqsc (load queue and channel) failed"
LOADDIR=$RUN/load; mkdir -p "$LOADDIR"; chmod 0777 "$LOADDIR"
loader() { # loader KIND N: one client loop, bounded by LOAD_BATCHES and LOAD_SECS
    local kind=$1 w=$2 i k end=$(( $(date +%s) + LOAD_SECS ))
    for i in $(seq 1 "$LOAD_BATCHES"); do
        [ "$(date +%s)" -lt "$end" ] || break
        if [ "$kind" = put ]; then
            for k in 1 2 3 4 5; do echo "busy-$w-$i-$k"; done |
                N runuser -u mqm -- env "MQSERVER=MQHA.SVRCONN/TCP/127.0.0.1($PORT)" \
                    timeout 20 "$INST/samp/bin/amqsputc" "$LOADQ" "$QM" >>"$LOADDIR/put.$w" 2>&1
        else
            N runuser -u mqm -- env "MQSERVER=MQHA.SVRCONN/TCP/127.0.0.1($PORT)" \
                timeout 5 "$INST/samp/bin/amqsgetc" "$LOADQ" "$QM" </dev/null >>"$LOADDIR/get.$w" 2>&1
        fi
    done
}
LOAD_PIDS=()
fc0=$(fail_count qm)
sim fault "$MQROOT" "$QM" set slow 200 >/dev/null || die "mqsim fault set slow failed"
for w in $(seq 1 $LOAD_CLIENTS); do
    loader put "$w" & LOAD_PIDS+=($!)
    loader get "$w" & LOAD_PIDS+=($!)
done
t_load=$(now_ms)
# Every loop ends by LOAD_SECS (+ one client's timeout); wait for exactly those pids.
for p in "${LOAD_PIDS[@]}"; do wait "$p" 2>/dev/null; done
sim fault "$MQROOT" "$QM" clear slow >/dev/null || die "mqsim fault clear slow failed"
puts=$(cat "$LOADDIR"/put.* 2>/dev/null | grep -c '^Sample AMQSPUT0 end' || true)
gets=$(cat "$LOADDIR"/get.* 2>/dev/null | grep -c '^message <busy-' || true)
printf '  load: %s clients putting, %s getting, %ss: %s put runs of 5 messages, %s messages got\n' \
    "$LOAD_CLIENTS" "$LOAD_CLIENTS" "$(ms_secs $(( $(now_ms) - t_load )))" "$puts" "$gets"
check "the clients got through (messages put and got)" test "$puts" -gt 0 -a "$gets" -gt 0
check "no failed monitor of qm under load (fail-count $(fail_count qm), was $fc0)" test "$(fail_count qm)" = "$fc0"
check "qm, lsn and trm still Started" group_started
reaction "busy under load -> not reported hung"
printf '%s\n' "CLEAR QLOCAL($LOADQ)" | N runuser -u mqm -- "$INST/bin/runmqsc" "$QM" >/dev/null || true

scenario "mqha: hung queue manager (mqsim fault hang) -> reported hung within hang_timeout -> endmqm -p -> recovered"
old=$(qm_pid)
sim fault "$MQROOT" "$QM" set hang >/dev/null || die "mqsim fault set hang failed"
expect "fail-count of qm >= 1 (target: one monitor interval + hang_timeout)" 60 fail_count_at_least qm 1
# Cleared at once, so that the restart can answer; the stop still ends the hung instance with
# endmqm -p (the monitor's verdict is of that instance's controller).
sim fault "$MQROOT" "$QM" clear hang >/dev/null || die "mqsim fault clear hang failed"
print_reason qm "our exit reason in crm_mon"
check "the exit reason names hang_timeout" reason_matches qm 'hung.*hang_timeout=5s'
expect "a new queue manager instance runs" 60 qm_pid_not "$old"
expect "qm, lsn and trm Started again" 120 group_started
reaction "hang -> group back (target <= 20 s)"
cleanup_all

scenario "mqha: full log (mqsim fault log-full) -> depth-20 monitor fails, reason 2102 in crm_mon"
sim fault "$MQROOT" "$QM" set log-full >/dev/null || die "mqsim fault set log-full failed"
expect "fail-count of qm >= 1" 60 fail_count_at_least qm 1
# MQ answers a persistent put on a full log with 2102 MQRC_RESOURCE_PROBLEM
check "the exit reason names the failed persistent put and MQ's reason 2102" reason_matches qm '(MQPUT|persistent).*2102'
reason_matches qm 'log' || echo "  note: the exit reason shown by crm_mon does not mention the log (Pacemaker keeps 128 characters)"
print_reason qm "our exit reason in crm_mon"
sim fault "$MQROOT" "$QM" clear log-full >/dev/null || die "mqsim fault clear log-full failed"
expect "qm, lsn and trm Started again" 120 group_started
reaction "log full -> detected and group back"
cleanup_all

scenario "mqha: lost storage (mqsim fault storage-lost) -> fails, cannot start here -> stopped; cleanup -> Started"
sim fault "$MQROOT" "$QM" set storage-lost >/dev/null || die "mqsim fault set storage-lost failed"
expect "fail-count of qm >= 1" 30 fail_count_at_least qm 1
expect "qm not running (Stopped): it cannot start without its storage" 120 is_role qm Stopped
print_reason qm "our exit reason in crm_mon"
check "lsn and trm stopped with it (group)" all_role Stopped lsn trm
reaction "storage lost -> stopped (target <= 10 s)"
# Pacemaker's own record of each stop of qm (the recovery's, and the one after the failed start).
stops=$(N crm_mon -1 --output-as xml --include=operations 2>/dev/null |
    xq "//resource_history[@id='qm']/operation_history[@task='stop']/@exec-time" | sed 's/ *exec-time=//g' | tr -d '"')
echo "  qm's last stop took ${stops:-?} (crm_mon operation history)"
sim fault "$MQROOT" "$QM" clear storage-lost >/dev/null || die "mqsim fault clear storage-lost failed"
scenario "mqha: storage back, pcs resource cleanup -> back to Started"
N pcs resource cleanup >/dev/null 2>&1
expect "qm, lsn and trm Started" 90 group_started
reaction "cleanup -> Started"
cleanup_all

scenario "mqha: migration-threshold=2 reached -> qm banned from node1"
# Each monitor op that sees the crash counts one failure: with monitors at three depths one crash
# can count 2 or 3 (seen here). So: crash until banned, at most twice, and check the ban.
N pcs resource meta qm migration-threshold=2 >/dev/null || die "pcs resource meta failed"
banned_or_back() { banned qm || { qm_pid_not "$1" && group_started; }; }
for crash in 1 2; do
    old=$(qm_pid)
    sim crash "$MQROOT" "$QM" >/dev/null || die "mqsim crash failed"
    expect "crash $crash: fail-count of qm >= $crash" 30 fail_count_at_least qm "$crash"
    expect "crash $crash: qm banned, or back with a new instance" 60 banned_or_back "$old"
    if banned qm; then break; fi
    echo "  crash $crash: fail-count $(fail_count qm) < 2, restarted in place"
done
echo "  banned after $crash crash(es), fail-count $(fail_count qm)"
expect "qm, lsn and trm Stopped" 60 all_role Stopped qm lsn trm
check "qm's allocation score on node1 is -INFINITY" banned qm
expect "no process of the queue manager left" 30 no_mq_procs "$NS" "$MQROOT"
reaction "threshold -> banned"
N pcs resource cleanup >/dev/null 2>&1
expect "after pcs resource cleanup: qm, lsn and trm Started" 90 group_started

scenario "mqha: pcs resource disable mqgrp -> everything stopped, no process left"
N pcs resource disable mqgrp >/dev/null || die "pcs resource disable failed"
expect "qm, lsn and trm Stopped" 90 all_role Stopped qm lsn trm
expect "no process of the simulated installation left in the node" 30 no_mq_procs "$NS" "$MQROOT"
check "port $PORT closed" port_closed "$PORT"
reaction "disable -> all stopped"
N pcs resource enable mqgrp >/dev/null || die "pcs resource enable failed"
expect "pcs resource enable: qm, lsn and trm Started" 90 group_started

scenario "crmsh: a second queue manager configured with crm configure primitive, stopped and deleted with crm"
QMC=${QM}C
N runuser -u mqm -- "$INST/bin/crtmqm" "$QMC" >/dev/null || die "crtmqm $QMC failed"
qmc_state() { N runuser -u mqm -- "$INST/bin/dspmq" -m "$QMC" | sed -n 's/.*STATUS(\([^)]*\)).*/\1/p'; }
qmc_is() { [ "$(qmc_state)" = "$1" ]; }
check "crm configure primitive qmc ocf:mqha:ibmmq (live CIB)" \
    N crm configure primitive qmc ocf:mqha:ibmmq params qmgr="$QMC" mq_installation="$INST" \
    op monitor interval=4s timeout=20s op monitor interval=6s timeout=20s OCF_CHECK_LEVEL=10
expect "qmc Started" 60 is_role qmc Started
check "  its queue manager is Running (dspmq)" qmc_is Running
check "crm resource stop qmc" N crm resource stop qmc
expect "qmc Stopped" 60 is_role qmc Stopped
check "  its queue manager ended (dspmq)" bash -c '[[ $1 == Ended* ]]' _ "$(qmc_state)"
check "  the first group still runs" group_started
# trace_ra as an administrator turns it on: declared by the agent, so pcs takes it without --force.
QMTRACE=$RUN/qmc.trace
check "pcs resource update qmc trace_ra=1 trace_file=... (no --force)" \
    N pcs resource update qmc trace_ra=1 "trace_file=$QMTRACE"
run_expect 0 "pcs resource debug-start qmc --full" N pcs resource debug-start qmc --full
run_expect 0 "pcs resource debug-stop qmc --full" N pcs resource debug-stop qmc --full
OUT=$(cat "$QMTRACE" 2>/dev/null || true)
contains "  the trace_file names the action" "trace of ibmmq start on qmc"
contains "  and strmqm, the command start ran, with its user" "/bin/strmqm $QMC as mqm (uid "
contains "  and the exit code" "ibmmq start exits 0"
contains "  and the stop's endmqm" "/bin/endmqm "
check "crm configure delete qmc" N crm configure delete qmc
expect "qmc gone from the cluster" 20 rsc_absent qmc
reaction "crmsh create -> stop -> delete"

scenario "mqha: crash_watch=true with a 30 s monitor: crash -> recovery at once; without it the monitor waits"
# A queue manager of its own, outside the group (whose 4 s monitors would hide the difference).
QMW=${QM}W
N runuser -u mqm -- "$INST/bin/crtmqm" "$QMW" >/dev/null || die "crtmqm $QMW failed"
qmw_pid() {
    local p
    for p in $(netns_pids "$NS"); do
        tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -Eq "^(\S*/)?amqzxma0 (.* )?-m $QMW( |$)" && { echo "$p"; return 0; }
    done
    return 0
}
qmw_back() { local p; p=$(qmw_pid); [ -n "$p" ] && [ "$p" != "$1" ] && is_role qmw Started; }
# The watcher: `ibmmq watch --qmgr QMW ...`, owned by hacluster.
watchers() {
    local p
    for p in $(netns_pids "$NS"); do
        tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "^ibmmq watch --qmgr $QMW " && echo "$p"
    done
    return 0
}
has_watcher() { [ -n "$(watchers)" ]; }
no_watcher() { [ -z "$(watchers)" ]; }
watcher_uid() { local p; p=$(watchers | head -1); [ -n "$p" ] && awk '/^Uid:/ {print $3}' "/proc/$p/status"; }
# crash_once LABEL SECONDS: SIGKILL of the controller; prints the time to the failure Pacemaker
# recorded (the fail-count rising, polled every 0.25 s) and to the queue manager back.
crash_once() {
    local label=$1 secs=$2 old t0 fails
    fails=$(( $(fail_count qmw) + 1 ))
    old=$(qmw_pid); t0=$(now_ms)
    kill -9 "$old"
    expect "$label: failure recorded (fail-count $fails)" "$secs" fail_count_at_least qmw "$fails"
    CRASH_REC_MS=$(( $(now_ms) - t0 ))
    expect "$label: the queue manager is back (new controller, Started)" 60 qmw_back "$old"
    printf '  => %s: kill -> failure recorded %ss, kill -> queue manager back %ss\n' "$label" \
        "$(ms_secs "$CRASH_REC_MS")" "$(ms_secs $(( $(now_ms) - t0 )))"
    REACTIONS+=("$label: kill -> recorded $(ms_secs "$CRASH_REC_MS")s, back $(ms_secs $(( $(now_ms) - t0 )))s")
}
N pcs resource create qmw ocf:mqha:ibmmq qmgr="$QMW" mq_installation="$INST" crash_watch=true \
    op monitor interval=30s timeout=20s op start timeout=60s op stop timeout=60s \
    meta migration-threshold=10 >/dev/null || die "pcs resource create qmw failed"
expect "qmw Started" 60 is_role qmw Started
expect "its crash watcher runs" 10 has_watcher
check "  as Pacemaker's user hacluster" bash -c '[ "$1" = "$2" ]' _ "$(watcher_uid)" "$(id -u hacluster)"
crash_once "crash_watch=true" 10
expect "the watcher is armed again by the start" 10 has_watcher
# The watcher asks within a second; the poll and crm_mon add a few tenths: 5 s is generous.
check "  the failure was recorded within 5 s of the kill" bash -c '[ "$1" -le 5000 ]' _ "$CRASH_REC_MS"
check "  Pacemaker's log has the watcher's request" grep -q "asking Pacemaker to recover qmw" "$STATE/log-pacemaker/pacemaker.log"
old=$(qmw_pid)
check "pcs resource update qmw crash_watch=false (reload-agent)" N pcs resource update qmw crash_watch=false
expect "the watcher ended" 20 no_watcher
check "  without a restart of the queue manager (same controller, pid $old)" bash -c '[ "$1" = "$2" ]' _ "$(qmw_pid)" "$old"
crash_once "crash_watch=false" 45
check "pcs resource update qmw crash_watch=true" N pcs resource update qmw crash_watch=true
expect "the watcher armed again" 20 has_watcher
fails=$(fail_count qmw)
N pcs resource disable qmw >/dev/null || die "pcs resource disable qmw failed"
expect "qmw Stopped" 60 is_role qmw Stopped
check "  no watcher left" no_watcher
sleep 2
check "  the stop was not reported as a failure (fail-count still $fails)" fail_count_is qmw "$fails"
N pcs resource delete qmw >/dev/null 2>&1 || die "pcs resource delete qmw failed"
expect "qmw gone from the cluster" 30 rsc_absent qmw
reaction "crash watch scenario"

printf '\nreaction times:\n'; printf '  %s\n' "${REACTIONS[@]}"
