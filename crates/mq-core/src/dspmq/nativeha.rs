//! Reading `dspmq -n -o nativeha -x -m QM` (docs/reference/native-ha.md#dspmq-o-nativeha): the
//! Native HA role, instance, in-sync state and quorum of this node's instance, and one line per
//! configured instance as this node sees it. Only the untranslated (`-n`) form is relied on, but
//! either case is read. Fields the agent does not use (GRPLSN, GRPNAME, GRPROLE, ACKLSN,
//! HASTATUS, SYNCTIME, ALTDATE, ALTTIME, and any later ones) are ignored; a field it uses that is
//! missing or has a value it cannot read is an error naming the line, never a guess.
//!
//! What a replica prints for an instance it cannot reach is UNCONFIRMED
//! (docs/reference/native-ha.md#unconfirmed-list, 1): an empty ROLE(), INSYNC() or BACKLOG() on an
//! instance line is read as "not known" (role Unknown, not in sync, no backlog figure), the
//! reading that never counts such an instance towards a quorum.

use std::fmt;

use super::attr;

/// An instance's role (docs/reference/native-ha.md#roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NhaRole {
    Active,
    Replica,
    Unknown,
}

impl fmt::Display for NhaRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NhaRole::Active => "Active",
            NhaRole::Replica => "Replica",
            NhaRole::Unknown => "Unknown",
        })
    }
}

/// One configured instance, from an instance line of `-x`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NhaInstance {
    pub name: String,
    pub role: NhaRole,
    /// The host part of its ReplicationAddress.
    pub repladdr: String,
    /// It has its pair of connections to the active instance.
    pub connactv: bool,
    pub insync: bool,
    /// KB of recovery log the active has written that it has not acknowledged; None when the
    /// line gives no figure.
    pub backlog_kb: Option<u64>,
    /// It is connected to the instance that answered.
    pub conninst: bool,
}

/// What `dspmq -n -o nativeha -x -m QM` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NhaReport {
    /// This node's instance's role.
    pub role: NhaRole,
    /// This node's instance's name (NativeHALocalInstance).
    pub instance: String,
    pub insync: bool,
    /// In-sync instances / configured instances.
    pub quorum: (u8, u8),
    /// Every instance line, in dspmq's order.
    pub instances: Vec<NhaInstance>,
}

/// Why the Native HA report could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NhaError {
    /// dspmq does not know the queue manager here (AMQ7048E, rc 72).
    #[error("queue manager '{qm}' is not known on this node (dspmq: {line})")]
    NotKnown { qm: String, line: String },
    /// The queue manager is not a Native HA one (`ROLE(Not configured)`).
    #[error("queue manager '{qm}' is not a Native HA queue manager (dspmq -o nativeha: ROLE({role}))")]
    NotConfigured { qm: String, role: String },
    #[error("dspmq -o nativeha exited {rc}: {line}")]
    Failed { rc: i32, line: String },
    #[error("dspmq -o nativeha printed no line for queue manager '{qm}': {output}")]
    NoLine { qm: String, output: String },
    /// A field the agent uses is missing or unreadable: the line says which.
    #[error("dspmq -o nativeha: {why} in line '{line}'")]
    Field { why: String, line: String },
}

impl NhaReport {
    /// This node's instance's own line, if dspmq printed one.
    pub fn local(&self) -> Option<&NhaInstance> {
        self.instances.iter().find(|i| i.name == self.instance)
    }

    /// The instance this node's view calls Active (itself included).
    pub fn active(&self) -> Option<&NhaInstance> {
        if self.role == NhaRole::Active {
            return self.local().or_else(|| self.instances.iter().find(|i| i.role == NhaRole::Active));
        }
        self.instances.iter().find(|i| i.role == NhaRole::Active && i.name != self.instance)
    }

    /// The instance's name and address the way an exit reason names it: `name (addr)`.
    pub fn describe(i: &NhaInstance) -> String {
        if i.repladdr.is_empty() {
            i.name.clone()
        } else {
            format!("{} ({})", i.name, i.repladdr)
        }
    }

    /// Whether this node's instance counts towards the group's quorum: it runs as the active,
    /// or as a replica that is in sync.
    pub fn local_counts(&self) -> bool {
        match self.role {
            NhaRole::Active => true,
            NhaRole::Replica => self.insync,
            NhaRole::Unknown => false,
        }
    }

    /// The other instances that count towards the quorum as this node sees them: the active, and
    /// replicas in sync. A replica's view of the others may be stale
    /// (docs/reference/native-ha.md#dspmq-o-nativeha); the active's is definitive.
    pub fn others_counting(&self) -> Vec<&NhaInstance> {
        self.instances
            .iter()
            .filter(|i| i.name != self.instance)
            .filter(|i| i.role == NhaRole::Active || (i.role == NhaRole::Replica && i.insync))
            .collect()
    }

    /// Whether ending this node's instance would leave fewer than two running in-sync instances
    /// where there are two now: MQ's own endmqm check (docs/reference/native-ha.md#endmqm), made
    /// before the agent asks, so that it can refuse with its own reason. An instance that does
    /// not count (out of sync, Unknown) can always end: the quorum does not depend on it; nor can
    /// a quorum that is already lost (this instance the only one counting) be broken.
    pub fn would_break_quorum(&self) -> bool {
        self.local_counts() && self.others_counting().len() == 1
    }
}

fn yes_no(line: &str, key: &str, value: &str, blank_ok: bool) -> Result<bool, NhaError> {
    match value.trim().to_ascii_uppercase().as_str() {
        "YES" => Ok(true),
        "NO" => Ok(false),
        "" if blank_ok => Ok(false),
        _ => Err(field(line, format!("{key}({value}) is neither yes nor no"))),
    }
}

fn role(line: &str, value: &str, blank_ok: bool) -> Result<NhaRole, NhaError> {
    // 10.0 pads ROLE(Active ) to the width of Replica.
    match value.trim().to_ascii_uppercase().as_str() {
        "ACTIVE" => Ok(NhaRole::Active),
        "REPLICA" => Ok(NhaRole::Replica),
        "UNKNOWN" => Ok(NhaRole::Unknown),
        "" if blank_ok => Ok(NhaRole::Unknown),
        _ => Err(field(line, format!("ROLE({value}) is not a role the agent knows (Active, Replica, Unknown)"))),
    }
}

fn quorum(line: &str, value: &str) -> Result<(u8, u8), NhaError> {
    let bad = || field(line, format!("QUORUM({value}) is not n/m"));
    let (n, m) = value.trim().split_once('/').ok_or_else(bad)?;
    let n: u8 = n.trim().parse().map_err(|_| bad())?;
    let m: u8 = m.trim().parse().map_err(|_| bad())?;
    if m == 0 || n > m {
        return Err(bad());
    }
    Ok((n, m))
}

fn field(line: &str, why: String) -> NhaError {
    NhaError::Field { why, line: line.trim().chars().take(240).collect() }
}

fn need<'a>(line: &'a str, key: &str) -> Result<&'a str, NhaError> {
    attr(line, key).ok_or_else(|| field(line, format!("no {key}(...)")))
}

fn instance_line(line: &str) -> Result<NhaInstance, NhaError> {
    let name = need(line, "INSTANCE")?.trim();
    if name.is_empty() {
        return Err(field(line, "INSTANCE() is empty".into()));
    }
    let backlog = need(line, "BACKLOG")?.trim();
    let backlog_kb = match backlog {
        "" => None,
        b => Some(b.parse::<u64>().map_err(|_| field(line, format!("BACKLOG({b}) is not a number of KB")))?),
    };
    Ok(NhaInstance {
        name: name.to_string(),
        role: role(line, need(line, "ROLE")?, true)?,
        repladdr: need(line, "REPLADDR")?.trim().to_string(),
        connactv: yes_no(line, "CONNACTV", need(line, "CONNACTV")?, true)?,
        insync: yes_no(line, "INSYNC", need(line, "INSYNC")?, true)?,
        backlog_kb,
        conninst: yes_no(line, "CONNINST", need(line, "CONNINST")?, true)?,
    })
}

/// Parses the output and exit code of `dspmq -n -o nativeha -x -m QM` (also without -x: then
/// `instances` is empty).
pub fn parse(qm: &str, rc: i32, output: &str) -> Result<NhaReport, NhaError> {
    if rc == 72 || output.contains("AMQ7048") || output.contains("AMQ8919") {
        return Err(NhaError::NotKnown { qm: qm.to_string(), line: super::explaining(output) });
    }
    let mut report: Option<NhaReport> = None;
    for line in output.lines() {
        if let Some(name) = attr(line, "QMNAME") {
            if name != qm {
                if report.is_some() {
                    break;
                }
                continue;
            }
            let r = need(line, "ROLE")?;
            if r.trim().eq_ignore_ascii_case("not configured") {
                return Err(NhaError::NotConfigured { qm: qm.to_string(), role: r.trim().to_string() });
            }
            let instance = need(line, "INSTANCE")?.trim();
            if instance.is_empty() {
                return Err(field(line, "INSTANCE() is empty".into()));
            }
            report = Some(NhaReport {
                role: role(line, r, false)?,
                instance: instance.to_string(),
                insync: yes_no(line, "INSYNC", need(line, "INSYNC")?, false)?,
                quorum: quorum(line, need(line, "QUORUM")?)?,
                instances: vec![],
            });
        } else if let Some(r) = report.as_mut() {
            if attr(line, "INSTANCE").is_some() {
                r.instances.push(instance_line(line)?);
            }
        }
    }
    match report {
        Some(r) => Ok(r),
        None if rc != 0 => Err(NhaError::Failed { rc, line: super::explaining(output) }),
        None => Err(NhaError::NoLine { qm: qm.to_string(), output: super::explaining(output) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Fixtures written by us from docs/reference/native-ha.md#dspmq-o-nativeha (no captured
    // output is copied): 10.0 with ACKLSN/HASTATUS/SYNCTIME and the padded ROLE(Active ), 9.4.4
    // without ACKLSN/SYNCTIME, both translated and under -n.
    const V10_ACTIVE: &str = include_str!("fixtures/nha-10.0-active.txt");
    const V10_REPLICA_N: &str = include_str!("fixtures/nha-10.0-replica-n.txt");
    const V944_N: &str = include_str!("fixtures/nha-9.4.4-n.txt");
    const V944_LAGGING_N: &str = include_str!("fixtures/nha-9.4.4-lagging-n.txt");
    const ISOLATED_N: &str = include_str!("fixtures/nha-isolated-n.txt");
    const NOT_CONFIGURED: &str = include_str!("fixtures/nha-not-configured.txt");

    fn inst(r: &NhaReport, name: &str) -> NhaInstance {
        r.instances.iter().find(|i| i.name == name).cloned().unwrap()
    }

    #[test]
    fn ten_zero_active_with_the_padded_role() {
        let r = parse("QMNHA", 0, V10_ACTIVE).unwrap();
        assert_eq!((r.role, r.instance.as_str(), r.insync, r.quorum), (NhaRole::Active, "alpha", true, (3, 3)));
        assert_eq!(r.instances.len(), 3);
        let a = inst(&r, "alpha");
        assert_eq!(a.role, NhaRole::Active, "ROLE(Active ) is Active");
        assert_eq!(a.repladdr, "192.0.2.11");
        let b = inst(&r, "beta");
        assert_eq!(
            b,
            NhaInstance {
                name: "beta".into(),
                role: NhaRole::Replica,
                repladdr: "192.0.2.12".into(),
                connactv: true,
                insync: true,
                backlog_kb: Some(0),
                conninst: true
            }
        );
        assert_eq!(r.active().unwrap().name, "alpha");
        assert!(!r.would_break_quorum(), "three in sync: one may end");
    }

    #[test]
    fn ten_zero_replica_under_dash_n() {
        let r = parse("QMNHA", 0, V10_REPLICA_N).unwrap();
        assert_eq!((r.role, r.instance.as_str(), r.insync, r.quorum), (NhaRole::Replica, "beta", true, (3, 3)));
        assert_eq!(r.active().unwrap().name, "alpha");
        assert!(r.local().unwrap().connactv);
    }

    #[test]
    fn nine_four_four_without_acklsn_and_synctime() {
        let r = parse("QMNHA", 0, V944_N).unwrap();
        assert_eq!((r.role, r.instance.as_str(), r.quorum), (NhaRole::Replica, "gamma", (3, 3)));
        assert_eq!(r.instances.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(), ["alpha", "beta", "gamma"]);
        assert_eq!(inst(&r, "beta").role, NhaRole::Active);
        assert_eq!(r.active().unwrap().name, "beta");
    }

    #[test]
    fn a_lagging_replica_and_the_quorum_rule() {
        let r = parse("QMNHA", 0, V944_LAGGING_N).unwrap();
        assert_eq!((r.role, r.insync, r.quorum), (NhaRole::Replica, false, (2, 3)));
        let me = r.local().unwrap();
        assert_eq!((me.insync, me.backlog_kb), (false, Some(20480)));
        // This replica does not count: ending it leaves the two in-sync instances.
        assert!(!r.would_break_quorum());
    }

    #[test]
    fn an_isolated_instance_sees_no_quorum_and_blank_peers() {
        let r = parse("QMNHA", 0, ISOLATED_N).unwrap();
        assert_eq!((r.role, r.quorum), (NhaRole::Unknown, (0, 3)));
        let b = inst(&r, "beta");
        assert_eq!((b.role, b.insync, b.backlog_kb, b.connactv), (NhaRole::Unknown, false, None, false));
        assert!(r.active().is_none());
        assert!(!r.would_break_quorum());
    }

    #[test]
    fn not_a_native_ha_queue_manager() {
        let e = parse("QM1", 0, NOT_CONFIGURED).unwrap_err();
        assert!(matches!(e, NhaError::NotConfigured { .. }), "{e}");
        assert!(e.to_string().contains("not a Native HA queue manager"), "{e}");
    }

    #[test]
    fn unknown_and_failed() {
        let e = parse("NOPE", 72, "AMQ7048E: The queue manager name is either not valid or not known.\n").unwrap_err();
        assert!(matches!(e, NhaError::NotKnown { .. }));
        let e = parse("QM1", 71, "AMQ6090E: IBM MQ was unable to display an error message.\n").unwrap_err();
        assert!(e.to_string().contains("AMQ6090E") && e.to_string().contains("71"), "{e}");
        assert!(matches!(parse("QM1", 0, "").unwrap_err(), NhaError::NoLine { .. }));
    }

    #[test]
    fn strict_on_the_fields_it_uses_naming_the_line() {
        let head = format!("{:<58}", "QMNAME(QMNHA)");
        let cases = [
            (format!("{head}ROLE(Leader) INSTANCE(a) INSYNC(YES) QUORUM(3/3)\n"), "ROLE(Leader)"),
            (format!("{head}ROLE(ACTIVE) INSTANCE(a) INSYNC(PERHAPS) QUORUM(3/3)\n"), "INSYNC(PERHAPS)"),
            (format!("{head}ROLE(ACTIVE) INSTANCE(a) INSYNC(YES) QUORUM(three)\n"), "QUORUM(three)"),
            (format!("{head}ROLE(ACTIVE) INSTANCE(a) INSYNC(YES) QUORUM(4/3)\n"), "QUORUM(4/3)"),
            (format!("{head}ROLE(ACTIVE) INSTANCE(a) INSYNC(YES)\n"), "no QUORUM"),
            (format!("{head}ROLE(ACTIVE) INSTANCE() INSYNC(YES) QUORUM(3/3)\n"), "INSTANCE() is empty"),
            (
                format!("{head}ROLE(ACTIVE) INSTANCE(a) INSYNC(YES) QUORUM(3/3)\n INSTANCE(b) ROLE(REPLICA) REPLADDR(h) CONNACTV(YES) INSYNC(YES) BACKLOG(lots) CONNINST(YES)\n"),
                "BACKLOG(lots)",
            ),
            (
                format!("{head}ROLE(ACTIVE) INSTANCE(a) INSYNC(YES) QUORUM(3/3)\n INSTANCE(b) ROLE(REPLICA) REPLADDR(h) INSYNC(YES) BACKLOG(0) CONNINST(YES)\n"),
                "no CONNACTV",
            ),
        ];
        for (out, want) in cases {
            let e = parse("QMNHA", 0, &out).unwrap_err().to_string();
            assert!(e.contains(want), "{want}: {e}");
            assert!(e.contains("in line '"), "the line is named: {e}");
        }
    }

    #[test]
    fn the_quorum_rule_row_by_row() {
        let line = |name: &str, role: &str, insync: &str| {
            format!(
                " INSTANCE({name}) ROLE({role}) REPLADDR(h) CONNACTV(YES) INSYNC({insync}) BACKLOG(0) CONNINST(YES)\n"
            )
        };
        let report = |me_role: &str, me_sync: &str, others: &[(&str, &str)]| {
            let mut out = format!("{:<58}ROLE({me_role}) INSTANCE(a) INSYNC({me_sync}) QUORUM(2/3)\n", "QMNAME(Q)");
            out.push_str(&line("a", me_role, me_sync));
            for (i, (r, s)) in others.iter().enumerate() {
                out.push_str(&line(["b", "c"][i], r, s));
            }
            parse("Q", 0, &out).unwrap()
        };
        // (me, in sync, others) -> would break
        type Row<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], bool);
        let rows: &[Row] = &[
            ("REPLICA", "YES", &[("ACTIVE", "YES"), ("REPLICA", "YES")], false),
            ("REPLICA", "YES", &[("ACTIVE", "YES"), ("REPLICA", "NO")], true),
            ("REPLICA", "YES", &[("ACTIVE", "YES"), ("UNKNOWN", "")], true),
            ("REPLICA", "YES", &[("ACTIVE", "YES")], true),
            ("REPLICA", "NO", &[("ACTIVE", "YES")], false),
            ("ACTIVE", "YES", &[("REPLICA", "YES"), ("REPLICA", "YES")], false),
            ("ACTIVE", "YES", &[("REPLICA", "YES"), ("REPLICA", "NO")], true),
            // No quorum left to break: the active alone in sync.
            ("ACTIVE", "YES", &[("REPLICA", "NO"), ("UNKNOWN", "")], false),
            ("UNKNOWN", "NO", &[("", ""), ("", "")], false),
        ];
        for (me, sync, others, want) in rows {
            assert_eq!(report(me, sync, others).would_break_quorum(), *want, "{me} {sync} {others:?}");
        }
    }
}
