#!/usr/bin/env bash
# The demo: build, lay out a simulated MQ installation and queue manager, run a real single-node
# Pacemaker cluster, create the mqha resources with pcs, crash the queue manager and watch
# Pacemaker recover it, then clean up.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "demo: not written yet (see issue 5)" >&2
exit 1
