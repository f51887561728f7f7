#!/usr/bin/env bash
# tests/cluster/multi-tools.sh — ocf:mqha:ibmmq with multi_instance=true under Pacemaker's own
# tools, without a running cluster: crm_resource --force-start / --force-promote / --force-demote /
# --force-check / --force-stop (--class ocf --provider mqha --agent ibmmq --option ...) on two
# simulated installations ("nodes" nodea, nodeb) that share one queue manager's data and logs, as
# a promotable clone's instances are driven: each action's exit code and the dspmq state after it,
# a switchover by demote, and a takeover when the active instance's processes die (prints
# `takeover: N ms`); pcs -f creates the promotable clone from the agent's meta-data.
#
# Private mount namespace (the agent bind-mounted at /usr/lib/ocf/resource.d/mqha, a private
# /run/resource-agents for the role files) inside a network namespace made here: nothing on the
# host changes. Needs root, tests/setup.sh run once, and `cargo build --release --workspace`.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/cluster/lib.sh
source "$here/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root (it creates namespaces)"
REL=$PCMK_REPO/target/release

# Outside: make the sandbox, run this script again inside it, clean up whatever happens.
# Inside: RUN, NS and the private mounts (/run/resource-agents for the role files) are there.
sandbox_run multi-tools "$0" "$@"

QM=PCMK_MI$$
# ibmmq NODE ACTION-OPTION... — crm_resource runs the agent for NODE's installation.
ibmmq() {
    local node=$1; shift
    crm_resource "$@" --force --class ocf --provider mqha --agent ibmmq \
        --option "qmgr=$QM" --option multi_instance=true --option "mq_installation=$RUN/$node/opt/mqm"
}
# dspmq_on NODE ARG... — NODE's own dspmq (lib.sh's status and status_is read it)
dspmq_on() { runuser -u mqm -- "$RUN/$1/opt/mqm/bin/dspmq" "${@:2}"; }
expect_status() { # expect_status NODE STATUS
    local s; s=$(status "$1")
    if [ "$s" = "$2" ]; then ok "  $1: dspmq says $2"; else bad "  $1: dspmq says '$s', wanted '$2'"; fi
}
probe_rc() { ibmmq "$1" --force-check >/dev/null 2>&1; echo $?; }
node_procs() { exe_pids "$RUN/$1/"; } # pids of NODE's queue-manager processes (programs under its root)

# ---- two nodes sharing the queue manager's data ------------------------------------------------
section "two simulated installations sharing $QM's data (crtmqm -md/-ld on nodea, addmqinf on nodeb)"
[ -x "$REL/mqsim" ] || { bad "build first: cargo build --workspace --release ($REL/mqsim missing)"; exit 1; }
for n in nodea nodeb; do
    run_expect 0 "mqsim install $n" "$REL/mqsim" install "$RUN/$n" --node "$n.example.com"
done
mkdir -p "$RUN/shared/qmgrs" "$RUN/shared/logs"; chown -R mqm:mqm "$RUN/shared"
run_expect 0 "crtmqm on nodea" runuser -u mqm -- "$RUN/nodea/opt/mqm/bin/crtmqm" -ld "$RUN/shared/logs" -md "$RUN/shared/qmgrs" "$QM"
mapfile -t ADD < <(runuser -u mqm -- "$RUN/nodea/opt/mqm/bin/dspmqinf" -o command "$QM" | tr ' ' '\n' | tail -n +2)
run_expect 0 "addmqinf on nodeb" runuser -u mqm -- "$RUN/nodeb/opt/mqm/bin/addmqinf" "${ADD[@]}"

section "pcs -f: the promotable clone from the agent's meta-data"
CIB=$RUN/cib.xml
cibadmin --empty >"$CIB"
pcs -f "$CIB" property set stonith-enabled=false >/dev/null 2>&1
run_expect 0 "pcs -f resource create ... multi_instance=true ... promotable" \
    pcs -f "$CIB" resource create mi ocf:mqha:ibmmq "qmgr=$QM" multi_instance=true \
    op monitor interval=15s timeout=60s role=Promoted op monitor interval=25s timeout=60s role=Unpromoted \
    promotable promoted-max=1 promoted-node-max=1 clone-max=2 clone-node-max=1 notify=true
run_expect 0 "crm_verify of the file CIB" crm_verify --xml-file "$CIB"
pcs -f "$CIB" resource config mi-clone >"$RUN/config" 2>&1; OUT=$(cat "$RUN/config")
contains "  promote is an operation of the clone" "promote:"
contains "  demote is an operation of the clone" "demote:"

section "crm_resource --force-* on both nodes"
run_expect 7 "nodea --force-check before start" ibmmq nodea --force-check
run_expect 7 "nodeb --force-check before start" ibmmq nodeb --force-check
run_expect 0 "nodea --force-start (no instance anywhere: waits unpromoted)" ibmmq nodea --force-start
run_expect 0 "nodeb --force-start" ibmmq nodeb --force-start
[ -z "$(node_procs nodea)$(node_procs nodeb)" ] && ok "  start made no active instance" || bad "  start made an instance"
run_expect 0 "nodea --force-promote (strmqm -x: active)" ibmmq nodea --force-promote
expect_status nodea RUNNING
expect_status nodeb "RUNNING ELSEWHERE"
run_expect 8 "nodea --force-check: promoted" ibmmq nodea --force-check
run_expect 8 "nodea --force-check=20: promoted, messages move" ibmmq nodea --force-check=20
run_expect 1 "nodeb --force-check with the start's role file: runs elsewhere, no standby here" env HA_RSCTMP=/run/resource-agents \
    crm_resource --force-check --force --class ocf --provider mqha --agent ibmmq --option "qmgr=$QM" --option multi_instance=true \
    --option "mq_installation=$RUN/nodeb/opt/mqm" --option CRM_meta_interval=25000
run_expect 0 "nodeb --force-stop (Pacemaker's recovery of that failure: stop, start)" ibmmq nodeb --force-stop
run_expect 0 "nodeb --force-start (an active instance runs elsewhere: standby, strmqm -x rc 30)" ibmmq nodeb --force-start
expect_status nodeb "RUNNING AS STANDBY"
run_expect 0 "nodeb --force-check: unpromoted standby" ibmmq nodeb --force-check
run_expect 0 "nodeb --force-check=10: a standby is not asked MQI questions" ibmmq nodeb --force-check=10

run_expect 0 "nodea --force-demote (endmqm -s: switchover, back as standby)" ibmmq nodea --force-demote
# nodeb's instance holds the lock at once and is Starting while it takes over
if wait_for "nodeb to finish taking over" 20 status_is nodeb RUNNING; then ok "  nodeb: RUNNING after $WAITED_MS ms"; else bad "  nodeb: '$(status nodeb)', not RUNNING"; fi
expect_status nodea "RUNNING AS STANDBY"
run_expect 0 "nodeb --force-promote (already active after the switchover)" ibmmq nodeb --force-promote
run_expect 8 "nodeb --force-check: promoted" ibmmq nodeb --force-check
run_expect 0 "nodea --force-check: standby" ibmmq nodea --force-check

section "takeover: the active instance's processes die"
T=$(now_ms)
run_expect 0 "mqsim crash nodeb $QM" "$REL/mqsim" crash "$RUN/nodeb" "$QM"
took=""
for _ in $(seq 1 400); do
    if [ "$(probe_rc nodea)" = 8 ]; then took=$(( $(now_ms) - T )); break; fi
    sleep 0.05
done
if [ -n "$took" ]; then ok "nodea's standby took over: --force-check answers 8"; echo "takeover: $took ms"; else bad "nodea did not take over within 20 s"; fi
run_expect 0 "nodeb --force-demote: the failed old active comes back as a standby" ibmmq nodeb --force-demote
expect_status nodeb "RUNNING AS STANDBY"
run_expect 0 "nodea --force-promote" ibmmq nodea --force-promote
run_expect 8 "nodea --force-check" ibmmq nodea --force-check

section "stop both"
run_expect 0 "nodeb --force-stop (only the standby ends)" ibmmq nodeb --force-stop
expect_status nodea RUNNING
run_expect 0 "nodea --force-demote (no standby anywhere: ends, waits unpromoted)" ibmmq nodea --force-demote
[ -z "$(node_procs nodea)" ] && ok "  nodea: no instance left" || bad "  nodea: processes left: $(node_procs nodea)"
run_expect 0 "nodea --force-stop" ibmmq nodea --force-stop
run_expect 7 "nodea --force-check after stop" ibmmq nodea --force-check
run_expect 7 "nodeb --force-check after stop" ibmmq nodeb --force-check
if wait_for "queue-manager processes to be gone" 10 no_exe_pids "$RUN/node"; then
    ok "no queue-manager process left on either node"
else
    bad "processes left: $(node_procs nodea) $(node_procs nodeb)"
fi
# The agent keeps its role files in its own state directory, $HA_RSCTMP/mqha (the directory stays).
left=$(find /run/resource-agents -mindepth 1 ! -path /run/resource-agents/mqha)
[ -z "$left" ] && ok "stop removed the role files" || bad "role files left: $left"

section "ocf-tester (resource-agents 4.12.0) with multi_instance=true on nodea: the full promote/demote cycle"
run_expect 0 "ocf-tester ibmmq multi_instance=true" ocf-tester -n t-mi -o "qmgr=$QM" -o multi_instance=true \
    -o "mq_installation=$RUN/nodea/opt/mqm" "$OCF_PROVIDER_DIR/ibmmq" </dev/null
contains "  passed all tests" "passed all tests"
if grep -qF "support the promote action" <<<"$OUT" || grep -qF "promotable clones" <<<"$OUT"; then
    bad "  ocf-tester did not run the promote/demote cycle"; printf '%s\n' "$OUT" >&2
else
    ok "  including its promote/demote cycle (no 'does not support' for promote, demote or promotable clones)"
fi
if wait_for "queue-manager processes to be gone" 10 no_exe_pids "$RUN/node"; then
    ok "no queue-manager process left after ocf-tester"
else
    bad "processes left after ocf-tester: $(node_procs nodea)"
fi

printf '\n'
summary multi-tools
