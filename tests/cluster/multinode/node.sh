#!/usr/bin/env bash
# One simulated cluster host for tests/cluster/multinode.sh: the first process (init) of the node's
# own PID namespace, started as
#   ip netns exec NS unshare --pid --fork --mount-proc --mount --uts node.sh NAME NODEDIR MQROOT [AGENTS [FENCE_DIR [BOOT_SECS]]]
# (by the suite's power switch, multinode/pdu.py)
# It makes the node's private mounts (tests/cluster/lib.sh node_private_mounts: /etc/corosync,
# /var/lib/pacemaker, logs, /run, /dev/shm, the mqha agents), adds what a multi-node test needs on
# top (its own MQ installation at the common path MQROOT, its own /etc/passwd and /etc/group),
# starts corosync and pacemakerd, and then stays as init, reaping orphans, until the test kills it
# (which kills every process of the node at once, as a power cut does). Not meant to be run by hand.
set -euo pipefail
name=$1 nodedir=$2 mqroot=$3 agents=${4:-} fence_dir=${5:-} boot_secs=${6:-0}
echo powered >"$nodedir/powered"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/cluster/lib.sh
source "$here/../lib.sh"

node_private_mounts "$nodedir" "$name" "$agents"
# Every node sees its own installation at one path, as every real host has its own /opt/mqm.
mount --bind "$nodedir/mqroot" "$mqroot"
# A private user database, so that a test can give this node's mq user other ids.
mount --bind "$nodedir/passwd" /etc/passwd
mount --bind "$nodedir/group" /etc/group
# The test's fence agent in /usr/sbin, where pacemaker-fenced and pcs look for fence_* agents: a
# read-only overlay of FENCE_DIR on the machine's /usr/sbin, in this node's mount namespace only.
if [ -n "$fence_dir" ]; then
    mount -t overlay overlay -o "lowerdir=$fence_dir:/usr/sbin" /usr/sbin
fi
cp "$nodedir/corosync.conf" /etc/corosync/corosync.conf
if [ ! -e /var/lib/pacemaker/cib/cib.xml ]; then
    # First boot only: after a crash the node comes back with the CIB it had, as a host would.
    install -o hacluster -g haclient -m 0600 "$nodedir/seed-cib.xml" /var/lib/pacemaker/cib/cib.xml
else
    # Powered on again (after a crash or a fencing): a host takes a while to boot before its
    # cluster stack runs. Pacemaker relies on that: a node whose new pacemaker hears the result
    # of its own fencing ("We were allegedly just fenced") shuts its cluster stack down, and one
    # back before the others noticed it went may stay "pending" (multinode/cluster.sh mn_boot_secs).
    sleep "$boot_secs"
fi
# Power on: the link comes up (the power switch took it down with the power).
ip link set eth0 up

export PCMK_logfile=/var/log/pacemaker/pacemaker.log PCMK_logfacility=none
corosync -f >>"$nodedir/corosync.out" 2>&1 &
# pacemakerd gives up when corosync does not answer yet.
wait_for "corosync on $name to answer" 20 corosync-cfgtool -s || exit 1
pacemakerd -f >>"$nodedir/pacemakerd.out" 2>&1 &
echo started >"$nodedir/started"

# As init of the namespace, reap whatever is reparented to us (daemonised queue-manager processes
# included), so that /proc never shows their zombies as if they were running.
trap '' TERM INT HUP
while :; do
    wait || true
    sleep 1
done
