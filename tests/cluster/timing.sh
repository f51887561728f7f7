#!/usr/bin/env bash
# tests/cluster/timing.sh — the cluster timing matrix behind docs/multinode.md "Cluster timing
# advice": tests/cluster/multinode.sh run with each corosync token in TOKENS, RUNS times each; the
# first run of each token begins with SOAK seconds of load (MN_SOAK_SECS: mqload clients through
# the virtual IP and busy loops on every core) and counts the false positives it caused. Every run
# times the crash, the move and the partition with the queue manager and again with Dummy
# stand-ins in the same cluster. Then, per token, one short run (MN_SOAK_ONLY) whose soak has a
# network pause of BLIP ms in the middle (the active node's link down at the switch): what a
# pause between the two tokens does. Prints one table: token, scenario, the runs' figures for
# ibmmq and for Dummy, and the soaks' counts.
#
#   tests/cluster/timing.sh                      # TOKENS="default 1000" RUNS=2 SOAK=300 BLIP=2500: ~50 min
#   TIMING_RUNS=0 tests/cluster/timing.sh        # only the network-pause runs
#   TIMING_TOKENS="default 1000 500" TIMING_RUNS=3 TIMING_SOAK_SECS=600 tests/cluster/timing.sh
#   TIMING_WRAP="flock /var/lock/cluster.lock" tests/cluster/timing.sh   # each run under a lock
#   tests/cluster/timing.sh --summary DIR        # the table again, from a finished run's DIR
#
# "default" writes no token (corosync's default, as `pcs cluster setup` does). Each run's output
# and figures stay in DIR (/var/tmp/mqha-timing.*, printed): these runs are long and the logs are
# the evidence. Not part of tests/run.sh (about 45 minutes with the defaults). Needs what
# multinode.sh needs (root, tests/setup.sh, a release build). Exits 1 if any run failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

summary() {
    local dir=$1 tok f key label toks
    local keys=(crash_group crash_monitor move partition_fenced partition_running partition_group)
    declare -A labels=(
        [crash_group]="node crash -> group running elsewhere"
        [crash_monitor]="node crash -> monitor success"
        [move]="pcs resource move"
        [partition_fenced]="partition -> isolated node off"
        [partition_running]="partition -> qm running on majority"
        [partition_group]="partition -> whole group on majority"
    )
    printf '%-8s %-10s | %-38s | %-24s | %-24s\n' token "in use ms" scenario "ibmmq ms (each run)" "Dummy ms (each run)"
    read -ra toks <"$dir/tokens"
    for tok in "${toks[@]}"; do
        local files=()
        for f in "$dir/$tok"-*.fig; do [ -e "$f" ] && files+=("$f"); done
        [ ${#files[@]} -gt 0 ] || continue
        local inuse
        inuse=$(awk '$1 == "-" && $2 == "token" {print $3}' "${files[@]}" | sort -u | xargs | tr ' ' /)
        for key in "${keys[@]}"; do
            label=${labels[$key]}
            awk -v k="$key" '$2 == k {found = 1} END {exit !found}' "${files[@]}" || continue
            printf '%-8s %-10s | %-38s | %-24s | %-24s\n' "$tok" "$inuse" "$label" \
                "$(awk -v k="$key" '$1 == "mq" && $2 == k {print $3}' "${files[@]}" | xargs | tr ' ' ,)" \
                "$(awk -v k="$key" '$1 == "dummy" && $2 == k {print $3}' "${files[@]}" | xargs | tr ' ' ,)"
        done
        for f in "${files[@]}"; do
            awk -v t="$tok" '$1 == "soak" {v[$2] = $3}
                END {if (length(v)) printf "%-8s soak %s s under load%s: token lost %s, new memberships %s, token warnings %s, fencings %s, failed monitors %s\n",
                    t, v["secs"], (v["blip_ms"] > 0 ? ", link down " v["blip_ms"] " ms" : ""), v["token_lost"], v["memberships"],
                    v["token_warnings"], v["fencings"], v["failed_monitors"]}' "$f"
            grep -h -m1 'load (soak): outage:' "${f%.fig}.log" 2>/dev/null | sed "s/^.*load (soak): /$(printf '%-8s' "$tok") clients: /" || true
        done
    done
    grep -h '^multinode (' "$dir"/*.log 2>/dev/null | sed 's/^/  /' || true
}

if [ "${1:-}" = --summary ]; then
    [ -d "${2:-}" ] || {
        echo "usage: $0 --summary DIR (a directory a previous timing.sh run printed); '${2:-}' is not one" >&2
        exit 2
    }
    summary "$2"
    exit 0
fi
[ $# = 0 ] || {
    echo "usage: $0 [--summary DIR]" >&2
    exit 2
}

TOKENS=${TIMING_TOKENS:-default 1000}
RUNS=${TIMING_RUNS:-2}
SOAK=${TIMING_SOAK_SECS:-300}
BLIP=${TIMING_BLIP_MS:-2500}
read -ra WRAP <<<"${TIMING_WRAP:-}"
for tok in $TOKENS; do
    case $tok in
        default | [1-9][0-9][0-9] | [1-9][0-9][0-9][0-9] | [1-9][0-9][0-9][0-9][0-9]) ;;
        *)
            echo "timing.sh: token '$tok' in TIMING_TOKENS: expected 'default' or milliseconds from 100 to 99999" >&2
            exit 2
            ;;
    esac
done
case $RUNS in [0-9]) ;; *)
    echo "timing.sh: TIMING_RUNS='$RUNS': expected 0 to 9" >&2
    exit 2
    ;;
esac
case $SOAK in [0-9] | [1-9][0-9] | [1-9][0-9][0-9] | [1-9][0-9][0-9][0-9]) ;; *)
    echo "timing.sh: TIMING_SOAK_SECS='$SOAK': expected seconds from 0 to 9999" >&2
    exit 2
    ;;
esac

case $BLIP in [0-9] | [1-9][0-9] | [1-9][0-9][0-9] | [1-9][0-9][0-9][0-9] | [1-9][0-9][0-9][0-9][0-9]) ;; *)
    echo "timing.sh: TIMING_BLIP_MS='$BLIP': expected milliseconds from 0 (no such run) to 99999" >&2
    exit 2
    ;;
esac

dir=$(mktemp -d /var/tmp/mqha-timing.XXXXXX)
echo "$TOKENS" >"$dir/tokens"
echo "timing.sh: tokens [$TOKENS], $RUNS run(s) each, a ${SOAK} s soak in the first, a ${BLIP} ms network pause; output in $dir" >&2
failed=0
for tok in $TOKENS; do
    token=
    [ "$tok" = default ] || token=$tok
    for r in $(seq 1 "$RUNS"); do
        soak=0
        [ "$r" != 1 ] || soak=$SOAK
        echo "timing.sh: token $tok, run $r (soak ${soak} s): $dir/$tok-$r.log" >&2
        rc=0
        env MN_TOKEN="$token" MN_SOAK_SECS="$soak" MN_FIGURES="$dir/$tok-$r.fig" \
            "${WRAP[@]}" bash "$here/multinode.sh" >"$dir/$tok-$r.log" 2>&1 || rc=$?
        tail -1 "$dir/$tok-$r.log" >&2
        [ "$rc" = 0 ] || failed=$((failed + 1))
    done
    [ "$BLIP" -gt 0 ] || continue
    echo "timing.sh: token $tok, a 60 s soak with the link down for $BLIP ms: $dir/$tok-blip.log" >&2
    rc=0
    env MN_TOKEN="$token" MN_SOAK_SECS=60 MN_SOAK_BLIP_MS="$BLIP" MN_SOAK_ONLY=1 MN_FIGURES="$dir/$tok-blip.fig" \
        "${WRAP[@]}" bash "$here/multinode.sh" >"$dir/$tok-blip.log" 2>&1 || rc=$?
    tail -1 "$dir/$tok-blip.log" >&2
    [ "$rc" = 0 ] || failed=$((failed + 1))
done
echo
summary "$dir"
echo "timing.sh: $failed failed run(s); output in $dir"
[ "$failed" = 0 ]
