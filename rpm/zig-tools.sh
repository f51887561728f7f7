# Sourced by rpm/build.sh and rpm/test.sh (bash, from the repository root): makes zig and
# cargo-zigbuild available, installing them into target/rpm-tools/ when they are missing:
# zig from PyPI (the ziglang package), cargo-zigbuild from crates.io. Exports PATH and PYTHONPATH.

# Versions known to work together; pinned so that a fresh machine builds the same thing.
ziglang_version=0.17.1
zigbuild_version=0.24.1

zig_tools=$PWD/target/rpm-tools
export PATH=$zig_tools/bin:$PATH
export PYTHONPATH=$zig_tools/python${PYTHONPATH:+:$PYTHONPATH}
# cargo-zigbuild runs `python3 -m ziglang` before looking for a `zig` on PATH.
if [ "$(python3 -m ziglang version 2>/dev/null || true)" != "$ziglang_version" ]; then
    echo "rpm: installing zig $ziglang_version (PyPI ziglang) into $zig_tools/python" >&2
    rm -rf "$zig_tools/python"
    python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
        --target "$zig_tools/python" "ziglang==$ziglang_version" || {
        echo "rpm: could not install ziglang==$ziglang_version from PyPI" >&2
        exit 1
    }
fi
if [ "$(cargo-zigbuild --version 2>/dev/null || true)" != "cargo-zigbuild $zigbuild_version" ]; then
    echo "rpm: installing cargo-zigbuild $zigbuild_version (crates.io) into $zig_tools" >&2
    cargo install --quiet --locked --root "$zig_tools" --version "$zigbuild_version" cargo-zigbuild || {
        echo "rpm: could not install cargo-zigbuild $zigbuild_version from crates.io" >&2
        exit 1
    }
fi
