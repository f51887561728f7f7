//! The meta-data of all three agents is accepted by every tool that reads it: resource-agents'
//! ra-api-1.dtd exactly as ocf-tester checks it, pcs's OCF 1.1 schema, and it is produced as
//! `nobody` with an empty environment (how ocf-tester and pcs run it).

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use mq_testkit::*;

const DTD_DIR: &str = "/usr/share/resource-agents";
const PCS_RNG: &str = "/usr/share/pcs/data/ocf-1.1.rng";

fn meta_data(links: &Links, agent: &str) -> String {
    let o = links.run(agent, "meta-data", NO_ENV);
    assert_eq!(o.rc, 0, "{agent} meta-data: {}", o.stderr);
    assert!(o.stderr.is_empty(), "{agent} meta-data wrote to stderr: {}", o.stderr);
    let xml = o.stdout;
    assert!(
        xml.starts_with("<?xml version=\"1.0\"?>\n<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\""),
        "{agent}: {xml}"
    );
    xml
}

/// Runs xmllint with `args` on `xml` fed through stdin, in `cwd`; returns (rc, stderr).
fn xmllint_stdin(args: &[&str], xml: &str, cwd: &Path) -> (i32, String) {
    let mut child = Command::new(xmllint())
        .args(args)
        .arg("-")
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("xmllint");
    child.stdin.take().unwrap().write_all(xml.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stderr).into_owned())
}

fn xpath(xml: &str, expr: &str) -> String {
    let mut child = Command::new(xmllint())
        .args(["--xpath", expr, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("xmllint");
    child.stdin.take().unwrap().write_all(xml.as_bytes()).unwrap();
    String::from_utf8_lossy(&child.wait_with_output().unwrap().stdout).trim().to_string()
}

#[test]
fn meta_data_passes_ra_api_dtd_as_ocf_tester_checks_it() {
    assert!(Path::new(DTD_DIR).join("ra-api-1.dtd").exists(), "{DTD_DIR}/ra-api-1.dtd missing: run tests/setup.sh");
    let links = Links::new();
    for agent in AGENTS {
        let xml = meta_data(&links, agent);
        // ocf-tester: `$agent meta-data | (cd /usr/share/resource-agents && xmllint --noout --valid -)`
        let (rc, err) = xmllint_stdin(&["--noout", "--valid"], &xml, Path::new(DTD_DIR));
        assert_eq!(rc, 0, "{agent}: meta-data does not conform to ra-api-1.dtd:\n{err}");
        assert!(err.is_empty(), "{agent}: xmllint warned:\n{err}");
    }
}

#[test]
fn meta_data_passes_the_pcs_ocf_1_1_schema() {
    assert!(Path::new(PCS_RNG).exists(), "{PCS_RNG} missing: run tests/setup.sh");
    let links = Links::new();
    for agent in AGENTS {
        let xml = meta_data(&links, agent);
        let (rc, err) = xmllint_stdin(&["--noout", "--relaxng", PCS_RNG], &xml, Path::new("/"));
        assert_eq!(rc, 0, "{agent}: meta-data fails {PCS_RNG}:\n{err}");
    }
}

#[test]
fn meta_data_says_what_pacemaker_and_pcs_need() {
    let links = Links::new();
    for agent in AGENTS {
        let xml = meta_data(&links, agent);
        assert_eq!(xpath(&xml, "string(/resource-agent/@name)"), agent);
        assert_eq!(xpath(&xml, "string(/resource-agent/version)"), "1.1");
        assert_eq!(
            xpath(&xml, "count(//longdesc[not(@lang='en')]|//shortdesc[not(@lang='en')])"),
            "0",
            "{agent}: description without lang=en"
        );
        assert_eq!(xpath(&xml, "string(//parameter[@name='qmgr']/@required)"), "1", "{agent}: qmgr not required");
        assert_eq!(
            xpath(&xml, "count(//action[not(substring(@timeout, string-length(@timeout))='s')])"),
            "0",
            "{agent}: timeout without s"
        );
        assert_eq!(
            xpath(&xml, "count(//action[@interval and not(substring(@interval, string-length(@interval))='s')])"),
            "0"
        );
        for a in ["start", "stop", "monitor", "validate-all", "meta-data"] {
            assert_ne!(xpath(&xml, &format!("count(//action[@name='{a}'])")), "0", "{agent} does not advertise {a}");
        }
        assert_ne!(xpath(&xml, "count(//action[@name='monitor'][@depth='10'])"), "0", "{agent}: no depth-10 monitor");
    }
    let links = Links::new();
    let q = meta_data(&links, "ibmmq");
    assert_eq!(xpath(&q, "string(//parameter[@name='qmgr']/@unique-group)"), "qmgr");
    assert_eq!(xpath(&q, "count(//action[@name='monitor'][@depth='20'])"), "1");
    assert_eq!(xpath(&q, "count(//action[@name='reload-agent'])"), "1");
    assert_eq!(xpath(&q, "string(//parameter[@name='test_queue']/@reloadable)"), "1");
    assert_eq!(xpath(&q, "string(//parameter[@name='test_queue']/content/@default)"), "HA.TESTQUEUE");
    assert_eq!(xpath(&q, "string(//parameter[@name='stop_mode']/content/@default)"), "immediate");
    let l = meta_data(&links, "ibmmq-listener");
    assert_eq!(xpath(&l, "string(//parameter[@name='port']/@required)"), "1");
    assert_eq!(xpath(&l, "string(//parameter[@name='port']/content/@type)"), "integer");
    let t = meta_data(&links, "ibmmq-trigger");
    assert_eq!(xpath(&t, "string(//parameter[@name='initq']/content/@default)"), "SYSTEM.DEFAULT.INITIATION.QUEUE");
}

#[test]
fn meta_data_works_as_nobody_with_an_empty_environment() {
    // ocf-tester runs `su nobody -s /bin/sh -c "$agent meta-data"`: copy the binary where
    // nobody can execute it, and run it with no environment at all from /.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.path().join("ibmmq");
    std::fs::copy(agent_exe(), &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let links = Links::new();
    for agent in AGENTS {
        let name = dir.path().join(agent);
        if agent != "ibmmq" {
            std::os::unix::fs::symlink(&bin, &name).unwrap();
        }
        let o = run(Command::new(&name).arg("meta-data").env_clear().current_dir("/").uid(65534).gid(65534));
        assert_eq!(o.rc, 0, "{agent} meta-data as nobody: {}", o.stderr);
        assert_eq!(o.stdout, meta_data(&links, agent), "{agent}: output differs as nobody");
    }
}
