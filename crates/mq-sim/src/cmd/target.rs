//! Which installation and queue manager a control command acts on: the installation the program
//! was run from, and the queue manager named on the command line (or the default one).

use crate::messages;
use crate::paths::{Installation, PathError, QmPaths};

/// The installation of the running program, or a message and rc 71 (unexpected error).
pub fn installation(prog: &str) -> Result<Installation, i32> {
    let inst = Installation::current().map_err(|e| {
        eprintln!("{prog}: {e}");
        71
    })?;
    messages::set_version(&inst.version);
    Ok(inst)
}

/// strmqm's return code for a queue manager of another installation
/// (docs/reference/mq-commands.md#strmqm-return-codes, #wrong-installation).
pub const RC_OTHER_INSTALLATION: i32 = 62;

/// Resolves a queue manager this installation administers; prints `missing` (e.g. AMQ8118E) and
/// returns `missing_rc` when it is not defined, AMQ7048E / 72 when the name is not valid, and
/// AMQ5691E when the queue manager is associated with another installation: 62 for the commands
/// that answer 16 for a missing one (strmqm, endmqm, dltmqm), `missing_rc` for the others.
pub fn qm(inst: &Installation, name: &str, missing: &str, missing_rc: i32) -> Result<QmPaths, i32> {
    let q = resolve(inst, name, missing, missing_rc)?;
    associated(inst, &q, if missing_rc == 16 { RC_OTHER_INSTALLATION } else { missing_rc })?;
    Ok(q)
}

/// Only the commands of the installation a queue manager is associated with administer it
/// (docs/reference/mq-commands.md#wrong-installation); the others print AMQ5691E and fail with `rc`.
/// UNCONFIRMED beyond strmqm: IBM says "only by commands from that installation", so every
/// control command that names the queue manager refuses (the stricter reading).
pub fn associated(inst: &Installation, qm: &QmPaths, rc: i32) -> Result<(), i32> {
    match &qm.installation {
        Some(n) if !n.eq_ignore_ascii_case(&inst.name) => {
            crate::mqprintln!("{}", messages::amq5691(&qm.name, n));
            Err(rc)
        }
        _ => Ok(()),
    }
}

/// Resolves a queue manager of any installation (dspmq, dspmqinf, setmqm look at them all).
pub fn resolve(inst: &Installation, name: &str, missing: &str, missing_rc: i32) -> Result<QmPaths, i32> {
    match inst.qm(name) {
        Ok(q) => Ok(q),
        Err(PathError::BadName(_)) => {
            crate::mqprintln!("{}", messages::AMQ7048);
            Err(72)
        }
        Err(PathError::NotDefined(..)) => {
            crate::mqprintln!("{missing}");
            Err(missing_rc)
        }
        Err(e) => {
            eprintln!("{e}");
            Err(71)
        }
    }
}

/// The queue manager name given, or the installation's default queue manager.
pub fn name_or_default(inst: &Installation, given: Option<String>) -> Option<String> {
    given.or_else(|| inst.default_qm())
}

/// The queue manager a component command (runmqlsr, runmqchi, runmqtrm, strmqcsv, ...) serves:
/// the one named, else the default one; AMQ8118E and rc 20 when there is neither or it is not
/// defined, as those commands answer.
pub fn component_qm(inst: &Installation, given: Option<String>) -> Result<QmPaths, i32> {
    let Some(name) = name_or_default(inst, given) else {
        crate::mqprintln!("{}", messages::AMQ8118);
        return Err(20);
    };
    qm(inst, &name, messages::AMQ8118, 20)
}
