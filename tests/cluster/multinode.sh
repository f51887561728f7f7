#!/usr/bin/env bash
# tests/cluster/multinode.sh — three real Pacemaker/Corosync nodes on this machine, and a queue
# manager failing over between them on shared storage.
#
# Each node is an isolated "host" made of Linux namespaces by this script (network, mount, UTS and
# PID with its own /proc; see multinode/cluster.sh), with its own simulated MQ installation. The
# queue manager's data and logs live in ONE host directory, the shared storage, that only the node
# holding the resource group has mounted (ocf:heartbeat:Filesystem, a bind mount). The group is
#     mq: san (Filesystem) -> vip (ocf:heartbeat:IPaddr2) -> qm (ocf:mqha:ibmmq) -> lsr (ocf:mqha:ibmmq-listener)
# and clients reach the queue manager only through the virtual IP. Fencing is on
# (stonith-enabled=true): one fence device per node, fence_mqha_ns, which powers a node off and on
# through the suite's power switch (multinode/pdu.py). Scenarios, each asserted and timed: crash
# of the active node (fenced), `pcs resource move`, a listener failure, queue-manager crashes past
# migration-threshold, a node whose mq user has another uid, a stop that fails (fenced), a network
# partition that cuts the active node off (fenced before the takeover), and then a separate
# two-node cluster (two_node, a fence delay) whose active node crashes. After the queue manager's
# scenarios, the same cluster runs the timed ones (crash, move, partition) once more with
# ocf:heartbeat:Dummy stand-ins for the queue manager and its listener, and the end prints both
# figures side by side ("scenario | ibmmq ms | Dummy ms"): what the agents add to the cluster's own time.
#
#   tests/cluster/multinode.sh            # the mqha agents and the simulator (build first)
#   tests/cluster/multinode.sh --dummy    # the same mechanics with ocf:heartbeat:Dummy stand-ins only
#   MN_ONLY=stopfail MN_REPEAT=5 tests/cluster/multinode.sh   # only the failed stop, 5 times in a row
#   MN_REPEAT=3 tests/cluster/multinode.sh   # every scenario, the failed stop 3 times in a row
#
# Environment (docs/multinode.md "Cluster timing advice"; tests/cluster/timing.sh runs the matrix):
#   MN_TOKEN=MS        corosync's totem token (default: none written, corosync's default, as
#                      `pcs cluster setup` does: 3000 ms + 650 ms token_coefficient per node beyond 2)
#   MN_SOAK_SECS=S     before the scenarios, S seconds of load (mqload clients through the virtual
#                      IP, and CPU busy loops on this machine); prints the false positives it caused
#   MN_SOAK_BLIP_MS=M  in the middle of the soak, the active node's link is down for M ms (a network
#                      pause, shorter or longer than the token) and up again
#   MN_SOAK_ONLY=1     end after the soak (no scenarios)
#   MN_BESIDE=0        skip the Dummy stand-ins' pass after the queue manager's scenarios
#   MN_FIGURES=FILE    also append the figures to FILE, one "MODE KEY VALUE" a line (timing.sh)
#
# Needs root and tests/setup.sh; for the default mode `cargo build --release --workspace`.
# Tears everything down on any exit (trap): nodes, namespaces, bridge, mounts, state directory
# (kept when KEEP_LOGS=1 and the run failed, always with KEEP_LOGS=always: each node's
# log-pacemaker/ and log-corosync/, the power switch's pdu/pdu.log).
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
# MN_REPEAT=N: the failed-stop scenario N times in a row (default 1); MN_ONLY=stopfail: only it
# (after the bring-up), to chase a rare failure of it.
MN_ONLY=${MN_ONLY:-}
MN_REPEAT=${MN_REPEAT:-1}
case "$MN_ONLY" in
    "" | stopfail) ;;
    *)
        echo "multinode.sh: MN_ONLY=$MN_ONLY: the only scenario that runs alone is stopfail" >&2
        exit 2
        ;;
esac
[[ "$MN_REPEAT" =~ ^[1-9][0-9]?$ ]] || {
    echo "multinode.sh: MN_REPEAT=$MN_REPEAT is not a count from 1 to 99" >&2
    exit 2
}
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

# Bad values are refused before anything starts, naming the value.
case "${MN_TOKEN:-}" in
    "" | [1-9][0-9][0-9] | [1-9][0-9][0-9][0-9] | [1-9][0-9][0-9][0-9][0-9]) ;;
    *)
        echo "multinode.sh: MN_TOKEN='$MN_TOKEN': expected milliseconds from 100 to 99999 (or unset: corosync's default)" >&2
        exit 2
        ;;
esac
case "${MN_SOAK_SECS:-0}" in
    [0-9] | [1-9][0-9] | [1-9][0-9][0-9] | [1-9][0-9][0-9][0-9]) ;;
    *)
        echo "multinode.sh: MN_SOAK_SECS='$MN_SOAK_SECS': expected seconds from 0 to 9999" >&2
        exit 2
        ;;
esac
case "${MN_SOAK_BLIP_MS:-0}" in
    [0-9] | [1-9][0-9] | [1-9][0-9][0-9] | [1-9][0-9][0-9][0-9] | [1-9][0-9][0-9][0-9][0-9]) ;;
    *)
        echo "multinode.sh: MN_SOAK_BLIP_MS='$MN_SOAK_BLIP_MS': expected milliseconds from 0 to 99999" >&2
        exit 2
        ;;
esac
SUITE_MODE=$MODE # MODE becomes "dummy" for the stand-ins' pass after the queue manager's scenarios

MN_STATE=$(mktemp -d /var/tmp/mqha-multinode.XXXXXX)
SUITE_STATE=$MN_STATE # the two-node part keeps its cluster below it
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
VIP=$MN_SUBNET.100 # the queue manager's address, on the suite's bridge only
# A node powered on again (by its fencing) boots this long before its cluster stack starts, as a
# host does: for longer than the others take to notice it has gone (multinode/cluster.sh
# mn_boot_secs). MN_BOOT_SECS=S overrides it (shorter than corosync's token + consensus only to
# show what then happens: docs/multinode.md, "The failed-stop scenario").
MN_BOOT_SET=${MN_BOOT_SECS:-}
MN_BOOT_SECS=${MN_BOOT_SECS:-$(mn_boot_secs)}
STOP_TIMEOUT=15s   # the queue manager's stop: short, so that the failed-stop scenario is quick
SUITE_T0=$(now_ms)
# A failed check ends the run: every later scenario builds on the state it asserted.
CHECK_FATAL=1

# ---- the figures compared: each timed scenario, with the queue manager and with Dummy stand-ins ----
# figure KEY MS: a scenario's time for the stand-in now in use (MODE), for the table at the end.
declare -A FIG=()
FIG_KEYS=(crash_group crash_monitor move partition_fenced partition_running partition_group)
declare -A FIG_LABEL=(
    [crash_group]="node crash -> fenced -> group running elsewhere"
    [crash_monitor]="node crash -> monitor success on the new node"
    [move]="pcs resource move -> group running"
    [partition_fenced]="partition -> isolated node powered off"
    [partition_running]="partition -> qm running on the majority"
    [partition_group]="partition -> whole group on the majority"
)
TOKEN_MS=
token_source() {
    if [ -n "${MN_TOKEN:-}" ]; then echo "MN_TOKEN=$MN_TOKEN"; else echo "no token in corosync.conf: corosync's default"; fi
}
figure() {
    FIG[$MODE/$1]=$2
    [ -z "${MN_FIGURES:-}" ] || echo "$MODE $1 $2" >>"$MN_FIGURES"
}
figures_table() {
    local k
    [ ${#FIG[@]} -gt 0 ] || return 0
    echo
    echo "  corosync token in use: ${TOKEN_MS:-?} ms ($(token_source))"
    printf '  %-48s | %9s | %9s\n' scenario "ibmmq ms" "Dummy ms"
    for k in "${FIG_KEYS[@]}"; do
        printf '  %-48s | %9s | %9s\n' "${FIG_LABEL[$k]}" "${FIG[mq/$k]:--}" "${FIG[dummy/$k]:--}"
    done
}

teardown() {
    local rc=$?
    trap - EXIT INT TERM
    [ $rc -eq 0 ] || mn_diagnose || true
    mn_log "teardown: killing the nodes, deleting namespaces and bridge"
    mn_teardown
    if { [ $rc -ne 0 ] && [ -n "${KEEP_LOGS:-}" ]; } || [ "${KEEP_LOGS:-}" = always ]; then
        echo "state kept in $SUITE_STATE (KEEP_LOGS=${KEEP_LOGS})" >&2
    else
        rm -rf --one-file-system "$SUITE_STATE"
    fi
    echo
    mn_times
    figures_table
    echo "multinode ($SUITE_MODE): $([ $rc -eq 0 ] && echo PASSED || echo FAILED) in $((($(now_ms) - SUITE_T0) / 1000)) s"
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

# Successful fencing actions against node NAME that node N's fencer knows of.
fenced_count() { mn_on "$1" stonith_admin --history "$2" 2>/dev/null | grep -c "of $2 successful" || true; }

# Waits (bounded) until the cluster has no action pending, so the next fault meets a quiet cluster
# (a cleanup's re-probes racing an injected crash would test the test, not the agents).
settle() { mn_on "${MON_NODE:-$(any_up)}" crm_resource --wait --timeout=120s >/dev/null 2>&1 || fail "cluster did not settle within 120 s"; }

# Waits (bounded) until the whole group runs on one node other than EXCEPT; prints it.
wait_group_elsewhere() {
    local except=$1 secs=$2 start
    start=$(now_ms)
    while [ $(($(now_ms) - start)) -lt $((secs * 1000)) ]; do
        group_elsewhere "$except" && return 0
        sleep 0.25
    done
    return 1
}
# The same, once: prints the node and succeeds when the whole group runs on a node other than EXCEPT.
group_elsewhere() {
    local except=$1 on x r
    x=$(mon_xml)
    on=$(xq "string(//resource[@id='qm'][@role='Started']/node/@name)" <<<"$x")
    [ -n "$on" ] && [ "$on" != "$except" ] || return 1
    for r in lsr san vip; do
        [ "$(xq "string(//resource[@id='$r'][@role='Started']/node/@name)" <<<"$x")" = "$on" ] || return 1
    done
    echo "$on"
}

# The shared storage is mounted, and the virtual IP configured, on node A and on no other running node.
has_vip() { mn_on "$1" ip -o -4 addr show dev eth0 | grep -q " $VIP/"; }
storage_only_on() {
    local a=$1 n
    for n in $(mn_up_nodes); do
        if [ "node$n" = "$a" ]; then
            mn_on "$n" mountpoint -q "$SAN" || return 1
            has_vip "$n" || return 1
        else
            ! mn_on "$n" mountpoint -q "$SAN" || return 1
            ! has_vip "$n" || return 1
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
    # The listener listens on the virtual IP only: a client reaches the queue manager there or not at all.
    LSR_PARAMS=("qmgr=$QM" "port=$PORT" "ipaddr=$VIP" "mq_installation=$INST" mq_user=mqm)
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

# Puts persistent messages TAG-FROM..TO as an MQ client on node N, through the listener on the
# virtual IP (wherever the group runs): across the test's bridge, as an application host would.
put_messages_client() {
    local n=$1 tag=$2 from=$3 to=$4 out i
    if [ $MODE = dummy ]; then
        for i in $(seq "$from" "$to"); do mn_on "$(num "$(started_on qm)")" sh -c "echo $tag-$i > $SAN/messages/$tag-$i"; done
        return 0
    fi
    out=$(for i in $(seq "$from" "$to"); do echo "$tag-$i"; done |
        mn_as_mqm "$n" env "MQSERVER=MQHA.SVRCONN/TCP/$VIP($PORT)" \
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
node_clean() { no_qm_processes "$1" && ! mn_on "$1" mountpoint -q "$SAN" && ! has_vip "$1"; }
# The queue manager's pid on node N (lib.sh's qm_pid looks in one network namespace).
qm_pid_on() {
    if [ $MODE = mq ]; then mn_on "$1" pgrep -x amqzxma0 || true; else echo dummy; fi
}

# ---- clients under load through a scenario (mqload; the mq mode only) -----------------------------
# load_start NAME N: a producer and a consumer (target/release/mqload, MQI clients that reconnect)
# start on node N as the mq user, through the virtual IP, on a queue of their own: numbered
# persistent messages under syncpoint, at most LOAD_RATE puts a second and LOAD_SECONDS in all.
# load_fault: the fault has just taken effect (the load's clock; for a move: it starts now).
# load_check NAME: ends both, drains the queue through the virtual IP, prints the report's
# messages and outage lines and the longest time without any success (an ack or a delivery) that
# ended after the fault - for a move, whose service ends some time after the command, that is the
# outage - and asserts that nothing acknowledged was lost or delivered twice.
LOADQ=MQHA.MULTINODE.LOAD
LOAD_RATE=20
LOAD_SECONDS=150
load_mq_args() { echo --mq-installation "$INST" --qmgr "$QM" --channel MQHA.SVRCONN --conn "$VIP($PORT)" --queue "$LOADQ"; }
# shellcheck source=tests/cluster/multinode/load.sh
source "$here/multinode/load.sh"

# ---- the failed-stop scenario (section 6; MN_ONLY=stopfail runs only it) --------------------------
# fenced_stop NAME: the queue manager's processes are frozen in the kernel (a freezer cgroup: D
# state, as on storage that stopped answering), then the administrator moves the group. endmqm
# cannot end them and they survive SIGKILL (reading /proc for some of them does not even return),
# so the agent's stop fails, truthfully; Pacemaker fences the node (on-fail=fence for a stop), and
# only then starts the group elsewhere. The fencing's reboot ends the frozen processes with the
# rest of the node, which comes back clean. NAME names the load's journals.
fenced_stop() {
    local name=$1
    S=$(started_on qm)
    sn=$(num "$S")
    T=node$((sn % MN_NODES + 1))
    put_messages "$sn" stopfail 3
    old_init=$(mn_pid1 "$sn")
    offs=$(pdu_offs "$sn")
    # Every process of the queue manager except its listener (whose stop is not the point here).
    mapfile -t pids < <(mn_node_pids "$sn" "$(mn_on "$sn" id -u mqm)" runmqlsr)
    [ "${#pids[@]}" -gt 0 ] || fail "no queue-manager processes on $S to freeze"
    load_start "$name" "$(num "$T")"
    mn_freeze "$sn" "${pids[@]}"
    load_fault # frozen: the queue manager answers nothing from now on
    MON_NODE=$(num "$T") # a survivor's view: $S will boot again outside the cluster for a while
    t0=$(now_ms)
    pcsx resource move-with-constraint mq "$T" >/dev/null
    # When $S's power went off (its init changed or is gone), and when the group ran elsewhere.
    t_off="" U=""
    until [ -n "$U" ]; do
        if [ -z "$t_off" ] && [ "$(mn_pid1 "$sn" || true)" != "$old_init" ]; then t_off=$(now_ms); fi
        U=$(group_elsewhere "$S") || { U="" && sleep 0.2; }
        [ $(($(now_ms) - t0)) -lt 180000 ] || fail "group did not leave $S within 180 s of its failed stop"
    done
    t_run=$(now_ms)
    # The stop's failure, as $S's controller logged it (its clock is the machine's).
    t_fail=$(sed -n "s/^\([A-Z][a-z]* [0-9]* [0-9:.]*\) $S pacemaker-controld.*Result of stop operation for qm on $S: error.*/\1/p" \
        "$(mn_nodedir "$sn")/log-pacemaker/pacemaker.log" | tail -1)
    t_fail=$(date -d "$t_fail" +%s%3N 2>/dev/null || echo "$t0")
    mn_record "failed stop -> $S fenced -> group running: $((t_run - t0)) ms ($S -> $U): stop failed after $((t_fail - t0)) ms, $S powered off after $((${t_off:-t_run} - t0)) ms"
    load_check "$name"
    # Which of the two the agent meets depends on the moment: /proc does not answer for some
    # frozen processes (as for a process stuck on lost storage), and the others survive SIGKILL.
    check "the agent's stop on $S failed, naming the processes it could not end" \
        grep -Eq "survived SIGKILL|processes may be left" "$(mn_nodedir "$sn")/log-pacemaker/pacemaker.log"
    check "$S was fenced ($U's fencer has a successful fencing of $S)" test "$(fenced_count "$(num "$U")" "$S")" -ge 1
    check "the power switch powered $S off" test "$(pdu_offs "$sn")" -gt "$offs"
    check "shared storage and virtual IP on $U only" storage_only_on "$U"
    check "the 3 messages put before the failed stop are there on $U" messages_there "$(num "$U")" stopfail 3
    pcsx resource clear mq >/dev/null
    t0=$(now_ms)
    wait_for "$S to be powered on by its fencing" 60 mn_pid1 "$sn" || fail "$S was not powered on after its fencing"
    mn_wait_cluster "$(num "$U")" "node1 node2 node3" 120 || fail "$S did not rejoin after its fencing"
    mn_record "fenced node rejoined: $(($(now_ms) - t0)) ms ($S, $MN_BOOT_SECS s boot)"
    unset MON_NODE
    settle
    check "$S runs a new init (rebooted by the fencing)" test "$(mn_pid1 "$sn")" != "$old_init"
    check "$S runs no queue manager and has neither storage nor virtual IP" node_clean "$sn"
    check "$S's frozen processes are gone with the old node (its freezer cgroup is empty)" \
        test -z "$(cat "$(mn_freezer "$sn")/cgroup.procs")"
    check "group still on $U after $S rejoined" test "$(started_on qm)" = "$U"
    check "no failed action left after the fencing" test "$(mon_xml | xq 'count(//failures/failure)')" = 0
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
detect_ms=$(mn_detect_ms 1)
mn_record "a fenced node boots $MN_BOOT_SECS s; a member that goes silent is lost after $detect_ms ms (corosync's token + consensus)"
if [ $((MN_BOOT_SECS * 1000)) -le "$detect_ms" ]; then
    [ -n "$MN_BOOT_SET" ] || fail "a fenced node would boot ($MN_BOOT_SECS s) before the others notice it went ($detect_ms ms)"
    mn_log "MN_BOOT_SECS=$MN_BOOT_SECS is shorter than that: a node fenced while a member may rejoin before it was seen to go"
fi
TOKEN_MS=$(mn_token_ms 1)
mn_record "corosync token in use: $TOKEN_MS ms (runtime.config.totem.token; $(token_source))"
[ -z "${MN_FIGURES:-}" ] || echo "- token $TOKEN_MS" >>"$MN_FIGURES"

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

pcsx() { mn_on "${MON_NODE:-$(any_up)}" pcs "$@"; }
# A queue-manager crash takes its listener with it, and when the listener's monitor notices first,
# Pacemaker restarts the listener alone, whose start then fails (its queue manager is down). With
# start-failure-is-fatal=true (the default) that single failure bans the whole group from the node
# and migration-threshold never applies; false counts it like any failure (docs/multinode.md).
pcsx property set start-failure-is-fatal=false
# Fencing as production has it: a device per node, as with one IPMI board per host, each allowed
# to fence its own node only (pcmk_host_list). The devices' power switch is the suite's PDU.
t0=$(now_ms)
for n in $(seq 1 "$MN_NODES"); do
    pcsx stonith create "fence-node$n" fence_mqha_ns socket="$(mn_pdu_sock)" pcmk_host_list="node$n" \
        op monitor interval=60s
done
pcsx property set stonith-enabled=true
mn_record "fencing on: $MN_NODES fence devices created: $(($(now_ms) - t0)) ms"
pcsx resource create san ocf:heartbeat:Filesystem device="$SHARED" directory="$SAN" fstype=none \
    options=bind op monitor interval=10s --group mq
pcsx resource create vip ocf:heartbeat:IPaddr2 ip="$VIP" cidr_netmask=24 nic=eth0 \
    op monitor interval=10s --group mq
pcsx resource create qm "$QM_AGENT" "${QM_PARAMS[@]}" meta migration-threshold=2 \
    op monitor interval=5s op monitor interval=60s OCF_CHECK_LEVEL=20 op stop timeout="$STOP_TIMEOUT" --group mq
pcsx resource create lsr "$LSR_AGENT" "${LSR_PARAMS[@]}" op monitor interval=5s --group mq
A=$(wait_group_elsewhere none 120) || fail "group mq did not start within 120 s"
mn_log "group mq runs on $A"
check "shared storage mounted on $A only" storage_only_on "$A"
if [ $MODE = mq ]; then
    # The application queue, and a client channel the test's own client (the mq user, no password)
    # may use. As on real MQ 8.0+ that takes both the channel's own BLOCKUSER rule (replacing the
    # '*' back-stop for this channel) and CHCKCLNT(OPTIONAL): acceptable for a test queue manager on
    # a private network only, never advice for production (the agent's client check uses
    # client_user instead, README "Client check"). HBINT(5), unlike those, is what a production HA
    # channel should have (docs/multinode.md "Clients and heartbeats"): a client whose connection
    # went with a node that was cut off hears nothing, and ends its call with 2009 after the receive
    # timeout (10 s with HBINT 5; 360 s with the default 300), then reconnects to the virtual IP.
    printf '%s\n' "DEFINE QLOCAL($QUEUE) DEFPSIST(YES) REPLACE" "DEFINE QLOCAL($LOADQ) DEFPSIST(YES) MAXDEPTH(100000) REPLACE" \
        "DEFINE CHANNEL(MQHA.SVRCONN) CHLTYPE(SVRCONN) TRPTYPE(TCP) HBINT(5) REPLACE" \
        "SET CHLAUTH(MQHA.SVRCONN) TYPE(BLOCKUSER) USERLIST('nobody')" \
        "ALTER AUTHINFO(SYSTEM.DEFAULT.AUTHINFO.IDPWOS) AUTHTYPE(IDPWOS) CHCKCLNT(OPTIONAL)" \
        "REFRESH SECURITY TYPE(CONNAUTH)" |
        mn_as_mqm "$(num "$A")" "$INST/bin/runmqsc" "$QM" >/dev/null
fi

# MN_ONLY=stopfail: only the failed-stop scenario, MN_REPEAT times in a row (default 1) on this
# cluster, to chase a rare failure of it; nothing else runs.
if [ "$MN_ONLY" = stopfail ]; then
    [ $MODE = mq ] || fail "MN_ONLY=stopfail needs the mq mode (Dummy's stop cannot fail)"
    for i in $(seq 1 "$MN_REPEAT"); do
        settle
        # The fenced node is alternately the DC and another node: Pacemaker takes different paths
        # (the DC's own fencing needs an election first), and left alone every run would fence the
        # DC (the node that takes the group over is elected DC when the old one is fenced).
        dc=$(mon_xml | xq 'string(//current_dc/@name)')
        if [ $((i % 2)) = 0 ] && [ "$(started_on qm)" = "$dc" ]; then
            for n in $(seq 1 "$MN_NODES"); do [ "node$n" = "$dc" ] || other=node$n; done
            pcsx resource move mq "$other" --wait=120 >/dev/null 2>&1 || fail "pcs resource move mq $other failed"
            settle
        fi
        mn_log "failed-stop scenario, run $i of $MN_REPEAT: group on $(started_on qm), DC $(mon_xml | xq 'string(//current_dc/@name)')"
        fenced_stop "stopfail-$i"
    done
    [ "$ASSERT_FAILED" = 0 ] || fail "$ASSERT_FAILED assertion(s) failed above"
    mn_log "failed-stop scenario passed $MN_REPEAT times"
    exit 0
fi
# ---- 0. (MN_SOAK_SECS) load, and the false positives it causes ------------------------------------
# Nothing fails on purpose: for MN_SOAK_SECS seconds a producer and a consumer (mqload, through the
# virtual IP, MN_SOAK_RATE puts a second) load the queue manager, while busy loops (2 per core of
# this machine, as root at normal priority; each ended by timeout(1) after the soak) compete for
# the CPU with the nodes' corosync and Pacemaker. Counted afterwards, from the nodes' own logs: what
# a cluster with a short token may mistake for a failure. Each is printed; none is asserted (a
# false positive is the figure, not a defect of the agents), except that no message may be lost.
# With MN_SOAK_BLIP_MS, halfway through, the active node's cable is pulled at the switch for that
# long and put back: a network pause of a known length, which a token shorter than it turns into
# a lost node, fenced, and a failover; a longer token rides it out.
soak() {
    local secs=$1 blip=${MN_SOAK_BLIP_MS:-0} n i t0 burners=() offs0=() cs0=() ps0=() fail0 sn cl pl
    settle
    sn=$(num "$(started_on qm)")
    for n in $(seq 1 "$MN_NODES"); do
        offs0[n]=$(pdu_offs "$n")
        cs0[n]=$(wc -l <"$(mn_nodedir "$n")/log-corosync/corosync.log")
        ps0[n]=$(wc -l <"$(mn_nodedir "$n")/log-pacemaker/pacemaker.log")
    done
    fail0=$(mon_xml | xq 'count(//failures/failure)')
    LOAD_SECONDS=$((secs + 60)) LOAD_RATE=${MN_SOAK_RATE:-100} load_start soak $((sn % MN_NODES + 1))
    t0=$(now_ms)
    for i in $(seq 1 $((2 * $(nproc)))); do
        timeout "$secs" bash -c 'while :; do :; done' &
        burners+=($!)
    done
    mn_log "soak: ${secs} s of load: mqload through $VIP and ${#burners[@]} busy loops on $(nproc) cores"
    if [ "$blip" -gt 0 ]; then
        sleep $((secs / 2))
        MON_NODE=$((sn % MN_NODES + 1)) # a node that keeps its link
        ip -n "$MN_SWITCH" link set "n$sn" down
        load_fault
        sleep "$((blip / 1000)).$(printf '%03d' $((blip % 1000)))"
        ip -n "$MN_SWITCH" link set "n$sn" up
        mn_record "soak: node$sn's link down for $blip ms at the switch, then up again (token $TOKEN_MS ms)"
    fi
    for i in "${burners[@]}"; do wait "$i" || true; done
    if [ "$blip" -gt 0 ]; then
        # Fenced or not, all three must be back before anything is counted or run next.
        mn_wait_cluster "$MON_NODE" "node1 node2 node3" 180 || fail "the cluster did not have all 3 nodes back within 180 s of the network pause"
        settle
    fi
    mn_record "soak: $(($(now_ms) - t0)) ms of load (token $TOKEN_MS ms, ${#burners[@]} busy loops on $(nproc) cores, mqload at ${MN_SOAK_RATE:-100}/s)"
    load_check soak
    local lost=0 failed=0 warned=0 memb=0 fenced=0 nodes_seen
    for n in $(seq 1 "$MN_NODES"); do
        cl=$(tail -n +$((cs0[n] + 1)) "$(mn_nodedir "$n")/log-corosync/corosync.log")
        pl=$(tail -n +$((ps0[n] + 1)) "$(mn_nodedir "$n")/log-pacemaker/pacemaker.log")
        lost=$((lost + $(grep -c 'A processor failed' <<<"$cl" || true)))
        warned=$((warned + $(grep -c 'Token has not been received' <<<"$cl" || true)))
        memb=$((memb + $(grep -c 'A new membership' <<<"$cl" || true)))
        failed=$((failed + $(grep -Ec 'Result of monitor operation for .*: (error|not running|Timed Out)' <<<"$pl" || true)))
        fenced=$((fenced + $(pdu_offs "$n") - offs0[n]))
    done
    nodes_seen=$(mon_xml | xq 'count(//nodes/node[@online="true"])')
    mn_record "soak false positives: token lost ('A processor failed') $lost, new memberships $memb, 'Token has not been received' warnings $warned (all 3 nodes' corosync logs), fencings $fenced, failed monitors $failed (pacemaker logs), failed actions $(($(mon_xml | xq 'count(//failures/failure)') - fail0)), nodes online after $nodes_seen"
    if [ -n "${MN_FIGURES:-}" ]; then
        printf 'soak %s %s\n' secs "$secs" blip_ms "$blip" token_lost "$lost" memberships "$memb" token_warnings "$warned" \
            fencings "$fenced" failed_monitors "$failed" >>"$MN_FIGURES"
    fi
    pcsx resource cleanup >/dev/null 2>&1 || true
    settle
    unset MON_NODE
}
if [ "${MN_SOAK_SECS:-0}" -gt 0 ]; then soak "$MN_SOAK_SECS"; fi
if [ "${MN_SOAK_ONLY:-0}" = 1 ]; then
    [ "$ASSERT_FAILED" = 0 ] || fail "$ASSERT_FAILED assertion(s) failed above"
    mn_log "MN_SOAK_ONLY=1: the soak done, no scenarios"
    exit 0
fi
A=$(started_on qm) # where the group runs now (the soak may have moved it)

# ---- 1. the active node crashes ------------------------------------------------------------------
# A node that stops answering may be dead or only cut off: the survivors fence it (reboot, the
# default stonith-action) before they take its resources. The reboot powers it on again.
# (Sections 1, 2 and 7 are functions: the Dummy stand-ins' pass at the end runs them again.)
scenario_crash() {
settle
put_messages "$(num "$A")" crash 10
an=$(num "$A")
old_init=$(mn_pid1 "$an")
offs=$(pdu_offs "$an")
load_start crash $((an % MN_NODES + 1))
MON_NODE=$((an % MN_NODES + 1)) # a survivor's view: $A may be booting again, outside the cluster
t0=$(now_ms)
mn_node_crash "$an"
load_fault # the power is off: every process of the node is gone
B=$(wait_group_elsewhere "$A" 120) || fail "group did not fail over within 120 s of $A's crash"
figure crash_group $(($(now_ms) - t0))
until depth20_ok "$(num "$B")"; do
    [ $(($(now_ms) - t0)) -lt 180000 ] || fail "depth-20 monitor on $B did not succeed within 180 s"
    sleep 0.2
done
figure crash_monitor $(($(now_ms) - t0))
mn_record "failover: $(($(now_ms) - t0)) ms ($A crashed -> fenced -> depth-20 monitor success on $B)"
load_check crash
check "the crash of $A implied fencing it: $B's fencer has a successful fencing of $A" \
    test "$(fenced_count "$(num "$B")" "$A")" -ge 1
check "the power switch powered $A off once more (the fencing), after the crash" test "$(pdu_offs "$an")" -ge $((offs + 2))
check "shared storage mounted on $B only" storage_only_on "$B"
check "the takeover recorded no failed action (the survivors' probes answered 'not running')" \
    test "$(mon_xml | xq 'count(//failures/failure)')" = 0
check "the 10 persistent messages put before the crash are there on $B" messages_there "$(num "$B")" crash 10
if [ $MODE = mq ]; then
    check "the agent registered $QM in $B's mqs.ini" \
        grep -q "Name=$QM" "$(mn_nodedir "$(num "$B")")/mqroot/var/mqm/mqs.ini"
fi
t0=$(now_ms)
# The fencing was a reboot: the power switch has started $A again (or is doing so).
wait_for "$A to be powered on by its fencing" 60 mn_pid1 "$an" || fail "$A was not powered on again after its fencing"
check "$A runs a new init (powered off and on), not the crashed one" test "$(mn_pid1 "$an")" != "$old_init"
mn_wait_cluster "$(num "$B")" "node1 node2 node3" 120 || fail "$A did not rejoin"
mn_record "crashed node rejoined (rebooted by its fencing, $MN_BOOT_SECS s boot): $(($(now_ms) - t0)) ms"
unset MON_NODE
settle # the returning node's probes have run
check "group stays on $B after $A returns" test "$(started_on qm)" = "$B"
check "$A runs no queue manager and has no storage mounted" node_clean "$(num "$A")"
check "probes of the returning node found nothing failed" test "$(mon_xml | xq 'count(//failures/failure)')" = 0
}
scenario_crash

# ---- 2. controlled switch: pcs resource move ------------------------------------------------------
scenario_move() {
settle
# The node that has not held the group yet: by the end each node has registered the queue manager.
for n in $(seq 1 "$MN_NODES"); do [ "node$n" = "$A" ] || [ "node$n" = "$B" ] || C=node$n; done
put_messages "$(num "$B")" move 3
check "a client on $C puts 2 messages through the listener at the virtual IP $VIP" \
    put_messages_client "$(num "$C")" move 4 5
load_start move "$(num "$A")"
load_fault
t0=$(now_ms)
pcsx resource move mq "$C" --wait=120 >/dev/null 2>&1 || fail "pcs resource move mq $C failed"
got=$(wait_group_elsewhere "$B" 60) || fail "group not running after the move"
figure move $(($(now_ms) - t0))
mn_record "pcs resource move: $(($(now_ms) - t0)) ms ($B -> $got)"
load_check move
check "group moved to $C" test "$got" = "$C"
check "shared storage mounted on $C only" storage_only_on "$C"
check "$B runs no queue manager after the move" no_qm_processes "$(num "$B")"
check "the 5 messages put before the move are there on $C" messages_there "$(num "$C")" move 5
check "no move constraint left behind" test -z "$(pcsx constraint location config 2>/dev/null | grep -i 'mq' || true)"
}
scenario_move

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

# ---- 6. a stop that fails: the node is fenced ------------------------------------------------------
# (fenced_stop, above: MN_ONLY=stopfail runs it alone)
settle
if [ $MODE = mq ]; then
    for i in $(seq 1 "$MN_REPEAT"); do
        [ "$i" = 1 ] || settle
        fenced_stop "stopfail$([ "$MN_REPEAT" = 1 ] || echo "-$i")"
    done
else
    mn_log "failed-stop scenario skipped: Dummy's stop cannot fail"
fi

# ---- 7. network partition: the active node is cut off from the other two --------------------------
# The majority fences the isolated node before it starts the group: the isolated node's power is
# off before any majority node runs the queue manager, and no cleanup is needed.
scenario_partition() {
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
        if [ $MODE = mq ]; then
            status_is "$n" RUNNING 2>/dev/null && return 0
        else
            [ "$(started_on qm)" = "node$n" ] && return 0
        fi
    done
    return 1
}
old_init=$(mn_pid1 "$pn")
offs=$(pdu_offs "$pn")
t_off="" t_run=""
load_start partition "$MON_NODE"
t0=$(now_ms)
ip -n "$MN_SWITCH" link set "n$pn" down # its cable, pulled at the switch
load_fault
until [ -n "$t_run" ]; do
    if [ -z "$t_off" ] && [ "$(mn_pid1 "$pn" || true)" != "$old_init" ]; then t_off=$(now_ms); fi
    if qm_on_majority; then t_run=$(now_ms); fi
    [ $(($(now_ms) - t0)) -lt 120000 ] || fail "no majority node ran the queue manager within 120 s of the partition"
    sleep 0.1
done
figure partition_fenced $((${t_off:-0} - t0))
figure partition_running $((t_run - t0))
mn_record "partition: $P powered off (fenced) after $((${t_off:-0} - t0)) ms, queue manager running on the majority after $((t_run - t0)) ms"
check "$P was powered off before a majority node ran the queue manager" test -n "$t_off" -a "${t_off:-0}" -lt "$t_run"
Q=$(wait_group_elsewhere "$P" 120) || fail "the majority did not run the whole group within 120 s (and no cleanup is allowed)"
figure partition_group $(($(now_ms) - t0))
mn_record "partition: $(($(now_ms) - t0)) ms ($P cut off -> fenced -> group running on $Q, seen by node$MON_NODE)"
load_check partition
check "the majority fenced $P (node$MON_NODE's fencer has a successful fencing of $P)" \
    test "$(fenced_count "$MON_NODE" "$P")" -ge 1
check "the power switch powered $P off" test "$(pdu_offs "$pn")" -gt "$offs"
check "the group started with no failed action (no cleanup needed)" test "$(mon_xml | xq 'count(//failures/failure)')" = 0
check "the 4 messages put before the partition are there on $Q" messages_there "$(num "$Q")" partition 4
wait_for "$P to be powered on by its fencing" 60 mn_pid1 "$pn" || fail "$P was not powered on after its fencing"
t0=$(now_ms)
ip -n "$MN_SWITCH" link set "n$pn" up
mn_wait_cluster "$MON_NODE" "node1 node2 node3" 120 || fail "$P did not rejoin after the partition healed"
mn_record "partition healed -> $P rejoined: $(($(now_ms) - t0)) ms"
unset MON_NODE
settle
check "group still on $Q after $P rejoined" test "$(started_on qm)" = "$Q"
check "$P runs no queue manager and has neither storage nor virtual IP" node_clean "$pn"
}
scenario_partition

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
mn_log "three-node scenarios passed"

# ---- 7b. the same timed scenarios with Dummy stand-ins, in the same cluster -----------------------
# The queue manager and its listener give way to ocf:heartbeat:Dummy resources of the same names,
# operations and place in the group (storage and virtual IP stay real), and the crash, the move and
# the partition run again: the difference is what the agents and the queue manager add to the
# cluster's own time (noticing the node is gone, fencing it, starting the group).
if [ $MODE = mq ] && [ "${MN_BESIDE:-1}" = 1 ]; then
    beside_t0=$(now_ms)
    settle
    pcsx resource delete lsr >/dev/null 2>&1 || fail "pcs resource delete lsr failed"
    pcsx resource delete qm >/dev/null 2>&1 || fail "pcs resource delete qm failed"
    settle
    for n in $(mn_up_nodes); do check "node$n runs no queue manager after qm was deleted" no_qm_processes "$n"; done
    MODE=dummy
    QM_PARAMS=()
    LSR_PARAMS=()
    QM_AGENT=ocf:heartbeat:Dummy
    LSR_AGENT=ocf:heartbeat:Dummy
    pcsx resource create qm "$QM_AGENT" meta migration-threshold=2 \
        op monitor interval=5s op monitor interval=60s OCF_CHECK_LEVEL=20 op stop timeout="$STOP_TIMEOUT" --group mq
    pcsx resource create lsr "$LSR_AGENT" op monitor interval=5s --group mq
    A=$(wait_group_elsewhere none 120) || fail "group mq with Dummy stand-ins did not start within 120 s"
    mn_log "group mq (Dummy stand-ins) runs on $A"
    scenario_crash
    scenario_move
    scenario_partition
    [ "$ASSERT_FAILED" = 0 ] || fail "$ASSERT_FAILED assertion(s) failed above"
    mn_record "Dummy stand-ins' pass (crash, move, partition): $(($(now_ms) - beside_t0)) ms in all"
fi

# ---- 8. a two-node cluster: two_node, a fence delay, a node crash ---------------------------------
# A separate, small cluster after the three-node one is gone: corosync's two_node keeps quorum
# with one of two votes, so either node may fence the other; the device that fences node1 waits
# (pcmk_delay_base), so that in a fence race node1 shoots first and survives. The resource is a
# Dummy: what is tested is the cluster's fencing, which the queue manager scenarios above cover.
two_t0=$(now_ms)
mn_teardown
MN_ID=$(printf '%04x' $(((0x$MN_ID + 1) % 65536)))
MN_CLUSTER=mqha$MN_ID
MN_SWITCH=mqmn${MN_ID}sw
MN_NODES=2
MN_TWO_NODE=1
MN_STATE=$SUITE_STATE/two
mkdir -p "$MN_STATE"
FENCE_DELAY=3
mn_network_up
for n in 1 2; do mn_prepare_node "$n"; done
for n in 1 2; do mn_node_start "$n"; done
mn_wait_cluster 1 "node1 node2" 120 || fail "no two-node cluster within 120 s"
pcsx stonith create fence-node1 fence_mqha_ns socket="$(mn_pdu_sock)" pcmk_host_list=node1 \
    pcmk_delay_base="${FENCE_DELAY}s"
pcsx stonith create fence-node2 fence_mqha_ns socket="$(mn_pdu_sock)" pcmk_host_list=node2
pcsx property set stonith-enabled=true
pcsx resource create two ocf:heartbeat:Dummy op monitor interval=5s
pcsx constraint location two prefers node1=50 >/dev/null
two_on() { started_on two; }
until [ "$(two_on)" = node1 ]; do
    [ $(($(now_ms) - two_t0)) -lt 180000 ] || fail "Dummy two did not start on node1"
    sleep 0.5
done
settle
offs=$(pdu_offs 1)
old_init=$(mn_pid1 1)
MON_NODE=2
t0=$(now_ms)
mn_node_crash 1
until [ "$(two_on)" = node2 ]; do
    [ $(($(now_ms) - t0)) -lt 120000 ] || fail "two-node: node2 did not take the resource within 120 s of node1's crash"
    sleep 0.25
done
mn_record "two-node: node1 crashed -> fenced (with its ${FENCE_DELAY} s delay) -> resource on node2: $(($(now_ms) - t0)) ms"
check "two-node: node2 kept quorum alone and fenced node1" test "$(fenced_count 2 node1)" -ge 1
check "two-node: the power switch powered node1 off (the fencing)" test "$(pdu_offs 1)" -ge $((offs + 2))
check "two-node: node2's fencer applied node1's fence delay" \
    grep -q "Delaying 'reboot' action targeting node1 using fence-node1 for ${FENCE_DELAY}s" \
    "$(mn_nodedir 2)/log-pacemaker/pacemaker.log"
wait_for "node1 to be powered on by its fencing" 60 mn_pid1 1 || fail "two-node: node1 not powered on after its fencing"
check "two-node: node1 runs a new init" test "$(mn_pid1 1)" != "$old_init"
mn_wait_cluster 2 "node1 node2" 120 || fail "two-node: node1 did not rejoin"
unset MON_NODE
settle
check "two-node: the resource stays on node2 after node1 rejoined" test "$(two_on)" = node2
mn_record "two-node part: $(($(now_ms) - two_t0)) ms in all"

[ "$ASSERT_FAILED" = 0 ] || fail "$ASSERT_FAILED assertion(s) failed above"
mn_log "all scenarios passed"
