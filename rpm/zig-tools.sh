# Sourced by rpm/build.sh, rpm/test.sh and tests/setup.sh (bash, from the repository root): makes
# zig and cargo-zigbuild available, installing them when they are missing or not the pinned
# version: zig from PyPI (the ziglang package) into a virtual environment the project owns,
# target/tools/zig-venv, made with the system's python3 (Debian's refuses `pip install` outside a
# virtual environment, PEP 668); cargo-zigbuild from crates.io into cargo's bin directory. The
# venv's bin directory goes first on PATH, so cargo-zigbuild's `python3 -m ziglang` finds zig
# there whichever python3 the caller had first on PATH.

# Versions known to work together; pinned so that a fresh machine builds the same thing.
ziglang_version=0.17.1
zigbuild_version=0.24.1

zig_venv=$PWD/target/tools/zig-venv
cargo_bin=${CARGO_HOME:-$HOME/.cargo}/bin
case ":$PATH:" in *":$cargo_bin:"*) ;; *) export PATH=$cargo_bin:$PATH ;; esac
if [ "$("$zig_venv/bin/python3" -m ziglang version 2>/dev/null || true)" != "$ziglang_version" ]; then
    echo "rpm: installing zig $ziglang_version (PyPI package ziglang) into $zig_venv" >&2
    rm -rf "$zig_venv"
    # /usr/bin/python3 first: the distribution's Python, not whatever an environment put on PATH.
    sys_python=$(command -v /usr/bin/python3 || command -v python3) || {
        echo "rpm: no python3 to make $zig_venv with (apt-get install python3 python3-venv)" >&2
        exit 1
    }
    "$sys_python" -m venv "$zig_venv" || {
        echo "rpm: '$sys_python -m venv $zig_venv' failed (apt-get install python3-venv)" >&2
        exit 1
    }
    "$zig_venv/bin/python3" -m pip install --quiet --disable-pip-version-check "ziglang==$ziglang_version" || {
        echo "rpm: could not install ziglang==$ziglang_version from PyPI into $zig_venv" >&2
        exit 1
    }
fi
case ":$PATH:" in *":$zig_venv/bin:"*) ;; *) export PATH=$zig_venv/bin:$PATH ;; esac
if [ "$(cargo-zigbuild --version 2>/dev/null || true)" != "cargo-zigbuild $zigbuild_version" ]; then
    echo "rpm: installing cargo-zigbuild $zigbuild_version (crates.io) into $cargo_bin" >&2
    cargo install --quiet --locked --version "$zigbuild_version" cargo-zigbuild || {
        echo "rpm: could not install cargo-zigbuild $zigbuild_version from crates.io" >&2
        exit 1
    }
fi
