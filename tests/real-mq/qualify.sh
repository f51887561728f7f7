#!/usr/bin/env bash
# tests/real-mq/qualify.sh — the qualification kit: runs the mqha agents against a real IBM MQ
# installation on a test node, on a scratch queue manager it creates and deletes, and records every
# MQ command output the agents parse into a transcript directory (format: tests/real-mq/README.md).
#
# Run as root from a checkout of the repository (after `cargo build --release --workspace`), on a
# node with IBM MQ installed (IBM MQ Advanced for Developers will do):
#
#     tests/real-mq/qualify.sh [--installation /opt/mqm] [--qm MQHA.QUAL] [--port 14141] [--output DIR]
#
# What it touches: only the queue manager it creates (it refuses a name that dspmq already knows),
# which it deletes at the end whatever happens; the listener port it is given (refused when already
# in use); a private copy of the agent in a root-only temporary directory. Every MQ command runs as
# the mq user, never as root, with the environment the agent gives them.
#
# How the agents are run: directly, with the OCF_* environment pacemaker-execd gives an agent
# (OCF_RESKEY_<param>, OCF_RESKEY_CRM_meta_timeout, _interval, OCF_CHECK_LEVEL), not through
# `crm_resource --force-*`: the kit then needs no installed provider directory and no Pacemaker
# at all, sees each action's exact exit code (crm_resource translates some), and enforces each
# action's timeout itself. Pacemaker's own tools are covered by tests/cluster/tools.sh.
#
# Exit: 0 every check passed (skipped ones are listed with the reason), 1 a check failed, 2 refused
# to start (bad option, not root, the queue manager name is taken, the port is busy, ...).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/cluster/lib.sh
source "$here/../cluster/lib.sh" # say, now_ms, wait_for

KIT_FORMAT="mqha-qualification-transcript 1"

usage() {
    cat <<EOF
usage: $0 [option...]
  --installation PATH    the MQ installation (default /opt/mqm)
  --qm NAME              the scratch queue manager to create and delete (default MQHA.QUAL);
                         refused when dspmq already knows it
  --port N               the listener port (default 14141); refused when something listens there
  --ipaddr ADDR          the address the listener binds and is checked on (default 127.0.0.1)
  --output DIR           the transcript directory, new or empty (default ./mqha-qual-<UTC time>)
  --mq-user USER         the user MQ commands run as (default mqm)
  --agent PATH           the ibmmq agent binary (default: this checkout's target/release/ibmmq,
                         else /usr/lib/ocf/resource.d/mqha/ibmmq)
  --start-timeout S      the start operations' timeout (default 120)
  --stop-timeout S       the plain stop operations' timeout (default 120)
  --monitor-timeout S    the monitor, validate-all, listener and trigger timeout (default 60)
  --escalation-timeout S the timeout of the stop that must escalate (default 20: half of it
                         waits for the controlled end, then endmqm -p)
  --client-user USER     a dedicated OS user outside the mq group (on real MQ: useradd -r mqhamon):
                         the client check (monitor depth 20 with client_channel) runs as it, on the
                         monitoring channel the README's MQSC defines; without it that check is skipped
  --simulated            label the transcript as produced by a simulator, not real MQ
EOF
}
refuse() { printf 'qualify: %s\n' "$*" >&2; exit 2; }
need() { [ -n "${2-}" ] || refuse "option $1 needs a value"; }
seconds() { [[ $2 =~ ^[1-9][0-9]{0,4}$ ]] || refuse "$1='$2' is not a number of seconds"; }

INST=/opt/mqm QM=MQHA.QUAL PORT=14141 IPADDR=127.0.0.1 OUTPUT="" MQ_USER=mqm AGENT="" SOURCE=real CLIENT_USER=""
START_TIMEOUT=120 STOP_TIMEOUT=120 MONITOR_TIMEOUT=60 ESCALATION_TIMEOUT=20
CMD_TIMEOUT=120 # each MQ command the kit runs itself (crtmqm, strmqm and dltmqm take a while on real MQ)
while [ $# -gt 0 ]; do
    case $1 in
        --installation) need "$@"; INST=$2; shift 2 ;;
        --qm) need "$@"; QM=$2; shift 2 ;;
        --port) need "$@"; PORT=$2; shift 2 ;;
        --ipaddr) need "$@"; IPADDR=$2; shift 2 ;;
        --output) need "$@"; OUTPUT=$2; shift 2 ;;
        --mq-user) need "$@"; MQ_USER=$2; shift 2 ;;
        --agent) need "$@"; AGENT=$2; shift 2 ;;
        --start-timeout) need "$@"; seconds "$1" "$2"; START_TIMEOUT=$2; shift 2 ;;
        --stop-timeout) need "$@"; seconds "$1" "$2"; STOP_TIMEOUT=$2; shift 2 ;;
        --monitor-timeout) need "$@"; seconds "$1" "$2"; MONITOR_TIMEOUT=$2; shift 2 ;;
        --escalation-timeout) need "$@"; seconds "$1" "$2"; ESCALATION_TIMEOUT=$2; shift 2 ;;
        --client-user) need "$@"; CLIENT_USER=$2; shift 2 ;;
        --simulated) SOURCE=simulator; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; refuse "unknown option '$1'" ;;
    esac
done

# ---- what the kit is given -----------------------------------------------------------------------
[ "$(id -u)" = 0 ] || refuse "run as root: the agents run as root under Pacemaker"
for tool in setpriv timeout readlink; do
    command -v "$tool" >/dev/null || refuse "$tool is missing (util-linux / coreutils)"
done
SETPRIV=$(command -v setpriv)
[[ $QM =~ ^[A-Za-z0-9._]{1,48}$ ]] ||
    refuse "--qm '$QM': use 1 to 48 of A-Z a-z 0-9 . _ (a scratch name of its own)"
if ! [[ $PORT =~ ^[1-9][0-9]{0,4}$ ]] || [ "$PORT" -gt 65535 ]; then refuse "--port '$PORT' is not a TCP port"; fi
[[ $IPADDR =~ ^[0-9a-fA-F:.]+$ ]] || refuse "--ipaddr '$IPADDR' is not an IP address"
case $INST in /*) ;; *) refuse "--installation '$INST' is not an absolute path" ;; esac
[ -x "$INST/bin/dspmq" ] || refuse "--installation '$INST': $INST/bin/dspmq is missing"
INST_REAL=$(readlink -f "$INST") || refuse "--installation '$INST' cannot be resolved"
MQ_UID=$(id -u "$MQ_USER" 2>/dev/null) || refuse "--mq-user '$MQ_USER' does not exist"
MQ_GID=$(id -g "$MQ_USER")
[ "$MQ_UID" != 0 ] || refuse "--mq-user '$MQ_USER' has uid 0: MQ programs never run as root here"
MQ_HOME=$(getent passwd "$MQ_USER" | cut -d: -f6)
if [ -z "$AGENT" ]; then
    AGENT=$here/../../target/release/ibmmq
    [ -x "$AGENT" ] || AGENT=/usr/lib/ocf/resource.d/mqha/ibmmq
fi
if ! [ -f "$AGENT" ] || ! [ -x "$AGENT" ]; then
    refuse "--agent '$AGENT' is not an executable file (build: cargo build --release --workspace)"
fi
OUTPUT=${OUTPUT:-$PWD/mqha-qual-$(date -u +%Y%m%dT%H%M%SZ)}
if [ -e "$OUTPUT" ] && [ -n "$(ls -A "$OUTPUT" 2>/dev/null)" ]; then
    refuse "--output '$OUTPUT' exists and is not empty"
fi

# ---- running MQ commands as the mq user -----------------------------------------------------------

# as_mq SECONDS PROGRAM ARG... — PROGRAM as the mq user with the environment the agent gives MQ
# commands (mq-core exec.rs: PATH of the installation first, the C locale, the user's HOME, USER,
# LOGNAME; nothing inherited), from /, killed with its process group after SECONDS.
as_mq() {
    local secs=$1
    shift
    (cd / && timeout --kill-after=5 "$secs" env -i "PATH=$INST/bin:/usr/bin:/bin" LANG=C LC_ALL=C \
        "HOME=$MQ_HOME" "USER=$MQ_USER" "LOGNAME=$MQ_USER" \
        "$SETPRIV" --reuid="$MQ_UID" --regid="$MQ_GID" --init-groups -- "$@")
}

# qm_status — the STATUS dspmq -n gives the scratch queue manager now (not recorded).
qm_status() { as_mq 30 "$INST/bin/dspmq" -n -m "$QM" 2>/dev/null | sed -n 's/.*STATUS(\([^)]*\)).*/\1/p'; }
qm_status_in() { # qm_status_in ALTERNATIVE|... — the state is one of them (case-insensitive)
    local s
    s=$(qm_status | tr '[:lower:]' '[:upper:]')
    [ -n "$s" ] && [[ "|$(tr '[:lower:]' '[:upper:]' <<<"$1")|" == *"|$s|"* ]]
}
qm_known() { as_mq 30 "$INST/bin/dspmq" -n -m "$QM" >/dev/null 2>&1; [ $? != 72 ]; }

# qm_pids [PROGRAM] — pids of the installation's programs (under INST/bin) that name the scratch
# queue manager as an argument (-m QM, -mQM, or QM): its processes, listeners, trigger monitors.
qm_pids() {
    local want=${1:-} dir exe arg
    local -a args
    # One find for every process's program (a readlink per process would fork hundreds of times).
    while IFS=$'\t' read -r dir exe; do
        case $exe in "$INST_REAL/bin/"*) ;; *) continue ;; esac
        [ -z "$want" ] || [ "${exe##*/}" = "$want" ] || continue
        mapfile -d '' args <"$dir/cmdline" 2>/dev/null || continue
        for arg in "${args[@]:1}"; do
            if [ "$arg" = "$QM" ] || [ "$arg" = "-m$QM" ]; then
                echo "${dir#/proc/}"
                break
            fi
        done
    done < <(find /proc/[0-9]*/exe -maxdepth 0 -printf '%h\t%l\n' 2>/dev/null)
}
no_qm_pids() { [ -z "$(qm_pids)" ]; }
no_controller() { [ -z "$(qm_pids amqzxma0)" ]; }

# shellcheck disable=SC2016 # the inner shell expands $1 and $2
port_open() { timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$IPADDR" "$PORT" 2>/dev/null; }
port_closed() { ! port_open; }

# ---- preflight: refuse before touching anything ---------------------------------------------------
say "qualify: installation $INST, queue manager $QM, mq user $MQ_USER, port $IPADDR:$PORT"
pre=$(as_mq 30 "$INST/bin/dspmq" 2>&1)
pre_rc=$?
[ "$pre_rc" = 0 ] || refuse "dspmq as $MQ_USER exited $pre_rc: $(head -3 <<<"$pre")"
if sed -n 's/^QMNAME(\([^)]*\)).*/\1/p' <<<"$pre" | grep -qxF -- "$QM"; then
    refuse "queue manager $QM already exists (dspmq lists it): choose another --qm; the kit only uses a queue manager it creates"
fi
as_mq 30 "$INST/bin/dspmq" -n -m "$QM" >/dev/null 2>&1
pre_rc=$?
[ "$pre_rc" = 72 ] || refuse "dspmq -n -m $QM exited $pre_rc, not 72 (unknown queue manager): refusing to use that name"
[ -z "$(qm_pids)" ] || refuse "processes of the installation already name $QM: $(qm_pids | tr '\n' ' ')"
port_closed || refuse "something already accepts connections on $IPADDR:$PORT: choose another --port"

mkdir -p "$OUTPUT/steps" || refuse "cannot create $OUTPUT"
OUTPUT=$(cd "$OUTPUT" && pwd)
STEPS=$OUTPUT/steps
SUMMARY=$OUTPUT/summary
: >"$SUMMARY"

# ---- checks and the transcript ----------------------------------------------------------------------
PASSED=0 FAILED=0 SKIPPED=0
pass() { PASSED=$((PASSED + 1)); printf 'PASS\t%s\n' "$*" >>"$SUMMARY"; printf '  ok   %s\n' "$*"; }
failed() { FAILED=$((FAILED + 1)); printf 'FAIL\t%s\n' "$*" >>"$SUMMARY"; printf '  FAIL %s\n' "$*" >&2; }
skipped() { SKIPPED=$((SKIPPED + 1)); printf 'SKIP\t%s\n' "$*" >>"$SUMMARY"; printf '  skip %s\n' "$*"; }
verdict() { if [ "$1" = 0 ]; then pass "$2"; else failed "$2${3:+: $3}"; fi; }
phase() { PHASE=$1; printf '\n-- %s\n' "$1"; }
PHASE=preflight

STEP=0
# slug WORD... — the words joined by "_", only file-name-safe characters, at most 60 of them.
slug() {
    local IFS=_ s
    s="$*"
    s=${s//[^A-Za-z0-9._-]/}
    printf '%s' "${s:0:60}"
}
# new_step SLUG — the next numbered step directory, in STEP_DIR.
new_step() {
    STEP=$((STEP + 1))
    STEP_DIR=$STEPS/$(printf '%03d' "$STEP")-$1
    mkdir -p "$STEP_DIR"
}

# mq WHAT [expect_rc=N] [expect_state=A|B] [stdin=TEXT] [KEY=VALUE...] -- PROGRAM ARG...
# Runs a program of the installation as the mq user and records it as a step (argv, stdin,
# stdout, stderr, meta with rc, time and the facts given). PROGRAM is a name under INST/bin, or a
# path. Leaves the exit code in MQ_RC and the output in MQ_OUT; checks expect_rc when given.
mq() {
    local what=$1 stdin="" expect_rc="" kv t0 prog
    local -a facts=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        case $1 in
            stdin=*) stdin=${1#stdin=} ;;
            expect_rc=*) expect_rc=${1#expect_rc=}; facts+=("$1") ;;
            *=*) facts+=("$1") ;;
            *) printf 'qualify: bad mq() argument %s\n' "$1" >&2; exit 1 ;;
        esac
        shift
    done
    shift
    case $1 in /*) prog=$1 ;; *) prog=$INST/bin/$1 ;; esac
    shift
    new_step "$(slug "${prog##*/}" "$@")"
    printf '%s\n' "$prog" "$@" >"$STEP_DIR/argv"
    t0=$(now_ms)
    if [ -n "$stdin" ]; then
        printf '%s' "$stdin" >"$STEP_DIR/stdin"
        as_mq "$CMD_TIMEOUT" "$prog" "$@" <"$STEP_DIR/stdin" >"$STEP_DIR/stdout" 2>"$STEP_DIR/stderr"
    else
        as_mq "$CMD_TIMEOUT" "$prog" "$@" </dev/null >"$STEP_DIR/stdout" 2>"$STEP_DIR/stderr"
    fi
    MQ_RC=$?
    {
        printf 'kind=mq\nwhat=%s\nphase=%s\nqm=%s\ninstallation=%s\nuser=%s\nrc=%s\nelapsed_ms=%s\n' \
            "$what" "$PHASE" "$QM" "$INST_REAL" "$MQ_USER" "$MQ_RC" $(($(now_ms) - t0))
        for kv in "${facts[@]}"; do printf '%s\n' "$kv"; done
    } >"$STEP_DIR/meta"
    MQ_OUT=$(cat "$STEP_DIR/stdout" "$STEP_DIR/stderr")
    if [ -n "$expect_rc" ]; then
        [ "$MQ_RC" = "$expect_rc" ]
        verdict $? "$what: rc $MQ_RC" "wanted $expect_rc; $(grep -m1 AMQ <<<"$MQ_OUT")"
    fi
    if [ "$MQ_RC" = 124 ] || [ "$MQ_RC" = 137 ]; then failed "$what: killed after ${CMD_TIMEOUT}s"; fi
    return 0
}

# mq_state WHAT ALTERNATIVES [dspmq ARG...] — records dspmq -n -m QM (or the arguments given) and
# checks the state it prints is one of ALTERNATIVES ("Ended normally|Ended immediately"); the
# special alternative "unknown" means dspmq does not know the queue manager (AMQ7048E, rc 72).
mq_state() {
    local what=$1 want=$2 got
    shift 2
    [ $# -gt 0 ] || set -- -n -m "$QM"
    mq "$what" "expect_state=$want" -- dspmq "$@"
    if [ "$want" = unknown ]; then
        [ "$MQ_RC" = 72 ]
        verdict $? "$what: dspmq does not know $QM (rc $MQ_RC)" "$(head -1 <<<"$MQ_OUT")"
        return 0
    fi
    got=$(sed -n 's/.*STATUS(\([^)]*\)).*/\1/p' <<<"$MQ_OUT" | head -1)
    [ -n "$got" ] && [[ "|${want^^}|" == *"|${got^^}|"* ]]
    verdict $? "$what: STATUS($got)" "wanted one of $want; rc $MQ_RC"
}

# mqsc WHAT [KEY=VALUE...] -- COMMAND... — runmqsc QM with the commands on stdin, one a line.
mqsc() {
    local what=$1 script=""
    local -a facts=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do facts+=("$1"); shift; done
    shift
    script=$(printf '%s\n' "$@")
    mq "$what" "${facts[@]}" "stdin=$script"$'\n' -- runmqsc "$QM"
}

# agent WHAT EXPECT_RC TYPE ACTION [depth=N] [interval=MS] [timeout=S] -- PARAM=VALUE...
# Runs one action of the agent TYPE (ibmmq, ibmmq-listener, ibmmq-trigger) as pacemaker-execd
# would: a clean environment with OCF_ROOT, OCF_RESOURCE_*, OCF_RESKEY_<param>, the operation's
# timeout (and interval and OCF_CHECK_LEVEL for a monitor), HA_debug=1 and no log destination, so
# that the agent's log lines and exit reason land in the step's stderr. Records it as a step and
# checks its exit code and that it finished within its timeout.
agent() {
    local what=$1 want=$2 type=$3 action=$4 depth="" interval=0 secs=$MONITOR_TIMEOUT kv t0 rc ms
    shift 4
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        case $1 in
            depth=*) depth=${1#depth=} ;;
            interval=*) interval=${1#interval=} ;;
            timeout=*) secs=${1#timeout=} ;;
            *) printf 'qualify: bad agent() argument %s\n' "$1" >&2; exit 1 ;;
        esac
        shift
    done
    shift
    local -a env=(PATH=/usr/sbin:/usr/bin:/sbin:/bin OCF_ROOT=/usr/lib/ocf OCF_RA_VERSION_MAJOR=1
        OCF_RA_VERSION_MINOR=1 "OCF_RESOURCE_INSTANCE=mqha-qual-${type#ibmmq-}" "OCF_RESOURCE_TYPE=$type"
        OCF_RESOURCE_PROVIDER=mqha "OCF_RESKEY_CRM_meta_timeout=$((secs * 1000))" HA_debug=1)
    if [ "$action" = monitor ]; then env+=("OCF_RESKEY_CRM_meta_interval=$interval"); fi
    if [ -n "$depth" ]; then env+=("OCF_CHECK_LEVEL=$depth"); fi
    for kv in "$@"; do env+=("OCF_RESKEY_$kv"); done
    new_step "agent-$type-$action${depth:+-$depth}"
    printf '%s\n' "$WORK/$type" "$action" >"$STEP_DIR/argv"
    printf '%s\n' "${env[@]}" >"$STEP_DIR/env"
    t0=$(now_ms)
    (cd / && timeout --kill-after=5 $((secs + 10)) env -i "${env[@]}" "$WORK/$type" "$action" \
        </dev/null >"$STEP_DIR/stdout" 2>"$STEP_DIR/stderr")
    rc=$?
    ms=$(($(now_ms) - t0))
    printf 'kind=agent\nwhat=%s\nphase=%s\nqm=%s\nagent=%s\naction=%s\ndepth=%s\ninterval_ms=%s\ntimeout_ms=%s\nrc=%s\nexpect_rc=%s\nelapsed_ms=%s\n' \
        "$what" "$PHASE" "$QM" "$type" "$action" "${depth:-0}" "$interval" $((secs * 1000)) "$rc" "$want" "$ms" \
        >"$STEP_DIR/meta"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$type" "$action" "${depth:-0}" "$want" "$rc" "$ms" >>"$OUTPUT/agents.tsv"
    AGENT_ERR=$(cat "$STEP_DIR/stderr")
    local reason
    reason=$(grep -m1 '^ocf-exit-reason:' "$STEP_DIR/stderr")
    [ "$rc" = "$want" ]
    verdict $? "$what: $type $action${depth:+ depth $depth} rc $rc in ${ms} ms" "wanted $want; ${reason:-no exit reason}"
    [ "$ms" -le $((secs * 1000)) ] || failed "$what: took ${ms} ms, more than its ${secs}s timeout"
}

# record_file WHAT PATH — a configuration file the agent reads, recorded as a step.
record_file() {
    new_step "file-${2##*/}"
    printf '%s\n' "$2" >"$STEP_DIR/argv"
    if [ -r "$2" ]; then cp -- "$2" "$STEP_DIR/stdout"; else : >"$STEP_DIR/stdout"; fi
    printf 'kind=file\nwhat=%s\nphase=%s\nqm=%s\ninstallation=%s\npath=%s\nexists=%s\n' \
        "$1" "$PHASE" "$QM" "$INST_REAL" "$2" "$([ -r "$2" ] && echo yes || echo no)" >"$STEP_DIR/meta"
}

# ---- teardown: only what this run made ------------------------------------------------------------
CREATED=0 HOLDER_PID="" HOLDER_FD=""
# holder_gone — the application the escalation started has exited (a zombie until we reap it).
holder_gone() {
    local st
    st=$(ps -o stat= -p "$HOLDER_PID" 2>/dev/null)
    [ -z "$st" ] || [ "${st:0:1}" = Z ]
}
teardown() {
    local rc=$? p
    trap - EXIT INT TERM
    PHASE=teardown
    printf '\n-- teardown\n'
    if [ -n "$HOLDER_FD" ]; then exec {HOLDER_FD}>&-; fi
    if [ -n "$HOLDER_PID" ]; then
        # Our own child, not yet reaped, so its pid cannot belong to anyone else: at the end of
        # its input amqsput ends by itself; if it does not, it is killed.
        wait_for "amqsput to end at the end of its input" 10 holder_gone || kill -9 "$HOLDER_PID" 2>/dev/null
        wait "$HOLDER_PID" 2>/dev/null
    fi
    if [ "$CREATED" = 1 ]; then
        # The name was unknown to dspmq when this run began: whatever now carries it is ours.
        if [ -n "$(qm_pids)" ]; then
            as_mq 60 "$INST/bin/endmqm" -i "$QM" >/dev/null 2>&1
            wait_for "$QM to end after endmqm -i" 30 no_qm_pids ||
                { as_mq 60 "$INST/bin/endmqm" -p "$QM" >/dev/null 2>&1; wait_for "$QM to end after endmqm -p" 20 no_qm_pids; }
            for p in $(qm_pids); do kill -9 "$p" 2>/dev/null; done
            wait_for "the processes of $QM to go" 10 no_qm_pids
        fi
        if qm_known; then
            mq "dltmqm $QM" expect_rc=0 -- dltmqm "$QM"
            mq_state "dspmq after dltmqm" unknown
        fi
        if qm_known || [ -n "$(qm_pids)" ]; then
            failed "teardown: $QM is still there: delete it by hand (endmqm -i $QM; dltmqm $QM as $MQ_USER)"
        else
            pass "teardown: $QM deleted, no process of it left"
        fi
    fi
    rm -rf "$WORK"
    printf '\n%s passed, %s failed, %s skipped\n' "$PASSED" "$FAILED" "$SKIPPED" >>"$SUMMARY"
    printf '\nqualify: %s passed, %s failed, %s skipped; transcript: %s\n' "$PASSED" "$FAILED" "$SKIPPED" "$OUTPUT"
    if [ "$FAILED" != 0 ] && [ "$rc" = 0 ]; then exit 1; fi
    exit "$rc"
}
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/mqha-qual-work.XXXXXX") || refuse "cannot create a work directory"
trap teardown EXIT
trap 'exit 130' INT TERM
chmod 0700 "$WORK"
# A private copy of the agent under the three names, in a root-only directory: the agent runs as
# root, and nobody else may replace what runs (the RPM installs it the same way, root-owned).
install -m 0755 "$AGENT" "$WORK/ibmmq" || { failed "cannot copy $AGENT to $WORK"; exit 1; }
ln -s ibmmq "$WORK/ibmmq-listener"
ln -s ibmmq "$WORK/ibmmq-trigger"
if ! "$WORK/ibmmq" --version >/dev/null 2>&1; then
    failed "the copy of the agent in $WORK does not run (a noexec mount? set TMPDIR to another directory)"
    exit 1
fi

# ---- the transcript's header --------------------------------------------------------------------
phase "installation"
mq "dspmqver" expect_rc=0 -- dspmqver
MQ_VERSION=$(sed -n 's/^Version:[[:space:]]*//p' <<<"$MQ_OUT" | head -1)
mq "dspmqver -f 2 (the version alone)" expect_rc=0 -- dspmqver -f 2
record_file "installation registry" /etc/opt/mqm/mqinst.ini
# The start's node checks read mqconfig's FAIL lines (mq-core qmgr/checks.rs); its exit code is
# the node's business, not a check of the kit.
if [ -x "$INST/bin/mqconfig" ]; then
    mq "mqconfig (kernel and limit checks)" -- mqconfig
else
    skipped "mqconfig: $INST/bin/mqconfig is missing, its output is not recorded"
fi
# shellcheck disable=SC1091
os=$(. /etc/os-release 2>/dev/null && printf '%s' "${PRETTY_NAME:-unknown}")
{
    printf 'format=%s\nsource=%s\ndate=%s\nos=%s\nkernel=%s\nmachine=%s\n' "$KIT_FORMAT" "$SOURCE" \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$os" "$(uname -r)" "$(uname -m)"
    printf 'mq_version=%s\ninstallation=%s\nqm=%s\nmq_user=%s\nlistener=%s:%s\n' "${MQ_VERSION:-unknown}" \
        "$INST_REAL" "$QM" "$MQ_USER" "$IPADDR" "$PORT"
    printf 'agent=%s\n' "$("$WORK/ibmmq" --version 2>/dev/null | head -1)"
    printf 'pacemaker=%s\n' "$(crm_resource --version 2>/dev/null | head -1)"
    printf 'kit=%s\n' "$(git -C "$here" describe --always --dirty 2>/dev/null || echo unknown)"
} >"$OUTPUT/transcript.meta"
printf 'agent\taction\tdepth\texpected_rc\trc\telapsed_ms\n' >"$OUTPUT/agents.tsv"
say "MQ $MQ_VERSION on $os; transcript in $OUTPUT"

# ---- the scratch queue manager, driven by hand -----------------------------------------------------
phase "create $QM"
CREATED=1
mq "crtmqm $QM" expect_rc=0 -- crtmqm "$QM"
[ "$MQ_RC" = 0 ] || exit 1
mq_state "dspmq of a new queue manager" "Ended normally|Ended immediately|Ended pre-emptively"
mq "dspmqinf $QM" expect_rc=0 -- dspmqinf "$QM"
mq "dspmqinf -o command $QM" expect_rc=0 -- dspmqinf -o command "$QM"

phase "strmqm and endmqm by hand: their outputs and exit codes"
mq "strmqm $QM" expect_rc=0 -- strmqm "$QM"
wait_for "$QM Running after strmqm" 60 qm_status_in Running
mq_state "dspmq -n -m after strmqm" Running
mq_state "dspmq -n -x -m after strmqm" Running -n -x -m "$QM"
mq_state "dspmq -o all -m after strmqm" Running -o all -m "$QM"
mq "dspmq -o installation -m" expect_rc=0 -- dspmq -o installation -m "$QM"
mq "strmqm of a running queue manager" expect_rc=5 -- strmqm "$QM"
# The start's own MQSC (mq-core qmgr/start.rs prepare), before the agent made its test queue.
mqsc "runmqsc: the start's script, no test queue yet" expect_rc=10 expect_state=Running test_queue=absent -- \
    "DISPLAY QMGR SCMDSERV SCHINIT" "DISPLAY QLOCAL('HA.TESTQUEUE') DEFPSIST" "DISPLAY QMSTATUS CMDSERV CHINIT"
mqsc "runmqsc: the monitor's component status" expect_rc=0 expect_state=Running -- "DISPLAY QMSTATUS CMDSERV CHINIT"
HOLDQ=MQHA.QUAL.HOLD
mqsc "runmqsc: the queue the escalation's application holds" expect_rc=0 -- \
    "DEFINE QLOCAL('$HOLDQ') DESCR('mqha qualification kit')"
mq "endmqm -i $QM" expect_rc=0 -- endmqm -i "$QM"
wait_for "$QM ended after endmqm -i" 60 no_qm_pids
mq_state "dspmq after endmqm -i" "Ended immediately"
mq "endmqm of an ended queue manager" expect_rc=40 -- endmqm -i "$QM"
mqsc "runmqsc of an ended queue manager" expect_rc=20 expect_state=ended -- "DISPLAY QMGR"

# ---- the agents as Pacemaker runs them --------------------------------------------------------------
QM_P=("qmgr=$QM" "mq_installation=$INST" "mq_user=$MQ_USER")
LSN_P=("qmgr=$QM" "mq_installation=$INST" "mq_user=$MQ_USER" "port=$PORT" "ipaddr=$IPADDR")
INITQ=SYSTEM.DEFAULT.INITIATION.QUEUE
TRM_P=("qmgr=$QM" "mq_installation=$INST" "mq_user=$MQ_USER" "initq=$INITQ")

phase "validate-all and the probe"
agent "validate-all" 0 ibmmq validate-all -- "${QM_P[@]}"
agent "validate-all" 0 ibmmq-listener validate-all -- "${LSN_P[@]}"
agent "validate-all" 0 ibmmq-trigger validate-all -- "${TRM_P[@]}"
agent "probe of a stopped queue manager" 7 ibmmq monitor -- "${QM_P[@]}"

phase "start and monitor at every depth"
agent "start" 0 ibmmq start timeout="$START_TIMEOUT" -- "${QM_P[@]}"
mq_state "dspmq after the agent's start" Running
agent "monitor" 0 ibmmq monitor depth=0 interval=20000 -- "${QM_P[@]}"
agent "monitor" 0 ibmmq monitor depth=10 interval=60000 -- "${QM_P[@]}"
agent "monitor" 0 ibmmq monitor depth=20 interval=120000 -- "${QM_P[@]}"
mqsc "runmqsc: the start's script, after the agent made its test queue" expect_rc=0 expect_state=Running \
    test_queue=present -- \
    "DISPLAY QMGR SCMDSERV SCHINIT" "DISPLAY QLOCAL('HA.TESTQUEUE') DEFPSIST" "DISPLAY QMSTATUS CMDSERV CHINIT"

phase "listener"
agent "probe before start" 7 ibmmq-listener monitor -- "${LSN_P[@]}"
agent "start" 0 ibmmq-listener start -- "${LSN_P[@]}"
check_port() { wait_for "$1" 10 "$2"; verdict $? "$1"; }
check_port "the listener accepts connections on $IPADDR:$PORT" port_open
agent "monitor" 0 ibmmq-listener monitor depth=0 interval=20000 -- "${LSN_P[@]}"
agent "monitor (an MQ client connection through it)" 0 ibmmq-listener monitor depth=10 interval=60000 -- "${LSN_P[@]}"

# Depth 20 through a client channel, as the README sets it up: a stock queue manager refuses the
# monitoring user (degraded, 190: it serves, only the check's set-up is missing); after the README's
# monitoring-channel MQSC, run as written with the user's name put in, the check passes. Never a
# weakened CHLAUTH or CONNAUTH.
phase "client check (monitor depth 20 with client_channel)"
if [ -z "$CLIENT_USER" ]; then
    skipped "monitor depth 20 with client_channel: give --client-user USER (a dedicated user outside the mq group) to run it"
else
    MONCHL=MQHA.MON.SVRCONN
    CL_P=("${QM_P[@]}" "client_channel=$MONCHL" "client_conname=$IPADDR($PORT)" "client_user=$CLIENT_USER")
    # The fenced block after the README's "monitoring-channel-mqsc" marker, as written.
    mapfile -t MON_MQSC < <(awk '/<!-- monitoring-channel-mqsc/ { m = 1; next }
        m == 1 && /^```/ { m = 2; next } m == 2 && /^```/ { exit } m == 2' "$here/../../README.md" |
        sed "s/mqhamon/$CLIENT_USER/g")
    if [ "${#MON_MQSC[@]}" = 0 ]; then
        verdict 1 "the README's monitoring-channel MQSC block is found"
    else
        agent "monitor, client check before its channel exists (degraded)" 190 ibmmq monitor depth=20 interval=120000 \
            -- "${CL_P[@]}"
        mqsc "runmqsc: the README's monitoring-channel MQSC for $CLIENT_USER" expect_rc=0 expect_state=Running \
            -- "${MON_MQSC[@]}"
        agent "monitor, client check through the monitoring channel" 0 ibmmq monitor depth=20 interval=120000 \
            -- "${CL_P[@]}"
    fi
fi

phase "trigger monitor"
agent "probe before start" 7 ibmmq-trigger monitor -- "${TRM_P[@]}"
agent "start" 0 ibmmq-trigger start -- "${TRM_P[@]}"
agent "monitor" 0 ibmmq-trigger monitor depth=0 interval=20000 -- "${TRM_P[@]}"
agent "monitor (the initiation queue's handles)" 0 ibmmq-trigger monitor depth=10 interval=60000 -- "${TRM_P[@]}"
TRM_PIDS=$(qm_pids runmqtrm | tr '\n' ',' | sed 's/,$//')
[ -n "$TRM_PIDS" ]
verdict $? "runmqtrm of $QM runs (pids ${TRM_PIDS:-none})"
mqsc "runmqsc: who holds the initiation queue open (the trigger monitor's depth 10)" expect_rc=0 \
    expect_state=Running "input_pids=$TRM_PIDS" -- "DISPLAY QSTATUS('$INITQ') TYPE(HANDLE) ALL"
agent "stop" 0 ibmmq-trigger stop -- "${TRM_P[@]}"
agent "monitor after stop" 7 ibmmq-trigger monitor interval=20000 -- "${TRM_P[@]}"
[ -z "$(qm_pids runmqtrm)" ]
verdict $? "no runmqtrm of $QM left"

phase "listener stop"
agent "stop" 0 ibmmq-listener stop -- "${LSN_P[@]}"
agent "monitor after stop" 7 ibmmq-listener monitor interval=20000 -- "${LSN_P[@]}"
check_port "the port $IPADDR:$PORT is closed" port_closed

phase "listener as a LISTENER object (listener=): ALTER, START and STOP LISTENER through runmqsc"
LSR_OBJ=MQHA.QUAL.LSR
LSO_P=("${LSN_P[@]}" "listener=$LSR_OBJ")
# Defined as an administrator might have it; the agent's start aligns PORT, IPADDR and CONTROL.
mqsc "runmqsc: a LISTENER object for the agent to drive" expect_rc=0 -- \
    "DEFINE LISTENER('$LSR_OBJ') TRPTYPE(TCP) PORT(1) CONTROL(QMGR)"
agent "start" 0 ibmmq-listener start -- "${LSO_P[@]}"
check_port "the object's listener accepts connections on $IPADDR:$PORT" port_open
mqsc "runmqsc: the object as the agent's start left it" expect_rc=0 "listener_port=$PORT" \
    "listener_ipaddr=$IPADDR" -- "DISPLAY LISTENER('$LSR_OBJ') PORT IPADDR CONTROL"
agent "monitor" 0 ibmmq-listener monitor depth=0 interval=20000 -- "${LSO_P[@]}"
agent "stop" 0 ibmmq-listener stop -- "${LSO_P[@]}"
agent "probe after stop" 7 ibmmq-listener monitor -- "${LSO_P[@]}"
check_port "the port $IPADDR:$PORT is closed after the object's stop" port_closed

phase "stop"
agent "stop" 0 ibmmq stop timeout="$STOP_TIMEOUT" -- "${QM_P[@]}"
[ -z "$(qm_pids)" ]
verdict $? "no process of $QM left after stop" "$(qm_pids | tr '\n' ' ')"
mq_state "dspmq after the agent's stop (endmqm -i)" "Ended immediately"
agent "probe after stop" 7 ibmmq monitor -- "${QM_P[@]}"
agent "stop again (idempotent)" 0 ibmmq stop timeout="$STOP_TIMEOUT" -- "${QM_P[@]}"

phase "crash: SIGKILL of the execution controller"
agent "start" 0 ibmmq start timeout="$START_TIMEOUT" -- "${QM_P[@]}"
CONTROLLER=$(qm_pids amqzxma0)
if [ -n "$CONTROLLER" ] && [ "$(wc -w <<<"$CONTROLLER")" = 1 ]; then
    kill -9 "$CONTROLLER"
    wait_for "amqzxma0 ($CONTROLLER) gone after SIGKILL" 20 no_controller
    verdict $? "amqzxma0 of $QM (pid $CONTROLLER) killed with SIGKILL"
    agent "recurring monitor after the crash" 1 ibmmq monitor depth=0 interval=20000 -- "${QM_P[@]}"
    grep -q '^ocf-exit-reason:' <<<"$AGENT_ERR"
    verdict $? "the monitor gives an exit reason for the crash" "$(tail -2 <<<"$AGENT_ERR")"
    mq_state "dspmq after the crash" "Ended unexpectedly"
    # Pacemaker's recovery: stop (clears what is left), then start.
    agent "stop after the crash" 0 ibmmq stop timeout="$STOP_TIMEOUT" -- "${QM_P[@]}"
    agent "start after the crash" 0 ibmmq start timeout="$START_TIMEOUT" -- "${QM_P[@]}"
    agent "monitor after recovery" 0 ibmmq monitor depth=20 interval=120000 -- "${QM_P[@]}"
else
    failed "crash: no single amqzxma0 of $QM found (${CONTROLLER:-none}) after the start"
fi

phase "a stop that must escalate: controlled end held up by a connected application"
AMQSPUT=$INST/samp/bin/amqsput
if [ ! -x "$AMQSPUT" ]; then
    skipped "stop escalation: $AMQSPUT is missing (install MQ's samples package), so nothing holds a controlled end"
else
    # amqsput connects, opens the queue and waits for lines on its input: a connected application
    # that endmqm -c waits for. The kit holds the FIFO open, so its input never ends until teardown.
    mkfifo -m 0600 "$WORK/holder.in"
    # exec: the background job becomes env, then setpriv, then amqsput, all one pid, our child.
    (cd / && exec env -i "PATH=$INST/bin:/usr/bin:/bin" LANG=C LC_ALL=C "HOME=$MQ_HOME" "USER=$MQ_USER" \
        "LOGNAME=$MQ_USER" "$SETPRIV" --reuid="$MQ_UID" --regid="$MQ_GID" --init-groups -- \
        "$AMQSPUT" "$HOLDQ" "$QM") <"$WORK/holder.in" >"$WORK/holder.out" 2>&1 &
    HOLDER_PID=$!
    exec {HOLDER_FD}>"$WORK/holder.in"
    holder_connected() {
        as_mq 30 "$INST/bin/runmqsc" "$QM" <<<"DISPLAY QSTATUS('$HOLDQ') TYPE(HANDLE) ALL" 2>/dev/null |
            grep -Eq "PID\(0*$HOLDER_PID\)"
    }
    wait_for "amqsput connected to $QM with $HOLDQ open" 20 holder_connected
    verdict $? "amqsput (pid $HOLDER_PID) holds $HOLDQ open on $QM" "$(cat "$WORK/holder.out" 2>/dev/null)"
    mqsc "runmqsc: the application that holds the controlled end" expect_rc=0 expect_state=Running \
        "output_pids=$HOLDER_PID" -- "DISPLAY QSTATUS('$HOLDQ') TYPE(HANDLE) ALL"
    agent "stop with stop_mode=controlled while an application is connected" 0 ibmmq stop \
        timeout="$ESCALATION_TIMEOUT" -- "${QM_P[@]}" stop_mode=controlled
    grep -q 'endmqm -p' <<<"$AGENT_ERR"
    verdict $? "the stop escalated past endmqm -c (its log names endmqm -p)" "$(grep -m3 'endmqm' <<<"$AGENT_ERR")"
    [ -z "$(qm_pids)" ]
    verdict $? "no process of $QM left after the escalated stop" "$(qm_pids | tr '\n' ' ')"
    mq_state "dspmq after the escalated stop" "Ended pre-emptively|Ended unexpectedly"
    agent "probe after the escalated stop" 7 ibmmq monitor -- "${QM_P[@]}"
fi

phase "not checked by this kit"
skipped "multi-instance queue managers (strmqm -x, promote, demote, takeover): not run by this kit"
skipped "Pacemaker's own reactions (fail-count, restart, migration): the kit runs the agents without a cluster"
# teardown (trap) deletes the queue manager and prints the totals.
