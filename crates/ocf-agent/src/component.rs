//! What the three agents share between their parameters and mq-core's components: the agent's
//! log as mq-core's journal, where a component runs on this node (mq-core's placement, with the
//! exit code each agent gives its failures), and the exit code of an mq-core error.

use mq_core::placement::{Placement, PlacementError, Wanted};
use mq_core::qmgr::{Journal, Level};
use mq_core::{Deadline, Fault, MqError, QmName};

use crate::ocf::{log, Env, OcfExit};

/// The agent's log as mq-core's journal.
pub struct OcfJournal;

impl Journal for OcfJournal {
    fn note(&self, level: Level, msg: &str) {
        match level {
            Level::Debug => log::debug(msg),
            Level::Info => log::info(msg),
            Level::Warn => log::warn(msg),
        }
    }
}

/// A failure: its exit code and the reason crm_mon shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub OcfExit, pub String);

impl Failure {
    /// Logs the reason and gives the exit code.
    pub fn exit(self) -> OcfExit {
        log::exit_reason(&self.1);
        self.0
    }
}

/// The exit code of an error, by who must act: configuration 6, this node 5, permission 4, else 1.
pub fn exit_for(e: &MqError) -> OcfExit {
    exit_for_fault(e.fault())
}

pub fn exit_for_fault(f: Fault) -> OcfExit {
    match f {
        Fault::Config => OcfExit::ErrConfigured,
        Fault::Node => OcfExit::ErrInstalled,
        Fault::Permission => OcfExit::ErrPerm,
        Fault::Generic => OcfExit::ErrGeneric,
    }
}

/// The exit code of a placement failure, one per cause for the three agents (the table in
/// docs/ibmmq.md, "Exit codes by cause"): a user the resource names that does not exist here is
/// invalid on this node (2); a missing installation, program or default user is this node's (5).
pub fn exit_for_placement(e: &PlacementError) -> OcfExit {
    match e {
        PlacementError::Installation { source, .. } | PlacementError::User(source) => exit_for(source),
        PlacementError::NamedUser { .. } => OcfExit::ErrArgs,
        // The resource names the wrong installation on every node: a configuration error (6).
        PlacementError::WrongInstallation { .. } => OcfExit::ErrConfigured,
        PlacementError::DataOwner(_) | PlacementError::NotMqUser(_) | PlacementError::Missing { .. } => {
            OcfExit::ErrInstalled
        }
    }
}

/// Where a listener's or trigger monitor's programs run: the installation, which must have
/// `program`, and the mq user; failures coded by `exit_for_placement`.
pub fn place_component(
    env: &Env,
    qm: &QmName,
    want: &Wanted,
    program: &str,
    deadline: Deadline,
) -> Result<Placement, Failure> {
    // ocf-tester's OCF_TESTER_FAIL_HAVE_BINARY: behave as on a node without MQ.
    if env.fail_have_binary {
        return Err(Failure(
            OcfExit::ErrInstalled,
            format!("{program} treated as missing (OCF_TESTER_FAIL_HAVE_BINARY=1)"),
        ));
    }
    let placed = Placement::resolve(qm, want, deadline, &OcfJournal).map_err(|e| {
        let advice = match e {
            PlacementError::Installation { .. } => "; set mq_installation to the queue manager's installation",
            _ => "; set mq_user or create the user",
        };
        Failure(exit_for_placement(&e), format!("{e}{advice}"))
    })?;
    placed.require(program).map_err(|e| Failure(exit_for_placement(&e), e.to_string()))?;
    crate::ocf_debug!(
        "installation {} (data {}), mq user {} (uid {})",
        placed.installation.path.display(),
        placed.installation.data_path.display(),
        placed.user.name,
        placed.user.uid
    );
    Ok(placed)
}

/// A recurring monitor found the component's process gone. When the queue manager itself is gone
/// from this node too (it crashed or was ended), the failure is the queue manager's: its own
/// resource's monitor reports it, and Pacemaker then stops and restarts this component after it
/// (order constraint / group). Reporting the component too would only make Pacemaker restart it
/// alone first, with a start that must fail while the queue manager is down, and a failed start
/// bans the node (start-failure-is-fatal). So: warn, and let the queue manager's recovery act.
pub fn gone_with_queue_manager(qm: &QmName, what: &str) -> OcfExit {
    crate::ocf_warn!(
        "{what} is gone, and queue manager {qm} is not running on this node either: leaving the recovery to the queue manager's resource"
    );
    OcfExit::Success
}
