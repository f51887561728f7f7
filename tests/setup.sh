#!/usr/bin/env bash
# Prepares a Debian 12 machine (as root) for the demo and the tests, and is the only step that
# uses the network. Safe to run again; what it changes on the machine:
#  1. checks that cargo and rustc are at least the workspace's rust-version (stops at once if not);
#  2. installs the Debian packages below; on a machine run by systemd, the cluster services the
#     install enables (corosync, pacemaker, pcsd) are disabled and stopped again unless they were
#     installed before, so the machine's services stay as they were;
#  3. creates the users the simulated installations run as: mqm, mqm2 (groups of the same name)
#     and mqadmin (in group mqm);
#  4. with --fetch: downloads every crate of Cargo.lock, for every target (`cargo fetch --locked`),
#     and the RPM build's tools (rpm/zig-tools.sh: zig into a virtual environment under
#     target/tools, cargo-zigbuild into cargo's bin directory), so later stages can run offline.
set -euo pipefail
cd "$(dirname "$0")/.."

fetch=false
[ "${1:-}" = --fetch ] && fetch=true

if [ "$(id -u)" != 0 ]; then
    echo "tests/setup.sh: must run as root (it installs packages and creates users)" >&2
    exit 1
fi

# --- 1. the Rust toolchain ------------------------------------------------------------------------
need=$(sed -n '/^\[workspace.package\]/,/^\[/s/^rust-version[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' Cargo.toml)
rust_hint="get a current toolchain with rustup (https://rustup.rs, then 'rustup default stable'); Debian 12's own rustc is 1.63, too old"
for t in cargo rustc; do
    command -v "$t" >/dev/null || { echo "tests/setup.sh: '$t' not found: the workspace needs Rust $need or later; $rust_hint" >&2; exit 1; }
    have=$("$t" --version | awk '{print $2}')
    if [ "$(printf '%s\n%s\n' "$need" "${have%%-*}" | sort -V | head -1)" != "$need" ]; then
        echo "tests/setup.sh: $t $have is older than the workspace's rust-version $need; $rust_hint" >&2
        exit 1
    fi
done

# --- 2. Debian packages -----------------------------------------------------------------------------
# pacemaker-cli-utils: crm_mon, crm_resource, cibadmin, crm_attribute (pacemaker only recommends it).
# xsltproc cpio groff-base binutils gzip: rpm/build.sh and rpm/test.sh (man pages from meta-data,
# payload and ELF checks); strace: the agent benchmark counts processes with it; python3-venv: the
# RPM build's zig lives in a virtual environment (Debian's python3 refuses pip outside one); crmsh:
# the cluster tools suite runs the man pages' crm examples and crm ra info (SUSE's shell); lintian,
# man-db: deb/test.sh checks the Debian package and finds its installed man pages.
pkgs=(gcc libc6-dev pacemaker pacemaker-cli-utils corosync pcs crmsh resource-agents libxml2-utils rpm rpmlint
    lintian man-db
    iproute2 procps psmisc util-linux kmod netcat-openbsd xsltproc cpio groff-base binutils gzip strace
    python3 python3-venv ca-certificates)
# The packages whose install enables a service on a systemd machine, and the unit each enables.
declare -A service_of=([corosync]=corosync [pacemaker]=pacemaker [pcs]=pcsd)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=()
for p in "${pkgs[@]}"; do
    installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "tests/setup.sh: installing Debian packages: ${missing[*]}" >&2
    new_services=()
    for p in "${!service_of[@]}"; do
        installed "$p" || new_services+=("${service_of[$p]}")
    done
    export DEBIAN_FRONTEND=noninteractive
    # several builds may share a machine: wait for another apt run instead of failing
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian's postinst enables and starts these services (pcsd listens on TCP 2224): undo that for
    # the ones this run installed; a service the administrator had before is left alone.
    if [ -d /run/systemd/system ] && [ ${#new_services[@]} -gt 0 ]; then
        echo "tests/setup.sh: disabling and stopping what the install enabled: ${new_services[*]}" >&2
        systemctl disable --now "${new_services[@]}" >/dev/null 2>&1 || true
    fi
fi

# --- 3. users ---------------------------------------------------------------------------------------
# The simulated installations run their queue managers as these users, as MQ runs as mqm.
getent group mqm >/dev/null || groupadd --system mqm
getent passwd mqm >/dev/null || useradd --system --gid mqm --home-dir /var/mqm --no-create-home --shell /bin/bash mqm
# A second mq user with other ids, for the tests of two installations and of id mismatches.
getent group mqm2 >/dev/null || groupadd --system mqm2
getent passwd mqm2 >/dev/null || useradd --system --gid mqm2 --home-dir /var/mqm2 --no-create-home --shell /bin/bash mqm2
# An alternate administrator that belongs to the mq group, for the mq_user tests.
getent passwd mqadmin >/dev/null || useradd --system --gid mqm --home-dir /nonexistent --no-create-home --shell /bin/bash mqadmin

# --- 4. everything else from the network, now, so later stages need none -----------------------------
if $fetch; then
    echo "tests/setup.sh: cargo fetch --locked (every crate of Cargo.lock, for every target)" >&2
    cargo fetch --locked || { echo "tests/setup.sh: 'cargo fetch --locked' failed: crates.io unreachable, or Cargo.lock out of date" >&2; exit 1; }
    # shellcheck source=rpm/zig-tools.sh
    . rpm/zig-tools.sh
fi
exit 0
