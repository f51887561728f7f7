//! How dspmq derives a queue manager's state, as MQ does: the local instance's processes and
//! role first, then the shared lock (another node runs it), then the last end state recorded in
//! the data directory. A controller that died without an end is "Ended unexpectedly".

use crate::faults::{self, Fault};
use crate::ini::IniFile;
use crate::nha::config::NhaConfig;
use crate::nha::status::{NhaRole, NhaStatus};
use crate::paths::{Installation, QmPaths};
use crate::runtime::{lock, procs};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QmState {
    Starting,
    Running,
    RunningAsStandby,
    /// A Native HA replica instance runs here (docs/reference/native-ha.md#dspmq-status-native-ha).
    Replica,
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
            QmState::Replica => "Replica",
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
            QmState::EndedNormally
                | QmState::EndedImmediately
                | QmState::EndedPreemptively
                | QmState::EndedUnexpectedly
        )
    }

    /// The local instance is up in some form (processes of this node serve or wait).
    pub fn is_local_instance(self) -> bool {
        matches!(
            self,
            QmState::Starting
                | QmState::Running
                | QmState::RunningAsStandby
                | QmState::Replica
                | QmState::Quiescing
                | QmState::EndingImmediately
                | QmState::EndingPreemptively
        )
    }
}

const ALL_STATES: [QmState; 13] = [
    QmState::Starting,
    QmState::Running,
    QmState::RunningAsStandby,
    QmState::Replica,
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
    if is_native_ha(qm) {
        // Nothing is shared between Native HA instances: no lock to probe, and a stopped instance
        // shows its own last end state, never "Running elsewhere" (UNCONFIRMED, the stricter reading:
        // docs/reference/native-ha.md#dspmq-status-native-ha).
        let local =
            procs::controller(inst, qm).map(|_| native_ha_role(local_role(inst, qm), NhaStatus::read_live(inst, qm)));
        return derive(true, local, false, recorded_state(qm));
    }
    let local = procs::controller(inst, qm).map(|_| local_role(inst, qm));
    // Probing the lock is only needed when nothing runs here.
    let elsewhere = local.is_none() && lock::held_elsewhere(qm, &inst.node);
    derive(true, local, elsewhere, recorded_state(qm))
}

/// Whether `qm` is a Native HA queue manager: its qm.ini has a replicated log or Native HA stanzas,
/// valid or not (an invalid set is still Native HA: strmqm refuses it rather than run it alone).
pub fn is_native_ha(qm: &QmPaths) -> bool {
    !matches!(NhaConfig::load(&qm.qm_ini), Ok(None))
}

/// A live Native HA instance's dspmq STATUS: an end in progress as its role file says; otherwise
/// Running when its status record says Active, Replica when it says Replica or Unknown (an instance
/// without quorum serves nothing: UNCONFIRMED, the stricter reading), the role file (or Starting)
/// before the controller has written a record.
pub fn native_ha_role(role_file: Option<QmState>, record: Option<NhaStatus>) -> Option<QmState> {
    let ending = role_file
        .filter(|r| matches!(r, QmState::Quiescing | QmState::EndingImmediately | QmState::EndingPreemptively));
    if ending.is_some() {
        return ending;
    }
    match record.map(|r| r.role) {
        Some(NhaRole::Active) => Some(QmState::Running),
        Some(NhaRole::Replica | NhaRole::Unknown) => Some(QmState::Replica),
        None => role_file.filter(|r| *r == QmState::Starting),
    }
}

/// The decision, apart from the I/O: `local` is Some(role) when this node's controller lives
/// (role None: it has not published one yet), `held_elsewhere` whether another node holds the lock.
pub fn derive(
    storage_ok: bool,
    local: Option<Option<QmState>>,
    held_elsewhere: bool,
    recorded: Option<QmState>,
) -> QmState {
    if !storage_ok {
        return QmState::StatusNotAvailable;
    }
    if let Some(role) = local {
        // A live controller that has not yet published a role is still starting.
        return role.unwrap_or(QmState::Starting);
    }
    if held_elsewhere {
        return QmState::RunningElsewhere;
    }
    // A fresh queue manager shows "Ended immediately" (crtmqm records it; UNCONFIRMED).
    match recorded {
        Some(s) if s.is_ended() => s,
        // Recorded as running, but no controller and nobody holds the lock: it died without an end.
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
        // Native HA: never "Running as replica" (docs/reference/native-ha.md#dspmq-status-native-ha).
        assert_eq!((QmState::Replica.text(), QmState::Replica.untranslated().as_str()), ("Replica", "REPLICA"));
        assert_eq!(QmState::from_text("REPLICA"), Some(QmState::Replica));
        assert!(QmState::Replica.is_local_instance() && !QmState::Replica.is_ended());
    }

    #[test]
    fn native_ha_role_follows_the_record() {
        use QmState::*;
        let rec = |role| {
            let text = format!(
                r#"{{"instance":"a","role":"{role}","quorum":[3,3],"insync":true,"peers":[],"controller_pid":1,"updated_ms":0}}"#
            );
            Some(serde_json::from_str::<NhaStatus>(&text).unwrap())
        };
        assert_eq!(native_ha_role(Some(Running), rec("Active")), Some(Running));
        assert_eq!(native_ha_role(None, rec("Active")), Some(Running));
        // The role file never makes a replica Running: the record decides.
        assert_eq!(native_ha_role(Some(Running), rec("Replica")), Some(Replica));
        assert_eq!(native_ha_role(Some(Running), rec("Unknown")), Some(Replica));
        // An end in progress shows as such.
        assert_eq!(native_ha_role(Some(Quiescing), rec("Active")), Some(Quiescing));
        assert_eq!(native_ha_role(Some(EndingImmediately), rec("Replica")), Some(EndingImmediately));
        // No record yet (or a stale one): starting, never Running.
        assert_eq!(native_ha_role(Some(Running), None), None);
        assert_eq!(native_ha_role(Some(Starting), None), Some(Starting));
        assert_eq!(derive(true, Some(native_ha_role(Some(Running), None)), false, None), Starting);
    }

    #[test]
    fn derivation_follows_mq() {
        use QmState::*;
        // Controller alive here: its role, or Starting before it has one.
        assert_eq!(derive(true, Some(Some(Running)), false, Some(Running)), Running);
        assert_eq!(derive(true, Some(None), false, None), Starting);
        assert_eq!(derive(true, Some(Some(RunningAsStandby)), false, Some(Running)), RunningAsStandby);
        // Nothing here, the lock held by another node.
        assert_eq!(derive(true, None, true, Some(Running)), RunningElsewhere);
        assert_eq!(derive(true, None, true, Some(EndedNormally)), RunningElsewhere);
        // Recorded running, no controller, nobody holds the lock: a crash.
        assert_eq!(derive(true, None, false, Some(Running)), EndedUnexpectedly);
        assert_eq!(derive(true, None, false, Some(Quiescing)), EndedUnexpectedly);
        // A clean end is kept as recorded.
        assert_eq!(derive(true, None, false, Some(EndedPreemptively)), EndedPreemptively);
        assert_eq!(derive(true, None, false, None), EndedImmediately);
        // Unreadable data wins over everything.
        assert_eq!(derive(false, Some(Some(Running)), true, Some(Running)), StatusNotAvailable);
    }
}
