//! Several installations under one ROOT, as IBM lays them out: the registry
//! (docs/reference/mq-processes-and-files.md#mqinst-ini), the primary installation's links made by
//! setmqinst (#primary-installation), each queue manager's InstallationName (#mqs-ini), and control
//! commands of the wrong installation refused (docs/reference/mq-commands.md#wrong-installation).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use mq_testkit::*;

/// ROOT/opt/mqm (Installation1, 9.3) and ROOT/opt/mqm94 (Installation2, 9.4).
fn two_installations() -> (Sim, Sim) {
    let one = Sim::install(&[]);
    let two = one.install_in_root("opt/mqm94", &["--name", "Installation2", "--version", "9.4.0.0"]);
    (one, two)
}

fn canonical(p: PathBuf) -> PathBuf {
    std::fs::canonicalize(p).unwrap()
}

/// The `Installation:` stanzas of the registry as (key, value) lists.
fn registry_stanzas(root: &Path) -> Vec<Vec<(String, String)>> {
    let text = std::fs::read_to_string(root.join("etc/opt/mqm/mqinst.ini")).expect("the registry");
    let mut out: Vec<Vec<(String, String)>> = Vec::new();
    for l in text.lines() {
        if l == "Installation:" {
            out.push(Vec::new());
        } else if let Some((k, v)) = l.trim().split_once('=') {
            out.last_mut().expect("a key inside a stanza").push((k.to_string(), v.to_string()));
        } else {
            assert!(l.trim().is_empty(), "unexpected line in mqinst.ini: {l:?}\n{text}");
        }
    }
    out
}

fn stanza_of(sim: &Sim, qm: &str) -> String {
    let text = std::fs::read_to_string(sim.data().join("mqs.ini")).unwrap();
    let start = text.find(&format!("   Name={qm}\n")).unwrap_or_else(|| panic!("no stanza of {qm}:\n{text}"));
    text[start..].split("QueueManager:").next().unwrap().to_string()
}

#[test]
fn the_registry_holds_one_installation_stanza_each_and_no_invented_key() {
    let (one, two) = two_installations();
    let stanzas = registry_stanzas(&one.root);
    let expect = |name: &str, id: &str, path: PathBuf| {
        vec![
            ("Name".to_string(), name.to_string()),
            ("Description".to_string(), String::new()),
            ("Identifier".to_string(), id.to_string()),
            ("FilePath".to_string(), canonical(path).display().to_string()),
        ]
    };
    assert_eq!(stanzas, vec![expect("Installation1", "1", one.inst()), expect("Installation2", "2", two.inst())]);
    // Root's file, not writable by others, as the packages leave it.
    let md = std::fs::metadata(one.root.join("etc/opt/mqm/mqinst.ini")).unwrap();
    assert_eq!((md.uid(), md.permissions().mode() & 0o777), (0, 0o644));
    // No installation is primary until setmqinst -i says so: no links, dspmqver says No.
    assert!(!one.root.join("usr/bin/dspmq").exists());
    assert!(one.ok("dspmqver", &[]).stdout.contains("\nPrimary:     No\n"));
    // Both share the data root and its mqs.ini.
    assert!(one.data().join("mqs.ini").is_file());
    assert_eq!(two.data(), one.data());
}

#[test]
fn setmqinst_makes_and_unmakes_the_primary_links_and_dspmqinst_shows_them() {
    let (one, two) = two_installations();
    let r = one.run("setmqinst", &["-i", "-n", "Installation2"]);
    assert_eq!(r.rc, 0, "{r:?}");
    let inst2 = canonical(two.inst());
    assert!(
        r.stdout.ends_with(&format!("'Installation2' ({}) set as the Primary Installation.\n", inst2.display())),
        "{r:?}"
    );
    for (link, to) in [
        ("usr/bin/dspmq", "bin/dspmq"),
        ("usr/bin/strmqm", "bin/strmqm"),
        ("usr/lib64/libmqm_r.so", "lib64/libmqm_r.so"),
    ] {
        assert_eq!(std::fs::read_link(one.root.join(link)).unwrap(), inst2.join(to), "{link}");
    }
    assert!(!one.root.join("usr/bin/amqzxma0").exists(), "queue-manager programs are not linked");
    // The registry still has no primary key: the links are the mark.
    assert!(!std::fs::read_to_string(one.root.join("etc/opt/mqm/mqinst.ini")).unwrap().contains("Primary"));
    // docs/reference/mq-commands.md#dspmqinst: labels padded to 15 columns.
    let r = one.run("dspmqinst", &["-n", "Installation2"]);
    assert_eq!(r.rc, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        format!(
            "InstName:      Installation2\nInstDesc:\nIdentifier:    2\nInstPath:      {}\nVersion:       9.4.0.0\nPrimary:       Yes\nState:         Available\n",
            inst2.display()
        )
    );
    let all = one.run("dspmqinst", &[]).stdout;
    assert_eq!(all.matches("Primary:       No\n").count(), 1, "{all}");
    assert!(two.ok("dspmqver", &[]).stdout.contains("\nPrimary:     Yes\n"));
    // Another primary while one is set: refused, links unchanged.
    let r = one.run("setmqinst", &["-i", "-n", "Installation1"]);
    assert_eq!(r.rc, 59, "{r:?}");
    assert_eq!(std::fs::read_link(one.root.join("usr/bin/dspmq")).unwrap(), inst2.join("bin/dspmq"));
    // Root only: the mq user can neither change nor list the registry.
    assert_eq!(one.mq("setmqinst", &["-x", "-n", "Installation2"]).rc, 119);
    assert_eq!(one.mq("dspmqinst", &[]).rc, 119);
    assert!(one.root.join("usr/bin/dspmq").exists());
    // dspmqinst's return codes: 44 no such entry, 59 name and path of different installations.
    assert_eq!(one.run("dspmqinst", &["-n", "Installation9"]).rc, 44);
    let p2 = inst2.display().to_string();
    assert_eq!(one.run("dspmqinst", &["-n", "Installation1", "-p", &p2]).rc, 59);
    // -x removes the links.
    let r = one.run("setmqinst", &["-x", "-p", &p2]);
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(std::fs::symlink_metadata(one.root.join("usr/bin/dspmq")).is_err());
    assert!(std::fs::symlink_metadata(one.root.join("usr/lib64/libmqm_r.so")).is_err());
    assert!(one.run("dspmqinst", &["-n", "Installation2"]).stdout.contains("Primary:       No\n"));
}

#[test]
fn every_queue_manager_stanza_names_its_installation() {
    let (one, two) = two_installations();
    assert_eq!(two.mq("crtmqm", &["QMB"]).rc, 0);
    assert_eq!(one.mq("crtmqm", &["QMA"]).rc, 0);
    assert!(stanza_of(&one, "QMB").contains("   InstallationName=Installation2\n"), "{}", stanza_of(&one, "QMB"));
    assert!(stanza_of(&one, "QMA").contains("   InstallationName=Installation1\n"));
    // dspmqinf shows it; addmqinf writes the installation it belongs to.
    assert!(two.ok("dspmqinf", &["QMB"]).stdout.contains("InstallationName=Installation2"));
    let line = one.mq("dspmqinf", &["-o", "command", "QMA"]).stdout;
    let args: Vec<&str> = line.trim_end().split(' ').skip(1).collect();
    assert_eq!(one.mq("rmvmqinf", &["QMA"]).rc, 0);
    let r = two.mq("addmqinf", &args);
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(stanza_of(&one, "QMA").contains("   InstallationName=Installation2\n"), "{}", stanza_of(&one, "QMA"));
    // dspmq from either installation names each queue manager's own installation.
    let r = one.ok("dspmq", &["-o", "installation", "-m", "QMB"]);
    assert!(
        r.stdout.contains(&format!(
            "INSTNAME(Installation2) INSTPATH({}) INSTVER(9.4.0.0)",
            canonical(two.inst()).display()
        )),
        "{r:?}"
    );
}

#[test]
fn control_commands_of_the_wrong_installation_refuse_the_queue_manager() {
    let (one, two) = two_installations();
    assert_eq!(two.mq("crtmqm", &["QMB"]).rc, 0);
    let amq5691 = "AMQ5691E: Queue manager 'QMB' is associated with a different installation ('Installation2').\n";
    // strmqm of Installation1: refused, nothing started.
    let r = one.mq("strmqm", &["QMB"]);
    assert_eq!((r.rc, r.stdout.as_str()), (62, amq5691), "{r:?}");
    assert!(one.qm_pids("QMB").is_empty(), "strmqm of the wrong installation started something");
    assert_eq!(two.status("QMB"), "ENDED IMMEDIATELY");
    // Its own installation starts it; dspmq of either shows it running.
    let r = two.mq("strmqm", &["QMB"]);
    assert_eq!(r.rc, 0, "{r:?}");
    assert_eq!(one.status("QMB"), "RUNNING");
    let controller = one.processes().into_iter().find(|p| p.comm == "amqzxma0").expect("the execution controller");
    let exe = std::fs::read_link(format!("/proc/{}/exe", controller.pid)).unwrap();
    assert!(exe.starts_with(canonical(two.inst())), "{exe:?}");
    // endmqm, runmqsc and dltmqm of Installation1: refused; it keeps running.
    let r = one.mq("endmqm", &["-i", "QMB"]);
    assert_eq!((r.rc, r.stdout.as_str()), (62, amq5691), "{r:?}");
    let r = one.runmqsc(&["QMB"], "DISPLAY QMGR\n");
    assert_eq!(r.rc, 20, "{r:?}");
    assert!(r.stdout.contains(amq5691), "{r:?}");
    assert_eq!(one.status("QMB"), "RUNNING");
    // The command log names the installation whose program ran.
    let log = std::fs::read_to_string(one.root.join(".mqsim/commands.log")).unwrap();
    assert!(
        log.lines().any(|l| l.split(' ').nth(2) == Some("amqzxma0") && l.split(' ').nth(3) == Some("Installation2")),
        "{log}"
    );
    assert_eq!(two.mq("endmqm", &["-i", "QMB"]).rc, 0);
    assert_eq!(one.mq("dltmqm", &["QMB"]).rc, 62);
    // setmqm moves it, from the installation it moves to (and only with that one's name).
    assert_eq!(one.mq("setmqm", &["-m", "QMB", "-n", "Installation2"]).rc, 59);
    let r = one.mq("setmqm", &["-m", "QMB", "-n", "Installation1"]);
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(stanza_of(&one, "QMB").contains("   InstallationName=Installation1\n"));
    assert_eq!(two.mq("strmqm", &["QMB"]).rc, 62);
    assert_eq!(one.mq("strmqm", &["QMB"]).rc, 0);
    assert_eq!(one.mq("endmqm", &["-i", "QMB"]).rc, 0);
}
