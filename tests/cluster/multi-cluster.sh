#!/usr/bin/env bash
# tests/cluster/multi-cluster.sh — a multi-instance queue manager as a promotable clone in a live
# three-node Pacemaker cluster (quorum is real: two of three votes). Each node is a host made of namespaces with its own
# simulated MQ installation (tests/cluster/multinode/cluster.sh, used as it is); the queue
# manager's data and logs are in one host directory every node sees at once, as networked storage
# is. Asserted and timed:
#   1. the clone comes up: one node Promoted (dspmq Running), another Unpromoted (Running as standby),
#      the third runs no instance;
#   2. the active instance's processes die (mqsim crash): the standby takes over by itself, Pacemaker
#      promotes it and brings the old active back as a standby, with no administrator
#      (prints `takeover: N ms` and the time until the clone is whole again);
#   3. `pcs resource move`-free switchover: ban the promoted role from the active node
#      (a location rule), Pacemaker demotes it (endmqm -s) and the other node takes over;
#   4. the active NODE crashes (every process of it killed at once, mn_node_crash): the standby takes
#      over, Pacemaker promotes it and starts the standby on the third node (prints `takeover: N ms`
#      and the time until the clone is whole again).
# `--default-ops` creates the clone with the monitors pcs copies from the meta-data instead.
# Needs root, tests/setup.sh, and a release build (IBMMQ_BIN may name another agent binary).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
REL=$repo/target/release
[ "$(id -u)" = 0 ] || { echo "multi-cluster.sh: run as root" >&2; exit 1; }
[ -x "$REL/mqsim" ] || { echo "multi-cluster.sh: $REL/mqsim missing: build first: cargo build --workspace --release" >&2; exit 1; }

MN_NODES=3
MN_STATE=$(mktemp -d /var/tmp/mqha-multi-cluster.XXXXXX)
chmod 0755 "$MN_STATE"
MN_MQROOT=$MN_STATE/mq
SHARED=$MN_STATE/shared
mkdir -p "$MN_MQROOT" "$SHARED/qmgrs" "$SHARED/logs"
# shellcheck source=tests/cluster/multinode/cluster.sh
source "$here/multinode/cluster.sh"
INST=$MN_MQROOT/opt/mqm
QM=QMMI
T_SUITE=$(now_ms)
# A failed check ends the run: every later step builds on the state it asserted.
CHECK_FATAL=1

# The suite's own stdout/stderr, kept on fds 7/8: a signal's trap runs inside whatever redirection
# is in force (`mn_on ... >/dev/null`), and the teardown's diagnosis and times must not vanish there.
exec 7>&1 8>&2
teardown() {
    local rc=$?
    trap - EXIT INT TERM
    exec 1>&7 2>&8
    [ $rc -eq 0 ] || mn_diagnose || true
    mn_teardown
    rm -rf --one-file-system "$MN_STATE"
    mn_times
    echo "multi-cluster: $([ $rc -eq 0 ] && echo PASSED || echo FAILED) in $((($(now_ms) - T_SUITE) / 1000)) s"
    exit $rc
}
trap teardown EXIT
trap 'exit 130' INT TERM

# The node whose view of the cluster the suite reads (crm_mon, pcs): node1 until it is the one crashed.
OBS=1
mon_xml() { mn_crm_xml "$OBS"; }
# node (nodeN) holding ROLE (Promoted / Unpromoted) of the clone, as node OBS sees it
role_on() { mon_xml | xq "string(//clone[@id='mi-clone']/resource[@role='$1']/node/@name)"; }
role_is() { [ "$(role_on "$1")" = "$2" ]; }
# dspmq prints AMQ7048E (rc 72) for a queue manager this node's mqs.ini does not know
registered() { mn_as_mqm "$1" "$INST/bin/dspmq" -m "$QM" 2>/dev/null | grep -q "QMNAME($QM)"; }
no_instance() { ! mn_on "$1" pgrep -u mqm -x amqzxma0 >/dev/null; }
no_failed_actions() { ! mon_xml | grep -q '<failure '; }
# the clone is whole: node P promoted and active, node U unpromoted with a standby
whole() {
    local p=$1 u=$2
    role_is Promoted "node$p" && role_is Unpromoted "node$u" && status_is "$p" RUNNING && status_is "$u" "RUNNING AS STANDBY"
}
wait_whole() { # wait_whole P U SECONDS
    local start; start=$(now_ms)
    until whole "$1" "$2"; do
        [ $(($(now_ms) - start)) -lt $(($3 * 1000)) ] || return 1
        sleep 0.2
    done
}
# taken_over NEW NEXT T0 CAUSE WHOLE — after CAUSE (at T0) node NEW's standby takes over, Pacemaker
# promotes it and starts a standby on node NEXT (WHOLE says which): each step asserted and timed.
taken_over() {
    local b=$1 s=$2 t0=$3 cause=$4 how=$5
    wait_for "node$b's standby to take over" 30 status_is "$b" RUNNING || fail "node$b did not take over after $cause"
    mn_record "takeover: $(($(now_ms) - t0)) ms ($cause -> node$b's dspmq Running)"
    wait_for "Pacemaker to promote node$b" 60 role_is Promoted "node$b" || fail "Pacemaker did not promote node$b"
    mn_record "promoted: $(($(now_ms) - t0)) ms (node$b Promoted in crm_mon after $cause)"
    wait_whole "$b" "$s" 90 || fail "no standby on node$s (status '$(status "$s")', roles P=$(role_on Promoted) U=$(role_on Unpromoted))"
    mn_record "whole again: $(($(now_ms) - t0)) ms ($how)"
    mn_on "$OBS" crm_resource --wait --timeout=60s >/dev/null 2>&1 || true
    check "still whole once the cluster settled (node$b active, node$s standby)" whole "$b" "$s"
}

# ---- bring-up ------------------------------------------------------------------------------------
mn_log "multi-cluster: state in $MN_STATE, cluster $MN_CLUSTER"
MN_AGENTS=$MN_STATE/agents
agents_stage "$MN_AGENTS"
mn_network_up
NODES=$(seq 1 "$MN_NODES")
for n in $NODES; do mn_prepare_node "$n"; done
t0=$(now_ms)
for n in $NODES; do mn_node_start "$n" 7>&- 8>&-; done # the nodes' daemons do not hold the suite's output
mn_wait_cluster 1 "$(for n in $NODES; do printf 'node%s ' "$n"; done | xargs)" 120 || fail "no cluster of $MN_NODES with quorum within 120 s"
mn_record "cluster of $MN_NODES with quorum: $(($(now_ms) - t0)) ms"

# Each node's own installation (its dspmq -x shows the node's host name); the queue manager is
# created once on node1 with its data and logs on the shared storage and registered on the others
# (any of them may run an instance).
for n in $NODES; do mn_on "$n" "$REL/mqsim" install "$MN_MQROOT" --user mqm >/dev/null; done
chown -R mqm:mqm "$SHARED"
mn_as_mqm 1 "$INST/bin/crtmqm" -md "$SHARED/qmgrs" -ld "$SHARED/logs" "$QM" >/dev/null
mapfile -t ADD < <(mn_as_mqm 1 "$INST/bin/dspmqinf" -o command "$QM" | tr ' ' '\n' | tail -n +2)
for n in $NODES; do
    [ "$n" = 1 ] && continue
    mn_as_mqm "$n" "$INST/bin/addmqinf" "${ADD[@]}" >/dev/null
    check "node$n sees $QM (registered, not running)" registered "$n"
done

pcsx() { mn_on "$OBS" pcs "$@"; }
# --default-ops: the monitors pcs copies from the meta-data (role-less ones included) instead of
# the two per-role monitors docs/multi-instance.md recommends.
OPS=(op monitor interval=5s timeout=60s role=Promoted op monitor interval=7s timeout=60s role=Unpromoted)
[ "${1:-}" = --default-ops ] && OPS=()
# clone-max=2 on three nodes: MQ runs one active and at most ONE standby (a second `strmqm -x` is
# refused, rc 47), so a third instance could only fail; what a user configures is two instances,
# which Pacemaker places on any two nodes. The third node holds none until one of the two nodes is
# lost: then Pacemaker starts the standby there, and the clone is whole again without that node.
pcsx resource create mi ocf:mqha:ibmmq "qmgr=$QM" "mq_installation=$INST" mq_user=mqm multi_instance=true \
    "${OPS[@]}" promotable promoted-max=1 promoted-node-max=1 clone-max=2 clone-node-max=1 notify=true >/dev/null
t0=$(now_ms)
start=$(now_ms)
until { P=$(role_on Promoted); [ -n "$P" ]; } && { U=$(role_on Unpromoted); [ -n "$U" ]; } && whole "${P#node}" "${U#node}"; do
    [ $(($(now_ms) - start)) -lt 120000 ] || fail "the clone did not come up (one active, one standby) within 120 s"
    sleep 0.2
done
mn_record "clone up: $(($(now_ms) - t0)) ms (active on $P, standby on $U)"
for n in $NODES; do [ "node$n" = "$P" ] || [ "node$n" = "$U" ] || C=$n; done
check "node$C (the third) runs no instance" no_instance "$C"
check "no failed actions while coming up" no_failed_actions
mn_on "$OBS" crm_resource --wait --timeout=60s >/dev/null 2>&1 || true

# ---- 1. the active instance's processes die ------------------------------------------------------
A=${P#node}; B=${U#node}
t0=$(now_ms)
mn_on "$A" "$REL/mqsim" crash "$MN_MQROOT" "$QM" >/dev/null
taken_over "$B" "$A" "$t0" "node$A's instance killed" "node$A back as a standby, Unpromoted, no administrator"
mn_on "$OBS" crm_resource --cleanup -r mi >/dev/null 2>&1 || true
mn_on "$OBS" crm_resource --wait --timeout=60s >/dev/null 2>&1 || true

# ---- 2. a switchover Pacemaker drives: the promoted role banned from the active node ----------------
t0=$(now_ms)
pcsx constraint location mi-clone rule role=Promoted constraint-id=ban-promoted score=-INFINITY "#uname" eq "node$B" >/dev/null
wait_whole "$A" "$B" 90 || fail "switchover to node$A: status A='$(status "$A")' B='$(status "$B")', roles P=$(role_on Promoted) U=$(role_on Unpromoted)"
mn_record "switchover: $(($(now_ms) - t0)) ms (demote on node$B = endmqm -s, node$A promoted, node$B standby again)"
mn_on "$OBS" crm_resource --wait --timeout=60s >/dev/null 2>&1 || true
check "no failed actions after the switchover" no_failed_actions

# ---- 3. the active NODE crashes: the standby takes over, the standby comes back on the third node ---
# The ban of step 2 goes first (it would forbid promoting node$B); with stickiness nothing moves.
pcsx constraint delete ban-promoted >/dev/null
mn_on "$OBS" crm_resource --wait --timeout=60s >/dev/null 2>&1 || true
check "still whole with node$A active after the ban was removed" whole "$A" "$B"
[ "$OBS" != "$A" ] || OBS=$B # read the cluster on a node that survives
t0=$(now_ms)
mn_node_crash "$A"
taken_over "$B" "$C" "$t0" "node$A crashed" "a standby on the third node, node$C, Unpromoted"
check "no failed actions after the node crash" no_failed_actions
exit 0
