//! Where the binaries under test are: beside the test binary, in target/<profile>/.

use std::path::{Path, PathBuf};

/// target/<profile>, from the running test binary's path (target/<profile>/deps/<test>).
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    exe.parent().and_then(Path::parent).expect("test binary outside target/<profile>/deps").to_path_buf()
}

/// A workspace binary `name` built for this profile; a missing one means the workspace was not built.
pub fn built(name: &str) -> PathBuf {
    let p = profile_dir().join(name);
    assert!(p.is_file(), "{} is missing: build first: cargo build --workspace [--release]", p.display());
    p
}

/// The simulator's command-line tool (install, cleanup, faults, crashes).
pub fn mqsim_exe() -> PathBuf {
    built("mqsim")
}

/// The agent binary (one binary for all three agents, told apart by its name).
pub fn agent_exe() -> PathBuf {
    built("ibmmq")
}
