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

/// Resolves a queue manager; prints `missing` (e.g. AMQ8118E) and returns `missing_rc` when it is
/// not defined, AMQ7048E / 72 when the name is not valid.
pub fn qm(inst: &Installation, name: &str, missing: &str, missing_rc: i32) -> Result<QmPaths, i32> {
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
