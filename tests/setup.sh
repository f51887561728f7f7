#!/usr/bin/env bash
# Installs what the test suites need on a fresh Debian 12 machine (root) and creates the mq users
# the simulated installations run as. Safe to run again.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
    echo "tests/setup.sh: must run as root (it installs packages and creates users)" >&2
    exit 1
fi
# pacemaker-cli-utils: crm_mon, crm_resource, cibadmin, crm_attribute (pacemaker only recommends it).
pkgs=(gcc libc6-dev pacemaker pacemaker-cli-utils corosync pcs resource-agents libxml2-utils rpm rpmlint iproute2 procps psmisc util-linux kmod netcat-openbsd
    xsltproc cpio groff-base binutils gzip strace)  # rpm/build.sh and rpm/test.sh: man pages from meta-data, payload and ELF checks; strace: the agent benchmark counts processes with it
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    # several builds may share a machine: wait for another apt run instead of failing
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The simulated installations run their queue managers as these users, as MQ runs as mqm.
getent group mqm >/dev/null || groupadd --system mqm
getent passwd mqm >/dev/null || useradd --system --gid mqm --home-dir /var/mqm --no-create-home --shell /bin/bash mqm
# A second mq user with other ids, for the tests of two installations and of id mismatches.
getent group mqm2 >/dev/null || groupadd --system mqm2
getent passwd mqm2 >/dev/null || useradd --system --gid mqm2 --home-dir /var/mqm2 --no-create-home --shell /bin/bash mqm2
# An alternate administrator that belongs to the mq group, for the mq_user tests.
getent passwd mqadmin >/dev/null || useradd --system --gid mqm --home-dir /nonexistent --no-create-home --shell /bin/bash mqadmin
exit 0
