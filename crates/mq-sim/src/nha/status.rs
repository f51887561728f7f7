//! The node-local Native HA status record (the contract between the running group and the
//! commands): the controller of the local instance writes `<root>/.mqsim/run/<QM>/nha.json`
//! atomically (temporary file + rename) whenever its view changes; dspmq, strmqm and runmqsc read
//! it. It is this instance's view: a replica's picture of the others may be stale, as IBM says of
//! a replica's dspmq (docs/reference/native-ha.md#dspmq-o-nativeha).
//!
//! A record whose `controller_pid` is not the live execution controller of this queue manager in
//! this installation is stale (left by a crash): readers treat the instance as not running.

use crate::paths::{Installation, QmPaths};
use crate::runtime::procs;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "nha.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NhaRole {
    Active,
    Replica,
    Unknown,
}

impl NhaRole {
    /// dspmq's translated text (`ROLE(Active)`).
    pub fn text(self) -> &'static str {
        match self {
            NhaRole::Active => "Active",
            NhaRole::Replica => "Replica",
            NhaRole::Unknown => "Unknown",
        }
    }

    /// dspmq -n form.
    pub fn untranslated(self) -> &'static str {
        match self {
            NhaRole::Active => "ACTIVE",
            NhaRole::Replica => "REPLICA",
            NhaRole::Unknown => "UNKNOWN",
        }
    }
}

/// One instance as the local instance sees it (all three, the local one included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NhaPeer {
    pub name: String,
    pub role: NhaRole,
    /// The host part of its ReplicationAddress (dspmq REPLADDR).
    pub repladdr: String,
    /// It has its pair of connections with the active (CONNACTV).
    pub connactv: bool,
    /// Its log is up to date enough to take over (INSYNC).
    pub insync: bool,
    /// KB of log the active wrote that it has not acknowledged (BACKLOG).
    pub backlog_kb: u64,
    /// It is connected to the local instance (CONNINST).
    pub conninst: bool,
    /// When this line last changed: `yyyy-mm-dd` / `hh.mm.ss`, empty when never (ALTDATE/ALTTIME).
    pub altdate: String,
    pub alttime: String,
    /// The last acknowledged log sequence number `<a:b:c:d>` (ACKLSN, printed from 10.0); empty:
    /// `<0:0:0:0>`.
    #[serde(default)]
    pub acklsn: String,
    /// When it was last in sync, ISO 8601 (SYNCTIME, printed from 10.0); empty when never.
    #[serde(default)]
    pub synctime: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NhaStatus {
    /// The local instance's name.
    pub instance: String,
    /// The local instance's role.
    pub role: NhaRole,
    /// (in-sync instances, configured instances): QUORUM(n/3).
    pub quorum: (u8, u8),
    /// Whether the local instance is in sync.
    pub insync: bool,
    /// All three, in stanza order, including the local one.
    pub peers: Vec<NhaPeer>,
    /// The execution controller (amqzxma0) that wrote this record.
    pub controller_pid: u32,
    /// Milliseconds since the Unix epoch when it was written.
    pub updated_ms: u64,
}

impl NhaStatus {
    /// `<root>/.mqsim/run/<QM dir>/nha.json`, beside the role file.
    pub fn path(inst: &Installation, qm: &QmPaths) -> PathBuf {
        inst.run_dir(qm).join(FILE_NAME)
    }

    /// Written through a temporary file in the same directory and a rename, so a reader never
    /// sees half a record.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let text = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, path)
    }

    /// The record at `path`, whatever its writer's state (None when absent or unreadable).
    pub fn read(path: &Path) -> Option<NhaStatus> {
        serde_json::from_slice(&std::fs::read(path).ok()?).ok()
    }

    /// The local instance's record if its writer is the live execution controller of `qm` in this
    /// installation; None when there is none or it is stale.
    pub fn read_live(inst: &Installation, qm: &QmPaths) -> Option<NhaStatus> {
        let rec = NhaStatus::read(&NhaStatus::path(inst, qm))?;
        let ctl = procs::controller(inst, qm)?;
        (ctl.pid as u32 == rec.controller_pid).then_some(rec)
    }

    /// Whether the local instance runs here and is not the active one (a replica, or without a
    /// quorum): it serves no application, bindings or runmqsc (2059 / AMQ8146E, as for a standby;
    /// UNCONFIRMED, docs/reference/native-ha.md#replica-refuses-applications).
    pub fn refuses_applications(inst: &Installation, qm: &QmPaths) -> bool {
        NhaStatus::read_live(inst, qm).is_some_and(|r| r.role != NhaRole::Active)
    }

    /// The line of the local instance.
    pub fn local_peer(&self) -> Option<&NhaPeer> {
        self.peers.iter().find(|p| p.name == self.instance)
    }

    /// The instance this one believes is active (itself included).
    pub fn active(&self) -> Option<&NhaPeer> {
        self.peers.iter().find(|p| p.role == NhaRole::Active)
    }
}

/// Milliseconds since the Unix epoch (for `updated_ms`).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(role: NhaRole) -> NhaStatus {
        let peer = |name: &str, role, addr: &str| NhaPeer {
            name: name.into(),
            role,
            repladdr: addr.into(),
            connactv: true,
            insync: true,
            backlog_kb: 0,
            conninst: true,
            altdate: "2026-12-03".into(),
            alttime: "15.50.01".into(),
            acklsn: String::new(),
            synctime: String::new(),
        };
        NhaStatus {
            instance: "beta".into(),
            role,
            quorum: (3, 3),
            insync: true,
            peers: vec![
                peer("alpha", NhaRole::Active, "10.0.0.1"),
                peer("beta", role, "10.0.0.2"),
                peer("gamma", NhaRole::Replica, "10.0.0.3"),
            ],
            controller_pid: 1,
            updated_ms: now_ms(),
        }
    }

    #[test]
    fn round_trips_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run/QM/nha.json");
        let rec = sample(NhaRole::Replica);
        rec.write(&path).unwrap();
        assert_eq!(NhaStatus::read(&path), Some(rec.clone()));
        assert_eq!(rec.local_peer().unwrap().repladdr, "10.0.0.2");
        assert_eq!(rec.active().unwrap().name, "alpha");
        // No temporary file left behind.
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
        // A torn or foreign file is no record.
        std::fs::write(&path, b"{\"instance\":").unwrap();
        assert_eq!(NhaStatus::read(&path), None);
    }

    #[test]
    fn fields_added_later_default_when_absent() {
        let mut v = serde_json::to_value(sample(NhaRole::Active)).unwrap();
        for p in v["peers"].as_array_mut().unwrap() {
            p.as_object_mut().unwrap().remove("acklsn");
            p.as_object_mut().unwrap().remove("synctime");
        }
        let rec: NhaStatus = serde_json::from_value(v).unwrap();
        assert_eq!(rec.peers[0].acklsn, "");
    }

    #[test]
    fn role_texts() {
        assert_eq!(NhaRole::Active.text(), "Active");
        assert_eq!(NhaRole::Replica.untranslated(), "REPLICA");
        assert_eq!(NhaRole::Unknown.untranslated(), "UNKNOWN");
    }
}
