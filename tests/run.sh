#!/usr/bin/env bash
# The one command that runs every test of mqha on a fresh Debian 12 machine, as root:
# installs what the tests need, builds, runs the unit and integration tests, the cluster suites
# and the package build. Each stage prints its name; the first failure stops the run.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD

stage() { printf '\n==== %s ====\n' "$*"; }

stage "setup: Debian packages and test users"
tests/setup.sh

stage "build (release)"
cargo build --release --workspace --locked

stage "unit and integration tests"
cargo test --release --workspace --locked

stage "cluster tools: meta-data, pcs, crm_resource, ocf-tester (tests/cluster/tools.sh)"
tests/cluster/tools.sh

stage "multi-instance queue manager as a promotable clone under crm_resource (tests/cluster/multi-tools.sh)"
tests/cluster/multi-tools.sh

stage "live one-node Pacemaker cluster: faults and reactions (tests/cluster/single-node.sh)"
tests/cluster/single-node.sh

stage "multi-instance queue manager as a promotable clone in a live three-node cluster (tests/cluster/multi-cluster.sh)"
tests/cluster/multi-cluster.sh

stage "RPM package: build, layout, rpmlint, meta-data, GLIBC <= 2.28, offline rebuild (rpm/test.sh)"
rpm/test.sh

stage "three Pacemaker nodes: failover on shared storage (tests/cluster/multinode.sh)"
tests/cluster/multinode.sh
