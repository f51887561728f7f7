#!/usr/bin/env bash
# tests/cluster/multinode.sh — three real Pacemaker/Corosync nodes on this machine, and a queue
# manager failing over between them on shared storage.
#
# Each node is an isolated "host" made of Linux namespaces by this script (network, mount, UTS and
# PID with its own /proc; see multinode/cluster.sh), with its own simulated MQ installation. The
# queue manager's data and logs live in ONE host directory, the shared storage, that only the node
# holding the resource group has mounted (ocf:heartbeat:Filesystem, a bind mount). The group is
#     mq: san (Filesystem) -> qm (ocf:mqha:ibmmq) -> lsr (ocf:mqha:ibmmq-listener)
# Scenarios, each asserted and timed: crash of the active node, `pcs resource move`, a listener
# failure, queue-manager crashes past migration-threshold, a node whose mq user has another uid,
# a network partition that cuts the active node off.
#
#   tests/cluster/multinode.sh            # the mqha agents and the simulator (build first)
#   tests/cluster/multinode.sh --dummy    # the same mechanics with ocf:heartbeat:Dummy stand-ins
#
# Needs root and tests/setup.sh; for the default mode `cargo build --release --workspace`.
# Fencing is disabled (stonith-enabled=false): see docs/multinode.md for what production needs.
# Tears everything down on any exit (trap): nodes, namespaces, bridge, mounts, state directory
# (kept when KEEP_LOGS=1 and the run failed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
REL=$repo/target/release

MODE=mq
case "${1:-}" in
    --dummy) MODE=dummy ;;
    "") ;;
    *)
        echo "usage: $0 [--dummy]" >&2
        exit 2
        ;;
esac
[ "$(id -u)" = 0 ] || {
    echo "multinode.sh: run as root (it creates namespaces and starts corosync/pacemaker)" >&2
    exit 1
}
# Beyond tests/setup.sh: ocf:heartbeat:Filesystem refuses every action (even a probe of a bind
# mount) with "couldn't find command: modprobe" unless kmod is installed.
if ! command -v modprobe >/dev/null; then
    echo "multinode.sh: installing kmod (modprobe, required by ocf:heartbeat:Filesystem)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kmod >/dev/null ||
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kmod >/dev/null; }
fi
if [ $MODE = mq ]; then
    for b in ibmmq mqsim; do
        [ -x "$REL/$b" ] || {
            echo "multinode.sh: $REL/$b missing: build first: cargo build --workspace --release" >&2
            exit 1
        }
    done
fi

MN_STATE=$(mktemp -d /var/tmp/mqha-multinode.XXXXXX)
chmod 0755 "$MN_STATE" # the mq user must reach the installation and the storage below it
MN_MQROOT=$MN_STATE/mq # each node's own installation appears here, inside that node only
SHARED=$MN_STATE/shared # the shared storage: one host directory
SAN=$MN_STATE/san       # where the group mounts it, on the active node only
mkdir -p "$MN_MQROOT" "$SHARED" "$SAN"
# shellcheck source=tests/cluster/multinode/cluster.sh
source "$here/multinode/cluster.sh"

QM=QM1
QUEUE=MQHA.MULTINODE.PERSISTENT
PORT=1414 # inside the nodes' own network namespaces: nothing else can hold it there
SUITE_T0=$(now_ms)
# A failed check ends the run: every later scenario builds on the state it asserted.
CHECK_FATAL=1

teardown() {
    local rc=$?
    trap - EXIT INT TERM
    [ $rc -eq 0 ] || mn_diagnose || true
    mn_log "teardown: killing the nodes, deleting namespaces and bridge"
    mn_teardown
    if [ $rc -ne 0 ] && [ -n "${KEEP_LOGS:-}" ]; then
        echo "state kept in $MN_STATE (KEEP_LOGS set)" >&2
    else
        rm -rf --one-file-system "$MN_STATE"
    fi
    echo
    mn_times
    echo "multinode ($MODE): $([ $rc -eq 0 ] && echo PASSED || echo FAILED) in $((($(now_ms) - SUITE_T0) / 1000)) s"
    exit $rc
}
trap teardown EXIT
trap 'exit 130' INT TERM

# ---- looking at the cluster (crm.sh's started_on and fail_count read mon_xml) ---------------------
any_up() { mn_up_nodes | head -1; }
# The cluster as node MON_NODE sees it (default: the first running node; during a partition, one of
# the majority).
mon_xml() { mn_crm_xml "${MON_NODE:-$(any_up)}"; }
# Call id of the last start of resource R on node NAME (changes when Pacemaker starts it again).
start_call() { mon_xml | xq "string(//node[@name='$2']/resource_history[@id='$1']/operation_history[@task='start']/@call)"; }
exit_reason() {
    mon_xml | xq "string(//failures/failure[@op_key='$1'][@node='$2']/@exitreason)" |
        sed "s/&apos;/'/g; s/&quot;/\"/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/\&/g"
}
num() { echo "${1#node}"; }

# Waits (bounded) until the cluster has no action pending, so the next fault meets a quiet cluster
# (a cleanup's re-probes racing an injected crash would test the test, not the agents).
settle() { mn_on "$(any_up)" crm_resource --wait --timeout=120s >/dev/null 2>&1 || fail "cluster did not settle within 120 s"; }

# Waits (bounded) until the whole group runs on one node other than EXCEPT; prints it.
wait_group_elsewhere() {
    local except=$1 secs=$2 start on lsr
    start=$(now_ms)
    while [ $(($(now_ms) - start)) -lt $((secs * 1000)) ]; do
        on=$(started_on qm)
        lsr=$(started_on lsr)
        if [ -n "$on" ] && [ "$on" != "$except" ] && [ "$lsr" = "$on" ] && [ "$(started_on san)" = "$on" ]; then
            echo "$on"
            return 0
        fi
        sleep 0.25
    done
    return 1
}

# The shared storage is mounted on node A and on no other running node.
storage_only_on() {
    local a=$1 n
    for n in $(mn_up_nodes); do
        if [ "node$n" = "$a" ]; then
            mn_on "$n" mountpoint -q "$SAN" || return 1
        else
            ! mn_on "$n" mountpoint -q "$SAN" || return 1
        fi
    done
}

# ---- the two kinds of stand-in: our agents + simulator, or Dummy ---------------------------------
if [ $MODE = mq ]; then
    INST=$MN_MQROOT/opt/mqm
    # mq_user named, as an administrator would: then a node where that user has other ids is
    # recognised as such, rather than as a node without the data owner's user.
    # crtmqm -md put the data on the shared storage, not under /var/mqm/qmgrs: data_path says
    # where, so add_mqs_ini registers it on the other nodes as IBM's addmqinf -v DataPath= does.
    QM_PARAMS=("qmgr=$QM" "mq_installation=$INST" mq_user=mqm add_mqs_ini=true "data_path=$SAN/qmgrs/$QM")
    LSR_PARAMS=("qmgr=$QM" "port=$PORT" "mq_installation=$INST" mq_user=mqm)
    QM_AGENT=ocf:mqha:ibmmq
    LSR_AGENT=ocf:mqha:ibmmq-listener
else
    QM_PARAMS=()
    LSR_PARAMS=()
    QM_AGENT=ocf:heartbeat:Dummy
    LSR_AGENT=ocf:heartbeat:Dummy
fi

# Puts COUNT persistent messages TAG-1..COUNT on the active node N.
put_messages() {
    local n=$1 tag=$2 count=$3 i
    if [ $MODE = mq ]; then
        for i in $(seq 1 "$count"); do echo "$tag-$i"; done |
            mn_as_mqm "$n" "$INST/samp/bin/amqsput" "$QUEUE" "$QM" >/dev/null
    else
        mn_on "$n" mkdir -p "$SAN/messages"
        for i in $(seq 1 "$count"); do mn_on "$n" sh -c "echo $tag-$i > $SAN/messages/$tag-$i"; done
    fi
}

# Puts persistent messages TAG-FROM..TO as an MQ client on node N, through the listener on node
# TARGET's address: across the test's bridge, as an application host would.
put_messages_client() {
    local n=$1 target=$2 tag=$3 from=$4 to=$5 out i
    if [ $MODE = dummy ]; then
        for i in $(seq "$from" "$to"); do mn_on "$(num "$target")" sh -c "echo $tag-$i > $SAN/messages/$tag-$i"; done
        return 0
    fi
    out=$(for i in $(seq "$from" "$to"); do echo "$tag-$i"; done |
        mn_as_mqm "$n" env "MQSERVER=MQHA.SVRCONN/TCP/$(mn_addr "$(num "$target")")($PORT)" \
            "$INST/samp/bin/amqsputc" "$QUEUE" "$QM" 2>&1) || true
    if grep -q 'reason code' <<<"$out"; then
        mn_log "amqsputc on node$n: $out"
        return 1
    fi
}

# Gets (destructively) every message on the queue on node N, one body per line.
get_messages() {
    local n=$1
    if [ $MODE = mq ]; then
        mn_as_mqm "$n" "$INST/samp/bin/amqsget" "$QUEUE" "$QM" </dev/null | sed -n 's/^message <\(.*\)>$/\1/p'
    else
        mn_on "$n" sh -c "cat $SAN/messages/* 2>/dev/null; rm -f $SAN/messages/*"
    fi
}

# All COUNT messages TAG-* are there on node N, none lost or duplicated.
messages_there() {
    local n=$1 tag=$2 count=$3 got
    got=$(get_messages "$n" | grep -c "^$tag-" || true)
    [ "$got" = "$count" ] || {
        mn_log "expected $count messages $tag-*, got $got"
        return 1
    }
}

# The agent's own deepest monitor (OCF_CHECK_LEVEL=20: a persistent message really moves), run by
# hand on node N exactly as Pacemaker's recurring depth-20 monitor runs it.
depth20_ok() {
    local n=$1 p env=(OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=qm OCF_CHECK_LEVEL=20
        OCF_RESKEY_CRM_meta_interval=120000 OCF_RESKEY_CRM_meta_timeout=60000 PATH=/usr/sbin:/usr/bin:/sbin:/bin)
    for p in "${QM_PARAMS[@]}"; do env+=("OCF_RESKEY_$p"); done
    if [ $MODE = mq ]; then
        mn_on "$n" env -i "${env[@]}" OCF_RESOURCE_TYPE=ibmmq /usr/lib/ocf/resource.d/mqha/ibmmq monitor >/dev/null 2>&1
    else
        mn_on "$n" env -i "${env[@]}" OCF_RESOURCE_TYPE=Dummy /usr/lib/ocf/resource.d/heartbeat/Dummy monitor >/dev/null 2>&1
    fi
}

# The queue manager dies on node N (its execution controller killed -9, as a crash would).
qm_crash() {
    if [ $MODE = mq ]; then
        mn_on "$1" "$REL/mqsim" crash "$MN_MQROOT" "$QM"
    else
        mn_on "$1" rm -f /run/resource-agents/Dummy-qm.state
    fi
}

listener_kill() {
    if [ $MODE = mq ]; then
        mn_on "$1" "$REL/mqsim" kill "$MN_MQROOT" "$QM" "listener:$PORT"
    else
        mn_on "$1" rm -f /run/resource-agents/Dummy-lsr.state
    fi
}

# Host-independent proof that this node runs no queue manager: no amqzxma0 in its /proc.
no_qm_processes() {
    [ $MODE = mq ] || return 0
    ! mn_on "$1" pgrep -x amqzxma0 >/dev/null
}
node_clean() { no_qm_processes "$1" && ! mn_on "$1" mountpoint -q "$SAN"; }
# The queue manager's pid on node N (lib.sh's qm_pid looks in one network namespace).
qm_pid_on() {
    if [ $MODE = mq ]; then mn_on "$1" pgrep -x amqzxma0 || true; else echo dummy; fi
}

# ---- bring-up ------------------------------------------------------------------------------------
mn_log "multinode ($MODE): state in $MN_STATE, cluster $MN_CLUSTER"
if [ $MODE = mq ]; then
    MN_AGENTS=$MN_STATE/agents
    agents_stage "$MN_AGENTS"
fi
mn_network_up
for n in $(seq 1 "$MN_NODES"); do mn_prepare_node "$n"; done
t0=$(now_ms)
for n in $(seq 1 "$MN_NODES"); do mn_node_start "$n"; done
mn_wait_cluster 1 "node1 node2 node3" 120 || fail "no cluster of three with quorum within 120 s"
mn_record "cluster of 3 with quorum: $(($(now_ms) - t0)) ms"

if [ $MODE = mq ]; then
    for n in $(seq 1 "$MN_NODES"); do
        mn_on "$n" "$REL/mqsim" install "$MN_MQROOT" --user mqm >/dev/null
    done
    chown mqm:mqm "$SHARED"
    # The queue manager is created once, on node1 with the storage mounted, as an administrator
    # would before handing it to the cluster; the other nodes learn of it from the agent.
    mn_on 1 mount --bind "$SHARED" "$SAN"
    mn_as_mqm 1 mkdir -p "$SAN/qmgrs" "$SAN/log"
    mn_as_mqm 1 "$INST/bin/crtmqm" -md "$SAN/qmgrs" -ld "$SAN/log" "$QM" >/dev/null
    mn_on 1 umount "$SAN"
    for n in 2 3; do
        check "node$n's mqs.ini does not know $QM before the cluster runs it" \
            bash -c "! grep -q 'Name=$QM' '$(mn_nodedir "$n")/mqroot/var/mqm/mqs.ini'"
    done
fi

pcsx() { mn_on "$(any_up)" pcs "$@"; }
# A queue-manager crash takes its listener with it, and when the listener's monitor notices first,
# Pacemaker restarts the listener alone, whose start then fails (its queue manager is down). With
# start-failure-is-fatal=true (the default) that single failure bans the whole group from the node
# and migration-threshold never applies; false counts it like any failure (docs/multinode.md).
pcsx property set start-failure-is-fatal=false
pcsx resource create san ocf:heartbeat:Filesystem device="$SHARED" directory="$SAN" fstype=none \
    options=bind op monitor interval=10s --group mq
pcsx resource create qm "$QM_AGENT" "${QM_PARAMS[@]}" meta migration-threshold=2 \
    op monitor interval=5s op monitor interval=60s OCF_CHECK_LEVEL=20 --group mq
pcsx resource create lsr "$LSR_AGENT" "${LSR_PARAMS[@]}" op monitor interval=5s --group mq
A=$(wait_group_elsewhere none 120) || fail "group mq did not start within 120 s"
mn_log "group mq runs on $A"
check "shared storage mounted on $A only" storage_only_on "$A"
if [ $MODE = mq ]; then
    # The application queue, and a client channel the test's own client (the mq user, no password)
    # may use. As on real MQ 8.0+ that takes both the channel's own BLOCKUSER rule (replacing the
    # '*' back-stop for this channel) and CHCKCLNT(OPTIONAL): acceptable for a test queue manager on
    # a private network only, never advice for production (the agent's client check uses
    # client_user instead, README "Client check").
    printf '%s\n' "DEFINE QLOCAL($QUEUE) DEFPSIST(YES) REPLACE" \
        "DEFINE CHANNEL(MQHA.SVRCONN) CHLTYPE(SVRCONN) TRPTYPE(TCP) REPLACE" \
        "SET CHLAUTH(MQHA.SVRCONN) TYPE(BLOCKUSER) USERLIST('nobody')" \
        "ALTER AUTHINFO(SYSTEM.DEFAULT.AUTHINFO.IDPWOS) AUTHTYPE(IDPWOS) CHCKCLNT(OPTIONAL)" \
        "REFRESH SECURITY TYPE(CONNAUTH)" |
        mn_as_mqm "$(num "$A")" "$INST/bin/runmqsc" "$QM" >/dev/null
fi

# ---- 1. the active node crashes ------------------------------------------------------------------
settle
put_messages "$(num "$A")" crash 10
t0=$(now_ms)
mn_node_crash "$(num "$A")"
B=$(wait_group_elsewhere "$A" 120) || fail "group did not fail over within 120 s of $A's crash"
until depth20_ok "$(num "$B")"; do
    [ $(($(now_ms) - t0)) -lt 180000 ] || fail "depth-20 monitor on $B did not succeed within 180 s"
    sleep 0.2
done
mn_record "failover: $(($(now_ms) - t0)) ms ($A crashed -> depth-20 monitor success on $B)"
check "nothing of $A is left running" wait_for "$A's processes to vanish" 10 netns_empty "$(mn_ns "$(num "$A")")"
check "shared storage mounted on $B only" storage_only_on "$B"
check "the takeover recorded no failed action (the survivors' probes answered 'not running')" \
    test "$(mon_xml | xq 'count(//failures/failure)')" = 0
check "the 10 persistent messages put before the crash are there on $B" messages_there "$(num "$B")" crash 10
if [ $MODE = mq ]; then
    check "the agent registered $QM in $B's mqs.ini" \
        grep -q "Name=$QM" "$(mn_nodedir "$(num "$B")")/mqroot/var/mqm/mqs.ini"
fi
t0=$(now_ms)
mn_node_start "$(num "$A")"
mn_wait_cluster "$(num "$B")" "node1 node2 node3" 120 || fail "$A did not rejoin"
mn_record "crashed node rejoined: $(($(now_ms) - t0)) ms"
settle # the returning node's probes have run
check "group stays on $B after $A returns" test "$(started_on qm)" = "$B"
check "$A runs no queue manager and has no storage mounted" node_clean "$(num "$A")"
check "probes of the returning node found nothing failed" test "$(mon_xml | xq 'count(//failures/failure)')" = 0

# ---- 2. controlled switch: pcs resource move ------------------------------------------------------
settle
# The node that has not held the group yet: by the end each node has registered the queue manager.
for n in $(seq 1 "$MN_NODES"); do [ "node$n" = "$A" ] || [ "node$n" = "$B" ] || C=node$n; done
put_messages "$(num "$B")" move 3
check "a client on $C puts 2 messages through the listener at $B's address" \
    put_messages_client "$(num "$C")" "$B" move 4 5
t0=$(now_ms)
pcsx resource move mq "$C" --wait=120 >/dev/null 2>&1 || fail "pcs resource move mq $C failed"
got=$(wait_group_elsewhere "$B" 60) || fail "group not running after the move"
mn_record "pcs resource move: $(($(now_ms) - t0)) ms ($B -> $got)"
check "group moved to $C" test "$got" = "$C"
check "shared storage mounted on $C only" storage_only_on "$C"
check "$B runs no queue manager after the move" no_qm_processes "$(num "$B")"
check "the 5 messages put before the move are there on $C" messages_there "$(num "$C")" move 5
check "no move constraint left behind" test -z "$(pcsx constraint location config 2>/dev/null | grep -i 'mq' || true)"

# ---- 3. the listener fails: only the listener restarts, on the same node -------------------------
settle
cn=$(num "$C")
qm_call=$(start_call qm "$C")
lsr_call=$(start_call lsr "$C")
pid=$(qm_pid_on "$cn")
t0=$(now_ms)
listener_kill "$cn"
until [ "$(fail_count lsr "$C")" -ge 1 ] && [ "$(started_on lsr)" = "$C" ] &&
    [ -n "$(start_call lsr "$C")" ] && [ "$(start_call lsr "$C")" != "$lsr_call" ]; do
    [ $(($(now_ms) - t0)) -lt 60000 ] || fail "listener was not restarted on $C within 60 s"
    sleep 0.25
done
mn_record "listener failure -> listener restarted: $(($(now_ms) - t0)) ms (on $C)"
check "queue manager not restarted (same start operation)" test "$(start_call qm "$C")" = "$qm_call"
check "queue manager not restarted (same amqzxma0 pid $pid)" test "$(qm_pid_on "$cn")" = "$pid"
check "queue manager has no failures" test "$(fail_count qm "$C")" = 0
check "group still on $C" test "$(started_on qm)" = "$C"
pcsx resource cleanup lsr >/dev/null 2>&1

# ---- 4. queue-manager crashes past migration-threshold=2 -----------------------------------------
settle
put_messages "$cn" threshold 3
qm_call=$(start_call qm "$C")
t0=$(now_ms)
qm_crash "$cn"
until [ "$(fail_count qm "$C")" = 1 ] && [ "$(started_on qm)" = "$C" ] && [ "$(started_on lsr)" = "$C" ] &&
    [ "$(start_call qm "$C")" != "$qm_call" ]; do
    [ $(($(now_ms) - t0)) -lt 90000 ] || fail "queue manager not restarted on $C after the first crash"
    sleep 0.25
done
mn_record "queue manager crash 1 -> restarted in place: $(($(now_ms) - t0)) ms (on $C)"
t0=$(now_ms)
qm_crash "$cn"
D=$(wait_group_elsewhere "$C" 120) || fail "group did not leave $C after the second crash"
mn_record "queue manager crash 2 (migration-threshold) -> moved: $(($(now_ms) - t0)) ms ($C -> $D)"
check "fail-count of qm on $C is 2" test "$(fail_count qm "$C")" = 2
check "$C runs no queue manager" no_qm_processes "$cn"
check "shared storage mounted on $D only" storage_only_on "$D"
check "the 3 messages put before the crashes are there on $D" messages_there "$(num "$D")" threshold 3
pcsx resource cleanup qm >/dev/null 2>&1

# ---- 5. a node whose mq user has another uid refuses the queue manager ---------------------------
settle
if [ $MODE = mq ]; then
    F=node$(($(num "$D") % MN_NODES + 1))
    fn=$(num "$F")
    real_uid=$(id -u mqm)
    other_uid=$((real_uid + 1000))
    while getent passwd "$other_uid" >/dev/null; do other_uid=$((other_uid + 1)); done
    put_messages "$(num "$D")" uid 1
    cp "$(mn_nodedir "$fn")/passwd" "$(mn_nodedir "$fn").passwd.orig"
    # Rewritten in place: the node's /etc/passwd is a bind mount of this very file.
    sed "s/^mqm:x:$real_uid:/mqm:x:$other_uid:/" "$(mn_nodedir "$fn")/passwd" >"$MN_STATE/passwd.$fn"
    cat "$MN_STATE/passwd.$fn" >"$(mn_nodedir "$fn")/passwd"
    check "mqm has uid $other_uid on $F" test "$(mn_on "$fn" id -u mqm)" = "$other_uid"
    t0=$(now_ms)
    pcsx resource move-with-constraint mq "$F" >/dev/null
    until [ -n "$(exit_reason qm_start_0 "$F")" ]; do
        [ $(($(now_ms) - t0)) -lt 90000 ] || fail "no failed start of qm on $F within 90 s"
        sleep 0.25
    done
    reason=$(exit_reason qm_start_0 "$F")
    mn_record "uid mismatch -> start refused on $F: $(($(now_ms) - t0)) ms: $reason"
    check "the reason names the data owner's uid $real_uid" grep -q "\b$real_uid\b" <<<"$reason"
    check "the reason names $F's mqm uid $other_uid" grep -q "\b$other_uid\b" <<<"$reason"
    check "$F runs no queue manager" no_qm_processes "$fn"
    pcsx resource clear mq >/dev/null
    # One misconfigured node must not cost the service: the others, whose ids match the data's
    # owner, still take the queue manager.
    if E=$(wait_group_elsewhere "$F" 60); then
        check "group runs on $E, not on $F" test "$E" != "$F"
        check "shared storage mounted on $E only" storage_only_on "$E"
    else
        bad "while $F's mqm has uid $other_uid, no other node starts the queue manager either:" \
            "$(for n in $(mn_up_nodes); do echo "node$n: $(exit_reason qm_start_0 "node$n")"; done)"
    fi
    # The administrator repairs the node and cleans up: the queue manager runs again.
    cat "$(mn_nodedir "$fn").passwd.orig" >"$(mn_nodedir "$fn")/passwd"
    check "mqm has uid $real_uid on $F again" test "$(mn_on "$fn" id -u mqm)" = "$real_uid"
    t0=$(now_ms)
    pcsx resource cleanup >/dev/null 2>&1
    G=$(wait_group_elsewhere none 120) || fail "group not running within 120 s of repairing $F and cleaning up"
    mn_record "uid repaired on $F + cleanup -> group running: $(($(now_ms) - t0)) ms (on $G)"
    check "the 1 message put before the uid scenario is there on $G" messages_there "$(num "$G")" uid 1
else
    mn_log "uid check skipped: Dummy has no mq user"
fi

# ---- 6. network partition: the active node is cut off from the other two --------------------------
# Without fencing both sides act at once: the majority starts the group, the isolated node stops it
# for lack of quorum. What must never happen is two active instances of the queue manager.
settle
P=$(started_on qm)
pn=$(num "$P")
[ -n "$P" ] || fail "group not running before the partition"
majority=()
for n in $(seq 1 "$MN_NODES"); do [ "$n" = "$pn" ] || majority+=("$n"); done
MON_NODE=${majority[0]}
put_messages "$pn" partition 4
# A majority node runs the queue manager as the active instance (dspmq says Running, not Running
# elsewhere): a controller that starts and gives way to the data lock does not count.
qm_on_majority() {
    local n
    for n in "${majority[@]}"; do
        status_is "$n" RUNNING 2>/dev/null && return 0
    done
    return 1
}
dual=0
t0=$(now_ms)
ip -n "$MN_SWITCH" link set "n$pn" down # its cable, pulled at the switch
until node_clean "$pn"; do
    if ! no_qm_processes "$pn" && qm_on_majority; then dual=1; fi
    [ $(($(now_ms) - t0)) -lt 120000 ] || fail "$P still runs the queue manager or has the storage 120 s after losing quorum"
    sleep 0.2
done
mn_record "partition: $(($(now_ms) - t0)) ms ($P, without quorum, stopped its queue manager and unmounted the storage)"
[ $MODE = dummy ] || check "never two active instances of $QM (isolated $P and the majority)" test "$dual" = 0
settle # the majority's transition is over: the group runs, or its starts have failed
if Q=$(wait_group_elsewhere "$P" 5); then
    mn_record "partition: $(($(now_ms) - t0)) ms ($P cut off -> group running on $Q, seen by node$MON_NODE)"
else
    # The majority's starts came while the isolated instance still held the data: the queue manager
    # refused them ("Running elsewhere"), and the quick retries used up migration-threshold.
    reasons=$(mon_xml | xq '//failures/failure[@op_key="qm_start_0"]/@exitreason')
    check "the majority's failed starts were refused because $P still held the data" grep -q 'elsewhere' <<<"$reasons"
    mn_record "partition: majority's starts refused while $P held the data (Running elsewhere); cleaned up by hand"
    mn_on "$MON_NODE" pcs resource cleanup qm >/dev/null 2>&1
    Q=$(wait_group_elsewhere "$P" 120) || fail "the majority did not run the group after the cleanup"
    mn_record "partition: $(($(now_ms) - t0)) ms ($P cut off -> group running on $Q after the cleanup)"
fi
check "the 4 messages put before the partition are there on $Q" messages_there "$(num "$Q")" partition 4
t0=$(now_ms)
ip -n "$MN_SWITCH" link set "n$pn" up
mn_wait_cluster "$MON_NODE" "node1 node2 node3" 120 || fail "$P did not rejoin after the partition healed"
mn_record "partition healed -> $P rejoined: $(($(now_ms) - t0)) ms"
unset MON_NODE
settle
check "group still on $Q after $P rejoined" test "$(started_on qm)" = "$Q"
check "$P runs no queue manager and has no storage mounted" node_clean "$pn"

if [ $MODE = mq ]; then
    # The group has been on every node by now; each registration was the agent's (add_mqs_ini),
    # except node1's, which crtmqm made.
    for n in $(seq 1 "$MN_NODES"); do
        check "node$n's mqs.ini has $QM" grep -q "Name=$QM" "$(mn_nodedir "$n")/mqroot/var/mqm/mqs.ini"
        check "node$n's stanza for $QM has DataPath=$SAN/qmgrs/$QM" \
            grep -qx "[[:space:]]*DataPath=$SAN/qmgrs/$QM" "$(mn_nodedir "$n")/mqroot/var/mqm/mqs.ini"
    done
fi

# Each node's init reaps what is reparented to it: no zombie a /proc scan could mistake for a
# running queue-manager process.
for n in $(mn_up_nodes); do
    check "no zombie processes on node$n" test "$(mn_on "$n" ps -eo stat= | grep -c '^Z' || true)" = 0
done

[ "$ASSERT_FAILED" = 0 ] || fail "$ASSERT_FAILED assertion(s) failed above"
mn_log "all scenarios passed"
