//! Every transcript of the qualification kit (tests/real-mq/README.md) read by the agent's own
//! parsers. The transcripts are found at test time: every directory holding a `transcript.meta`
//! under tests/fixtures/real/, and under each directory MQHA_TRANSCRIPTS names (colon-separated;
//! tests/real-mq/simulated.sh uses it for the transcript it has just made). A transcript an
//! administrator sends in from real MQ becomes a regression test by being dropped there.
//!
//! Each recorded MQ output must parse without error and yield what the kit recorded beside it:
//! the queue manager's name, the state the kit expected at that point, the installation's path,
//! the version in the header, the pids of the processes it saw holding a queue open. A command the
//! kit records and this file has no reader for is a failure, so the two cannot drift apart.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mq_core::dspmq::{self, QmState};
use mq_core::ini::IniFile;
use mq_core::installation::parse_dspmqver;
use mq_core::procs::Proc;
use mq_core::qmgr::checks::mqconfig_failures;
use mq_core::qmgr::start::{classify_strmqm, StrmqmOutcome};
use mq_core::runmqsc::{self, Report};
use mq_core::trigger;

const FORMAT: &str = "mqha-qualification-transcript 1";

/// KEY=VALUE lines.
fn read_meta(path: &Path) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

/// A file of the step, lossily decoded (MQ's output is read as text by the agent too); empty when absent.
fn read_text(path: &Path) -> String {
    std::fs::read(path).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
}

/// The transcripts under `root`: directories with a transcript.meta, at any depth.
fn transcripts_under(root: &Path, found: &mut Vec<PathBuf>) {
    if root.join("transcript.meta").is_file() {
        found.push(root.to_path_buf());
        return;
    }
    let Ok(entries) = std::fs::read_dir(root) else { return };
    let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    for d in dirs {
        transcripts_under(&d, found);
    }
}

struct Step {
    name: String,
    meta: BTreeMap<String, String>,
    argv: Vec<String>,
    stdin: String,
    stdout: String,
    stderr: String,
}

impl Step {
    fn read(dir: &Path) -> Result<Step, String> {
        Ok(Step {
            name: dir.file_name().unwrap_or_default().to_string_lossy().into_owned(),
            meta: read_meta(&dir.join("meta"))?,
            argv: read_text(&dir.join("argv")).lines().map(str::to_string).collect(),
            stdin: read_text(&dir.join("stdin")),
            stdout: read_text(&dir.join("stdout")),
            stderr: read_text(&dir.join("stderr")),
        })
    }
    fn get(&self, key: &str) -> Option<&str> {
        self.meta.get(key).map(String::as_str)
    }
    fn rc(&self) -> Result<i32, String> {
        self.get("rc").and_then(|r| r.parse().ok()).ok_or_else(|| "no rc in meta".to_string())
    }
    fn program(&self) -> &str {
        self.argv.first().map(|p| p.rsplit('/').next().unwrap_or(p)).unwrap_or("")
    }
    fn args(&self) -> Vec<&str> {
        self.argv.iter().skip(1).map(String::as_str).collect()
    }
}

/// What the header says, which every step is compared with.
struct Header {
    qm: String,
    installation: String,
    mq_version: String,
}

/// Checks one transcript; returns (steps checked, failures).
fn check_transcript(dir: &Path) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let meta = match read_meta(&dir.join("transcript.meta")) {
        Ok(m) => m,
        Err(e) => return (0, vec![e]),
    };
    let field = |k: &str| meta.get(k).cloned().unwrap_or_default();
    if field("format") != FORMAT {
        failures.push(format!("transcript.meta: format '{}', wanted '{FORMAT}'", field("format")));
    }
    if !matches!(field("source").as_str(), "real" | "simulator") {
        failures.push(format!("transcript.meta: source '{}' is neither real nor simulator", field("source")));
    }
    let header = Header { qm: field("qm"), installation: field("installation"), mq_version: field("mq_version") };
    if mq_core::QmName::new(&header.qm).is_err() || !header.installation.starts_with('/') {
        failures
            .push(format!("transcript.meta: qm '{}' or installation '{}' unusable", header.qm, header.installation));
    }
    let mut dirs: Vec<PathBuf> = match std::fs::read_dir(dir.join("steps")) {
        Ok(e) => e.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect(),
        Err(e) => return (0, vec![format!("steps/: {e}")]),
    };
    dirs.sort();
    let mut checked = 0;
    for d in &dirs {
        let step = match Step::read(d) {
            Ok(s) => s,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let result = match step.get("kind") {
            Some("mq") => check_mq(&step, &header),
            Some("file") => check_file(&step, &header),
            // The agents' own exit codes: the kit judged them when it ran (summary); here only
            // that the record is whole.
            Some("agent") => step.rc().map(|_| ()),
            other => Err(format!("unknown kind {other:?}")),
        };
        checked += 1;
        if let Err(e) = result {
            failures.push(format!("{}: {e}", step.name));
        }
    }
    if checked == 0 {
        failures.push("no steps".into());
    }
    (checked, failures)
}

fn check_mq(step: &Step, h: &Header) -> Result<(), String> {
    if step.get("qm") != Some(h.qm.as_str()) {
        return Err(format!("qm {:?} differs from the header's {}", step.get("qm"), h.qm));
    }
    let rc = step.rc()?;
    if let Some(want) = step.get("expect_rc") {
        if want != rc.to_string() {
            return Err(format!("rc {rc}, the kit expected {want}"));
        }
    }
    let output = format!("{}{}", step.stdout, step.stderr);
    let args = step.args();
    match (step.program(), args.as_slice()) {
        ("dspmq", ["-o", "installation", "-m", qm]) => {
            let line = step
                .stdout
                .lines()
                .find(|l| dspmq::attr(l, "QMNAME") == Some(qm))
                .ok_or_else(|| format!("no QMNAME({qm}) line: {output}"))?;
            match dspmq::attr(line, "INSTPATH") {
                Some(p) if p == h.installation => Ok(()),
                other => Err(format!("INSTPATH {other:?}, the kit ran {}", h.installation)),
            }
        }
        ("dspmq", [.., "-m", qm]) => check_dspmq(step, qm, rc, &output),
        ("dspmqver", []) => {
            let (inst, data) = parse_dspmqver(&step.stdout);
            if inst.as_deref() != Some(Path::new(&h.installation)) {
                return Err(format!("InstPath {inst:?}, the kit ran {}", h.installation));
            }
            if !data.is_some_and(|d| d.is_absolute()) {
                return Err("no absolute DataPath: the agent could not find mqs.ini".into());
            }
            version_line(&step.stdout, h)
        }
        ("dspmqver", ["-f", "2"]) => version_line(&step.stdout, h),
        ("dspmqinf", [qm]) => {
            let ini = IniFile::parse(&step.stdout);
            let stanza = ini.queue_manager(qm).ok_or_else(|| format!("no QueueManager stanza for {qm}: {output}"))?;
            if stanza.directory.is_none() {
                return Err(format!("the stanza of {qm} has no Directory"));
            }
            Ok(())
        }
        ("dspmqinf", ["-o", "command", qm]) => {
            let line = step.stdout.trim();
            if line.starts_with("addmqinf ") && line.split_whitespace().any(|w| w == format!("Name={qm}")) {
                Ok(())
            } else {
                Err(format!("not an addmqinf command for {qm}: {line}"))
            }
        }
        ("strmqm", [qm]) => match (rc, classify_strmqm(qm, rc, &output)) {
            (0, StrmqmOutcome::Started) | (5, StrmqmOutcome::AlreadyRunning) => Ok(()),
            (_, outcome) => Err(format!("strmqm rc {rc} read as {outcome:?}")),
        },
        // The codes a stop treats as done (qmgr/stop.rs end_step); a refusal names its AMQ message.
        ("endmqm", [_, qm]) if *qm == h.qm => match rc {
            0 => Ok(()),
            40 | 16 if output.lines().any(|l| l.trim_start().starts_with("AMQ")) => Ok(()),
            _ => Err(format!("endmqm rc {rc}: {output}")),
        },
        ("runmqsc", [qm]) => check_runmqsc(step, qm, rc),
        ("mqconfig", []) => {
            // The start warns with the lines whose last word is FAIL: the format must hold, and
            // no failure may be written another way.
            let status = |l: &str| matches!(l.split_whitespace().last(), Some("PASS" | "WARN" | "FAIL"));
            if !step.stdout.lines().any(status) {
                return Err(format!("no line ends with PASS, WARN or FAIL: {output}"));
            }
            let read = mqconfig_failures(&step.stdout);
            let missed: Vec<&str> = step
                .stdout
                .lines()
                .filter(|l| l.split_whitespace().any(|w| w == "FAIL"))
                .filter(|l| !read.iter().any(|r| r == l.trim()))
                .collect();
            if missed.is_empty() {
                Ok(())
            } else {
                Err(format!("FAIL lines mqconfig_failures does not read: {missed:?}"))
            }
        }
        // Recorded for the administrator; the agent reads only their exit code.
        ("crtmqm" | "dltmqm", [qm]) if *qm == h.qm => Ok(()),
        (program, args) => Err(format!(
            "no reader for '{program} {}' in real_transcripts.rs: add one with the agent's parser",
            args.join(" ")
        )),
    }
}

fn version_line(out: &str, h: &Header) -> Result<(), String> {
    let v = out.lines().find_map(|l| l.strip_prefix("Version:")).map(str::trim);
    if v == Some(h.mq_version.as_str()) {
        Ok(())
    } else {
        Err(format!("Version {v:?}, the header says {}", h.mq_version))
    }
}

/// The states the kit expected ("Running", "Ended normally|Ended immediately", "unknown").
fn expected_states(step: &Step) -> Result<Vec<QmState>, String> {
    let want = step.get("expect_state").ok_or("no expect_state recorded")?;
    Ok(want.split('|').map(|s| if s == "unknown" { QmState::Unknown } else { QmState::from_status(s) }).collect())
}

fn check_dspmq(step: &Step, qm: &str, rc: i32, output: &str) -> Result<(), String> {
    let want = expected_states(step)?;
    let report = dspmq::parse(qm, rc, output).map_err(|e| format!("dspmq parser: {e}"))?;
    if report.name != qm {
        return Err(format!("QMNAME {} is not {qm}", report.name));
    }
    if !want.contains(&report.state) {
        return Err(format!("state {} (from {output:?}), the kit expected {want:?}", report.state));
    }
    if step.args().contains(&"-x") && report.state == QmState::Running {
        let active = report.instances.iter().any(|i| !i.host.is_empty() && i.mode.eq_ignore_ascii_case("active"));
        if !active {
            return Err(format!("dspmq -x of a running queue manager shows no active instance: {output}"));
        }
    }
    Ok(())
}

/// The MQSC commands of the step's stdin, one a line.
fn commands(step: &Step) -> Vec<String> {
    step.stdin.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

fn same_command(a: &str, b: &str) -> bool {
    let words = |c: &str| c.split_whitespace().map(str::to_ascii_uppercase).collect::<Vec<_>>();
    words(a) == words(b)
}

/// The object name of `VERB TYPE('NAME') ...`.
fn object_name(cmd: &str) -> Option<&str> {
    let open = cmd.find('(')?;
    let close = cmd[open..].find(')')? + open;
    Some(cmd[open + 1..close].trim_matches('\''))
}

fn pids(step: &Step, key: &str) -> Result<Vec<i32>, String> {
    let list = step.get(key).ok_or_else(|| format!("no {key} recorded"))?;
    list.split(',').map(|p| p.trim().parse().map_err(|_| format!("{key}: '{p}' is not a pid"))).collect()
}

fn check_runmqsc(step: &Step, qm: &str, rc: i32) -> Result<(), String> {
    let report = runmqsc::parse(&step.stdout);
    let want = step.get("expect_state").unwrap_or("Running");
    if want == "ended" {
        // What QueueManager::mqsc reads as "the queue manager is not available".
        return match report.unavailable() {
            Some(_) if rc == 20 && report.sections.is_empty() => Ok(()),
            other => Err(format!("ended queue manager: rc {rc}, unavailable reply {other:?}")),
        };
    }
    if let Some(r) = report.unavailable() {
        return Err(format!("runmqsc reports {}: {}", r.id, r.text));
    }
    let cmds = commands(step);
    if report.sections.len() != cmds.len() {
        return Err(format!("{} commands sent, {} command echoes read", cmds.len(), report.sections.len()));
    }
    for (cmd, section) in cmds.iter().zip(&report.sections) {
        if !same_command(cmd, &section.command) {
            return Err(format!("echo '{}' read for command '{cmd}'", section.command));
        }
        if section.replies.is_empty() {
            return Err(format!("no reply read for '{cmd}'"));
        }
        check_mqsc_reply(step, qm, cmd, &report).map_err(|e| format!("{cmd}: {e}"))?;
    }
    Ok(())
}

fn check_mqsc_reply(step: &Step, qm: &str, cmd: &str, report: &Report) -> Result<(), String> {
    let upper = cmd.to_ascii_uppercase();
    let attr_is = |number: &str, key: &str, ok: &dyn Fn(&str) -> bool| -> Result<(), String> {
        let reply = report.answer(cmd, number).ok_or_else(|| format!("no AMQ{number} reply"))?;
        match reply.attr(key) {
            Some(v) if ok(v) => Ok(()),
            other => Err(format!("{key} {other:?} in AMQ{number}")),
        }
    };
    if upper.starts_with("DISPLAY QMGR") {
        attr_is("8408", "QMNAME", &|v| v == qm)?;
        if upper.contains("SCMDSERV") {
            attr_is("8408", "SCMDSERV", &|v| v == "QMGR" || v == "MANUAL")?;
            attr_is("8408", "SCHINIT", &|v| v == "QMGR" || v == "MANUAL")?;
        }
        Ok(())
    } else if upper.starts_with("DISPLAY QMSTATUS") {
        attr_is("8705", "QMNAME", &|v| v == qm)?;
        attr_is("8705", "STATUS", &|v| v == "RUNNING")?;
        let known = |v: &str| !v.is_empty();
        attr_is("8705", "CMDSERV", &known)?;
        attr_is("8705", "CHINIT", &known)
    } else if upper.starts_with("DISPLAY QLOCAL") {
        let queue = object_name(cmd).ok_or("no queue name")?;
        match step.get("test_queue") {
            Some("present") => {
                attr_is("8409", "QUEUE", &|v| v == queue)?;
                attr_is("8409", "DEFPSIST", &|v| v == "YES")
            }
            Some("absent") if report.answer(cmd, "8409").is_none() && report.answer(cmd, "8147").is_some() => Ok(()),
            other => Err(format!("test_queue={other:?} but the replies are {:?}", report.sections)),
        }
    } else if upper.starts_with("DISPLAY QSTATUS") && upper.contains("TYPE(HANDLE)") {
        let queue = object_name(cmd).ok_or("no queue name")?;
        let handles: Vec<_> = report.sections.iter().flat_map(|s| s.replies.iter()).filter(|r| r.is("8450")).collect();
        if handles.is_empty() || handles.iter().any(|r| r.attr("QUEUE") != Some(queue)) {
            return Err(format!("AMQ8450 replies for {queue} expected: {handles:?}"));
        }
        if step.meta.contains_key("input_pids") {
            // The trigger monitor's own reading (trigger.rs read_by), for the pids the kit saw
            // and, as a control, for a pid that is not there.
            let as_procs = |pids: &[i32]| -> Vec<Proc> {
                pids.iter()
                    .map(|&pid| Proc {
                        pid,
                        ppid: 1,
                        uid: 0,
                        name: "runmqtrm".into(),
                        args: vec!["runmqtrm".into(), "-m".into(), qm.into()],
                    })
                    .collect()
            };
            let ours = pids(step, "input_pids")?;
            if !trigger::read_by(report, &as_procs(&ours)) {
                return Err(format!("read_by finds no handle open for input by {ours:?}"));
            }
            if trigger::read_by(report, &as_procs(&[i32::MAX])) {
                return Err("read_by finds a handle of a pid that holds none".into());
            }
        }
        if step.meta.contains_key("output_pids") {
            for pid in pids(step, "output_pids")? {
                let open = handles.iter().any(|r| {
                    r.attr("PID").and_then(|p| p.trim().parse::<i32>().ok()) == Some(pid)
                        && r.attr("OUTPUT") == Some("YES")
                });
                if !open {
                    return Err(format!("no handle with PID({pid}) OUTPUT(YES)"));
                }
            }
        }
        Ok(())
    } else if upper.starts_with("DISPLAY LISTENER") {
        // The object after the agent's start aligned it (listener/mod.rs alter_mqsc).
        let name = object_name(cmd).ok_or("no listener name")?;
        let reply = report.sections.iter().flat_map(|s| s.replies.iter()).find(|r| r.attr("LISTENER") == Some(name));
        let reply = reply.ok_or_else(|| format!("no reply with LISTENER({name})"))?;
        let want = [
            ("PORT", step.get("listener_port").unwrap_or("?")),
            ("IPADDR", step.get("listener_ipaddr").unwrap_or("?")),
            ("CONTROL", "MANUAL"),
        ];
        for (key, value) in want {
            if reply.attr(key) != Some(value) {
                return Err(format!("{key} {:?}, wanted {value}", reply.attr(key)));
            }
        }
        Ok(())
    } else if upper.starts_with("DEFINE QLOCAL") {
        // What define_test_queue reads as created.
        report.answer(cmd, "8006").map(|_| ()).ok_or_else(|| "no AMQ8006 (object created)".into())
    } else if upper.starts_with("DEFINE ") || upper.starts_with("SET ") {
        // What mqsc_checked accepts: no error reply (the monitoring channel's SET CHLAUTH and
        // SET AUTHREC are the README's MQSC, run by the kit's client check).
        match report.first_error() {
            None => Ok(()),
            Some((_, r)) => Err(format!("{}: {}", r.id, r.text)),
        }
    } else {
        Err("no reader for this MQSC command in real_transcripts.rs".into())
    }
}

fn check_file(step: &Step, h: &Header) -> Result<(), String> {
    let path = step.get("path").unwrap_or("");
    if step.get("exists") != Some("yes") {
        return Ok(()); // recorded as absent: nothing to read (a simulated installation has none there)
    }
    match path.rsplit('/').next() {
        Some("mqinst.ini") => {
            let ini = IniFile::parse(&step.stdout);
            let paths: Vec<&str> =
                ini.stanzas.iter().filter(|s| s.name == "Installation").filter_map(|s| s.get("FilePath")).collect();
            let canonical = |p: &str| std::fs::canonicalize(p).map(|c| c.display().to_string()).unwrap_or(p.into());
            if paths.iter().any(|p| *p == h.installation || canonical(p) == h.installation) {
                Ok(())
            } else {
                Err(format!("no Installation stanza with FilePath={} (found {paths:?})", h.installation))
            }
        }
        _ => Err(format!("no reader for the file {path}")),
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn every_transcript_parses_and_agrees_with_its_facts() {
    let fixtures = repo_root().join("tests/fixtures/real");
    let mut roots = vec![(fixtures.clone(), "tests/fixtures/real".to_string())];
    if let Ok(extra) = std::env::var("MQHA_TRANSCRIPTS") {
        roots.extend(extra.split(':').filter(|d| !d.is_empty()).map(|d| (PathBuf::from(d), d.to_string())));
    }
    let mut failures = Vec::new();
    for (root, label) in &roots {
        let mut found = Vec::new();
        transcripts_under(root, &mut found);
        // An empty place is a mistake (a path that moved), not a pass.
        assert!(!found.is_empty(), "no transcript (a directory with transcript.meta) under {label}");
        for t in found {
            let (steps, errs) = check_transcript(&t);
            let source = read_meta(&t.join("transcript.meta")).ok().and_then(|m| m.get("source").cloned());
            println!("{}: {steps} steps, source {}, {} failures", t.display(), source.unwrap_or_default(), errs.len());
            failures.extend(errs.into_iter().map(|e| format!("{}: {e}", t.display())));
        }
    }
    assert!(failures.is_empty(), "transcripts the parsers disagree with:\n{}", failures.join("\n"));
}

/// The reader itself fails on what it must refuse: a transcript whose dspmq shows another queue
/// manager's state than the kit expected, and an MQ command it has no reader for.
#[test]
fn a_disagreeing_transcript_fails() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path();
    std::fs::write(
        t.join("transcript.meta"),
        format!("format={FORMAT}\nsource=simulator\nqm=QM1\ninstallation=/opt/mqm\nmq_version=9.4.0.0\n"),
    )
    .unwrap();
    let step = |name: &str, argv: &str, meta: &str, stdout: &str| {
        let d = t.join("steps").join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("argv"), argv).unwrap();
        std::fs::write(d.join("meta"), format!("kind=mq\nqm=QM1\n{meta}")).unwrap();
        std::fs::write(d.join("stdout"), stdout).unwrap();
    };
    let running = format!("{:<58}STATUS(Running)\n", "QMNAME(QM1)");
    step("001-dspmq", "/opt/mqm/bin/dspmq\n-n\n-m\nQM1\n", "rc=0\nexpect_state=Running\n", &running);
    assert_eq!(check_transcript(t), (1, vec![]));
    step("002-dspmq", "/opt/mqm/bin/dspmq\n-n\n-m\nQM1\n", "rc=0\nexpect_state=Ended normally\n", &running);
    step(
        "003-dspmq",
        "/opt/mqm/bin/dspmq\n-n\n-m\nQM1\n",
        "rc=0\nexpect_state=Running\n",
        "QMNAME(QM10) STATUS(Running)\n",
    );
    step("004-setmqaut", "/opt/mqm/bin/setmqaut\n-m\nQM1\n", "rc=0\n", "");
    let (checked, failures) = check_transcript(t);
    assert_eq!(checked, 4);
    assert_eq!(failures.len(), 3, "{failures:#?}");
    assert!(failures[0].contains("the kit expected"), "{}", failures[0]);
    assert!(failures[1].contains("no line for queue manager 'QM1'"), "{}", failures[1]);
    assert!(failures[2].contains("no reader for 'setmqaut"), "{}", failures[2]);
}
