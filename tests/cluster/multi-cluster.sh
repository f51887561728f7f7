#!/usr/bin/env bash
# tests/cluster/multi-cluster.sh — a multi-instance queue manager as a promotable clone in a live
# two-node Pacemaker cluster (issue 8). Each node is a host made of namespaces with its own
# simulated MQ installation (tests/cluster/multinode/cluster.sh, used as it is); the queue
# manager's data and logs are in one host directory every node sees at once, as networked storage
# is. Asserted and timed:
#   1. the clone comes up: one node Promoted (dspmq Running), the other Unpromoted (Running as standby);
#   2. the active instance's processes die (mqsim crash): the standby takes over by itself, Pacemaker
#      promotes it and brings the old active back as a standby, with no administrator
#      (prints `takeover: N ms` and the time until the clone is whole again);
#   3. `pcs resource move`-free switchover: ban the promoted role from the active node
#      (a location rule), Pacemaker demotes it (endmqm -s) and the other node takes over.
# `--default-ops` creates the clone with the monitors pcs copies from the meta-data instead.
# Needs root, tests/setup.sh, and a release build (IBMMQ_BIN may name another agent binary).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
REL=$repo/target/release
[ "$(id -u)" = 0 ] || { echo "multi-cluster.sh: run as root" >&2; exit 1; }
[ -x "$REL/mqsim" ] || { echo "multi-cluster.sh: $REL/mqsim missing: build first: cargo build --workspace --release" >&2; exit 1; }

MN_NODES=2
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
declare -a TIMES=()

teardown() {
    local rc=$?
    trap - EXIT INT TERM
    if [ $rc -ne 0 ]; then
        for n in 1 2; do
            [ -n "${MN_PID1[$n]:-}" ] || continue
            echo "---- node$n: crm_mon" >&2
            mn_on "$n" crm_mon -1 -f -o >&2 2>&1 || true
            grep -E 'Result of|ocf-exit-reason' "$(mn_nodedir "$n")/log-pacemaker/pacemaker.log" 2>/dev/null | tail -15 >&2 || true
        done
    fi
    mn_teardown
    rm -rf --one-file-system "$MN_STATE"
    for t in "${TIMES[@]}"; do echo "  $t"; done
    echo "multi-cluster: $([ $rc -eq 0 ] && echo PASSED || echo FAILED) in $((($(now_ms) - T_SUITE) / 1000)) s"
    exit $rc
}
trap teardown EXIT
trap 'exit 130' INT TERM

fail() { mn_log "FAIL: $*"; exit 1; }
check() { local d=$1; shift; if "$@"; then mn_log "  ok   $d"; else fail "$d"; fi; }
record() { TIMES+=("$1"); mn_log "$1"; }
as_mqm() { local n=$1; shift; mn_on "$n" runuser -u mqm -- "$@"; }
status() { as_mqm "$1" "$INST/bin/dspmq" -n -m "$QM" | sed -n 's/.*STATUS(\([^)]*\)).*/\1/p'; }
status_is() { [ "$(status "$1")" = "$2" ]; }
# node (nodeN) holding ROLE (Promoted / Unpromoted) of the clone, as node 1 sees it
role_on() { mn_crm_xml 1 | mn_xpath "string(//clone[@id='mi-clone']/resource[@role='$1']/node/@name)"; }
role_is() { [ "$(role_on "$1")" = "$2" ]; }
no_failed_actions() { ! mn_crm_xml 1 | grep -q '<failure '; }
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

# ---- bring-up ------------------------------------------------------------------------------------
mn_log "multi-cluster: state in $MN_STATE, cluster $MN_CLUSTER"
MN_AGENTS=$MN_STATE/agents
agents_stage "$MN_AGENTS"
mn_network_up
for n in 1 2; do mn_prepare_node "$n"; done
t0=$(now_ms)
for n in 1 2; do mn_node_start "$n"; done
mn_wait_cluster 1 "node1 node2" 120 || fail "no cluster of two with quorum within 120 s"
record "cluster of 2 with quorum: $(($(now_ms) - t0)) ms"

# Each node's own installation (its dspmq -x shows the node's host name); the queue manager is
# created once on node1 with its data and logs on the shared storage and registered on node2.
for n in 1 2; do mn_on "$n" "$REL/mqsim" install "$MN_MQROOT" --user mqm >/dev/null; done
chown -R mqm:mqm "$SHARED"
as_mqm 1 "$INST/bin/crtmqm" -md "$SHARED/qmgrs" -ld "$SHARED/logs" "$QM" >/dev/null
mapfile -t ADD < <(as_mqm 1 "$INST/bin/dspmqinf" -o command "$QM" | tr ' ' '\n' | tail -n +2)
as_mqm 2 "$INST/bin/addmqinf" "${ADD[@]}" >/dev/null
check "node2 sees $QM (Ended, never started)" bash -c "[ -n \"\$(as_mqm 2 '$INST/bin/dspmq' -m '$QM' 2>/dev/null)\" ] || true"

pcsx() { mn_on 1 pcs "$@"; }
# --default-ops: the monitors pcs copies from the meta-data (role-less ones included) instead of
# the two per-role monitors docs/multi-instance.md recommends.
OPS=(op monitor interval=5s timeout=60s role=Promoted op monitor interval=7s timeout=60s role=Unpromoted)
[ "${1:-}" = --default-ops ] && OPS=()
pcsx resource create mi ocf:mqha:ibmmq "qmgr=$QM" "mq_installation=$INST" mq_user=mqm multi_instance=true \
    "${OPS[@]}" promotable promoted-max=1 promoted-node-max=1 clone-max=2 clone-node-max=1 notify=true >/dev/null
t0=$(now_ms)
start=$(now_ms)
until { P=$(role_on Promoted); [ -n "$P" ]; } && { U=$(role_on Unpromoted); [ -n "$U" ]; } && whole "${P#node}" "${U#node}"; do
    [ $(($(now_ms) - start)) -lt 120000 ] || fail "the clone did not come up (one active, one standby) within 120 s"
    sleep 0.2
done
record "clone up: $(($(now_ms) - t0)) ms (active on $P, standby on $U)"
check "no failed actions while coming up" no_failed_actions
mn_on 1 crm_resource --wait --timeout=60s >/dev/null 2>&1 || true

# ---- 1. the active instance's processes die ------------------------------------------------------
A=${P#node}; B=${U#node}
t0=$(now_ms)
mn_on "$A" "$REL/mqsim" crash "$MN_MQROOT" "$QM" >/dev/null
wait_for "node$B's standby to take over" 30 status_is "$B" RUNNING || fail "node$B did not take over"
record "takeover: $(($(now_ms) - t0)) ms (node$A's instance killed -> node$B's dspmq Running)"
wait_for "Pacemaker to promote node$B" 60 role_is Promoted "node$B" || fail "Pacemaker did not promote node$B"
record "promoted: $(($(now_ms) - t0)) ms (node$B Promoted in crm_mon)"
wait_whole "$B" "$A" 90 || fail "node$A did not come back as a standby (status '$(status "$A")', roles P=$(role_on Promoted) U=$(role_on Unpromoted))"
record "whole again: $(($(now_ms) - t0)) ms (node$A back as a standby, Unpromoted, no administrator)"
mn_on 1 crm_resource --wait --timeout=60s >/dev/null 2>&1 || true
check "still whole once the cluster settled" whole "$B" "$A"
mn_on 1 crm_resource --cleanup -r mi >/dev/null 2>&1 || true
mn_on 1 crm_resource --wait --timeout=60s >/dev/null 2>&1 || true

# ---- 2. a switchover Pacemaker drives: the promoted role banned from the active node ----------------
t0=$(now_ms)
pcsx constraint location mi-clone rule role=Promoted score=-INFINITY "#uname" eq "node$B" >/dev/null
wait_whole "$A" "$B" 90 || fail "switchover to node$A: status A='$(status "$A")' B='$(status "$B")', roles P=$(role_on Promoted) U=$(role_on Unpromoted)"
record "switchover: $(($(now_ms) - t0)) ms (demote on node$B = endmqm -s, node$A promoted, node$B standby again)"
mn_on 1 crm_resource --wait --timeout=60s >/dev/null 2>&1 || true
check "no failed actions after the switchover" no_failed_actions
exit 0
