//! Fault switches of one queue manager, set by tests through `mqsim fault ROOT QMGR set NAME [VALUE]`.
//! Stored node-locally (ROOT/.mqsim/faults/<QM directory>/<name>): lost storage cannot hide them, and
//! two installations sharing a DataPath (two "nodes") keep their own. Reading one is one stat().

use crate::paths::{Installation, QmPaths};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Log replay: the queue manager stays Starting for N seconds before Running (after strmqm and
    /// after a standby takes over); strmqm prints replay progress meanwhile. `slow-start` is its old name.
    LogReplay,
    /// strmqm fails at once with this return code.
    StrmqmRc,
    /// endmqm -c / -w / -i are accepted but ignored; only -p or a kill ends the QM.
    IgnoreEndmqm,
    /// Processes stay alive; runmqsc and MQI calls block (engine), endmqm -c/-i never complete.
    Hang,
    /// Persistent puts fail as with a full log (engine).
    LogFull,
    /// The data directory cannot be read: dspmq "Status not available", strmqm fails.
    StorageLost,
    /// SysV IPC of the QM left behind (made when set), for amqiclen to remove.
    LeftoverIpc,
    /// endmqm -c / -w / -i: the queue manager takes N seconds to end (Quiescing / Ending immediately).
    SlowEndmqm,
    /// NFSv4 lock lease: when this node's active instance dies without ending, its lock on the data is
    /// still held for N seconds ("Running elsewhere" on the other nodes), as when the node itself died.
    LockLease,
    /// Internal: set by `mqsim crash --leave-children` so children survive their controller.
    LeaveChildren,
    /// A busy queue manager: every request of a connection (MQI call, MQSC command) is answered
    /// N milliseconds late (engine).
    Slow,
    /// Native HA: this instance neither sends nor accepts replication traffic (its connections to
    /// the other instances are closed): a partition isolating it, for tests without namespaces.
    NhaIsolate,
    /// Native HA: this replica holds its acknowledgements back until N KB of records are
    /// unacknowledged, so the active shows it INSYNC(no) with a BACKLOG.
    NhaLag,
    /// Native HA: the shortest election timeout in milliseconds (default 1000; the timeout is
    /// random between N and 2N, the active's lease N/2), for fast tests.
    NhaElectionMs,
}

pub const ALL: [Fault; 14] = [
    Fault::LogReplay,
    Fault::StrmqmRc,
    Fault::IgnoreEndmqm,
    Fault::Hang,
    Fault::LogFull,
    Fault::StorageLost,
    Fault::LeftoverIpc,
    Fault::SlowEndmqm,
    Fault::LockLease,
    Fault::LeaveChildren,
    Fault::Slow,
    Fault::NhaIsolate,
    Fault::NhaLag,
    Fault::NhaElectionMs,
];

#[derive(Debug, thiserror::Error)]
pub enum FaultError {
    #[error(
        "unknown fault '{0}' (known: log-replay, strmqm-rc, ignore-endmqm, hang, log-full, storage-lost, leftover-ipc, slow-endmqm, lock-lease, slow, nha-isolate, nha-lag, nha-election-ms)"
    )]
    Unknown(String),
    #[error("fault '{0}' needs a value: {1}")]
    BadValue(String, String),
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
}

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Fault::LogReplay => "log-replay",
            Fault::StrmqmRc => "strmqm-rc",
            Fault::IgnoreEndmqm => "ignore-endmqm",
            Fault::Hang => "hang",
            Fault::LogFull => "log-full",
            Fault::StorageLost => "storage-lost",
            Fault::LeftoverIpc => "leftover-ipc",
            Fault::SlowEndmqm => "slow-endmqm",
            Fault::LockLease => "lock-lease",
            Fault::LeaveChildren => "leave-children",
            Fault::Slow => "slow",
            Fault::NhaIsolate => "nha-isolate",
            Fault::NhaLag => "nha-lag",
            Fault::NhaElectionMs => "nha-election-ms",
        }
    }

    pub fn parse(s: &str) -> Result<Fault, FaultError> {
        if s == "slow-start" {
            return Ok(Fault::LogReplay);
        }
        ALL.iter().copied().find(|f| f.name() == s).ok_or_else(|| FaultError::Unknown(s.to_string()))
    }

    /// Checks the value a fault needs, so a typo is refused when set, not ignored later.
    pub fn check_value(self, value: Option<&str>) -> Result<(), FaultError> {
        let need_num = |what: &str| match value.map(str::parse::<u32>) {
            Some(Ok(_)) => Ok(()),
            _ => Err(FaultError::BadValue(
                self.name().to_string(),
                format!("{what}, got {}", value.map(|v| format!("'{v}'")).unwrap_or("nothing".into())),
            )),
        };
        match self {
            Fault::LogReplay | Fault::SlowEndmqm | Fault::LockLease => need_num("a number of seconds"),
            Fault::StrmqmRc => need_num("a return code 0-255"),
            Fault::Slow | Fault::NhaElectionMs => need_num("a number of milliseconds"),
            Fault::NhaLag => need_num("a number of KB"),
            _ => Ok(()),
        }
    }
}

fn dir(inst: &Installation, qm_dir_name: &str) -> PathBuf {
    inst.sim_dir().join("faults").join(qm_dir_name)
}

/// The value of a fault when it is set ("" for switches without a value).
pub fn get(inst: &Installation, qm: &QmPaths, f: Fault) -> Option<String> {
    std::fs::read_to_string(dir(inst, &qm.dir_name).join(f.name())).ok().map(|s| s.trim().to_string())
}

pub fn is_set(inst: &Installation, qm: &QmPaths, f: Fault) -> bool {
    dir(inst, &qm.dir_name).join(f.name()).exists()
}

/// A numeric fault value (seconds, strmqm rc).
pub fn number(inst: &Installation, qm: &QmPaths, f: Fault) -> Option<u32> {
    get(inst, qm, f).and_then(|v| v.parse().ok())
}

pub fn set(inst: &Installation, qm: &QmPaths, f: Fault, value: Option<&str>) -> Result<(), FaultError> {
    f.check_value(value)?;
    use std::os::unix::fs::PermissionsExt;
    let d = dir(inst, &qm.dir_name);
    std::fs::create_dir_all(&d).map_err(|e| FaultError::Io(d.clone(), e))?;
    // The queue manager's own processes (the mq user) clear one-shot switches such as leave-children.
    let _ = std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777));
    let p = d.join(f.name());
    std::fs::write(&p, value.unwrap_or("")).map_err(|e| FaultError::Io(p.clone(), e))?;
    let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o666));
    Ok(())
}

pub fn clear(inst: &Installation, qm: &QmPaths, f: Fault) -> Result<(), FaultError> {
    let p = dir(inst, &qm.dir_name).join(f.name());
    match std::fs::remove_file(&p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(FaultError::Io(p, e)),
    }
}

pub fn list(inst: &Installation, qm: &QmPaths) -> Vec<(Fault, String)> {
    ALL.iter().filter_map(|f| get(inst, qm, *f).map(|v| (*f, v))).collect()
}
