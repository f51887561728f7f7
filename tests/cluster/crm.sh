# shellcheck shell=bash
# tests/cluster/crm.sh — what the cluster says, read from crm_mon's XML (the same data `crm_mon -1`
# shows an administrator); sourced by lib.sh, not run.
# Every query reads `mon_xml`. Its default asks the one node of cluster1_start (lib.sh's N, $STATE);
# a multi-node suite defines its own mon_xml after sourcing, naming the node whose view it reads.

mon_xml() { N crm_mon -1 --output-as xml 2>/dev/null; }

# xq XPATH — XPATH over the XML on stdin; prints nothing (and succeeds) when nothing matches.
xq() { xmllint --xpath "$1" - 2>/dev/null || true; }

role() { mon_xml | xq "string(//resources//resource[@id='$1']/@role)"; }
is_role() { [ "$(role "$1")" = "$2" ]; }
# all_role ROLE RSC... — every RSC has ROLE.
all_role() {
    local r
    for r in "${@:2}"; do is_role "$r" "$1" || return 1; done
}
# The group the single-node suite and the demo create: queue manager, listener, trigger monitor.
group_started() { all_role Started qm lsn trm; }

# started_on RSC — the node RSC is Started on; empty when none.
started_on() { mon_xml | xq "string(//resource[@id='$1'][@role='Started']/node/@name)"; }

# fail_count RSC [NODE] — RSC's fail-count (on NODE), 0 when it has none.
fail_count() {
    local v at=//
    [ -z "${2:-}" ] || at="//node[@name='$2']/"
    v=$(mon_xml | xq "string(${at}resource_history[@id='$1']/@fail-count)")
    echo "${v:-0}"
}
fail_count_is() { [ "$(fail_count "$1")" = "$2" ]; }
fail_count_at_least() { [ "$(fail_count "$1")" -ge "$2" ]; }
