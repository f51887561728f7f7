# shellcheck shell=bash
# Clients under load through a scenario, for the three-node suites (multinode.sh, nativeha-cluster.sh),
# sourced after multinode/cluster.sh. The suite sets LOAD_RATE and LOAD_SECONDS and defines
# load_mq_args (mqload's connection options: installation, queue manager, channel, the virtual IP's
# address, the load's own queue); MODE other than mq (multinode.sh --dummy) makes these no-ops.
# load_start NAME N: a producer and a consumer (target/release/mqload, MQI clients that reconnect)
# start on node N as the mq user, through the virtual IP: numbered persistent messages under
# syncpoint, at most LOAD_RATE puts a second and LOAD_SECONDS in all.
# load_fault: the fault has just taken effect (the load's clock; for a move: it starts now).
# load_check NAME: ends both, drains the queue through the virtual IP, prints the report's messages
# and outage lines and the longest time without any success (an ack or a delivery) that ended
# after the fault - for a move, whose service ends some time after the command, that is the
# outage - and asserts that nothing acknowledged was lost or delivered twice.

load_start() {
    [ "${MODE:-mq}" = mq ] || return 0
    local name=$1 n=$2 d=$MN_STATE/load/$1 args
    LOAD_NODE=$n LOAD_FAULT_AT=
    mkdir -p "$d"
    chown mqm "$d"
    read -ra args <<<"$(load_mq_args)"
    # Each client's pid (as node N sees it) in a file, so that load_check can end exactly it.
    # shellcheck disable=SC2016
    mn_as_mqm "$n" sh -c 'echo $$ >"$0/produce.pid"; exec "$@"' "$d" "$REL/mqload" produce "${args[@]}" \
        --count 1000000 --rate "$LOAD_RATE" --seconds "$LOAD_SECONDS" --journal "$d/produced" \
        </dev/null >"$d/produce.out" 2>&1 &
    # shellcheck disable=SC2016
    mn_as_mqm "$n" sh -c 'echo $$ >"$0/consume.pid"; exec "$@"' "$d" "$REL/mqload" consume "${args[@]}" \
        --seconds "$LOAD_SECONDS" --journal "$d/consumed" </dev/null >"$d/consume.out" 2>&1 &
    # The fault meets clients that work: both have had a success.
    wait_for "the $name load's first acknowledged and delivered messages" 30 \
        bash -c "grep -q ' ack ' '$d/produced' && grep -q ' deliver ' '$d/consumed'" ||
        fail "the $name load did not get going: $(cat "$d/produce.out" "$d/consume.out")"
}
# The longest gap between two successes (ack or deliver, both journals) that ended after the fault.
load_gap() {
    awk '$2 == "ack" || $2 == "deliver" {print $1}' "$1/produced" "$1/consumed" | sort -n |
        awk -v f="${LOAD_FAULT_AT:-0}" 'NR > 1 && $1 >= f && $1 - p > g {g = $1 - p} {p = $1}
            END {if (p >= f) print g " ms"; else print "none: no success after the fault before the clients were ended"}'
}
load_fault() {
    [ "${MODE:-mq}" = mq ] || return 0
    LOAD_FAULT_AT=$("$REL/mqload" now)
}
load_check() {
    [ "${MODE:-mq}" = mq ] || return 0
    local name=$1 n=$LOAD_NODE d=$MN_STATE/load/$1 args f out rc=0
    read -ra args <<<"$(load_mq_args)"
    # Both run a little past the group's return, then end on SIGTERM (bounded by LOAD_SECONDS).
    sleep 2
    for f in produce consume; do mn_on "$n" kill -TERM "$(cat "$d/$f.pid")" 2>/dev/null || true; done
    # mqload ends within 5 s of SIGTERM even when an MQI call does not return (then: abort).
    wait_for "the $name load's clients to end" 20 bash -c "grep -Eq ' (end|abort)' '$d/produced' && grep -Eq ' (end|abort)' '$d/consumed'" ||
        mn_log "the $name load's clients did not end within 20 s of SIGTERM"
    out=$(mn_as_mqm "$n" "$REL/mqload" report --produced "$d/produced" --consumed "$d/consumed" \
        ${LOAD_FAULT_AT:+--fault-at "$LOAD_FAULT_AT"} --drain "${args[@]}" 2>&1) || rc=$?
    echo "$out" >"$d/report"
    mn_record "load ($name): $(grep '^messages:' <<<"$out")"
    if [ -n "${LOAD_FAULT_AT:-}" ]; then
        mn_record "load ($name): $(grep '^outage:' <<<"$out")"
        mn_record "load ($name): longest time without a success after the fault: $(load_gap "$d")"
    else # no fault (the soak): how long the clients waited at worst
        mn_record "load ($name): longest time without a success: $(load_gap "$d")"
    fi
    # A commit whose reply was lost (2009 on MQCMIT: IBM says the call may have completed) is put
    # again by the producer: a duplicate the report names and does not fail (mqload.rs, "In-doubt").
    if grep -q '^in-doubt commits:' <<<"$out"; then
        mn_record "load ($name): $(grep '^in-doubt commits:' <<<"$out")"
        grep '^duplicated after' <<<"$out" | sed "s/^/load ($name): /" >&2 || true
    fi
    grep -h ' abort' "$d/produced" "$d/consumed" | sed "s/^/load ($name): /" >&2 || true
    check "load ($name): nothing acknowledged lost, nothing duplicated but after an in-doubt commit (mqload report exit 0)" test "$rc" = 0 ||
        mn_log "mqload report: $out"
}

