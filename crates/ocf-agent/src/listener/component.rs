//! What the listener and trigger-monitor agents share: the node's view of the queue manager
//! (its installation, its mq user, whether it runs here), ending our own processes within a
//! deadline, and polling with a deadline. The queue-manager agent has its own, fuller version.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mq_core::exec::Runner;
use mq_core::ini::IniFile;
use mq_core::installation::{self, Installation};
use mq_core::procs::{self, Proc};
use mq_core::user::{self, MqUser};
use mq_core::QmName;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use mq_core::Deadline;

use crate::ocf::OcfExit;

/// The mq user when neither the parameter nor the data directory's owner says otherwise.
pub const DEFAULT_MQ_USER: &str = "mqm";

/// Why the node cannot run the component; the exit code says who must act.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct NodeError {
    pub exit: OcfExit,
    pub reason: String,
}

impl NodeError {
    pub fn not_installed(reason: impl Into<String>) -> NodeError {
        NodeError { exit: OcfExit::ErrInstalled, reason: reason.into() }
    }
}

/// The installation and mq user a component of queue manager `qmgr` runs with on this node.
#[derive(Debug, Clone)]
pub struct Node {
    pub installation: Installation,
    pub user: MqUser,
}

impl Node {
    /// Finds the installation (parameter, else the primary one) and the mq user (parameter, else
    /// the owner of the queue manager's data directory, else mqm). `program` must be in it.
    pub fn resolve(
        qmgr: &QmName,
        mq_user: Option<&str>,
        mq_installation: Option<&Path>,
        program: &str,
        fail_have_binary: bool,
        deadline: Deadline,
    ) -> Result<Node, NodeError> {
        let path: PathBuf = mq_installation.map(Path::to_path_buf).unwrap_or_else(installation::default_path);
        // ocf-tester's OCF_TESTER_FAIL_HAVE_BINARY: behave as on a node without MQ.
        if fail_have_binary {
            return Err(NodeError::not_installed(format!(
                "{program} treated as missing (OCF_TESTER_FAIL_HAVE_BINARY=1)"
            )));
        }
        let inst = Installation::open(&path, deadline.instant()).map_err(|e| {
            NodeError::not_installed(format!("{e}; set mq_installation to the queue manager's installation"))
        })?;
        if !inst.has(program) {
            return Err(NodeError::not_installed(format!(
                "{} is missing from the installation at {}",
                program,
                inst.path.display()
            )));
        }
        let name = match mq_user {
            Some(u) => u.to_string(),
            None => data_dir_owner(&inst, qmgr).unwrap_or_else(|| DEFAULT_MQ_USER.to_string()),
        };
        let user = MqUser::lookup(&name)
            .map_err(|e| NodeError::not_installed(format!("{e}; set mq_user or create the user")))?;
        crate::ocf_debug!(
            "installation {} (data {}), mq user {} (uid {})",
            inst.path.display(),
            inst.data_path.display(),
            user.name,
            user.uid
        );
        Ok(Node { installation: inst, user })
    }

    pub fn runner(&self) -> Runner {
        Runner::new(&self.installation.path.join("bin"), Some(self.user.identity()))
    }
}

/// The owner of the queue manager's data directory (symlinks followed), when it is visible here.
fn data_dir_owner(inst: &Installation, qmgr: &QmName) -> Option<String> {
    let ini = IniFile::read(&inst.mqs_ini()).ok()?;
    let stanza = ini.queue_manager(qmgr.as_str())?;
    let prefix = ini.default_prefix().unwrap_or_else(|| inst.data_path.clone());
    let dir = stanza.data_dir(&prefix, &qmgr.directory());
    let (uid, _) = user::owner(&dir).ok()?;
    Some(user::user_name(uid))
}

/// Whether queue manager `qmgr` runs on this node: its execution controller is alive.
pub fn queue_manager_runs_here(qmgr: &QmName) -> bool {
    procs::family(qmgr.as_str()).iter().any(|p| p.name == procs::EXECUTION_CONTROLLER)
}

/// A recurring monitor found the component's process gone. When the queue manager itself is gone
/// from this node too (it crashed or was ended), the failure is the queue manager's: its own
/// resource's monitor reports it, and Pacemaker then stops and restarts this component after it
/// (order constraint / group). Reporting the component too would only make Pacemaker restart it
/// alone first, with a start that must fail while the queue manager is down, and a failed start
/// bans the node (start-failure-is-fatal). So: warn, and let the queue manager's recovery act.
pub fn gone_with_queue_manager(qmgr: &QmName, what: &str) -> Option<OcfExit> {
    if queue_manager_runs_here(qmgr) {
        return None;
    }
    crate::ocf_warn!(
        "{what} is gone, and queue manager {qmgr} is not running on this node either: leaving the recovery to the queue manager's resource"
    );
    Some(OcfExit::Success)
}

/// Calls `check` with growing pauses (20 ms up to 250 ms) until it gives a value or `deadline`
/// passes; no fixed multi-second sleeps, so a quick success returns quickly.
pub fn poll_until<T>(deadline: Deadline, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let mut pause = Duration::from_millis(20);
    loop {
        if let Some(v) = check() {
            return Some(v);
        }
        if deadline.expired() {
            return None;
        }
        std::thread::sleep(pause.min(deadline.remaining()));
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

/// Time to clean up after a failed start: up to 5 s of what is left, at least 1 s (taken from
/// the margin the budget keeps below Pacemaker's timeout).
pub fn cleanup_deadline(deadline: Deadline) -> Deadline {
    if deadline.remaining() < Duration::from_secs(1) {
        Deadline::after(Duration::from_secs(1))
    } else {
        deadline.capped(Duration::from_secs(5))
    }
}

/// Ends the processes `found()` returns (re-read each round, so a pid reused by someone else is
/// never signalled): SIGTERM, then SIGKILL once half the time is used. Returns the survivors.
pub fn end_processes(mut found: impl FnMut() -> Vec<Proc>, deadline: Deadline) -> Vec<Proc> {
    let first = found();
    if first.is_empty() {
        return first;
    }
    for p in &first {
        let _ = kill(Pid::from_raw(p.pid), Signal::SIGTERM);
    }
    let term_deadline = deadline.child(0.5);
    if poll_until(term_deadline, || found().is_empty().then_some(())).is_some() {
        return vec![];
    }
    for p in found() {
        crate::ocf_warn!("{} did not end on SIGTERM; sending SIGKILL", p.describe());
        let _ = kill(Pid::from_raw(p.pid), Signal::SIGKILL);
    }
    poll_until(deadline, || found().is_empty().then_some(())).map(|_| vec![]).unwrap_or_else(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn poll_returns_early_and_respects_the_deadline() {
        let start = Instant::now();
        let mut n = 0;
        assert_eq!(
            poll_until(Deadline::after(Duration::from_secs(5)), || {
                n += 1;
                (n == 3).then_some(n)
            }),
            Some(3)
        );
        assert!(start.elapsed() < Duration::from_millis(500));
        let start = Instant::now();
        assert_eq!(poll_until(Deadline::after(Duration::from_millis(100)), || None::<()>), None);
        assert!(start.elapsed() < Duration::from_millis(400));
    }

    #[test]
    fn end_processes_terms_a_child() {
        use std::os::unix::process::ExitStatusExt;
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let pid = child.id() as i32;
        let is_ours =
            move || procs::read(pid).filter(|p| p.name == "sleep" && p.args.get(1).map(String::as_str) == Some("30"));
        assert!(poll_until(Deadline::after(Duration::from_secs(5)), &is_ours).is_some(), "sleep never showed up");
        let reaper = std::thread::spawn(move || child.wait());
        let started = Instant::now();
        let left = end_processes(|| is_ours().into_iter().collect(), Deadline::after(Duration::from_secs(5)));
        assert!(left.is_empty());
        let status = reaper.join().unwrap().unwrap();
        assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}
