# Sourced by rpm/build.sh and rpm/test.sh (bash, from the repository root): makes zig and
# cargo-zigbuild available, installing them when they are missing: zig from PyPI (the ziglang
# package, into python3's site-packages) and cargo-zigbuild from crates.io (into cargo's bin
# directory). Both stay on the machine, so a fresh clone (as CI makes) does not rebuild them.

# Versions known to work together; pinned so that a fresh machine builds the same thing.
ziglang_version=0.17.1
zigbuild_version=0.24.1

cargo_bin=${CARGO_HOME:-$HOME/.cargo}/bin
case ":$PATH:" in *":$cargo_bin:"*) ;; *) export PATH=$cargo_bin:$PATH ;; esac
# cargo-zigbuild runs `python3 -m ziglang` before looking for a `zig` on PATH.
if [ "$(python3 -m ziglang version 2>/dev/null || true)" != "$ziglang_version" ]; then
    echo "rpm: installing zig $ziglang_version (PyPI package ziglang) with pip" >&2
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
        "ziglang==$ziglang_version" || {
        echo "rpm: could not install ziglang==$ziglang_version from PyPI" >&2
        exit 1
    }
fi
if [ "$(cargo-zigbuild --version 2>/dev/null || true)" != "cargo-zigbuild $zigbuild_version" ]; then
    echo "rpm: installing cargo-zigbuild $zigbuild_version (crates.io) into $cargo_bin" >&2
    cargo install --quiet --locked --version "$zigbuild_version" cargo-zigbuild || {
        echo "rpm: could not install cargo-zigbuild $zigbuild_version from crates.io" >&2
        exit 1
    }
fi
