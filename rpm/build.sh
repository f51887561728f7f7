#!/usr/bin/env bash
# Builds the mqha binary RPM and source RPM into target/rpm/ on a Debian 12 build machine:
#     rpm/build.sh
# 1. makes the source archive: the workspace's sources plus every crate it needs (cargo vendor)
#    and the .cargo/config.toml that points cargo at them, so the source RPM builds offline;
# 2. runs rpmbuild on it, linking the agent against glibc 2.28 with cargo-zigbuild (the spec says
#    why) and with --nodeps, because Debian's rpm database knows nothing of its dpkg packages.
# It installs what it lacks (rpm/zig-tools.sh): zig (PyPI package ziglang) and cargo-zigbuild
# (crates.io). Debian packages it needs: rpm, xsltproc (tests/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

out=$root/target/rpm

die() { echo "rpm/build.sh: $*" >&2; exit 1; }
step() { printf 'rpm/build.sh: %s\n' "$*" >&2; }

for t in rpmbuild xsltproc cargo python3 tar gzip git; do
    command -v "$t" >/dev/null || die "'$t' not found (run tests/setup.sh as root for the Debian packages)"
done

# --- the spec's version must be the workspace's -----------------------------------------------
version=$(sed -n 's/^Version:[[:space:]]*//p' rpm/mqha.spec)
cargo_version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' Cargo.toml)
[ -n "$version" ] || die "no Version: line in rpm/mqha.spec"
[ "$version" = "$cargo_version" ] ||
    die "rpm/mqha.spec has Version $version but Cargo.toml [workspace.package] has $cargo_version: make them equal"

# --- zig and cargo-zigbuild ----------------------------------------------------------------------
# shellcheck source=rpm/zig-tools.sh
. rpm/zig-tools.sh

# --- the source archive ----------------------------------------------------------------------------
stage=$(mktemp -d "$root/target/rpm-stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
src=$stage/mqha-$version
mkdir -p "$src/.cargo"
# What the package is built from: the tracked and new (not ignored) files of these paths. The
# simulator crates come along because cargo reads every workspace member's manifest.
git ls-files -z --cached --others --exclude-standard -- \
    Cargo.toml Cargo.lock README.md LICENSE crates rpm ocf docs |
    while IFS= read -r -d '' f; do if [ -e "$f" ]; then printf '%s\0' "$f"; fi; done |
    tar --null -T - -cf - | tar -xf - -C "$src"
[ -f "$src/LICENSE" ] || die "LICENSE missing at the repository root"
[ -f "$src/Cargo.lock" ] || die "Cargo.lock missing: the package builds only from locked versions"

step "vendoring the workspace's crates"
# Offline first (the crates of a built workspace are in cargo's cache); otherwise from crates.io.
vendor() { (cd "$src" && cargo vendor --locked "$@" vendor >.cargo/config.toml 2>"$stage/vendor.log"); }
vendor --offline 2>/dev/null || vendor || die "cargo vendor failed (is Cargo.lock up to date? run cargo build --workspace)"
grep -q 'vendored-sources' "$src/.cargo/config.toml" || die "cargo vendor wrote no source replacement"

mkdir -p "$out"
tarball=$out/mqha-$version.tar.gz
# Fixed order, owners and times, so the same sources give the same archive.
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
    -C "$stage" -cf - "mqha-$version" | gzip -9n >"$tarball"
step "source archive $(du -h "$tarball" | cut -f1) $tarball"

# --- rpmbuild ------------------------------------------------------------------------------------
top=$out/rpmbuild
rm -rf "$top"
mkdir -p "$top"/{BUILD,BUILDROOT,SOURCES,SPECS,SRPMS,RPMS}
cp "$tarball" "$top/SOURCES/"
cp rpm/mqha.spec "$top/SPECS/"
rm -f "$out"/mqha-*.rpm
step "rpmbuild (binary and source RPM)"
# Debian's /bin/sh is dash, and rpm's brp-compress (which gzips the man pages) uses bash's
# `read -d`: run it with bash, or the pages ship uncompressed. The Packager comes from here, not
# the spec, as distributions' build systems set it.
rpmbuild -ba --nodeps --with zigbuild \
    --define "__brp_compress bash $(rpm --eval '%{_rpmconfigdir}')/brp-compress $(rpm --eval '%{_prefix}')" \
    --define "packager ${MQHA_PACKAGER:-mqha developers <mqha@example.invalid>}" \
    --define "_topdir $top" \
    --define "_rpmdir $out" \
    --define "_srcrpmdir $out" \
    --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
    "$top/SPECS/mqha.spec" >"$out/rpmbuild.log" 2>&1 || {
    tail -40 "$out/rpmbuild.log" >&2
    die "rpmbuild failed; the whole log is $out/rpmbuild.log"
}
ls -1 "$out"/mqha-*.rpm
