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
MN_PDU_PID= # the power switch (pdu.py) this run started
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
    # MN_TWO_NODE=1: corosync's two_node (quorum with one of two votes; wait_for_all at start).
    [ -z "${MN_TWO_NODE:-}" ] || members+=(--two-node)
    # MN_TOKEN=MS: corosync's totem token (unset: none written, corosync's default, as pcs does).
    [ -z "${MN_TOKEN:-}" ] || members+=(--token="$MN_TOKEN")
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

# --- node life: the power switch -----------------------------------------------------------------
# The nodes' power belongs to one small controller on the machine, multinode/pdu.py (a PDU): it
# starts a node (node.sh as the init of new PID, mount and UTS namespaces in the node's network
# namespace) and powers it off (SIGKILL to that init). The suite presses its buttons through the
# same fence agent the nodes' Pacemaker uses (multinode/fence_mqha_ns, by its path here; inside
# the nodes it is /usr/sbin/fence_mqha_ns, an overlay that exists in their mount namespaces only).
# A node's init pid lives in its state directory (init.pid), so both see the same nodes.
# A node powered on again boots MN_BOOT_SECS (default 0) before its cluster stack starts.
#
# mn_boot_secs: how long a node powered on again must boot. A fencing reboot of a node that is still
# a member (a failed stop) powers it off at once and on again; the others notice it has gone only
# when corosync declares its token lost and agrees on a new membership: the token (3000 ms unless
# MN_TOKEN sets it, plus token_coefficient 650 ms per node beyond two) and then the consensus (1.2
# times that), 8 s on three nodes with the defaults (corosync.conf(5)). Their fencing result waits
# for that membership too. A node whose corosync starts again before then rejoins a cluster that
# has not yet seen it go, and its controller's join can stall for good ("pending"; a pending node
# blocks the resources it must be probed for: docs/reference/fencing.md#fast-reboot). A real host
# reboots for longer than that (firmware alone); the suite's nodes boot that long plus
# MN_BOOT_MARGIN seconds (default 3: the survivors' controllers still record the fencing).
mn_boot_secs() {
    local token=${MN_TOKEN:-3000} real consensus
    real=$((token + (MN_NODES > 2 ? (MN_NODES - 2) * 650 : 0)))
    consensus=$((real * 12 / 10))
    echo $(((real + consensus + 999) / 1000 + ${MN_BOOT_MARGIN:-3}))
}
mn_pdu_sock() { echo "$MN_STATE/pdu/sock"; }
# Power-offs of node N the power switch carried out (every fencing of it is one).
pdu_offs() { grep -c "^\[.*\] off node$1 -> ok off" "$MN_STATE/pdu/pdu.log" || true; }
mn_freezer() { echo "/sys/fs/cgroup/freezer/mqha-${MN_ID}-n$1"; }

mn_pdu_up() {
    [ -S "$(mn_pdu_sock)" ] && return 0
    mkdir -p "$MN_STATE/pdu" "$MN_STATE/fence-sbin"
    chmod 0700 "$MN_STATE/pdu"
    install -m 0755 "$MN_HERE/fence_mqha_ns" "$MN_STATE/fence-sbin/fence_mqha_ns"
    /usr/bin/python3 "$MN_HERE/pdu.py" --state "$MN_STATE" --socket "$(mn_pdu_sock)" \
        --log "$MN_STATE/pdu/pdu.log" --nodes "$MN_NODES" --netns-prefix "mqmn${MN_ID}n" \
        --node-script "$MN_HERE/node.sh" --mqroot "$MN_MQROOT" --agents "${MN_AGENTS:-}" \
        --fence-dir "$MN_STATE/fence-sbin" --boot-secs "${MN_BOOT_SECS:-0}" --freezer-prefix "/sys/fs/cgroup/freezer/mqha-${MN_ID}-n" \
        </dev/null >>"$MN_STATE/pdu/pdu.out" 2>&1 &
    MN_PDU_PID=$!
    wait_for "the power switch's socket" 10 test -S "$(mn_pdu_sock)" || mn_die "power switch did not start; see $MN_STATE/pdu/pdu.out"
}

# mn_power ACTION N — the suite presses node N's button (on, off, status) through the fence agent.
mn_power() {
    "$MN_HERE/fence_mqha_ns" --socket="$(mn_pdu_sock)" -o "$1" -n "node$2"
}

# The host pid of node N's init, when that node runs (fails otherwise).
mn_pid1() {
    local p
    read -r p 2>/dev/null <"$(mn_nodedir "$1")/init.pid" || return 1
    [ /proc/"$p"/ns/net -ef "/run/netns/$(mn_ns "$1")" ]
    echo "$p"
}

# Starts node N (again, after a crash or fencing: its disks - the private state - survive).
mn_node_start() {
    local n=$1
    mn_pdu_up
    mn_power on "$n" >/dev/null || mn_die "node$n did not start; see $(mn_nodedir "$n")/node.out"
    mn_node_booted "$n" || mn_die "node$n did not boot; see $(mn_nodedir "$n")/node.out"
    mn_log "node$n up: init pid $(mn_pid1 "$n"), net $(mn_ns "$n") $(mn_addr "$n")"
}

# Node N, powered on, has booted: its corosync answers and pacemakerd runs (node.sh gives corosync
# 20 s, after MN_BOOT_SECS when the node has booted before).
mn_node_booted() {
    wait_for "node$1 to boot" $((30 + ${MN_BOOT_SECS:-0})) test -e "$(mn_nodedir "$1")/started"
}

# Power loss: SIGKILL to the init of the node's PID namespace kills every process of the node at
# once (corosync, pacemaker, the queue manager); its mounts vanish with its mount namespace.
mn_node_crash() {
    local n=$1 p
    if [ -S "$(mn_pdu_sock)" ]; then
        mn_power off "$n" >/dev/null && return 0
    fi
    # No power switch (teardown after it failed): the same by hand.
    p=$(mn_pid1 "$n") || return 0
    [ ! -d "$(mn_freezer "$n")" ] || echo THAWED >"$(mn_freezer "$n")/freezer.state" || true
    kill -KILL "$p" 2>/dev/null || true
    wait_for "node$n's init $p to end" 15 bash -c "! [ /proc/$p/ns/net -ef /run/netns/$(mn_ns "$n") ]" || true
}

# mn_node_pids N UID [COMM_TO_SKIP] — host pids of the processes of node N (its PID namespace)
# owned by UID, except those whose command name is COMM_TO_SKIP.
mn_node_pids() {
    local n=$1 uid=$2 skip=${3:-} init p comm
    init=$(mn_pid1 "$n") || return 1
    for p in /proc/[0-9]*; do
        [ "$p/ns/pid" -ef "/proc/$init/ns/pid" ] 2>/dev/null || continue
        [ "$(stat -c %u "$p" 2>/dev/null)" = "$uid" ] || continue
        read -r comm 2>/dev/null <"$p/comm" || continue
        [ "$comm" != "$skip" ] || continue
        echo "${p#/proc/}"
    done
}

# mn_freeze N PID... — puts processes of node N (host pids) into the node's freezer cgroup
# (cgroup v1, on the machine: a node's /sys is its network namespace's own sysfs) and freezes it:
# they stay in the kernel (D state) and SIGKILL does not end them, as with processes stuck on
# storage that stopped answering. Powering the node off (or teardown) thaws them, and they die then.
mn_freeze() {
    local n=$1 d p
    shift
    d=$(mn_freezer "$n")
    [ -d "${d%/*}" ] || mn_die "no cgroup v1 freezer hierarchy at ${d%/*}"
    mkdir -p "$d"
    for p in "$@"; do echo "$p" >"$d/cgroup.procs"; done
    echo FROZEN >"$d/freezer.state"
    wait_for "node$n's freezer cgroup to be FROZEN" 10 grep -qx FROZEN "$d/freezer.state"
}

# Runs a command on node N: in all of its namespaces, with its /proc.
mn_on() {
    local n=$1
    shift
    local p
    p=$(mn_pid1 "$n") || mn_die "node$n is not running (mn_on $*)"
    nsenter -t "$p" -m -n -u -p -- "$@"
}

# The running nodes' numbers.
mn_up_nodes() {
    local n
    for n in $(seq 1 "$MN_NODES"); do mn_pid1 "$n" >/dev/null && echo "$n"; done
    return 0
}

# How long (ms) node N's corosync takes from the last token of a member that went silent to a
# membership without it: the token timeout it really uses, then the consensus (corosync.conf(5)).
mn_detect_ms() {
    local key sum=0 v
    for key in token consensus; do
        v=$(mn_on "$1" corosync-cmapctl -g "runtime.config.totem.$key" | sed -n 's/.* = \([0-9]*\)$/\1/p')
        [ -n "$v" ] || mn_die "node$1: no runtime.config.totem.$key in corosync's cmap"
        sum=$((sum + v))
    done
    echo "$sum"
}

# Runs a command on node N as the mq user.
mn_as_mqm() {
    local n=$1
    shift
    mn_on "$n" runuser -u mqm -- "$@"
}

# dspmq_on N ARG... — node N's dspmq, as the mq user (lib.sh's status and status_is read it).
dspmq_on() { mn_as_mqm "$1" "$MN_MQROOT/opt/mqm/bin/dspmq" "${@:2}"; }

# The token timeout node N's corosync really uses (ms): runtime.config.totem.token, which
# includes token_coefficient (corosync.conf(5)).
mn_token_ms() { mn_on "$1" corosync-cmapctl -g runtime.config.totem.token | sed -n 's/.* = \([0-9]*\)$/\1/p'; }

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
    local n ns d
    for n in $(seq 1 "$MN_NODES"); do
        mn_node_crash "$n"
    done
    if [ -n "$MN_PDU_PID" ]; then
        kill "$MN_PDU_PID" 2>/dev/null || true
        wait "$MN_PDU_PID" 2>/dev/null || true
        MN_PDU_PID=
    fi
    # Without the switch: the nodes by hand (their pid files), their freezer cgroups.
    rm -f "$(mn_pdu_sock)"
    for n in $(seq 1 "$MN_NODES"); do
        mn_node_crash "$n"
        d=$(mn_freezer "$n")
        if [ -d "$d" ]; then
            echo THAWED >"$d/freezer.state" 2>/dev/null || true
            wait_for "$d to empty" 10 bash -c "[ -z \"\$(cat $d/cgroup.procs)\" ]" || true
            rmdir "$d" || mn_log "teardown: cannot remove $d"
        fi
    done
    for ns in "${MN_CREATED[@]}"; do
        netns_destroy "$ns" || true
    done
    MN_CREATED=()
}
