#!/usr/bin/env bash
# Builds the Debian/Ubuntu package target/deb/mqha_<version>-<release>_<arch>.deb from the binary
# RPM that rpm/build.sh made (it builds it first when it is missing):
#     deb/build.sh
# The .deb carries the very binary and man pages of the RPM (the agent linked for glibc 2.28,
# which Debian 10+ and Ubuntu 20.04+ have), laid out as Debian policy wants: the agents at
# /usr/lib/ocf/resource.d/mqha/, the man pages gzipped, /usr/share/doc/mqha/ with the copyright
# file, the Debian changelog, the README and docs/. The RPM stays the primary artefact; this is a
# repackaging, not a second build. Needs dpkg-deb, rpm2cpio and cpio (tests/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/target/deb

die() { echo "deb/build.sh: $*" >&2; exit 1; }
for t in dpkg-deb rpm2cpio cpio gzip readelf; do
    command -v "$t" >/dev/null || die "'$t' not found (run tests/setup.sh as root for the Debian packages)"
done

version=$(sed -n 's/^Version:[[:space:]]*//p' rpm/mqha.spec)
release=$(sed -n 's/^Release:[[:space:]]*\([0-9]*\).*/\1/p' rpm/mqha.spec)
[ -n "$version" ] && [ -n "$release" ] || die "no Version:/Release: in rpm/mqha.spec"
rpm_arch=$(rpm --eval '%{_target_cpu}')
case $rpm_arch in
x86_64) arch=amd64 ;;
aarch64) arch=arm64 ;;
*) die "no Debian architecture known for '$rpm_arch'" ;;
esac
rpm_file=$root/target/rpm/mqha-$version-$release.$rpm_arch.rpm
if [ ! -s "$rpm_file" ]; then
    echo "deb/build.sh: $rpm_file missing: running rpm/build.sh" >&2
    rpm/build.sh
fi
[ -s "$rpm_file" ] || die "rpm/build.sh did not make $rpm_file"

stage=$(mktemp -d "$root/target/deb-stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
(cd "$stage" && rpm2cpio "$rpm_file" | cpio -idm --quiet) || die "could not unpack $rpm_file"
pkg=$stage/pkg
ocf=usr/lib/ocf/resource.d/mqha
install -d -m 0755 "$pkg/$ocf" "$pkg/usr/share/man/man7" "$pkg/usr/share/doc/mqha" "$pkg/DEBIAN"
install -m 0755 "$stage/$ocf/ibmmq" "$pkg/$ocf/ibmmq"
ln -s ibmmq "$pkg/$ocf/ibmmq-listener"
ln -s ibmmq "$pkg/$ocf/ibmmq-trigger"
for page in "$stage"/usr/share/man/man7/ocf_mqha_*.7*; do
    name=$(basename "$page" .gz)
    # Debian policy: gzip -9n (no name, no time stamp), whatever the RPM's compression was.
    if [[ $page == *.gz ]]; then zcat "$page"; else cat "$page"; fi | gzip -9n >"$pkg/usr/share/man/man7/$name.gz"
done
cp README.md "$pkg/usr/share/doc/mqha/"
cp -r docs "$pkg/usr/share/doc/mqha/"
find "$pkg/usr/share/doc" -type d -exec chmod 0755 {} + && find "$pkg/usr/share/doc" -type f -exec chmod 0644 {} +
chmod 0644 "$pkg"/usr/share/man/man7/*

epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
date_rfc=$(date -u -R -d "@$epoch")
maintainer=${MQHA_PACKAGER:-mqha developers <mqha@example.invalid>}
# The machine-readable copyright format (DEP-5), with the licence the RPM's %license carries.
{
    echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    echo "Upstream-Name: mqha"
    echo
    echo "Files: *"
    echo "Copyright: 2026 mqha developers"
    echo "License: GPL-2.0-or-later"
    echo " On Debian systems, the complete text of the GNU General Public License"
    echo " version 2 can be found in /usr/share/common-licenses/GPL-2."
} >"$pkg/usr/share/doc/mqha/copyright"
{
    echo "mqha ($version-$release) unstable; urgency=medium"
    echo
    echo "  * Debian package of the mqha agents, repackaged from the binary RPM."
    echo
    echo " -- $maintainer  $date_rfc"
} | gzip -9n >"$pkg/usr/share/doc/mqha/changelog.Debian.gz"

# Depends: the libraries the binary is linked against, as the packages that ship them.
needed=$(readelf -d "$pkg/$ocf/ibmmq" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
depends="libc6 (>= 2.28)"
case " $needed " in *" libgcc_s.so.1 "*) depends="$depends, libgcc-s1 | libgcc1" ;; esac
for lib in $needed; do
    case $lib in libc.so.6 | libdl.so.2 | libpthread.so.0 | librt.so.1 | libm.so.6 | ld-linux*.so.* | libgcc_s.so.1) ;;
    *) die "the agent needs $lib, which deb/build.sh does not know the package of" ;;
    esac
done
size=$(du -k -s --apparent-size "$pkg/usr" | cut -f1)
cat >"$pkg/DEBIAN/control" <<CONTROL
Package: mqha
Version: $version-$release
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends
Recommends: pacemaker
Section: admin
Priority: optional
Homepage: https://example.invalid/mqha
Description: Pacemaker OCF resource agents for IBM MQ queue managers
 mqha keeps IBM MQ queue managers highly available on Linux clusters run
 by Pacemaker and Corosync. One binary serves three OCF resource agents of
 the provider "mqha": ocf:mqha:ibmmq (a queue manager, with its command
 server and channel initiator), ocf:mqha:ibmmq-listener (one TCP listener)
 and ocf:mqha:ibmmq-trigger (one trigger monitor). Each agent has a man
 page, ocf_mqha_<agent>(7).
CONTROL
(cd "$pkg" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/md5sums"

mkdir -p "$out"
deb=$out/mqha_${version}-${release}_$arch.deb
rm -f "$deb"
SOURCE_DATE_EPOCH=$epoch dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "deb/build.sh: $deb"
