//! How dspmq derives a queue manager's state, as MQ does: the local instance's processes and
//! role first, then the shared lock (another node runs it), then the last end state recorded in
//! the data directory. A controller that died without an end is "Ended unexpectedly".

use crate::faults::{self, Fault};
use crate::ini::IniFile;
use crate::paths::{Installation, QmPaths};
use crate::runtime::{lock, procs};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QmState {
    Starting,
    Running,
    RunningAsStandby,
    RunningElsewhere,
    Quiescing,
    EndingImmediately,
    EndingPreemptively,
    EndedNormally,
    EndedImmediately,
    EndedPreemptively,
    EndedUnexpectedly,
    StatusNotAvailable,
}

impl QmState {
    /// dspmq's translated text (MQ 8+ spelling "pre-emptively").
    pub fn text(self) -> &'static str {
        match self {
            QmState::Starting => "Starting",
            QmState::Running => "Running",
            QmState::RunningAsStandby => "Running as standby",
            QmState::RunningElsewhere => "Running elsewhere",
            QmState::Quiescing => "Quiescing",
            QmState::EndingImmediately => "Ending immediately",
            QmState::EndingPreemptively => "Ending pre-emptively",
            QmState::EndedNormally => "Ended normally",
            QmState::EndedImmediately => "Ended immediately",
            QmState::EndedPreemptively => "Ended pre-emptively",
            QmState::EndedUnexpectedly => "Ended unexpectedly",
            QmState::StatusNotAvailable => "Status not available",
        }
    }

    /// dspmq -n form: upper case.
    pub fn untranslated(self) -> String {
        self.text().to_uppercase()
    }

    pub fn from_text(s: &str) -> Option<QmState> {
        ALL_STATES.iter().copied().find(|st| st.text().eq_ignore_ascii_case(s))
    }

    pub fn is_ended(self) -> bool {
        matches!(
            self,
            QmState::EndedNormally | QmState::EndedImmediately | QmState::EndedPreemptively | QmState::EndedUnexpectedly
        )
    }

    /// The local instance is up in some form (processes of this node serve or wait).
    pub fn is_local_instance(self) -> bool {
        matches!(
            self,
            QmState::Starting
                | QmState::Running
                | QmState::RunningAsStandby
                | QmState::Quiescing
                | QmState::EndingImmediately
                | QmState::EndingPreemptively
        )
    }
}

const ALL_STATES: [QmState; 12] = [
    QmState::Starting,
    QmState::Running,
    QmState::RunningAsStandby,
    QmState::RunningElsewhere,
    QmState::Quiescing,
    QmState::EndingImmediately,
    QmState::EndingPreemptively,
    QmState::EndedNormally,
    QmState::EndedImmediately,
    QmState::EndedPreemptively,
    QmState::EndedUnexpectedly,
    QmState::StatusNotAvailable,
];

/// The local instance's role as its controller publishes it in the node-local run directory.
pub fn local_role(inst: &Installation, qm: &QmPaths) -> Option<QmState> {
    let text = std::fs::read_to_string(inst.run_dir(qm).join("role")).ok()?;
    QmState::from_text(text.trim())
}

/// The state recorded in the shared data directory (qmstatus.ini CurrentStatus).
pub fn recorded_state(qm: &QmPaths) -> Option<QmState> {
    let f = IniFile::read(&qm.status_file()).ok()?;
    f.first("QueueManagerStatus").and_then(|s| s.get("CurrentStatus")).and_then(QmState::from_text)
}

/// Whether the data directory can be read at all (lost storage: no).
pub fn storage_available(inst: &Installation, qm: &QmPaths) -> bool {
    !faults::is_set(inst, qm, Fault::StorageLost) && std::fs::read(&qm.qm_ini).is_ok()
}

pub fn qm_state(inst: &Installation, qm: &QmPaths) -> QmState {
    if !storage_available(inst, qm) {
        return QmState::StatusNotAvailable;
    }
    if procs::controller(inst, qm).is_some() {
        // A live controller that has not yet published a role is still starting.
        return local_role(inst, qm).unwrap_or(QmState::Starting);
    }
    if lock::held_elsewhere(qm) {
        return QmState::RunningElsewhere;
    }
    // A fresh queue manager shows "Ended immediately" (crtmqm records it; UNCONFIRMED in the reference).
    match recorded_state(qm) {
        Some(s) if s.is_ended() => s,
        Some(_) => QmState::EndedUnexpectedly,
        None => QmState::EndedImmediately,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_match_reference_table() {
        assert_eq!(QmState::RunningAsStandby.untranslated(), "RUNNING AS STANDBY");
        assert_eq!(QmState::EndedPreemptively.text(), "Ended pre-emptively");
        assert_eq!(QmState::StatusNotAvailable.untranslated(), "STATUS NOT AVAILABLE");
        assert_eq!(QmState::from_text("ended unexpectedly"), Some(QmState::EndedUnexpectedly));
    }
}
