//! ocf/<agent>.xml are the reviewable copies of what the agents print as meta-data; this test
//! fails when a parameter table changed and ocf/regen.sh was not run. (The man pages are made
//! from this meta-data by rpm/render-man.sh, as resource-agents makes its own.)

use std::path::PathBuf;

use mq_testkit::*;

fn ocf_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ocf")
}

#[test]
fn generated_files_are_current() {
    let links = Links::new();
    let mut stale = Vec::new();
    for agent in AGENTS {
        let o = links.run(agent, "meta-data", NO_ENV);
        assert_eq!(o.rc, 0, "{agent} meta-data: {}", o.stderr);
        let file = format!("{agent}.xml");
        let on_disk = std::fs::read_to_string(ocf_dir().join(&file)).unwrap_or_default();
        if on_disk != o.stdout {
            stale.push(file);
        }
    }
    assert!(stale.is_empty(), "stale generated files in ocf/: {stale:?}; run ocf/regen.sh and commit them");
}
