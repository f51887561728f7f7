# shellcheck shell=bash
# A cluster of Pacemaker/Corosync hosts on one Linux machine, for tests/cluster/multinode.sh.
# Each host ("node") is a network namespace (veth to a bridge that lives in a switch namespace of
# its own, so no address of the test ever exists in the host's network), plus a mount, UTS and PID
# namespace with its own /proc: a node sees only its own processes, mounts, /run, /dev/shm,
# /etc/corosync, /var/lib/pacemaker, /etc/passwd and MQ installation, as separate machines would.
# This file only defines functions and MN_* variables; sourcing it starts nothing. It builds on
# tests/cluster/lib.sh (corosync.conf, seeded CIB, private mounts, agents, wait_for) and adds only
# what several nodes need: the switch, the PID namespace, crash and restart of one node.
# Not a general container tool: it knows the layout multinode.sh needs and nothing more.

MN_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/cluster/lib.sh
source "$MN_HERE/../lib.sh"

# --- identity of this run (several suites may run at once on one machine) ------------------------
MN_ID=${MN_ID:-$(printf '%04x' $((RANDOM % 65536)))}
MN_NODES=${MN_NODES:-3}
MN_CLUSTER=mqha$MN_ID
MN_SUBNET=10.213.7 # only ever configured inside the namespaces below
MN_SWITCH=mqmn${MN_ID}sw
MN_STATE=${MN_STATE:-}
declare -a MN_CREATED=() # namespaces this run created: the only ones teardown deletes
declare -A MN_PID1=() # node number -> host pid of its namespace's init (node.sh)
declare -A MN_LAUNCHER=() # node number -> host pid of `ip netns exec ... unshare` that runs it
declare -a MN_TIMES=() # what `mn_record` measured, repeated by `mn_times` at the end

mn_log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S.%3N)" "$*" >&2; }
mn_die() {
    mn_log "FAIL: $*"
    exit 1
}

mn_ns() { echo "mqmn${MN_ID}n$1"; }
mn_addr() { echo "$MN_SUBNET.$1"; }
mn_nodedir() { echo "$MN_STATE/node$1"; }

# --- network -------------------------------------------------------------------------------------
mn_ns_create() {
    # An existing name belongs to someone else (another run): never adopt it, never delete it.
    [ ! -e "/run/netns/$1" ] || mn_die "network namespace $1 exists already (MN_ID=$MN_ID clash?)"
    netns_create "$1" || mn_die "cannot create network namespace $1"
    MN_CREATED+=("$1")
}

mn_network_up() {
    mn_ns_create "$MN_SWITCH"
    ip -n "$MN_SWITCH" link add br0 type bridge
    ip -n "$MN_SWITCH" link set br0 up
    local n
    for n in $(seq 1 "$MN_NODES"); do
        mn_ns_create "$(mn_ns "$n")"
        # Both ends are created inside namespaces: the host's own network never sees them.
        ip -n "$(mn_ns "$n")" link add eth0 type veth peer name "n$n" netns "$MN_SWITCH"
        ip -n "$MN_SWITCH" link set "n$n" master br0 up
        ip -n "$(mn_ns "$n")" addr add "$(mn_addr "$n")/24" dev eth0
        ip -n "$(mn_ns "$n")" link set eth0 up
    done
}

# --- per-node private state ----------------------------------------------------------------------
mn_prepare_node() {
    local n=$1 d m members=()
    d=$(mn_nodedir "$n")
    mkdir -p "$d/mqroot"
    for m in $(seq 1 "$MN_NODES"); do members+=("$m:node$m:$(mn_addr "$m")"); done
    corosync_conf_write "$d/corosync.conf" "$MN_CLUSTER" "${members[@]}"
    # lib.sh's seed (no fencing devices, DC in seconds), but with three nodes quorum is real: a
    # partition without it stops its resources, as in production.
    cib_seed_write "$d/seed-cib.xml"
    CIB_file=$d/seed-cib.xml crm_attribute -t crm_config -n no-quorum-policy -v stop >/dev/null
    # Stay where we are after a failover: a returning node does not pull the group back.
    CIB_file=$d/seed-cib.xml cibadmin --create -o configuration --xml-text \
        '<rsc_defaults><meta_attributes id="rsc-options"><nvpair id="rsc-options-resource-stickiness" name="resource-stickiness" value="100"/></meta_attributes></rsc_defaults>'
    cp /etc/passwd "$d/passwd"
    cp /etc/group "$d/group"
}

# --- node life -----------------------------------------------------------------------------------
# Starts node N (again, after a crash: its disks - the private state - survive, like a host's).
mn_node_start() {
    local n=$1 d launcher pid1 _
    d=$(mn_nodedir "$n")
    rm -f "$d/started"
    ip netns exec "$(mn_ns "$n")" unshare --pid --fork --mount-proc --mount --uts \
        "$MN_HERE/node.sh" "node$n" "$d" "$MN_MQROOT" "${MN_AGENTS:-}" </dev/null >>"$d/node.out" 2>&1 &
    launcher=$!
    MN_LAUNCHER[$n]=$launcher
    # node.sh gives corosync 20 s to answer before it writes "started"; a loaded CI box needs that.
    for _ in $(seq 1 300); do
        pid1=$(cat "/proc/$launcher/task/$launcher/children" 2>/dev/null || true)
        pid1=${pid1%% *}
        [ -n "$pid1" ] && [ -e "$d/started" ] && break
        sleep 0.1
    done
    if [ -z "$pid1" ] || [ ! -e "$d/started" ]; then mn_die "node$n did not start; see $d/node.out"; fi
    MN_PID1[$n]=$pid1
    mn_log "node$n up: init pid $pid1, net $(mn_ns "$n") $(mn_addr "$n")"
}

# Power loss: SIGKILL to the init of the node's PID namespace kills every process of the node at
# once (corosync, pacemaker, the queue manager); its mounts vanish with its mount namespace.
mn_node_crash() {
    local n=$1 pid1=${MN_PID1[$1]:-} _
    [ -n "$pid1" ] || return 0
    kill -KILL "$pid1" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "${MN_LAUNCHER[$n]}" 2>/dev/null || break
        sleep 0.1
    done
    wait "${MN_LAUNCHER[$n]}" 2>/dev/null || true
    unset "MN_PID1[$n]"
}

# Runs a command on node N: in all of its namespaces, with its /proc.
mn_on() {
    local n=$1
    shift
    [ -n "${MN_PID1[$n]:-}" ] || mn_die "node$n is not running (mn_on $*)"
    nsenter -t "${MN_PID1[$n]}" -m -n -u -p -- "$@"
}

# The running nodes' numbers.
mn_up_nodes() {
    local n
    for n in $(seq 1 "$MN_NODES"); do [ -n "${MN_PID1[$n]:-}" ] && echo "$n"; done
    return 0
}

# Runs a command on node N as the mq user.
mn_as_mqm() {
    local n=$1
    shift
    mn_on "$n" runuser -u mqm -- "$@"
}

# dspmq_on N ARG... — node N's dspmq, as the mq user (lib.sh's status and status_is read it).
dspmq_on() { mn_as_mqm "$1" "$MN_MQROOT/opt/mqm/bin/dspmq" "${@:2}"; }

# --- cluster state (crm_mon XML, read on a node; queries in ../crm.sh) ---------------------------
mn_crm_xml() { mn_on "$1" crm_mon -1 --output-as=xml 2>/dev/null; }

# Waits until node N sees a DC, quorum and exactly the given nodes online ("node1 node3").
mn_wait_cluster() {
    local n=$1 want=$2 limit=$3 start x online quorum
    start=$(now_ms)
    while :; do
        x=$(mn_crm_xml "$n" || true)
        quorum=$(xq 'string(//current_dc/@with_quorum)' <<<"$x")
        online=$(xq '//nodes/node[@online="true"]/@name' <<<"$x" | sed 's/.*name="\([^"]*\)".*/\1/' | sort | xargs)
        if [ "$quorum" = true ] && [ "$online" = "$want" ]; then
            mn_log "node$n sees [$online] online with quorum after $(($(now_ms) - start)) ms"
            return 0
        fi
        if [ $(($(now_ms) - start)) -gt $((limit * 1000)) ]; then
            mn_log "node$n sees: quorum=$quorum online=[$online], wanted [$want]"
            return 1
        fi
        sleep 1
    done
}

# --- reports -------------------------------------------------------------------------------------
# mn_record WHAT — a measurement: logged now, and kept for the summary mn_times prints.
mn_record() {
    MN_TIMES+=("$1")
    mn_log "$1"
}
mn_times() {
    local t
    for t in "${MN_TIMES[@]}"; do echo "  $t"; done
}

# What each running node's Pacemaker says, for a failed run: crm_mon with fail-counts and
# operations, and the last results and errors of its log.
mn_diagnose() {
    local n
    for n in $(mn_up_nodes); do
        echo "---- node$n: crm_mon -1 --show-detail" >&2
        mn_on "$n" crm_mon -1 -f -o --show-detail >&2 2>&1 || true
        echo "---- node$n: pacemaker.log, last 20 results and errors" >&2
        grep -E 'Result of|error|ocf-exit-reason' "$(mn_nodedir "$n")/log-pacemaker/pacemaker.log" 2>/dev/null |
            grep -v cib_perform_op | tail -20 >&2 || true
    done
}

# --- teardown ------------------------------------------------------------------------------------
# Kills every node (their PID namespaces take all their processes along, and their mount
# namespaces every mount), then deletes the namespaces, which deletes the veths and the bridge.
mn_teardown() {
    local n ns
    for n in $(seq 1 "$MN_NODES"); do
        mn_node_crash "$n"
    done
    for ns in "${MN_CREATED[@]}"; do
        netns_destroy "$ns" || true
    done
    MN_CREATED=()
}
