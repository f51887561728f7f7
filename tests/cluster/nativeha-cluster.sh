#!/usr/bin/env bash
# tests/cluster/nativeha-cluster.sh — a Native HA queue manager (issue 18) as the promotable clone
# of three that docs/native-ha.md describes, in a live three-node Pacemaker cluster with real quorum
# and fencing on (nodes, switch, power switch and fence agent from tests/cluster/multinode/, as
# multinode.sh uses them). Nothing is shared: each node has its own simulated installation (9.4.4)
# and its own queue-manager data and log (`crtmqm -lr nodeN -p 1414`), and the three instances
# replicate over the nodes' bridge addresses (port 9414, the three NativeHAInstance stanzas).
# Resources exactly as docs/native-ha.md gives them: `qm` (ocf:mqha:ibmmq native_ha=true,
# promotable clone-max=3 promoted-max=1), `qm-ip` (IPaddr2) colocated with the Promoted role and
# ordered after the promote; the listener is MQ's own (crtmqm -p: it runs on the active only).
# Scenarios, each asserted and timed (mn_record lines, repeated at the end):
#   1. comes up: one Promoted, the instance every node's dspmq calls Active; two Unpromoted replicas
#      in sync; the virtual IP on the Promoted node; a client's put and get through the virtual IP;
#   2. the active NODE crashes (mn_node_crash; fenced): MQ elects a replica, Pacemaker promotes it,
#      the VIP follows (`failover: N ms` to the first put through the VIP), a producer and a consumer
#      (mqload) through the VIP lose nothing acknowledged; the node returns, its instance rejoins in
#      sync and the clone is whole again (`rejoin: N ms`);
#   3. a planned move: the Promoted role banned from the active node; the demote hands over
#      (endmqm -s), MQ elects another, Pacemaker promotes it, the VIP follows, messages intact;
#   4. a partition cuts the active node off at the switch: the majority elects and Pacemaker promotes
#      there; dspmq sampled on every node throughout never shows two Active; heal and rejoin;
#   5. a replica's processes die (mqsim crash): restarted in place by Pacemaker, in sync again; the
#      active, the VIP and the clients untouched (NHA_SCENARIOS=N stops after scenario N).
# Needs root, tests/setup.sh and a release build. KEEP_LOGS=1 keeps the state of a failed run.
# Run it only as: flock /work/cluster.lock bash tests/cluster/nativeha-cluster.sh (one cluster suite at a time).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
REL=$repo/target/release
[ "$(id -u)" = 0 ] || { echo "nativeha-cluster.sh: run as root" >&2; exit 1; }
for b in ibmmq mqsim mqload; do
    [ -x "$REL/$b" ] || { echo "nativeha-cluster.sh: $REL/$b missing: build first: cargo build --workspace --release" >&2; exit 1; }
done

MN_NODES=3
MN_STATE=$(mktemp -d /var/tmp/mqha-nativeha.XXXXXX)
chmod 0755 "$MN_STATE" # the mq user reaches each node's installation below it
MN_MQROOT=$MN_STATE/mq # each node's own installation and data appear here, inside that node only
mkdir -p "$MN_MQROOT"
# shellcheck source=tests/cluster/multinode/cluster.sh
source "$here/multinode/cluster.sh"
# A fenced node boots for longer than the others take to notice it went (multinode/cluster.sh
# mn_boot_secs; docs/multinode.md "The failed-stop scenario"): back sooner, it can stay "pending".
MN_BOOT_SECS=${MN_BOOT_SECS:-$(mn_boot_secs)}
INST=$MN_MQROOT/opt/mqm
QM=QMNHA
PORT=1414      # MQ's own listener (crtmqm -p), inside the nodes' network namespaces
REPL_PORT=9414 # the instances' replication port on each node's bridge address
VIP=$MN_SUBNET.100
QUEUE=MQHA.NHA.PERSISTENT
LOADQ=MQHA.NHA.LOAD
T_SUITE=$(now_ms)
CHECK_FATAL=1 # every later step builds on the state the earlier ones asserted
SAMPLER_PID=

exec 7>&1 8>&2
teardown() {
    local rc=$?
    trap - EXIT INT TERM
    exec 1>&7 2>&8
    if [ -n "$SAMPLER_PID" ]; then kill "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; fi
    [ $rc -eq 0 ] || { mn_diagnose; nha_diagnose; } || true
    mn_teardown
    if [ $rc -ne 0 ] && [ -n "${KEEP_LOGS:-}" ]; then
        echo "state kept in $MN_STATE (KEEP_LOGS set)" >&2
    else
        rm -rf --one-file-system "$MN_STATE"
    fi
    echo
    mn_times
    echo "nativeha-cluster: $([ $rc -eq 0 ] && echo PASSED || echo FAILED) in $((($(now_ms) - T_SUITE) / 1000)) s"
    exit $rc
}
trap teardown EXIT
trap 'exit 130' INT TERM

# ---- looking at the cluster and at MQ --------------------------------------------------------------
OBS=1 # the node whose view of the cluster the suite reads; never the one crashed or cut off
mon_xml() { mn_crm_xml "$OBS"; }
pcsx() { mn_on "$OBS" pcs "$@"; }
settle() { mn_on "$OBS" crm_resource --wait --timeout=120s >/dev/null 2>&1 || fail "cluster did not settle within 120 s"; }
# node names holding ROLE (Promoted / Unpromoted) of the clone, one a line
role_on() { mon_xml | xq "//clone[@id='qm-clone']/resource[@role='$1']/node/@name" | sed 's/ *name="\([^"]*\)"/\1\n/g' | sed '/^$/d'; }
promoted() { local p; p=$(role_on Promoted); [ "$(wc -w <<<"$p")" = 1 ] && echo "${p#node}"; }
# No failed action but OCF_DEGRADED (190): a replica that has just started or rejoined says it is
# degraded ("not connected to the active", "out of sync") until it has caught up, which Pacemaker
# treats as success but lists among the failed actions until a cleanup (docs/native-ha.md, "The
# monitor"). Each such entry is recorded; any other exit code is a failure of the check.
no_failed_actions() {
    local x
    x=$(mon_xml)
    xq "//failures/failure[@exitcode='190']" <<<"$x" | grep -o 'node="[^"]*"\|exitreason="[^"]*"' | paste -d' ' - - |
        while read -r l; do mn_record "degraded (190) kept among the failed actions: $l"; done
    [ "$(xq "count(//failures/failure[not(@exitcode='190')])" <<<"$x")" = 0 ]
}

# dspmq -n -o nativeha [-x] on node N (IBM's documented output, upper case under -n)
nha_show() { mn_pid1 "$1" >/dev/null || return 1; dspmq_on "$1" -n -o nativeha "${@:2}" -m "$QM" 2>/dev/null; }
# the local instance's ROLE on node N (ACTIVE / REPLICA / UNKNOWN), empty when it does not answer
# (a blank before ROLE: the same line has GRPROLE(LIVE) from 9.4)
nha_role() { nha_show "$1" | head -1 | sed -n 's/.*[[:space:]]ROLE(\([^)]*\)).*/\1/p' | tr -d ' '; }
# field F of the instance lines (-x) for instance I as node N sees it
nha_field() { nha_show "$1" -x | grep "^ *INSTANCE($2)" | sed -n "s/.* $3(\([^)]*\)).*/\1/p" | tr -d ' '; }
# the instance node N's dspmq -x calls Active
active_seen_by() { nha_show "$1" -x | grep '^ *INSTANCE(' | grep 'ROLE(ACTIVE *)' | sed -n 's/^ *INSTANCE(\([^)]*\)).*/\1/p'; }
has_vip() { mn_on "$1" ip -o -4 addr show dev eth0 | grep -q " $VIP/"; }
vip_only_on() {
    local n
    for n in $(mn_up_nodes); do
        if [ "$n" = "$1" ]; then has_vip "$n" || return 1; else ! has_vip "$n" || return 1; fi
    done
}
# The clone is whole with node P active: Pacemaker shows P Promoted and the two others Unpromoted;
# P's dspmq says Active and the others' Replica in sync; every node's dspmq -x names P's instance
# as the active one; the virtual IP is on P only.
whole() {
    local p=$1 n
    [ "$(promoted)" = "$p" ] || return 1
    [ "$(role_on Unpromoted | wc -l)" = 2 ] || return 1
    for n in 1 2 3; do
        [ "$(active_seen_by "$n")" = "node$p" ] || return 1
        if [ "$n" = "$p" ]; then
            [ "$(nha_role "$n")" = ACTIVE ] || return 1
        else
            [ "$(nha_role "$n")" = REPLICA ] || return 1
            [ "$(nha_field "$p" "node$n" INSYNC)" = YES ] || return 1
            [ "$(nha_field "$p" "node$n" BACKLOG)" = 0 ] || return 1
        fi
    done
    vip_only_on "$p"
}
wait_whole() { # wait_whole P SECONDS
    local start; start=$(now_ms)
    until whole "$1"; do
        [ $(($(now_ms) - start)) -lt $(($2 * 1000)) ] || return 1
        sleep 0.5
    done
}
nha_diagnose() {
    local n
    for n in $(mn_up_nodes); do
        echo "---- node$n: dspmq -o nativeha -x" >&2
        nha_show "$n" -x >&2 || true
    done
}
explain() { # what the cluster and MQ show, for a failure message
    local n out="Promoted=[$(role_on Promoted | xargs)] Unpromoted=[$(role_on Unpromoted | xargs)]"
    for n in $(mn_up_nodes); do out+=" node$n:$(nha_role "$n")/active=$(active_seen_by "$n")$(has_vip "$n" && echo /VIP)"; done
    echo "$out"
}

# ---- clients through the virtual IP ----------------------------------------------------------------
client_env() { echo "MQSERVER=MQHA.SVRCONN/TCP/$VIP($PORT)"; }
# put_client N TEXT...: persistent messages (the queue's default) through the VIP, as a client on node N
put_client() {
    local n=$1 out
    shift
    out=$(printf '%s\n' "$@" | mn_as_mqm "$n" env "$(client_env)" "$INST/samp/bin/amqsputc" "$QUEUE" "$QM" 2>&1) || return 1
    ! grep -q 'reason code' <<<"$out"
}
# get_client N: every message on the queue through the VIP (amqsgetc waits 15 s for more at the end)
get_client() {
    mn_as_mqm "$1" env "$(client_env)" "$INST/samp/bin/amqsgetc" "$QUEUE" "$QM" </dev/null 2>&1 | sed -n 's/^message <\(.*\)>$/\1/p'
}
# first_put N T0 WHAT: puts through the VIP from node N until one succeeds (bounded 120 s), then
# records `failover: N ms` from T0.
first_put() {
    local n=$1 t0=$2 what=$3 i=0
    until put_client "$n" "probe-$t0-$i"; do
        i=$((i + 1))
        [ $(($(now_ms) - t0)) -lt 120000 ] || fail "no put through the virtual IP succeeded within 120 s of $what ($(explain))"
        sleep 0.2
    done
    mn_record "failover: $(($(now_ms) - t0)) ms ($what -> first put through the virtual IP)"
}

# mqload producer and consumer through the VIP (as in multinode.sh): load_start NAME N,
# load_fault (the fault took effect now), load_check NAME (ends them, drains, asserts nothing
# acknowledged was lost or delivered twice, records the messages: and outage: lines).
LOAD_RATE=20
LOAD_SECONDS=180
load_mq_args() { echo --mq-installation "$INST" --qmgr "$QM" --channel MQHA.SVRCONN --conn "$VIP($PORT)" --queue "$LOADQ"; }
# shellcheck source=tests/cluster/multinode/load.sh
source "$here/multinode/load.sh"
# a node other than the ones named (the clients' host: an application server that survives)
other_than() {
    local n
    for n in 1 2 3; do [[ " $* " == *" $n "* ]] || { echo "$n"; return 0; }; done
    return 1
}

# ---- bring-up --------------------------------------------------------------------------------------
mn_log "nativeha-cluster: state in $MN_STATE, cluster $MN_CLUSTER"
MN_AGENTS=$MN_STATE/agents
agents_stage "$MN_AGENTS"
mn_network_up
for n in 1 2 3; do mn_prepare_node "$n"; done
t0=$(now_ms)
for n in 1 2 3; do mn_node_start "$n" 7>&- 8>&-; done # the nodes' daemons do not hold the suite's output
mn_wait_cluster 1 "node1 node2 node3" 120 || fail "no cluster of three with quorum within 120 s"
mn_record "cluster of 3 with quorum: $(($(now_ms) - t0)) ms"

# On each node, as its administrator would (docs/native-ha.md "Creating the queue manager"): its own
# installation, `crtmqm -lr <instance> -p 1414`, then the same three NativeHAInstance stanzas.
for n in 1 2 3; do
    mn_on "$n" "$REL/mqsim" install "$MN_MQROOT" --user mqm --version 9.4.4.0 >/dev/null
    mn_as_mqm "$n" "$INST/bin/crtmqm" -lr "node$n" -p "$PORT" "$QM" >/dev/null
    ini=$(mn_nodedir "$n")/mqroot/var/mqm/qmgrs/$QM/qm.ini
    [ -f "$ini" ] || fail "node$n: no $ini after crtmqm -lr"
    for m in 1 2 3; do printf 'NativeHAInstance:\n   Name=node%s\n   ReplicationAddress=%s(%s)\n' "$m" "$(mn_addr "$m")" "$REPL_PORT"; done >>"$ini"
    check "node$n: $QM created with a replicated log and the three instance stanzas" \
        grep -q 'LogType=REPLICATED' "$ini"
done

# Fencing as multinode.sh has it: a device per node driving the suite's power switch.
for n in 1 2 3; do
    pcsx stonith create "fence-node$n" fence_mqha_ns socket="$(mn_pdu_sock)" pcmk_host_list="node$n" op monitor interval=60s
done
pcsx property set stonith-enabled=true
# The resources as docs/native-ha.md gives them (with this suite's installation path and mq user,
# which are not the defaults; nic=eth0 as the nodes' only interface).
t0=$(now_ms)
pcsx resource create qm ocf:mqha:ibmmq "qmgr=$QM" native_ha=true "mq_installation=$INST" mq_user=mqm \
    op start timeout=180s op stop timeout=120s on-fail=block \
    op monitor interval=15s timeout=60s role=Promoted \
    op monitor interval=25s timeout=60s role=Unpromoted \
    op monitor interval=120s timeout=90s role=Promoted OCF_CHECK_LEVEL=20 \
    promotable clone-max=3 clone-node-max=1 promoted-max=1 promoted-node-max=1 notify=true >/dev/null
pcsx resource create qm-ip ocf:heartbeat:IPaddr2 "ip=$VIP" cidr_netmask=24 nic=eth0 >/dev/null
pcsx constraint colocation add qm-ip with Promoted qm-clone INFINITY >/dev/null
pcsx constraint order promote qm-clone then start qm-ip >/dev/null

# ---- 1. comes up (timed from the clone's creation) ---------------------------------------------------
start=$(now_ms)
until { P=$(promoted); [ -n "$P" ]; } && whole "$P"; do
    [ $(($(now_ms) - start)) -lt 240000 ] || fail "the clone did not come up whole within 240 s ($(explain))"
    sleep 1
done
mn_record "clone up: $(($(now_ms) - t0)) ms from its creation (node$P Promoted and Active, two replicas in sync, VIP on node$P)"
check "no failed action but a degraded (190) replica while coming up" no_failed_actions
for n in 1 2 3; do
    check "node$n's dspmq calls node$P's instance Active" test "$(active_seen_by "$n")" = "node$P"
done
# The application's objects, defined once on the active instance: replicated to the others with
# the object catalogue. A client channel the test's client (mq user, no password) may use: test
# settings on a private network only (as multinode.sh); HBINT(5) so a client on a lost node's
# connection hears of it within seconds.
printf '%s\n' "DEFINE QLOCAL($QUEUE) DEFPSIST(YES) REPLACE" "DEFINE QLOCAL($LOADQ) DEFPSIST(YES) MAXDEPTH(100000) REPLACE" \
    "DEFINE CHANNEL(MQHA.SVRCONN) CHLTYPE(SVRCONN) TRPTYPE(TCP) HBINT(5) REPLACE" \
    "SET CHLAUTH(MQHA.SVRCONN) TYPE(BLOCKUSER) USERLIST('nobody')" \
    "ALTER AUTHINFO(SYSTEM.DEFAULT.AUTHINFO.IDPWOS) AUTHTYPE(IDPWOS) CHCKCLNT(OPTIONAL)" \
    "REFRESH SECURITY TYPE(CONNAUTH)" |
    mn_as_mqm "$P" "$INST/bin/runmqsc" "$QM" >"$MN_STATE/runmqsc.out" 2>&1 || fail "runmqsc on the active node$P: $(cat "$MN_STATE/runmqsc.out")"
L=$(other_than "$P")
t0=$(now_ms)
check "a client on node$L puts 3 messages through the virtual IP" put_client "$L" up-1 up-2 up-3
check "a client on node$L gets them back through the virtual IP" test "$(get_client "$L" | grep -c '^up-')" = 3
mn_record "client put and get through the VIP: $(($(now_ms) - t0)) ms (incl. amqsgetc's 15 s wait)"
settle

# ---- 2. the active node crashes ------------------------------------------------------------------------
A=$P
L=$(other_than "$A")
OBS=$L
put_client "$L" crash-1 crash-2 crash-3 crash-4 || fail "cannot put before the crash"
load_start crash "$L"
old_init=$(mn_pid1 "$A")
t0=$(now_ms)
mn_node_crash "$A"
load_fault
first_put "$L" "$t0" "node$A crashed"
start=$(now_ms)
until { B=$(promoted); [ -n "$B" ] && [ "$B" != "$A" ]; } && [ "$(nha_role "$B")" = ACTIVE ] && vip_only_on "$B"; do
    [ $(($(now_ms) - start)) -lt 120000 ] || fail "no other node Promoted, Active and with the VIP within 120 s of node$A's crash ($(explain))"
    sleep 0.5
done
mn_record "promoted: $(($(now_ms) - t0)) ms (node$A crashed -> node$B Active, Promoted, VIP)"
load_check crash
check "the 4 messages put before the crash are there" test "$(get_client "$L" | grep -c '^crash-')" = 4
wait_for "node$A to be powered on by its fencing" 90 bash -c "p=\$(cat '$(mn_nodedir "$A")/init.pid' 2>/dev/null) && [ \"\$p\" != '$old_init' ] && [ -d /proc/\$p ]" ||
    fail "node$A was not powered on after its fencing"
mn_wait_cluster "$OBS" "node1 node2 node3" 120 || fail "node$A did not rejoin the cluster"
wait_whole "$B" 180 || fail "the clone was not whole again with node$B active within 180 s of node$A's return ($(explain))"
mn_record "rejoin: $(($(now_ms) - t0)) ms (node$A crashed -> fenced, back, its instance a replica in sync, clone whole)"
settle
check "still whole with node$B active once the cluster settled" whole "$B"
check "no failed action but a degraded (190) replica after the node crash" no_failed_actions
[ "${NHA_SCENARIOS:-5}" -ge 3 ] || exit 0

# ---- 3. a planned move: the Promoted role banned from the active node ------------------------------------
A=$B
L=$(other_than "$A")
OBS=$L
put_client "$L" move-1 move-2 move-3 || fail "cannot put before the move"
load_start move "$L"
t0=$(now_ms)
pcsx constraint location qm-clone rule role=Promoted constraint-id=ban-promoted score=-INFINITY "#uname" eq "node$A" >/dev/null
load_fault
start=$(now_ms)
until { B=$(promoted); [ -n "$B" ] && [ "$B" != "$A" ]; } && whole "$B"; do
    [ $(($(now_ms) - start)) -lt 180000 ] || fail "the Promoted role did not move off node$A whole within 180 s ($(explain))"
    sleep 0.5
done
mn_record "planned move: $(($(now_ms) - t0)) ms (ban on node$A -> demote (endmqm -s) -> node$B Active, Promoted, VIP; node$A a replica in sync)"
load_check move
check "the 3 messages put before the move are there" test "$(get_client "$L" | grep -c '^move-')" = 3
pcsx constraint delete ban-promoted >/dev/null
settle
check "still whole with node$B active after the ban was removed" whole "$B"
check "no failed action but a degraded (190) replica after the move" no_failed_actions
[ "${NHA_SCENARIOS:-5}" -ge 4 ] || exit 0

# ---- 4. a partition cuts the active node off --------------------------------------------------------------
A=$B
majority=()
for n in 1 2 3; do [ "$n" = "$A" ] || majority+=("$n"); done
OBS=${majority[0]}
L=${majority[1]}
put_client "$L" part-1 part-2 part-3 || fail "cannot put before the partition"
# Samples every node's dspmq in rounds until told to stop (bounded: 300 s): one line a round, the
# nodes whose local instance says ROLE(ACTIVE).
samples=$MN_STATE/active-samples
sampler() {
    local end=$(($(now_ms) + 300000)) n line
    while [ "$(now_ms)" -lt "$end" ] && [ ! -e "$MN_STATE/sampler.stop" ]; do
        line="$(now_ms)"
        for n in 1 2 3; do
            [ "$(nha_role "$n" 2>/dev/null || true)" = ACTIVE ] && line+=" node$n"
        done
        echo "$line" >>"$samples"
    done
}
sampler 7>&- 8>&- &
SAMPLER_PID=$!
load_start partition "$L"
old_init=$(mn_pid1 "$A")
t0=$(now_ms)
ip -n "$MN_SWITCH" link set "n$A" down # its cable, pulled at the switch
load_fault
start=$(now_ms)
until { B=$(promoted); [ -n "$B" ] && [ "$B" != "$A" ]; } && [ "$(nha_role "$B")" = ACTIVE ] && has_vip "$B"; do
    [ $(($(now_ms) - start)) -lt 120000 ] || fail "the majority did not elect and promote within 120 s of the partition ($(explain))"
    sleep 0.5
done
mn_record "partition: $(($(now_ms) - t0)) ms (node$A cut off -> node$B Active, Promoted, VIP)"
load_check partition
check "the 3 messages put before the partition are there" test "$(get_client "$L" | grep -c '^part-')" = 3
t_heal=$(now_ms)
ip -n "$MN_SWITCH" link set "n$A" up
mn_wait_cluster "$OBS" "node1 node2 node3" 120 || fail "node$A did not rejoin after the partition healed"
wait_whole "$B" 180 || fail "the clone was not whole again after the partition healed ($(explain))"
mn_record "partition healed -> rejoin: $(($(now_ms) - t_heal)) ms (node$A's instance a replica in sync, clone whole)"
touch "$MN_STATE/sampler.stop"
wait "$SAMPLER_PID" || true
SAMPLER_PID=
rounds=$(wc -l <"$samples")
two=$(awk 'NF > 2' "$samples" | head -3)
mn_record "partition: $rounds rounds of dspmq on every node, $(awk 'NF > 2' "$samples" | wc -l) with two Active"
check "never two Active instances in $rounds rounds of dspmq on all nodes${two:+ (first: $two)}" test -z "$two"
mn_record "partition: node$A $([ "$(mn_pid1 "$A" || true)" = "$old_init" ] && echo 'kept its power (not fenced)' || echo 'was fenced (a new init)')"
settle
check "still whole with node$B active after the partition" whole "$B"
check "no failed action but a degraded (190) replica after the partition" no_failed_actions
[ "${NHA_SCENARIOS:-5}" -ge 5 ] || exit 0

# ---- 5. a replica's processes die ------------------------------------------------------------------------
# Its monitor finds the local instance gone (7), Pacemaker restarts it in place (stop, start: strmqm
# makes it a replica again, which catches up); the active instance, the VIP and the clients are
# untouched: the Promoted role stays where it is in every look, and no node is fenced.
A=$B
R=$(other_than "$A")
L=$(other_than "$A" "$R")
OBS=$L
put_client "$L" rep-1 rep-2 rep-3 || fail "cannot put before the replica's crash"
old_ctl=$(mn_on "$R" pgrep -x amqzxma0) || fail "node$R runs no execution controller before its crash"
offs=$(pdu_offs "$R")
load_start replica "$L"
t0=$(now_ms)
mn_on "$R" "$REL/mqsim" crash "$MN_MQROOT" "$QM" >/dev/null
load_fault
moved=""
start=$(now_ms)
until new_ctl=$(mn_on "$R" pgrep -x amqzxma0 || true) && [ -n "$new_ctl" ] && [ "$new_ctl" != "$old_ctl" ] && whole "$A"; do
    [ "$(promoted)" = "$A" ] || moved="${moved:-Promoted=[$(role_on Promoted | xargs)] $(($(now_ms) - t0)) ms after the crash}"
    [ $(($(now_ms) - start)) -lt 150000 ] || fail "node$R's instance was not back as a replica in sync within 150 s of its crash ($(explain))"
    sleep 0.5
done
mn_record "replica restarted: $(($(now_ms) - t0)) ms (node$R's processes killed -> its monitor (interval 25 s) -> restarted in place, a replica in sync; node$A stayed active)"
load_check replica
check "node$A stayed Promoted in every look while node$R's replica was down${moved:+ (not: $moved)}" test -z "$moved"
check "the 3 messages put before the replica's crash are there" test "$(get_client "$L" | grep -c '^rep-')" = 3
check "node$R was not fenced (a replica's crash is recovered in place)" test "$(pdu_offs "$R")" = "$offs"
check "Pacemaker recorded the failed monitor on node$R" \
    test "$(mon_xml | xq "count(//failures/failure[@node='node$R'][@task='monitor'])")" -ge 1
pcsx resource cleanup qm >/dev/null
settle
check "still whole with node$A active after the cleanup" whole "$A"
check "no failed action but a degraded (190) replica after the cleanup" no_failed_actions
exit 0
