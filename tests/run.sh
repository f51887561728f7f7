#!/usr/bin/env bash
# The one command that runs every test of mqha on a Debian 12 machine, as root: installs what the
# tests need and fetches every crate (the only stage that uses the network), builds offline, runs
# the unit and integration tests, the cluster suites and the package build. Each stage prints its
# name and time, and its output is also kept in target/test-logs/; the first failure stops the
# run with the stage's name and its log.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD
logs=$here/target/test-logs
rm -rf "$logs"
mkdir -p "$logs"

n=0
times=()
t_run=$(date +%s)
stage() { # stage TITLE COMMAND...: runs one stage, its output to the console and to its log
    local title=$1 t0 rc=0 log
    shift
    n=$((n + 1))
    log=$logs/$(printf '%02d' "$n")-$(printf '%s' "${title%%[(:]*}" | tr -c 'A-Za-z0-9.-' '-' | sed 's/--*/-/g; s/^-//; s/-$//').log
    printf '\n==== %s ====\n' "$title"
    t0=$(date +%s)
    "$@" 2>&1 | tee "$log" || rc=$?
    times+=("$(printf '%5d s  %s' "$(($(date +%s) - t0))" "$title")")
    if [ "$rc" != 0 ]; then
        printf '\n==== FAILED (exit %s): %s ====\nits output: %s\n' "$rc" "$title" "$log" >&2
        printf 'the cluster suites keep their node state and Pacemaker logs under /var/tmp/mqha-* when run with KEEP_LOGS=1\n' >&2
        exit "$rc"
    fi
}

stage "setup: Debian packages, test users, and every crate and tool from the network (tests/setup.sh --fetch)" \
    tests/setup.sh --fetch

# From here on nothing downloads: a missing crate is a failure of the setup stage, not a fetch.
stage "format (cargo fmt --check)" cargo fmt --all --check

stage "lint (cargo clippy -D warnings)" cargo clippy --workspace --all-targets --locked --offline -- -D warnings

stage "build (release, offline)" cargo build --release --workspace --locked --offline

stage "unit and integration tests" cargo test --release --workspace --locked --offline

stage "qualification kit for real MQ, run against the simulator (tests/real-mq/simulated.sh)" tests/real-mq/simulated.sh

stage "cluster tools: meta-data, pcs, crm_resource, ocf-tester (tests/cluster/tools.sh)" tests/cluster/tools.sh

stage "multi-instance queue manager as a promotable clone under crm_resource (tests/cluster/multi-tools.sh)" \
    tests/cluster/multi-tools.sh

stage "live one-node Pacemaker cluster: faults and reactions (tests/cluster/single-node.sh)" tests/cluster/single-node.sh

stage "multi-instance queue manager as a promotable clone in a live three-node cluster (tests/cluster/multi-cluster.sh)" \
    tests/cluster/multi-cluster.sh

stage "RPM package: build, layout, rpmlint, meta-data, GLIBC <= 2.28, offline rebuild (rpm/test.sh)" rpm/test.sh

stage "Debian package: repackaged from the RPM, lintian, dpkg -i, Pacemaker's tools and crmsh on the installed agents, dpkg -r (deb/test.sh)" \
    deb/test.sh

stage "three Pacemaker nodes: failover on shared storage, the timed scenarios again with Dummy stand-ins beside (tests/cluster/multinode.sh)" \
    tests/cluster/multinode.sh

stage "Native HA: a promotable clone of three in a live three-node cluster, nothing shared (tests/cluster/nativeha-cluster.sh)" \
    tests/cluster/nativeha-cluster.sh

printf '\n==== all stages passed in %d s ====\n' "$(($(date +%s) - t_run))"
printf '%s\n' "${times[@]}"
