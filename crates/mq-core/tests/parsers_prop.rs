//! Property tests of mq-core's parsers of external data (command output, files the mq user
//! owns): none panics on any input, since a panic in stop is a fenced node, and each reads back
//! what a well-formed input says. Case counts are bounded so the suite stays fast.

use std::path::PathBuf;

use mq_core::dspmq::{self, nativeha, QmState};
use mq_core::ini::IniFile;
use mq_core::installation::parse_dspmqver;
use mq_core::runmqsc::{self, Reply, Report, Section};
use proptest::prelude::*;

const CASES: u32 = 2000;

/// Text as the agent gets it from a child: arbitrary bytes, lossily decoded.
fn output() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(any::<u8>(), 0..400).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        // Lines that look like MQ's, to reach the parsers' deeper branches.
        prop::collection::vec(
            prop_oneof![
                "(AMQ|QMNAME|STATUS|INSTANCE|MODE|InstPath|DataPath|[ 0-9]{0,6} : )[ -~\u{e9}\u{2603}]{0,40}",
                "   [A-Z()é:= ]{0,40}",
                ".{0,30}",
            ],
            0..12
        )
        .prop_map(|l| l.join("\n")),
    ]
}

/// `output`, plus lines shaped like `dspmq -o nativeha -x`'s.
fn nha_output() -> impl Strategy<Value = String> {
    prop_oneof![
        output(),
        prop::collection::vec(
            prop_oneof![
                "QMNAME\\((Q|[ -~]{0,6})\\) *(ROLE|INSTANCE|INSYNC|QUORUM)\\([ -~]{0,8}\\)( (ROLE|INSTANCE|INSYNC|QUORUM)\\([ -~]{0,8}\\)){0,4}",
                " INSTANCE\\([a-z]{0,3}\\)( (ROLE|REPLADDR|CONNACTV|INSYNC|BACKLOG|CONNINST)\\([ -~]{0,6}\\)){0,7}",
                ".{0,30}",
            ],
            0..6
        )
        .prop_map(|l| l.join("\n")),
    ]
}

const STATUSES: &[&str] = &[
    "Starting",
    "Running",
    "Running as standby",
    "Running elsewhere",
    "Replica",
    "Quiescing",
    "Ending immediately",
    "Ending pre-emptively",
    "Ended normally",
    "Ended immediately",
    "Ended pre-emptively",
    "Ended unexpectedly",
    "Status not available",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn dspmq_never_panics(qm in ".{0,50}", rc in any::<i32>(), out in output(), key in ".{0,10}") {
        let _ = dspmq::parse(&qm, rc, &out);
        let _ = dspmq::attr(&out, &key);
    }

    #[test]
    fn dspmq_nativeha_never_panics(qm in ".{0,50}", rc in any::<i32>(), out in nha_output()) {
        if let Ok(r) = nativeha::parse(&qm, rc, &out) {
            let _ = r.would_break_quorum();
            let _ = r.active();
        }
    }

    #[test]
    fn dspmq_nativeha_reads_what_it_was_given(
        qm in "[A-Za-z0-9._/%]{1,48}",
        me in 0usize..3,
        roles in prop::collection::vec(prop::sample::select(&["ACTIVE", "ACTIVE ", "REPLICA", "UNKNOWN", "Active", "Replica"][..]), 3),
        insync in prop::collection::vec(any::<bool>(), 3),
        backlog in prop::collection::vec(0u64..10_000_000, 3),
        extra in prop::sample::select(&["", " ACKLSN(<0:0:1:2>) HASTATUS(Normal) SYNCTIME(2026-01-01T00:00:00Z)", " HASTATUS(NORMAL)"][..]),
        n in 0u8..=3,
    ) {
        let names = ["alpha", "beta", "gamma"];
        let yn = |b: bool| if b { "YES" } else { "NO" };
        let mut out = format!("{:<58}ROLE({}) INSTANCE({}) INSYNC({}) QUORUM({n}/3) GRPNAME() GRPROLE(LIVE)\n",
            format!("QMNAME({qm})"), roles[me], names[me], yn(insync[me]));
        for i in 0..3 {
            out.push_str(&format!(" INSTANCE({}) ROLE({}) REPLADDR(10.0.0.{i}) CONNACTV(YES) INSYNC({}) BACKLOG({}) CONNINST(NO){extra} ALTDATE() ALTTIME()\n",
                names[i], roles[i], yn(insync[i]), backlog[i]));
        }
        let r = nativeha::parse(&qm, 0, &out).unwrap();
        prop_assert_eq!(r.instance.as_str(), names[me]);
        prop_assert_eq!(r.quorum, (n, 3));
        prop_assert_eq!(r.instances.len(), 3);
        for (i, inst) in r.instances.iter().enumerate() {
            prop_assert_eq!(inst.role.to_string().to_ascii_uppercase(), roles[i].trim().to_ascii_uppercase());
            prop_assert_eq!(inst.insync, insync[i]);
            prop_assert_eq!(inst.backlog_kb, Some(backlog[i]));
            prop_assert!(inst.connactv && !inst.conninst);
        }
    }

    #[test]
    fn dspmq_reads_its_own_line(
        qm in "[A-Za-z0-9._/%]{1,48}",
        other in "[A-Za-z0-9._/%]{1,48}",
        status in prop::sample::select(STATUSES),
        hosts in prop::collection::vec("[a-z0-9.-]{1,20}", 0..3),
    ) {
        let mut out = String::new();
        if other != qm {
            out.push_str(&format!("{:<58}STATUS(Running)\n", format!("QMNAME({other})")));
        }
        out.push_str(&format!("{:<58}STATUS({status})\n", format!("QMNAME({qm})")));
        for h in &hosts {
            out.push_str(&format!("    INSTANCE({h}) MODE(Active)\n"));
        }
        let r = dspmq::parse(&qm, 0, &out).unwrap();
        prop_assert_eq!(&r.name, &qm);
        prop_assert_eq!(r.state.to_string(), status);
        prop_assert!(!matches!(r.state, QmState::Other(_)));
        prop_assert_eq!(r.instances.iter().map(|i| i.host.clone()).collect::<Vec<_>>(), hosts);
    }

    #[test]
    fn runmqsc_never_panics(out in output()) {
        let r = runmqsc::parse(&out);
        let _ = r.unavailable();
    }

    #[test]
    fn runmqsc_reads_back_a_report(report in report()) {
        prop_assert_eq!(runmqsc::parse(&render(&report)), report);
    }

    #[test]
    fn dspmqver_never_panics(out in output()) {
        let _ = parse_dspmqver(&out);
    }

    #[test]
    fn dspmqver_finds_both_paths(
        inst in "/[A-Za-z0-9_./-]{0,60}",
        data in "/[A-Za-z0-9_./-]{0,60}",
        // Every label of a 7.5 to 10.0 block (docs/reference/mq-commands.md#dspmqver-by-version).
        noise in prop::collection::vec(
            "(Name|Version|Level|BuildType|Platform|Mode|O/S|O/S Details|InstName|InstDesc|Primary|MaxCmdLevel|LicenseType|ReleaseType): [ -~]{0,30}",
            0..8,
        ),
    ) {
        let mut lines = noise.clone();
        lines.insert(noise.len() / 2, format!("InstPath:    {inst}"));
        lines.push(format!("DataPath:    {data}"));
        let got = parse_dspmqver(&lines.join("\n"));
        prop_assert_eq!(got, (Some(PathBuf::from(inst)), Some(PathBuf::from(data))));
    }

    #[test]
    fn ini_never_panics(text in output()) {
        let ini = IniFile::parse(&text);
        let _ = ini.queue_manager("QM1");
        let _ = ini.default_prefix();
    }

    #[test]
    fn ini_reads_back_its_stanzas(stanzas in prop::collection::vec(stanza(), 0..6)) {
        let mut text = String::from("#* comment *#\n");
        for (name, attrs) in &stanzas {
            text.push_str(&format!("{name}:\n"));
            for (k, v) in attrs {
                text.push_str(&format!("   {k}={v}\n"));
            }
        }
        let ini = IniFile::parse(&text);
        let got: Vec<_> = ini.stanzas.iter().map(|s| (s.name.clone(), s.attrs.clone())).collect();
        prop_assert_eq!(got, stanzas);
    }
}

proptest! {
    // Each case writes and reads a file: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(CASES / 4))]

    #[test]
    fn ini_read_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("qm.ini");
        std::fs::write(&p, &bytes).unwrap();
        match IniFile::read(&p) {
            Ok(ini) => prop_assert_eq!(ini, IniFile::parse(std::str::from_utf8(&bytes).unwrap())),
            Err(e) => {
                prop_assert!(std::str::from_utf8(&bytes).is_err());
                prop_assert!(e.to_string().contains("not UTF-8"), "{}", e);
            }
        }
    }
}

fn stanza() -> impl Strategy<Value = (String, Vec<(String, String)>)> {
    (
        "[A-Za-z][A-Za-z0-9]{0,15}",
        prop::collection::vec(("[A-Za-z][A-Za-z0-9]{0,15}", "[A-Za-z0-9/._!&=-]{0,30}"), 0..5),
    )
}

fn report() -> impl Strategy<Value = Report> {
    let attrs = prop::collection::vec(("[A-Z][A-Z0-9_]{0,11}", "[A-Za-z0-9.]{0,20}"), 0..5);
    let reply = ("AMQ[0-9]{4}[IEW]", "[A-Za-z][A-Za-z .]{0,40}[a-z.]", attrs).prop_map(|(id, text, attrs)| Reply {
        id,
        text,
        attrs,
    });
    let section = ("[A-Z][A-Z ]{0,30}[A-Z]", prop::collection::vec(reply, 0..4))
        .prop_map(|(command, replies)| Section { command, replies });
    prop::collection::vec(section, 0..5).prop_map(|sections| Report { preamble: vec![], sections })
}

/// A report as runmqsc prints it: numbered echoes, AMQ lines, attributes on indented lines.
fn render(r: &Report) -> String {
    let mut out =
        String::from("5724-H72 (C) Copyright IBM Corp. 1994, 2025.\nStarting MQSC for queue manager QM1.\n\n");
    for (n, s) in r.sections.iter().enumerate() {
        out.push_str(&format!("{:>6} : {}\n", n + 1, s.command));
        for reply in &s.replies {
            out.push_str(&format!("{}: {}\n", reply.id, reply.text));
            for pair in reply.attrs.chunks(2) {
                let cols: Vec<String> = pair.iter().map(|(k, v)| format!("{:<40}", format!("{k}({v})"))).collect();
                out.push_str(&format!("   {}\n", cols.join(" ").trim_end()));
            }
        }
    }
    out
}
