# shellcheck shell=bash
# tests/cluster/lib.sh — shared helpers for the live Pacemaker suites and the demo (sourced, not run).
#
# What it gives: a Pacemaker "node" that runs in namespaces of its own (network namespace made by
# the caller, private mount + UTS namespace made here), so that several clusters and several
# engineers' tests can run on one machine without meeting each other's corosync/libqb sockets,
# /dev/shm ring buffers, /run/crm or CIB; a private copy of our agents bind-mounted at
# /usr/lib/ocf/resource.d/mqha inside that node only; polls with deadlines; teardown that kills
# only processes inside namespaces we made.
#
# What it is not: a cluster manager; it starts corosync and pacemakerd by hand (no systemd), exactly
# as docs/reference/pacemaker-ocf.md#cluster-without-systemd and #several-nodes-on-one-host describe.
#
# ---- For MULTINODE (tests/cluster/multinode.sh) — how to reuse this file -------------------------
#   source tests/cluster/lib.sh
#   netns_create NS                         # makes NS with lo up; then add your veth/bridge to it
#   corosync_conf_write FILE NAME "1:node1:10.0.0.1" "2:node2:10.0.0.2" [--two-node] [--token=MS]
#   node_start STATE NS NODENAME COROSYNC_CONF [AGENT_DIR]   # boots corosync + pacemakerd in NS
#   node_exec STATE crm_mon -1              # any tool, inside that node's namespaces
#   wait_for "what" SECONDS node_exec STATE ...   # poll with a deadline; $WAITED_MS = time taken
#   node_crash STATE                        # SIGKILL every process of the node (its netns)
#   node_stop STATE                         # pacemakerd --shutdown with deadline, then kill rest
#   netns_destroy NS                        # kills whatever is left in NS, deletes it
#   agents_stage DIR                        # copies target/release/ibmmq (+ listener/trigger links)
# STATE is a directory you own (node state, logs, pid file); remove it after node_stop.
# All helpers return non-zero instead of exiting, print to stderr, and never kill by name.
# ----------------------------------------------------------------------------------------------
# It also sources assert.sh (ok/bad/check/fail/run_expect/contains/summary) and crm.sh (crm_mon
# queries), and holds the other helpers two or more suites share: the tool suites' sandbox, MQ
# processes by namespace or by program, free ports, dspmq status.

PCMK_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PCMK_REPO=$(cd "$PCMK_LIB_DIR/../.." && pwd)
OCF_PROVIDER_DIR=/usr/lib/ocf/resource.d/mqha
# shellcheck source=tests/cluster/assert.sh
source "$PCMK_LIB_DIR/assert.sh"
# shellcheck source=tests/cluster/crm.sh
source "$PCMK_LIB_DIR/crm.sh"

say() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

now_ms() { date +%s%3N; }
# ms_secs MS — milliseconds as seconds with one decimal ("4.7").
ms_secs() { printf '%d.%d' $(($1 / 1000)) $((($1 % 1000) / 100)); }

# wait_for DESC SECONDS CMD... — run CMD every 0.25 s until it succeeds or SECONDS pass.
# Sets WAITED_MS to the time it took; on timeout prints DESC and returns 1.
wait_for() {
    local desc=$1 secs=$2; shift 2
    local start deadline
    start=$(now_ms); deadline=$((start + secs * 1000))
    while :; do
        if "$@" >/dev/null 2>&1; then
            WAITED_MS=$(( $(now_ms) - start ))
            return 0
        fi
        if [ "$(now_ms)" -ge "$deadline" ]; then
            WAITED_MS=$(( $(now_ms) - start ))
            printf 'timeout after %ss waiting for: %s\n' "$secs" "$desc" >&2
            return 1
        fi
        sleep 0.25
    done
}

# ---- network namespaces ---------------------------------------------------------------------------

netns_create() {
    local ns=$1
    ip netns add "$ns" || return 1
    ip -n "$ns" link set lo up
}

# netns_pids NS — pids of every process whose network namespace is NS.
netns_pids() {
    local ns=$1 want p
    want=$(stat -L -c %i "/run/netns/$ns" 2>/dev/null) || return 0
    for p in /proc/[0-9]*; do
        [ "$(stat -L -c %i "$p/ns/net" 2>/dev/null)" = "$want" ] && echo "${p#/proc/}"
    done
    return 0
}

# netns_kill_all NS — SIGKILL everything in NS (ours by construction: we made the namespace).
netns_kill_all() {
    local ns=$1 pids
    pids=$(netns_pids "$ns")
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null
    wait_for "processes of $ns to exit" 10 netns_empty "$ns"
}

netns_empty() { [ -z "$(netns_pids "$1")" ]; }

netns_destroy() {
    local ns=$1
    [ -e "/run/netns/$ns" ] || return 0
    netns_kill_all "$ns"
    ip netns del "$ns"
}

# ---- the tool suites' sandbox: Pacemaker's tools without a cluster --------------------------------

# sandbox_run NAME SCRIPT [ARG...] — called first by a suite that needs no cluster. Outside the
# sandbox it makes one (a state directory RUN, the agents staged in it, a network namespace NS), runs
# SCRIPT ARG... again inside it under a private mount namespace, cleans up whatever happens (mqsim
# cleanup of every simulated installation under RUN, the namespace, RUN) and exits with the inner
# run's status, printing "NAME: PASSED|FAILED in Ns". Inside, it returns with RUN and NS set, the
# agents bind-mounted at OCF_PROVIDER_DIR and private /var/lib/pacemaker, /var/log/pacemaker and
# /run/resource-agents (where agents keep their state files).
sandbox_run() {
    local name=$1
    shift
    if [ -n "${MQHA_SANDBOX_RUN:-}" ]; then
        RUN=$MQHA_SANDBOX_RUN NS=$MQHA_SANDBOX_NS
        mount --make-rprivate / || die "mount --make-rprivate"
        [ -d "$OCF_PROVIDER_DIR" ] || mkdir -p "$OCF_PROVIDER_DIR"
        mount --bind "$RUN/agents" "$OCF_PROVIDER_DIR" || die "cannot bind the agents over $OCF_PROVIDER_DIR"
        # crm_resource/pcs need no cluster here; keep their state and logs private all the same
        mkdir -p "$RUN/var-lib-pacemaker" "$RUN/log-pacemaker" "$RUN/rsctmp" /run/resource-agents
        mount --bind "$RUN/var-lib-pacemaker" /var/lib/pacemaker
        mount --bind "$RUN/log-pacemaker" /var/log/pacemaker
        mount --bind "$RUN/rsctmp" /run/resource-agents
        return 0
    fi
    SANDBOX_T0=$(now_ms) SANDBOX_NAME=$name
    RUN=$(mktemp -d "/var/tmp/mqha-$name.XXXXXX")
    chmod 0755 "$RUN"
    NS=mqha-$name-$$
    trap sandbox_cleanup EXIT
    trap 'exit 130' INT TERM
    agents_stage "$RUN/agents" || exit 1
    netns_create "$NS" || die "cannot create network namespace $NS"
    MQHA_SANDBOX_RUN=$RUN MQHA_SANDBOX_NS=$NS ip netns exec "$NS" unshare --mount --fork -- "$@"
    exit $?
}

sandbox_cleanup() {
    local rc=$? inst mqsim=$PCMK_REPO/target/release/mqsim
    trap - EXIT INT TERM
    for inst in "$RUN"/*/opt/mqm; do
        [ -x "$mqsim" ] && [ -d "$inst" ] && "$mqsim" cleanup "${inst%/opt/mqm}" >/dev/null 2>&1
    done
    netns_destroy "$NS"
    rm -rf "$RUN"
    say "$SANDBOX_NAME: $([ $rc -eq 0 ] && echo PASSED || echo FAILED) in $((($(now_ms) - SANDBOX_T0) / 1000))s"
    exit $rc
}

# ---- processes and ports --------------------------------------------------------------------------

# mq_procs NS ROOT — processes of the simulated installation at ROOT still alive in network namespace
# NS (its programs, mqsim, or anything named like an MQ program), one "PID CMDLINE" a line.
mq_procs() {
    local ns=$1 root=$2 p exe c
    for p in $(netns_pids "$ns"); do
        exe=$(readlink "/proc/$p/exe" 2>/dev/null) || continue
        c=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)
        case "$exe $c" in
            *"$root"* | "$PCMK_REPO/target/release/mqsim"* | *" amq"* | */amq* | *amqz* | *runmq* | *strmqm* | *endmqm*)
                echo "$p $c"
                ;;
        esac
    done
}
no_mq_procs() { [ -z "$(mq_procs "$@")" ]; }

# exe_pids PREFIX — pids of the processes whose program's path starts with PREFIX.
exe_pids() {
    local p
    for p in /proc/[0-9]*; do
        case $(readlink "$p/exe" 2>/dev/null) in "$1"*) echo "${p#/proc/}" ;; esac
    done
}
no_exe_pids() { [ -z "$(exe_pids "$1")" ]; }

# free_port [CMD...] — a TCP port free on 127.0.0.1 now; CMD runs the probe elsewhere (N: in the node).
free_port() { "$@" python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# status NODE — the STATUS dspmq -n gives queue manager $QM on NODE (RUNNING, RUNNING AS STANDBY,
# ...); the suite defines `dspmq_on NODE ARG...`, which runs that node's dspmq.
status() { dspmq_on "$1" -n -m "$QM" | sed -n 's/.*STATUS(\([^)]*\)).*/\1/p'; }
status_is() { [ "$(status "$1")" = "$2" ]; }

# ---- corosync configuration -----------------------------------------------------------------------

# corosync_conf_write FILE CLUSTER ID:NAME:ADDR... [--two-node] [--token=MS]
# knet, no crypto (nothing to key); a line break after every '{' as corosync needs. No token
# unless --token= says one: like `pcs cluster setup` (pcs 0.11), which writes none, so corosync's
# default applies (3000 ms, plus token_coefficient 650 ms per node beyond two; corosync.conf(5)).
corosync_conf_write() {
    local file=$1 cluster=$2; shift 2
    local two_node="" token="" n id name addr
    for n in "$@"; do
        case $n in --token=*) token=${n#--token=} ;; esac
    done
    {
        printf 'totem {\n    version: 2\n    cluster_name: %s\n    transport: knet\n' "$cluster"
        [ -z "$token" ] || printf '    token: %s\n' "$token"
        printf '    crypto_cipher: none\n    crypto_hash: none\n}\nnodelist {\n'
        for n in "$@"; do
            if [ "$n" = --two-node ]; then two_node=1; continue; fi
            case $n in --token=*) continue ;; esac
            IFS=: read -r id name addr <<<"$n"
            printf '    node {\n        ring0_addr: %s\n        name: %s\n        nodeid: %s\n    }\n' \
                "$addr" "$name" "$id"
        done
        printf '}\nquorum {\n    provider: corosync_votequorum\n'
        [ -n "$two_node" ] && printf '    two_node: 1\n'
        printf '}\nlogging {\n    to_logfile: yes\n    logfile: /var/log/corosync/corosync.log\n'
        printf '    to_syslog: no\n    to_stderr: no\n    timestamp: on\n}\n'
    } >"$file"
}

# ---- agents ---------------------------------------------------------------------------------------

# agents_stage DIR — a private provider directory: a copy of target/release/ibmmq (so a rebuild by
# someone else mid-run cannot change it) and the other agent names as links to it, as the RPM does.
agents_stage() {
    local dir=$1 bin=${IBMMQ_BIN:-$PCMK_REPO/target/release/ibmmq}
    [ -x "$bin" ] || { echo "build first: cargo build --workspace --release ($bin missing)" >&2; return 1; }
    mkdir -p "$dir"
    install -m 0755 "$bin" "$dir/ibmmq"
    ln -sfn ibmmq "$dir/ibmmq-listener"
    ln -sfn ibmmq "$dir/ibmmq-trigger"
    chmod 0755 "$dir"
}

# ---- a node in its own namespaces -----------------------------------------------------------------

# node_private_mounts STATE NODENAME [AGENT_DIR] — run inside a fresh mount+UTS namespace:
# private copies of every directory the cluster stack writes, fresh /run and /dev/shm.
node_private_mounts() {
    local state=$1 name=$2 agents=${3:-} d
    hostname "$name"
    mount --make-rprivate /
    mkdir -p "$state"/{etc-corosync,var-lib-corosync,log-corosync,log-pacemaker,log-cluster,pcsd}
    mkdir -p "$state"/var-lib-pacemaker/{cib,pengine,blackbox,cores}
    chown -R hacluster:haclient "$state/var-lib-pacemaker" "$state/log-pacemaker"
    chmod 0750 "$state"/var-lib-pacemaker "$state"/var-lib-pacemaker/*
    mount --bind "$state/etc-corosync" /etc/corosync
    mount --bind "$state/var-lib-pacemaker" /var/lib/pacemaker
    mount --bind "$state/var-lib-corosync" /var/lib/corosync
    mkdir -p /var/log/corosync /var/log/cluster /var/log/pacemaker
    mount --bind "$state/log-corosync" /var/log/corosync
    mount --bind "$state/log-cluster" /var/log/cluster
    mount --bind "$state/log-pacemaker" /var/log/pacemaker
    [ -d /var/lib/pcsd ] && mount --bind "$state/pcsd" /var/lib/pcsd
    mount -t tmpfs -o mode=0755 tmpfs /dev/shm
    chmod 1777 /dev/shm
    mount -t tmpfs -o mode=0755 tmpfs /run
    mkdir -p /run/crm /run/resource-agents /run/lock
    chown hacluster:haclient /run/crm
    if [ -n "$agents" ]; then
        # The mount point must exist on the host; an empty provider directory is harmless there.
        [ -d "$OCF_PROVIDER_DIR" ] || mkdir -p "$OCF_PROVIDER_DIR"
        mount --bind "$agents" "$OCF_PROVIDER_DIR"
    fi
}

# node_boot STATE NODENAME AGENT_DIR — the node's main process (runs under unshare, in its netns).
node_boot() {
    local state=$1 name=$2 agents=${3:-}
    node_private_mounts "$state" "$name" "$agents" || exit 1
    cp "$state/corosync.conf" /etc/corosync/corosync.conf
    if [ -s "$state/seed-cib.xml" ]; then
        # a CIB prepared before boot: its properties (dc-deadtime) apply from the first election
        install -o hacluster -g haclient -m 0600 "$state/seed-cib.xml" /var/lib/pacemaker/cib/cib.xml
    fi
    echo $$ >"$state/node.pid"
    export PCMK_logfile=/var/log/pacemaker/pacemaker.log PCMK_logfacility=none
    corosync -f >"$state/corosync.out" 2>&1 &
    # pacemakerd must find corosync up, or it gives up
    wait_for "corosync to answer" 20 corosync-cfgtool -s || exit 1
    pacemakerd -f >"$state/pacemakerd.out" 2>&1 &
    echo $! >"$state/pacemakerd.pid"
    wait
}

# node_start STATE NS NODENAME COROSYNC_CONF [AGENT_DIR] — boot a node in the background.
# Its processes form their own session; STATE/node.pid is the namespace anchor for node_exec.
node_start() {
    local state=$1 ns=$2 name=$3 conf=$4 agents=${5:-}
    mkdir -p "$state"
    rm -f "$state/node.pid"
    cp "$conf" "$state/corosync.conf"
    echo "$ns" >"$state/netns"
    setsid ip netns exec "$ns" unshare --mount --uts --fork -- \
        bash -c 'source "$1"; node_boot "$2" "$3" "$4"' node-boot \
        "$PCMK_LIB_DIR/lib.sh" "$state" "$name" "$agents" \
        </dev/null >"$state/boot.out" 2>&1 &
    wait_for "node $name to boot" 20 test -s "$state/node.pid" || { cat "$state/boot.out" >&2; return 1; }
}

# node_exec STATE CMD... — run a command inside the node's network, mount and UTS namespaces.
node_exec() {
    local state=$1; shift
    nsenter -t "$(cat "$state/node.pid")" -m -n -u -- "$@"
}

# node_has_dc STATE — the node sees an elected DC and has quorum (or ignores its loss).
node_has_dc() {
    local out
    out=$(node_exec "$1" crm_mon -1 --output-as xml 2>/dev/null) || return 1
    grep -q '<current_dc present="true"' <<<"$out"
}

# node_crash STATE — SIGKILL every process of the node, as a power cut would.
node_crash() {
    netns_kill_all "$(cat "$1/netns")"
}

# node_stop STATE [SECONDS] — orderly: pacemakerd --shutdown (stops the resources), corosync down,
# then anything still left in the namespace is killed. Returns 1 if the orderly part timed out.
node_stop() {
    local state=$1 secs=${2:-90} ns rc=0 pm
    ns=$(cat "$state/netns" 2>/dev/null) || return 0
    [ -s "$state/node.pid" ] && kill -0 "$(cat "$state/node.pid")" 2>/dev/null || { netns_kill_all "$ns"; return 0; }
    pm=$(cat "$state/pacemakerd.pid" 2>/dev/null || true)
    if [ -n "$pm" ] && kill -0 "$pm" 2>/dev/null; then
        node_exec "$state" pacemakerd --shutdown >/dev/null 2>&1 &
        wait_for "pacemakerd to shut down" "$secs" bash -c "! kill -0 $pm" || rc=1
    fi
    node_exec "$state" corosync-cfgtool -H >/dev/null 2>&1 || true
    wait_for "node to exit" 15 bash -c "! kill -0 $(cat "$state/node.pid")" || rc=1
    netns_kill_all "$ns"
    return $rc
}

# ---- a single-node cluster ------------------------------------------------------------------------

# cib_seed_write FILE — an empty CIB with the properties a one-machine test cluster needs: no fencing
# devices (stonith-enabled=false), quorum not required, and a short dc-deadtime so the first DC is
# elected in seconds rather than the default 20 s. MULTINODE: usable for your nodes too.
cib_seed_write() {
    local file=$1 kv
    cibadmin --empty >"$file" || return 1
    for kv in stonith-enabled=false no-quorum-policy=ignore dc-deadtime=2s cluster-recheck-interval=30s; do
        CIB_file=$file crm_attribute -t crm_config -n "${kv%%=*}" -v "${kv#*=}" >/dev/null || return 1
    done
}

# cluster1_start STATE NS [AGENT_DIR] — one node "node1" on 127.0.0.1 in NS, waited until it has a
# DC, with the properties a test cluster needs: no fencing devices, quorum not required.
cluster1_start() {
    local state=$1 ns=$2 agents=${3:-} t0
    t0=$(now_ms)
    netns_create "$ns" || return 1
    mkdir -p "$state"
    corosync_conf_write "$state/corosync.conf.in" mqha-test "1:node1:127.0.0.1"
    cib_seed_write "$state/seed-cib.xml" || return 1
    node_start "$state" "$ns" node1 "$state/corosync.conf.in" "$agents" || return 1
    wait_for "a DC on node1" 90 node_has_dc "$state" || { tail -20 "$state/boot.out" >&2; return 1; }
    CLUSTER_START_MS=$(( $(now_ms) - t0 ))
}

# N CMD... — run CMD in the node of cluster1_start whose state directory is $STATE.
N() { node_exec "$STATE" "$@"; }

# qm_pid — the execution controller (amqzxma0 -m $QM) of the suite's queue manager among the
# processes of its network namespace $NS; empty when there is none.
qm_pid() {
    local p
    for p in $(netns_pids "$NS"); do
        tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -Eq "^(\S*/)?amqzxma0 (.* )?-m $QM( |$)" && {
            echo "$p"
            return 0
        }
    done
    return 0
}
# qm_pid_not OLD — a queue manager runs, and not as pid OLD: a new instance.
qm_pid_not() {
    local p
    p=$(qm_pid)
    [ -n "$p" ] && [ "$p" != "$1" ]
}

# cluster1_stop STATE — stop the node (resources first), delete its namespace and state.
cluster1_stop() {
    local state=$1 ns rc=0
    ns=$(cat "$state/netns" 2>/dev/null || true)
    node_stop "$state" || rc=1
    [ -n "$ns" ] && netns_destroy "$ns"
    return $rc
}
