#!/usr/bin/env bash
# The demo: build, lay out a simulated MQ installation and queue manager, run a real single-node
# Pacemaker cluster, create the mqha resources with pcs, crash the queue manager and watch
# Pacemaker recover it, then clean up.
#
# One command, as root, on a fresh Debian 12 machine:   tests/demo.sh
# It installs the Debian packages it needs (tests/setup.sh), builds the workspace in release mode,
# and runs everything in namespaces of its own (a network namespace and a private mount namespace
# for the cluster node), so nothing on the machine is reconfigured and a cluster already running
# here is left alone. Whatever happens, it stops the cluster, kills what it started and removes
# its state on exit.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
[ "$(id -u)" = 0 ] || { echo "tests/demo.sh: run as root (it starts corosync and pacemaker)" >&2; exit 1; }

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '\033[2m$ %s\033[0m\n' "$*"; }

bold "1. Debian packages and users (tests/setup.sh)"
show "tests/setup.sh"
tests/setup.sh || exit 1

bold "2. Build (cargo build --release --workspace --locked)"
show "cargo build --release --workspace --locked"
cargo build --release --workspace --locked || exit 1

# shellcheck source=tests/cluster/lib.sh
source tests/cluster/lib.sh
REL=$repo/target/release
RUN=$(mktemp -d /var/tmp/mqha-demo.XXXXXX); chmod 0755 "$RUN"
NS=mqha-demo-$$
STATE=$RUN/node1
MQROOT=$RUN/mq
INST=$MQROOT/opt/mqm
QM=${MQHA_DEMO_QM:-QM1}

finish() {
    local rc=$?
    trap - EXIT INT TERM
    bold "7. Clean up"
    if [ -s "$STATE/node.pid" ]; then
        show "pacemakerd --shutdown   # stops the resources (the agents stop MQ), then the daemons"
        node_stop "$STATE" 120 || echo "(orderly stop timed out; killed what was left)"
    fi
    show "mqsim cleanup $MQROOT"
    "$REL/mqsim" cleanup "$MQROOT" >/dev/null 2>&1 || true
    netns_destroy "$NS"
    rm -rf "$RUN"
    echo "cluster stopped, namespace $NS deleted, $RUN removed."
    [ $rc -eq 0 ] && echo "demo finished." || echo "demo FAILED (exit $rc)."
    exit $rc
}
trap finish EXIT
trap 'exit 130' INT TERM
# lib.sh gives N (run in the node), qm_pid, and crm.sh's group_started and fail_count.
step_fail() { echo "demo: $*" >&2; N crm_mon -1 --show-detail 2>/dev/null; exit 1; }

bold "3. A simulated IBM MQ installation and queue manager"
echo "mq-sim lays out what an IBM MQ installation has (opt/mqm/bin, var/mqm, mqs.ini) under $MQROOT;"
echo "the agents drive it only through its commands, exactly as they would drive /opt/mqm."
show "mqsim install $MQROOT"
"$REL/mqsim" install "$MQROOT" || exit 1
show "$INST/bin/crtmqm $QM"
runuser -u mqm -- "$INST/bin/crtmqm" "$QM" || exit 1
runuser -u mqm -- "$INST/bin/dspmq" -m "$QM"

bold "4. A real one-node Pacemaker cluster: corosync -f and pacemakerd, no systemd"
echo "The node runs in network namespace $NS with private /etc/corosync, /var/lib/pacemaker, /run,"
echo "/dev/shm; inside it the agents are installed at /usr/lib/ocf/resource.d/mqha/ (ibmmq, and"
echo "ibmmq-listener / ibmmq-trigger as links to it, as the RPM installs them)."
agents_stage "$RUN/agents" || exit 1
cluster1_start "$STATE" "$NS" "$RUN/agents" || step_fail "the cluster did not start"
echo "cluster up with an elected DC after $((CLUSTER_START_MS / 1000))s (stonith-enabled=false, no-quorum-policy=ignore: one test node)"

bold "5. The mqha resources, created with pcs in one group"
PORT=$(free_port N)
t_create=$(now_ms)
show "pcs resource create qm ocf:mqha:ibmmq qmgr=$QM mq_installation=$INST op monitor interval=5s timeout=20s --group mq1"
N pcs resource create qm ocf:mqha:ibmmq qmgr="$QM" mq_installation="$INST" \
    op monitor interval=5s timeout=20s op monitor interval=15s timeout=30s OCF_CHECK_LEVEL=10 --group mq1 \
    || step_fail "pcs resource create qm failed"
# failure-timeout: a crash also ends the listener; if its monitor notices first, its lone restart
# fails and bans it until the failure expires (Solaris Retry_interval's role)
show "pcs resource create lsn ocf:mqha:ibmmq-listener qmgr=$QM port=$PORT mq_installation=$INST meta failure-timeout=20s --group mq1"
N pcs resource create lsn ocf:mqha:ibmmq-listener qmgr="$QM" port="$PORT" mq_installation="$INST" \
    op monitor interval=5s timeout=20s meta failure-timeout=20s --group mq1 || step_fail "pcs resource create lsn failed"
show "pcs resource create trm ocf:mqha:ibmmq-trigger qmgr=$QM initq=SYSTEM.DEFAULT.INITIATION.QUEUE mq_installation=$INST meta failure-timeout=20s --group mq1"
N pcs resource create trm ocf:mqha:ibmmq-trigger qmgr="$QM" initq=SYSTEM.DEFAULT.INITIATION.QUEUE mq_installation="$INST" \
    op monitor interval=5s timeout=20s meta failure-timeout=20s --group mq1 || step_fail "pcs resource create trm failed"
echo "waiting (at most 90 s) for the group to start ..."
wait_for "group mq1 Started" 90 group_started || step_fail "the group did not start"
t=$(( $(now_ms) - t_create ))
echo "all three Started $(ms_secs "$t")s after the first pcs resource create"
show "crm_mon -1"
N crm_mon -1
show "dspmq -m $QM"
N runuser -u mqm -- "$INST/bin/dspmq" -m "$QM"

bold "6. Crash the queue manager and watch Pacemaker bring it back"
old=$(qm_pid)
show "mqsim crash $MQROOT $QM    # kill -9 of the execution controller, pid $old"
"$REL/mqsim" crash "$MQROOT" "$QM" || step_fail "mqsim crash failed"
t0=$(now_ms)
wait_for "the monitor to notice" 30 fail_count_at_least qm 1 || step_fail "Pacemaker did not notice the crash within 30 s"
echo "Pacemaker's monitor noticed after $((($(now_ms) - t0) / 1000))s (fail-count of qm: $(fail_count qm)); recovering ..."
wait_for "a new queue manager" 90 qm_pid_not "$old" || step_fail "no new queue manager within 90 s"
wait_for "group mq1 Started" 90 group_started || step_fail "the group did not come back within 90 s"
echo "queue manager back (new pid $(qm_pid)), group Started $((($(now_ms) - t0) / 1000))s after the crash"
show "crm_mon -1 --show-detail    # note the failed action and our exit reason"
N crm_mon -1 --show-detail
show "dspmq -m $QM"
N runuser -u mqm -- "$INST/bin/dspmq" -m "$QM"
exit 0
