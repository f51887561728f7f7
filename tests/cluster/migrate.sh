#!/usr/bin/env bash
# tests/cluster/migrate.sh — measures docs/migrating.md's switch of a running group from the
# ClusterLabs shell agent ocf:heartbeat:ibmmq to ocf:mqha:ibmmq + ocf:mqha:ibmmq-listener on a live
# one-node Pacemaker cluster (lib.sh's cluster1_start) with a simulated queue manager.
#
#   tests/cluster/migrate.sh PATH-TO-heartbeat-ibmmq [ROUNDS]
#
# PATH is resource-agents' heartbeat/ibmmq (git clone https://github.com/ClusterLabs/resource-agents;
# it is not in Debian 12's resource-agents 4.12). Without it the script says so and exits 0: it is
# opt-in, and CI has no copy (nor GitHub access to get one). The shell agent is GPL: it is run, never
# copied into this repository. ROUNDS (default 1) repeats the switch with a fresh queue manager.
#
# Each round: the group a user of the shell agent has (vip1 IPaddr2, qm1 ocf:heartbeat:ibmmq with
# monitor_listener=true and a CONTROL(QMGR) LISTENER object, app1 Dummy), 100 numbered persistent
# messages put, a client (amqsputc through the listener on the virtual IP) putting a persistent
# message every 0.1 s, then the commands of docs/migrating.md's "Switching a running group", read
# from the document itself (blocks marked `<!-- migrate.sh: NAME -->`; only the example values
# QM1, /opt/mqm and 1414 are replaced by this run's). It prints the outage (the longest time between
# two successful client puts), the Pacemaker-side time (first command -> new resources Started) and
# checks that every message put before, and every put the client saw succeed, is still there.
#
# The shell agent is installed only inside the node's private mount namespace (a bind mount of a
# copy of the host's /usr/lib/ocf/resource.d/heartbeat plus ibmmq over that directory); teardown
# (trap) stops the cluster, kills what is left in its network namespace, runs mqsim cleanup and
# removes the state (KEEP_LOGS=1 keeps its logs in /var/tmp/mqha-migrate.*). Run it as `flock /work/cluster.lock bash tests/cluster/migrate.sh PATH`.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/cluster/lib.sh
source "$here/lib.sh"

SHELL_AGENT=${1:-}
ROUNDS=${2:-1}
if [ -z "$SHELL_AGENT" ] || [ ! -f "$SHELL_AGENT" ]; then
    echo "migrate: skipped: give the path of resource-agents' heartbeat/ibmmq" \
        "(tests/cluster/migrate.sh PATH [ROUNDS]; ${SHELL_AGENT:+$SHELL_AGENT: no such file; }not in Debian 12's resource-agents 4.12)"
    exit 0
fi
SHELL_AGENT=$(realpath "$SHELL_AGENT")
[ "$(id -u)" = 0 ] || die "run as root (it creates namespaces and starts corosync/pacemaker)"
[[ $ROUNDS =~ ^[1-9][0-9]?$ ]] || die "ROUNDS='$ROUNDS' is not a number from 1 to 99"
HOST_HEARTBEAT=/usr/lib/ocf/resource.d/heartbeat
[ -d "$HOST_HEARTBEAT" ] || die "$HOST_HEARTBEAT missing: install resource-agents (tests/setup.sh)"

REL=$PCMK_REPO/target/release
DOC=$PCMK_REPO/docs/migrating.md
RUN=$(mktemp -d /var/tmp/mqha-migrate.XXXXXX)
chmod 0755 "$RUN"
NS=mqha-mig-$$
STATE=$RUN/node1
AGENTS=$RUN/agents
MQROOT=$RUN/mq
INST=$MQROOT/opt/mqm
# The virtual IP of the group (on the node's own loopback: the node is alone in its namespace).
VIP=192.0.2.10
SUITE_T0=$(now_ms)
PROBE_STOP=$RUN/probe.stop

teardown() {
    local rc=$?
    trap - EXIT INT TERM
    touch "$PROBE_STOP"
    # (only the client: the node's boot process is a child too, and ends with node_stop)
    [ -n "${probe_pid:-}" ] && wait "$probe_pid" 2>/dev/null
    if [ $rc -ne 0 ] && [ -s "$STATE/node.pid" ]; then
        echo "---- crm_mon -1 --show-detail" >&2; N crm_mon -1 --show-detail >&2 2>&1 || true
        echo "---- pacemaker.log (last 40 lines)" >&2; tail -40 "$STATE/log-pacemaker/pacemaker.log" >&2 2>/dev/null || true
    fi
    if [ -s "$STATE/node.pid" ]; then
        node_stop "$STATE" 120 || echo "warning: orderly cluster stop timed out; killed what was left" >&2
    fi
    if [ -x "$REL/mqsim" ] && [ -d "$MQROOT" ]; then "$REL/mqsim" cleanup "$MQROOT" >/dev/null 2>&1 || true; fi
    netns_destroy "$NS"
    if [ -n "${KEEP_LOGS:-}" ]; then
        echo "state kept in $RUN (KEEP_LOGS set)" >&2
    else
        rm -rf "$RUN"
    fi
    say "migrate: $([ $rc -eq 0 ] && echo PASSED || echo FAILED) in $((($(now_ms) - SUITE_T0) / 1000))s"
    exit $rc
}
trap teardown EXIT
trap 'exit 130' INT TERM
CHECK_FATAL=1

expect() {
    local desc=$1 secs=$2; shift 2
    if wait_for "$desc" "$secs" "$@"; then
        ok "$(printf '%-62s %6.1fs' "$desc" "$(ms_secs "$WAITED_MS")")"
    else
        fail "$(printf '%-62s (not within %ss)' "$desc" "$secs")"
    fi
}
mq() { N runuser -u mqm -- "$@"; }
secs() { awk -v m="$1" 'BEGIN { printf "%.1f", m / 1000 }'; }
mqsc() { mq "$INST/bin/runmqsc" "$QM" >/dev/null; }
old_group_started() { all_role Started vip1 qm1 app1; }
new_group_started() { all_role Started vip1 qm1 qm1-lsr app1; }
agent_of() { mon_xml | xq "string(//resources//resource[@id='$1']/@resource_agent)"; }
agent_is() { [ "$(agent_of "$1")" = "$2" ]; }
same() { [ "$1" = "$2" ]; }
group_absent() { [ "$(mon_xml | xq "count(//resources//resource[@id='vip1' or @id='qm1' or @id='qm1-lsr' or @id='app1'])")" = 0 ]; }

# doc_block NAME — the commands of the code block marked `<!-- migrate.sh: NAME -->` in
# docs/migrating.md, with the example's values replaced by this round's.
doc_block() {
    awk -v want="migrate.sh: $1 -->" '
        /<!-- migrate\.sh: / { on = index($0, want) > 0; inb = 0; next }
        on && /^ *```/ { if (inb) exit; inb = 1; next }
        on && inb { sub(/^   /, ""); print }' "$DOC" |
        sed -e "s/\bQM1\b/$QM/g" -e "s#/opt/mqm\b#$INST#g" -e "s/\b1414\b/$PORT/g"
}
# run_block NAME — runs that block in the node (bash -e, in a scratch directory for mig.xml);
# prints each command and the block's time, and fails the run if a command fails.
run_block() {
    local name=$1 cmds t0 rc
    cmds=$(doc_block "$name")
    [ -n "$cmds" ] || fail "docs/migrating.md has no block marked migrate.sh: $name"
    printf '%s\n' "$cmds" | sed 's/^/    $ /'
    mkdir -p "$RUN/work"
    t0=$(now_ms)
    N bash -ec "cd '$RUN/work'; $cmds" >"$RUN/block-$name.out" 2>&1
    rc=$?
    BLOCK_MS=$(($(now_ms) - t0))
    if [ $rc -ne 0 ]; then
        sed 's/^/    | /' "$RUN/block-$name.out" | tail -20 >&2
        fail "step '$name' of docs/migrating.md failed (rc $rc)"
    fi
    ok "$(printf '%-62s %6.1fs' "step '$name' of docs/migrating.md" "$(ms_secs "$BLOCK_MS")")"
}

# The client: one persistent message a put through the listener on the virtual IP, every 0.1 s, as
# an application would reconnect; one line per attempt: START_MS END_MS N ok|fail [what MQ said].
# Bounded: 6000 attempts of at most 10 s each, or until PROBE_STOP exists.
probe_loop() {
    local i=0 t0 out st
    while [ ! -e "$PROBE_STOP" ] && [ $i -lt 6000 ]; do
        i=$((i + 1))
        t0=$(now_ms)
        st=fail
        if out=$(echo "probe-$i" | timeout 10 nsenter -t "$(cat "$STATE/node.pid")" -m -n -u -- \
            runuser -u mqm -- env "MQSERVER=MQHA.SVRCONN/TCP/$VIP($PORT)" "$INST/samp/bin/amqsputc" PROBE.Q "$QM" 2>&1) &&
            ! grep -q 'reason code' <<<"$out"; then
            st=ok
        fi
        printf '%s %s %s %s %s\n' "$t0" "$(now_ms)" "$i" "$st" \
            "$(grep -o 'reason code [0-9]*' <<<"$out" | head -1)" >>"$PROBE_LOG"
        sleep 0.1
    done
}

# get_bodies QUEUE — gets every message of QUEUE (amqsget as the mq user), one body a line.
get_bodies() { mq "$INST/samp/bin/amqsget" "$1" "$QM" </dev/null | sed -n 's/^message <\(.*\)>$/\1/p'; }

# ---- the node, with the shell agent inside it -------------------------------------------------------
agents_stage "$AGENTS" || exit 1
[ -x "$REL/mqsim" ] || die "build first: cargo build --workspace --release ($REL/mqsim missing)"
mkdir -p "$RUN/heartbeat"
cp -a "$HOST_HEARTBEAT/." "$RUN/heartbeat/"
install -m 0755 "$SHELL_AGENT" "$RUN/heartbeat/ibmmq"
say "starting a one-node cluster in network namespace $NS (state in $RUN)"
cluster1_start "$STATE" "$NS" "$AGENTS" || die "cluster did not start"
say "cluster up with a DC after $(ms_secs "$CLUSTER_START_MS")s"
N mount --bind "$RUN/heartbeat" "$HOST_HEARTBEAT" || die "cannot bind the shell agent into the node"
check "the node's heartbeat/ibmmq is $SHELL_AGENT" N cmp -s "$SHELL_AGENT" "$HOST_HEARTBEAT/ibmmq"
check "pcs resource describe ocf:heartbeat:ibmmq (in the node)" quiet N pcs resource describe ocf:heartbeat:ibmmq
"$REL/mqsim" install "$MQROOT" >/dev/null || die "mqsim install $MQROOT failed"

RESULTS=()
for round in $(seq 1 "$ROUNDS"); do
    QM=MIG${round}_$$
    PORT=$(free_port N)
    PROBE_LOG=$RUN/probe-$round.log
    rm -f "$PROBE_STOP" "$PROBE_LOG"
    section "round $round of $ROUNDS: queue manager $QM, listener port $PORT on $VIP"

    # The queue manager as a shell-agent user has it: its listener a LISTENER object the queue
    # manager starts (CONTROL(QMGR)); an application queue; a client channel for the test's client
    # (the mq user without a password: its own BLOCKUSER rule replacing the '*MQADMIN' back-stop, and
    # CHCKCLNT(OPTIONAL) — for a test queue manager on a private network only, as in multinode.sh).
    mq "$INST/bin/crtmqm" "$QM" >/dev/null || fail "crtmqm $QM"
    mq "$INST/bin/strmqm" "$QM" >/dev/null || fail "strmqm $QM"
    printf '%s\n' "DEFINE QLOCAL(APP.Q) DEFPSIST(YES)" "DEFINE QLOCAL(PROBE.Q) DEFPSIST(YES) MAXDEPTH(100000)" \
        "DEFINE LISTENER(TCP.LSR) TRPTYPE(TCP) PORT($PORT) CONTROL(QMGR)" \
        "DEFINE CHANNEL(MQHA.SVRCONN) CHLTYPE(SVRCONN) TRPTYPE(TCP)" \
        "SET CHLAUTH(MQHA.SVRCONN) TYPE(BLOCKUSER) USERLIST('nobody')" \
        "ALTER AUTHINFO(SYSTEM.DEFAULT.AUTHINFO.IDPWOS) AUTHTYPE(IDPWOS) CHCKCLNT(OPTIONAL)" | mqsc ||
        fail "runmqsc definitions for $QM"
    mq "$INST/bin/endmqm" -w "$QM" >/dev/null || fail "endmqm -w $QM"

    N pcs resource create vip1 ocf:heartbeat:IPaddr2 ip=$VIP cidr_netmask=32 nic=lo --group mq1 >/dev/null ||
        fail "pcs resource create vip1"
    N pcs resource create qm1 ocf:heartbeat:ibmmq qmgr="$QM" mquser=mqm mq_installation_path="$INST" \
        monitor_listener=true --group mq1 >/dev/null || fail "pcs resource create qm1 ocf:heartbeat:ibmmq"
    N pcs resource create app1 ocf:heartbeat:Dummy --group mq1 >/dev/null || fail "pcs resource create app1"
    expect "old group Started (vip1, qm1 = ocf:heartbeat:ibmmq, app1)" 120 old_group_started
    check "qm1 is ocf:heartbeat:ibmmq" agent_is qm1 ocf:heartbeat:ibmmq

    for i in $(seq 1 100); do echo "msg-$i"; done | mq "$INST/samp/bin/amqsput" APP.Q "$QM" >/dev/null ||
        fail "amqsput of 100 messages"
    probe_loop &
    probe_pid=$!
    client_ok() { [ "$(grep -c ' ok ' "$PROBE_LOG" 2>/dev/null)" -ge "$1" ]; }
    expect "the client puts through the listener on $VIP:$PORT" 30 client_ok 5

    for step in validate note prepare; do run_block "$step"; done
    # The outage and the Pacemaker side are measured from the first command that stops anything.
    T_SWITCH=$(now_ms)
    run_block switch
    expect "new group Started (vip1, qm1, qm1-lsr, app1)" 120 new_group_started
    T_DONE=$(now_ms)
    run_block status
    check "qm1 is now ocf:mqha:ibmmq" agent_is qm1 ocf:mqha:ibmmq
    check "qm1-lsr is ocf:mqha:ibmmq-listener" agent_is qm1-lsr ocf:mqha:ibmmq-listener
    since_done() { awk -v t="$T_DONE" '$4 == "ok" && $1 > t' "$PROBE_LOG" | grep -q .; }
    expect "the client puts again after the switch" 60 since_done
    sleep 1
    touch "$PROBE_STOP"
    wait "$probe_pid"
    probe_pid=

    # The outage: the longest time between two successful puts from a second before the first
    # command to the end; the Pacemaker side: first command -> new group Started.
    read -r outage fails last_ok first_ok < <(awk -v t0="$T_SWITCH" '
        $4 == "ok" { if (prev && $1 >= t0 - 1000 && $2 - prev > gap) { gap = $2 - prev; a = prev; b = $2 } prev = $2 }
        $4 == "fail" && $1 >= t0 { n++ }
        END { printf "%d %d %d %d\n", gap, n, a, b }' "$PROBE_LOG")
    reasons=$(awk -v t0="$T_SWITCH" '$4 == "fail" && $1 >= t0 { $1 = $2 = $3 = $4 = ""; print }' "$PROBE_LOG" |
        sed 's/^ *//' | sort | uniq -c | sed 's/^ *//' | paste -sd, -)
    pcmk=$((T_DONE - T_SWITCH))
    awk -v a="$last_ok" -v b="$first_ok" -v t="$T_SWITCH" -v o="$outage" -v f="$fails" -v r="${reasons:-none}" 'BEGIN {
        printf "  outage: %.1fs (last successful put %+.1fs -> next %+.1fs from the first command), %d failed puts (%s)\n",
            o / 1000, (a - t) / 1000, (b - t) / 1000, f, r }'
    printf '  pacemaker side (first command -> new group Started): %ss\n' "$(secs "$pcmk")"
    # What the outage consists of, from the node's pacemaker.log: the restart Pacemaker forces
    # (the old agent stops, the new one starts), with each operation's execution time.
    plog=$STATE/log-pacemaker/pacemaker.log
    check "Pacemaker forced a restart of qm1 because its agent changed" \
        grep -q "Forcing restart of qm1 on node1 because provider changed from 'heartbeat' to 'mqha'" "$plog"
    # (execd prints "execution time 288ms" or, from a second on, "3.130s"; ", queue time ..." may follow)
    exec_secs() {
        grep -E "\(log_finished\).* $1 \(call [0-9]+, PID [0-9]+\) exited" "$plog" | tail -1 |
            sed -n 's/.*execution time \([0-9.]*\)\(m\?s\)[,)].*/\1 \2/p' |
            awk '{ printf "%.1f", ($2 == "ms") ? $1 / 1000 : $1 }'
    }
    # The log reaches the file late at times: wait (bounded) for this round's lines. Before the switch
    # of round R the log has 2(R-1) stops of qm1 (switch and delete of each earlier round), 2R-1
    # starts, R-1 listener starts.
    logged() { [ "$(grep -cE "\(log_finished\).* $1 \(call " "$plog")" -ge "$2" ]; }
    switch_logged() { logged "qm1 stop" $((2 * round - 1)) && logged "qm1 start" $((2 * round)) && logged "qm1-lsr start" "$round"; }
    wait_for "execd's log lines of the switch" 15 switch_logged || true
    stop_s=$(exec_secs 'qm1 stop') start_s=$(exec_secs 'qm1 start') lsr_s=$(exec_secs 'qm1-lsr start')
    printf '  of which: stop by ocf:heartbeat:ibmmq %ss, start by ocf:mqha:ibmmq %ss, ibmmq-listener start %ss\n' \
        "${stop_s:-?}" "${start_s:-?}" "${lsr_s:-?}"  # ? = its line not found in time

    bodies=$(get_bodies APP.Q)
    check "all 100 messages put before the switch are there, in order" \
        same "$bodies" "$(for i in $(seq 1 100); do echo "msg-$i"; done)"
    acked=$(awk '$4 == "ok" { print "probe-" $3 }' "$PROBE_LOG" | sort)
    got=$(get_bodies PROBE.Q | sort)
    missing=$(comm -23 <(echo "$acked") <(echo "$got") | wc -l)
    check "every put the client saw succeed ($(wc -l <<<"$acked")) is on PROBE.Q ($missing missing)" test "$missing" = 0
    RESULTS+=("round $round: outage $(secs "$outage")s ($fails failed puts), pacemaker side $(secs "$pcmk")s; old agent's stop ${stop_s:-?}s, new start ${start_s:-?}s + listener ${lsr_s:-?}s")

    N pcs resource delete mq1 >/dev/null 2>&1 || fail "pcs resource delete mq1"
    expect "group mq1 gone" 120 group_absent
    expect "no process of $QM left" 30 no_mq_procs "$NS" "$MQROOT"
done

section "results (resource-agents heartbeat/ibmmq: $SHELL_AGENT)"
printf '  %s\n' "${RESULTS[@]}"
summary migrate
