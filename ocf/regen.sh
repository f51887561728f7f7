#!/usr/bin/env bash
# Regenerates the agents' public OCF interface files from the binary itself (the parameter
# tables in crates/ocf-agent/src/spec are their only source): ocf/<agent>.xml (meta-data).
# The test crates/ocf-agent/tests/metadata_files.rs fails when these files are stale, so run
# this after changing a table and commit the result. Man pages are rendered from the same
# meta-data by rpm/render-man.sh (target/release/ibmmq OUTDIR), as the RPM build does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$root"
cargo build -q -p ocf-agent --bin ibmmq
bin="$root/target/debug/ibmmq"
links=$(mktemp -d)
trap 'rm -rf "$links"' EXIT
for agent in ibmmq ibmmq-listener ibmmq-trigger; do
    ln -s "$bin" "$links/$agent"
    # An empty environment, as ocf-tester and pcs run meta-data.
    env -i "$links/$agent" meta-data > "$here/$agent.xml"
    echo "wrote ocf/$agent.xml"
done
