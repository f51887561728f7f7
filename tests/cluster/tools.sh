#!/usr/bin/env bash
# tests/cluster/tools.sh — the mqha agents under Pacemaker's own tools, without a running cluster:
# meta-data (ocf-1.1.rng of pcs, ra-api-1.dtd the way ocf-tester checks it, ocf/ not stale,
# crm_resource --show-metadata, pcs resource describe), ocf-tester for each agent against mq-sim,
# crm_resource --validate / --force-start / --force-check / --force-stop with
# --class/--provider/--agent/--option and with a file CIB (CIB_file), and
# pcs -f cib.xml resource create --agent-validation accepting a good and rejecting a bad configuration.
#
# The agents are installed at /usr/lib/ocf/resource.d/mqha/ only inside a private mount namespace
# (a bind mount of a copy of target/release/ibmmq), and everything runs in a network namespace made
# here, so nothing on the host changes and the queue managers' ports meet no one else's.
# Needs root, tests/setup.sh run once, and `cargo build --release --workspace`.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/cluster/lib.sh
source "$here/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root (it creates namespaces)"
REL=$PCMK_REPO/target/release

# Outside: make the sandbox, run this script again inside it, clean up whatever happens.
# Inside: RUN, NS and the private mounts are there.
sandbox_run tools "$0" "$@"

MQROOT=$RUN/mq
MQINST=$MQROOT/opt/mqm
# A queue-manager name of this run only: other suites on this machine run simulated QM1s of their own,
# and the agent recognises a queue manager's processes by program and -m name.
QM=PCMK_T$$
AGENTS=(ibmmq ibmmq-listener ibmmq-trigger)

# ---- 1. meta-data --------------------------------------------------------------------------------
section "meta-data of the three agents, through the installed agents"
for a in "${AGENTS[@]}"; do
    ag=$OCF_PROVIDER_DIR/$a
    md=$RUN/$a.xml
    run_expect 0 "$a meta-data as user nobody (ocf-tester's first check)" su nobody -s /bin/sh -c "$ag meta-data"
    env -i PATH=/bin:/usr/bin "$ag" meta-data >"$md" 2>/dev/null
    run_expect 0 "$a meta-data validates against pcs's /usr/share/pcs/data/ocf-1.1.rng" \
        xmllint --noout --relaxng /usr/share/pcs/data/ocf-1.1.rng "$md"
    run_expect 0 "$a meta-data is valid against ra-api-1.dtd (xmllint --valid in /usr/share/resource-agents)" \
        bash -c 'cd /usr/share/resource-agents && xmllint --noout --valid - <"$1"' _ "$md"
    if [ -f "$PCMK_REPO/ocf/$a.xml" ]; then
        run_expect 0 "ocf/$a.xml is the agent's current meta-data (not stale)" diff -u "$PCMK_REPO/ocf/$a.xml" "$md"
    else
        bad "ocf/$a.xml missing from the repository"
    fi
    run_expect 0 "crm_resource --show-metadata ocf:mqha:$a" crm_resource --show-metadata "ocf:mqha:$a"
    run_expect 0 "pcs resource describe ocf:mqha:$a" pcs resource describe "ocf:mqha:$a"
    contains "  describe shows qmgr as required" "qmgr (required)"
done
pcs resource describe ocf:mqha:ibmmq >"$RUN/describe" 2>&1; OUT=$(cat "$RUN/describe")
contains "ibmmq's qmgr is in a unique group (pcs refuses two resources for one queue manager)" \
    "qmgr (required) (unique group: qmgr)"
run_expect 0 "crm_resource --list-agents ocf:mqha" crm_resource --list-agents ocf:mqha
for a in "${AGENTS[@]}"; do contains "  lists $a" "$a"; done

# ---- the configuration the rest uses -------------------------------------------------------------
PORT=$(free_port)
INITQ=SYSTEM.DEFAULT.INITIATION.QUEUE
QM_OPTS=(qmgr=$QM mq_installation=$MQINST)
LSN_OPTS=(qmgr=$QM mq_installation=$MQINST port=$PORT)
TRM_OPTS=(qmgr=$QM mq_installation=$MQINST initq=$INITQ)

# crm_opts NAME=VALUE... -> --option NAME=VALUE...
crm_opts() { local kv; for kv in "$@"; do printf -- '--option\n%s\n' "$kv"; done; }
crm_agent() { # crm_agent AGENT ACTION-OPTION... -- NAME=VALUE...
    local a=$1; shift
    local acts=() kv=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do acts+=("$1"); shift; done
    [ "${1:-}" = -- ] && shift
    mapfile -t kv < <(crm_opts "$@")
    crm_resource "${acts[@]}" --class ocf --provider mqha --agent "$a" "${kv[@]}"
}

# ---- 2. crm_resource with --class/--provider/--agent/--option --------------------------------------
section "crm_resource --validate with --class ocf --provider mqha --agent ..."
run_expect 0 "ibmmq --validate, good parameters" crm_agent ibmmq --validate -- "${QM_OPTS[@]}"
run_expect 6 "ibmmq --validate, qmgr='bad name!' is rejected as not configured" \
    crm_agent ibmmq --validate -- "qmgr=bad name!" "mq_installation=$MQINST"
contains "  the reason names the offending value" "bad name!"
run_expect 6 "ibmmq-listener --validate, port=70000 is rejected" \
    crm_agent ibmmq-listener --validate -- "qmgr=$QM" "mq_installation=$MQINST" port=70000
contains "  the reason names the offending value" "70000"

# ---- 3. pcs -f: creation against a file CIB ------------------------------------------------------
section "pcs -f cib.xml resource create --agent-validation (validate-all at level 0: no MQ needed)"
CIB=$RUN/cib.xml
cibadmin --empty >"$CIB"
run_expect 0 "pcs -f: property stonith-enabled=false" pcs -f "$CIB" property set stonith-enabled=false
run_expect 0 "pcs -f: create qm (ibmmq) with --agent-validation, good configuration" \
    pcs -f "$CIB" resource create qm ocf:mqha:ibmmq "${QM_OPTS[@]}" op monitor interval=10s --agent-validation
run_expect 0 "pcs -f: create lsn (ibmmq-listener) with --agent-validation" \
    pcs -f "$CIB" resource create lsn ocf:mqha:ibmmq-listener "${LSN_OPTS[@]}" --agent-validation
run_expect 0 "pcs -f: create trm (ibmmq-trigger) with --agent-validation" \
    pcs -f "$CIB" resource create trm ocf:mqha:ibmmq-trigger "${TRM_OPTS[@]}" --agent-validation
run_expect 1 "pcs -f: a bad configuration (mq_installation=relative/path) is rejected" \
    pcs -f "$CIB" resource create badqm ocf:mqha:ibmmq qmgr=QM9 mq_installation=relative/path --agent-validation
contains "  pcs shows our exit reason" "ocf-exit-reason:"
contains "  which names the offending value" "relative/path"
run_expect 1 "pcs -f: monitor_program with arguments is rejected" \
    pcs -f "$CIB" resource create badprog ocf:mqha:ibmmq qmgr=QM9 "monitor_program=/usr/local/bin/check QM9" --agent-validation
contains "  which names the offending value" "monitor_program='/usr/local/bin/check QM9'"
run_expect 1 "pcs -f: a second resource for the same qmgr is refused (unique-group)" \
    pcs -f "$CIB" resource create qm2 ocf:mqha:ibmmq "${QM_OPTS[@]}"
contains "  because the value is not unique" "is not unique"
run_expect 0 "crm_verify of the file CIB" crm_verify --xml-file "$CIB"

# ---- 3b. the man pages' examples as written, and crmsh -------------------------------------------
section "the man pages' examples run as written (pcs -f and crm on file CIBs); crm ra info; crmsh uniqueness"
MAN=$RUN/man
run_expect 0 "man pages rendered from the installed agent's meta-data (rpm/render-man.sh)" \
    "$PCMK_REPO/rpm/render-man.sh" "$OCF_PROVIDER_DIR/ibmmq" "$MAN"
# fresh_cib FILE — an empty CIB that crm_verify (which crm configure runs) accepts on a file.
fresh_cib() {
    cibadmin --empty >"$1" &&
        CIB_file=$1 crm_attribute --type crm_config --name stonith-enabled --update false &&
        CIB_file=$1 crm_attribute --type crm_config --name no-quorum-policy --update ignore
}
# run_example CIB WORD... — one example command (pcs or crm) against the file CIB.
run_example() {
    local cib=$1
    shift
    case $1 in
    pcs) pcs -f "$cib" "${@:2}" ;;
    crm) CIB_file=$cib crm "${@:2}" ;;
    *) echo "not a pcs or crm command: $*" >&2; return 2 ;;
    esac
}
# xcount CIB XPATH — how many nodes XPATH selects in the file CIB.
xcount() { xmllint --xpath "count($2)" "$1"; }
for a in "${AGENTS[@]}"; do
    n=0 block=() cmds=()
    mapfile -t cmds < <(awk -v vals="qmgr=$QM port=1414 initq=$INITQ" -f "$here/man-examples.awk" "$MAN/ocf_mqha_$a.7"
        echo)
    tools_seen=""
    for line in "${cmds[@]}"; do
        if [ -n "$line" ]; then block+=("$line"); continue; fi
        [ ${#block[@]} -gt 0 ] || continue
        n=$((n + 1))
        ex=$RUN/example-$a-$n.xml
        fresh_cib "$ex" >/dev/null 2>&1 || bad "$a example $n: an empty file CIB"
        promotable=""
        for cmd in "${block[@]}"; do
            case $cmd in *promotable*) promotable=1 ;; esac
            case $cmd in
            *'\f'* | *[!A-Za-z0-9_=.:/\ -]*) bad "$a example $n: unresolved placeholder or shell character in: $cmd"; continue ;;
            esac
            read -ra words <<<"$cmd"
            tools_seen="$tools_seen ${words[0]}"
            run_expect 0 "$a example $n as written: ${cmd:0:70}..." run_example "$ex" "${words[@]}"
        done
        prim="//primitive[@provider='mqha' and @type='$a']"
        check "  example $n: the CIB has the $a primitive" test "$(xcount "$ex" "$prim")" = 1
        if [ -n "$promotable" ]; then
            check "  example $n: a promotable clone" test "$(xcount "$ex" "//clone[meta_attributes/nvpair[@name='promotable' and @value='true']]$prim")" = 1
            check "  example $n: its monitors all name a role (Promoted, Unpromoted)" \
                test "$(xcount "$ex" "$prim//op[@name='monitor' and not(@role)]")" = 0 -a \
                "$(xcount "$ex" "$prim//op[@name='monitor' and @role='Promoted']")" -ge 1 -a \
                "$(xcount "$ex" "$prim//op[@name='monitor' and @role='Unpromoted']")" -ge 1
        else
            check "  example $n: no monitor with a role on a plain primitive" \
                test "$(xcount "$ex" "$prim//op[@name='monitor' and @role]")" = 0
            check "  example $n: a deeper monitor carries OCF_CHECK_LEVEL" \
                test "$(xcount "$ex" "$prim//op[@name='monitor']//nvpair[@name='OCF_CHECK_LEVEL']")" -ge 1
        fi
        block=()
    done
    check "$a: the man page has pcs and crm examples" bash -c '[[ $1 == *pcs* && $1 == *crm* ]]' _ "$tools_seen"
    run_expect 0 "crm ra info ocf:mqha:$a" crm ra info "ocf:mqha:$a"
    contains "  names the required qmgr" "qmgr* (string)"
done
CRMCIB=$RUN/crm.xml
fresh_cib "$CRMCIB" >/dev/null 2>&1
run_expect 0 "crm configure primitive qm (ibmmq)" run_example "$CRMCIB" crm configure primitive qm ocf:mqha:ibmmq params "qmgr=$QM"
run_expect 1 "crm configure primitive qm2 for the same qmgr is refused (unique=\"1\" beside unique-group)" \
    run_example "$CRMCIB" crm configure primitive qm2 ocf:mqha:ibmmq params "qmgr=$QM"
contains "  crmsh names the parameter" 'violate uniqueness for parameter "qmgr"'
run_expect 0 "crm configure primitive for another qmgr is accepted" \
    run_example "$CRMCIB" crm configure primitive qm3 ocf:mqha:ibmmq params "qmgr=${QM}B"
run_expect 1 "crm configure primitive with a parameter the agent does not have is refused" \
    run_example "$CRMCIB" crm configure primitive qm4 ocf:mqha:ibmmq params "qmgr=${QM}C" bogus=1
contains "  crmsh names it" 'parameter "bogus" is not known'

# ---- 4. a simulated installation and queue manager, driven by crm_resource ---------------------
section "simulated MQ installation at $MQROOT, queue manager $QM"
[ -x "$REL/mqsim" ] || { bad "build first: cargo build --workspace --release ($REL/mqsim missing)"; exit 1; }
run_expect 0 "mqsim install" "$REL/mqsim" install "$MQROOT"
run_expect 0 "crtmqm $QM (as the mq user)" runuser -u mqm -- "$MQINST/bin/crtmqm" "$QM"
section "crm_resource --force-start / --force-check / --force-stop with --class ocf --provider mqha --agent ..."
run_expect 7 "ibmmq --force-check before start: not running" crm_agent ibmmq --force-check -- "${QM_OPTS[@]}"
run_expect 0 "ibmmq --force-start" crm_agent ibmmq --force-start -- "${QM_OPTS[@]}"
run_expect 0 "ibmmq --force-check after start" crm_agent ibmmq --force-check -- "${QM_OPTS[@]}"
run_expect 0 "ibmmq --force-check=10 (MQI connect)" crm_agent ibmmq --force-check=10 -- "${QM_OPTS[@]}"
run_expect 0 "ibmmq --force-check=20 (persistent put/get)" crm_agent ibmmq --force-check=20 -- "${QM_OPTS[@]}"
run_expect 0 "ibmmq-listener --force-start on port $PORT" crm_agent ibmmq-listener --force-start -- "${LSN_OPTS[@]}"
run_expect 0 "ibmmq-listener --force-check" crm_agent ibmmq-listener --force-check -- "${LSN_OPTS[@]}"
run_expect 0 "  port $PORT accepts connections" python3 -c \
    'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5).close()' "$PORT"
run_expect 0 "ibmmq-trigger --force-start" crm_agent ibmmq-trigger --force-start -- "${TRM_OPTS[@]}"
run_expect 0 "ibmmq-trigger --force-check" crm_agent ibmmq-trigger --force-check -- "${TRM_OPTS[@]}"
run_expect 0 "ibmmq-trigger --force-stop" crm_agent ibmmq-trigger --force-stop -- "${TRM_OPTS[@]}"
run_expect 7 "ibmmq-trigger --force-check after stop" crm_agent ibmmq-trigger --force-check -- "${TRM_OPTS[@]}"
run_expect 0 "ibmmq-listener --force-stop" crm_agent ibmmq-listener --force-stop -- "${LSN_OPTS[@]}"
run_expect 7 "ibmmq-listener --force-check after stop" crm_agent ibmmq-listener --force-check -- "${LSN_OPTS[@]}"
run_expect 0 "ibmmq --force-stop" crm_agent ibmmq --force-stop -- "${QM_OPTS[@]}"
run_expect 7 "ibmmq --force-check after stop" crm_agent ibmmq --force-check -- "${QM_OPTS[@]}"
run_expect 0 "ibmmq --force-stop again (idempotent)" crm_agent ibmmq --force-stop -- "${QM_OPTS[@]}"
if wait_for "MQ processes to be gone" 10 no_mq_procs "$NS" "$MQROOT"; then ok "no queue-manager process left"; else bad "processes left: $(mq_procs "$NS" "$MQROOT")"; fi

# ---- 5. the file CIB drives the agents: CIB_file crm_resource -r ------------------------------------
section "CIB_file=cib.xml crm_resource -r RSC --validate / --force-*"
export CIB_file=$CIB
run_expect 0 "CIB_file crm_resource -r qm --validate" crm_resource -r qm --validate
run_expect 7 "CIB_file crm_resource -r qm --force-check (stopped)" crm_resource -r qm --force-check
run_expect 0 "CIB_file crm_resource -r qm --force-start" crm_resource -r qm --force-start
run_expect 0 "CIB_file crm_resource -r qm --force-check" crm_resource -r qm --force-check
run_expect 0 "CIB_file crm_resource -r lsn --force-start" crm_resource -r lsn --force-start
run_expect 0 "CIB_file crm_resource -r lsn --force-check" crm_resource -r lsn --force-check
run_expect 0 "CIB_file crm_resource -r lsn --force-stop" crm_resource -r lsn --force-stop
run_expect 0 "CIB_file crm_resource -r qm --force-stop" crm_resource -r qm --force-stop
run_expect 7 "CIB_file crm_resource -r qm --force-check (stopped again)" crm_resource -r qm --force-check
unset CIB_file
if wait_for "MQ processes to be gone" 10 no_mq_procs "$NS" "$MQROOT"; then ok "no queue-manager process left"; else bad "processes left: $(mq_procs "$NS" "$MQROOT")"; fi

# ---- 6. ocf-tester ---------------------------------------------------------------------------------
section "ocf-tester (resource-agents 4.12.0) for each agent against mq-sim"
ocf_tester() { # ocf_tester AGENT NAME=VALUE...
    local a=$1 kv args=(); shift
    for kv in "$@"; do args+=(-o "$kv"); done
    ocf-tester -n "t-$a" "${args[@]}" "$OCF_PROVIDER_DIR/$a" </dev/null
}
run_expect 0 "ocf-tester ibmmq" ocf_tester ibmmq "${QM_OPTS[@]}"
contains "  passed all tests" "passed all tests"
# the listener and the trigger monitor need their queue manager running
crm_agent ibmmq --force-start -- "${QM_OPTS[@]}" >/dev/null 2>&1 || bad "could not start $QM for the listener/trigger ocf-tester runs"
run_expect 0 "ocf-tester ibmmq-listener" ocf_tester ibmmq-listener "${LSN_OPTS[@]}"
contains "  passed all tests" "passed all tests"
run_expect 0 "ocf-tester ibmmq-trigger" ocf_tester ibmmq-trigger "${TRM_OPTS[@]}"
contains "  passed all tests" "passed all tests"
crm_agent ibmmq --force-stop -- "${QM_OPTS[@]}" >/dev/null 2>&1 || bad "could not stop $QM after the ocf-tester runs"
if wait_for "MQ processes to be gone" 10 no_mq_procs "$NS" "$MQROOT"; then ok "no queue-manager process left"; else bad "processes left: $(mq_procs "$NS" "$MQROOT")"; fi

printf '\n'
summary tools
