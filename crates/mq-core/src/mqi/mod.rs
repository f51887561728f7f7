//! The MQI checks of the agents (monitor depths 10 and 20, the listener's client check, the
//! trigger monitor's open-input count): a list of [`ProbeStep`]s run against a queue manager
//! through the installation's own MQI library, within a deadline.
//!
//! The library is loaded only in a child process: MQ forbids MQI use in a child forked after its
//! parent made MQI calls, and the agent must not depend on MQ for meta-data. [`run_probe`] forks;
//! the child drops to the mq user, then arms its parent-death signal (the drop would clear it),
//! takes an environment of its own (nothing of the agent's), dlopens `<lib_dir>/libmqm_r.so`,
//! runs the steps and writes a line per step to a pipe; the parent polls that pipe and, at the deadline, SIGKILLs the
//! child's process group and reports the step that hung. This module does not decide what a failure means
//! for the cluster; it reports the verb, completion and reason code, and a hint.
//!
//! Fork without exec is sound here: IBM requires that the process which uses the MQI did not
//! inherit MQI state, and the parent never loads the library. Re-exec would need a hidden entry
//! point in every binary that links mq-core; the child keeps to syscalls until it dlopens, and
//! glibc resets the allocator and loader locks in a forked child, which covers a threaded caller
//! (cargo's test harness). The identity is resolved before fork for the same reason.

//! ```no_run
//! use std::path::Path;
//! use std::time::{Duration, Instant};
//! use mq_core::mqi::{self, MqiTarget, ProbeIdentity};
//! use mq_core::QmName;
//!
//! let target = MqiTarget::new(
//!     Path::new("/opt/mqm"),
//!     ProbeIdentity::lookup("mqm")?,
//!     QmName::new("QM1").unwrap(),
//! );
//! let deadline = Instant::now() + Duration::from_secs(10);
//! match mqi::run_probe(&target, &mqi::depth20_steps("HA.TESTQUEUE", None), deadline) {
//!     Ok(report) => println!("passed in {:?}", report.elapsed),
//!     Err(e) => eprintln!("{}", e.with_hint()), // "MQCONNX failed during ...: reason 2059 ..."
//! }
//! # Ok::<(), mq_core::mqi::MqiError>(())
//! ```

mod child;
mod error;
mod identity;
mod library;
mod reason;
mod record;
mod step;
mod structs;

pub use error::MqiError;
pub use identity::ProbeIdentity;
/// The loader and structure defaults, for the test kit's load client (`mqload`): an MQI
/// application outside the agent, loading the installation's library as the probe child does.
pub use library::{Failure, MqResult, Mqi};
pub use reason::{
    classify, describe_reason, reason_name, restart_cannot_fix, ConnectionKind, ProbeObject, ReasonClass,
};
pub use step::{validate_steps, ProbeReport, ProbeStep, StepOutcome, StepReport, TEMP_DYN_PREFIX};
pub use structs::{
    get_chars, mqcd_client_conn_default, mqcno_default, mqgmo_default, mqmd_default, mqod_default, mqpmo_default,
    put_chars,
};

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, killpg, Signal};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, pipe2, setpgid, ForkResult, Pid};

use crate::name::QmName;
use record::{last_begun, verdict, Record};
use step::phase_label;

/// The bindings library of an installation (serves client connections too).
pub const SERVER_LIBRARY: &str = "libmqm_r.so";
/// The client-only library, used when an installation has no server library.
pub const CLIENT_LIBRARY: &str = "libmqic_r.so";

/// The model queue every queue manager has.
pub const DEFAULT_MODEL_QUEUE: &str = "SYSTEM.DEFAULT.MODEL.QUEUE";

/// After SIGKILL, how long we wait for the child to be reaped before reporting anyway: a process
/// stuck in uninterruptible sleep on lost storage cannot die at once, and the agent must still
/// answer within its operation timeout (the agent's own exit hands the zombie to init).
const REAP_GRACE: Duration = Duration::from_millis(500);

/// Longest record line accepted from the child (escaped names and texts are far shorter).
const MAX_RECORD: usize = 64 * 1024;
/// Most records accepted from the child: a few per step.
const MAX_RECORDS: usize = 1024;

/// Whom to probe, how, and as whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqiTarget {
    /// The installation's library directory, `<MQ_INSTALLATION_PATH>/lib64`.
    pub lib_dir: PathBuf,
    /// The identity the child takes: the mq user for bindings checks, `client_user` (or the mq
    /// user) for the client check.
    pub identity: ProbeIdentity,
    pub qmgr: QmName,
    /// MQCSP user id and password a client connect presents (never used in bindings mode).
    pub credentials: Option<Credentials>,
}

/// A user id and password for MQCSP. Debug never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    password: String,
}

impl Credentials {
    pub fn new(user: String, password: String) -> Self {
        Credentials { user, password }
    }
    pub(crate) fn password(&self) -> &str {
        &self.password
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("user", &self.user).field("password", &"<hidden>").finish()
    }
}

impl MqiTarget {
    /// A target in the installation at `installation` (e.g. /opt/mqm).
    pub fn new(installation: &Path, identity: ProbeIdentity, qmgr: QmName) -> Self {
        MqiTarget { lib_dir: installation.join("lib64"), identity, qmgr, credentials: None }
    }

    /// The library the steps need: libmqm_r.so, or libmqic_r.so on a client-only installation
    /// when every connect is a client connect.
    pub fn library_for(&self, steps: &[ProbeStep]) -> Result<PathBuf, MqiError> {
        let server = self.lib_dir.join(SERVER_LIBRARY);
        if server.exists() {
            return Ok(server);
        }
        let client = self.lib_dir.join(CLIENT_LIBRARY);
        let client_only = steps.iter().all(|s| !matches!(s, ProbeStep::Connect));
        if client_only && client.exists() {
            return Ok(client);
        }
        Err(MqiError::Unavailable { path: server, detail: "no such file".into() })
    }
}

/// Depth 10: connect and inquire the queue manager's name.
pub fn depth10_steps() -> Vec<ProbeStep> {
    vec![ProbeStep::Connect, ProbeStep::InquireQmName]
}

/// Depth 20: depth 10, a persistent round trip on `test_queue`, a temporary dynamic queue round
/// trip; with a client channel, the same again as an MQ client through the listener.
pub fn depth20_steps(test_queue: &str, client: Option<(&str, &str)>) -> Vec<ProbeStep> {
    let mut steps = depth10_steps();
    let messages = |steps: &mut Vec<ProbeStep>| {
        steps.push(ProbeStep::PutGetPersistent { queue: test_queue.into() });
        steps.push(ProbeStep::TempDynRoundTrip { model_queue: DEFAULT_MODEL_QUEUE.into() });
    };
    messages(&mut steps);
    if let Some((channel, conname)) = client {
        steps.push(ProbeStep::ClientConnect { channel: channel.into(), conname: conname.into() });
        steps.push(ProbeStep::InquireQmName);
        messages(&mut steps);
    }
    steps
}

/// The client check: connect through `channel` at `conname` as an MQ client and inquire the
/// queue manager's name. What it proves (listener, channel, channel authentication, a client
/// reaching this queue manager) needs only +connect and +inq of its user; the messages were
/// proven by the bindings steps of the same monitor.
pub fn client_steps(channel: &str, conname: &str) -> Vec<ProbeStep> {
    vec![ProbeStep::ClientConnect { channel: channel.into(), conname: conname.into() }, ProbeStep::InquireQmName]
}

/// Runs `steps` against `target` in a child process, and returns when they all passed, one
/// failed, or `deadline` passed (then the child's process group is killed; reaping it adds
/// milliseconds, at most `REAP_GRACE`, so callers keep that margin inside their own budget).
pub fn run_probe(target: &MqiTarget, steps: &[ProbeStep], deadline: Instant) -> Result<ProbeReport, MqiError> {
    validate_steps(steps)?;
    let library = target.library_for(steps)?;
    let start = Instant::now();
    if deadline <= start {
        return Err(MqiError::Timeout { step: phase_label(steps, None), waited: Duration::ZERO });
    }
    let env = child::ChildEnv::new(&target.identity, &target.lib_dir);
    let parent = std::process::id() as libc::pid_t;
    let (read_end, write_end) = pipe2(OFlag::O_CLOEXEC).map_err(|e| MqiError::Spawn(format!("pipe: {e}")))?;
    // SAFETY: the child only runs child::run, which keeps to syscalls until it dlopens and leaves
    // with _exit; see the module comment on why fork without exec is sound here.
    match unsafe { fork() }.map_err(|e| MqiError::Spawn(format!("fork: {e}")))? {
        ForkResult::Child => {
            let _ = setpgid(Pid::from_raw(0), Pid::from_raw(0));
            let fd = write_end.as_raw_fd();
            std::mem::forget(read_end); // closed by tidy_descriptors, no destructor in the child
            let csp = target.credentials.as_ref();
            child::run(parent, &env, &target.identity, csp, &library, target.qmgr.as_str(), steps, deadline, fd)
        }
        ForkResult::Parent { child } => {
            // Both sides set the group, so it exists whichever runs first.
            let _ = setpgid(child, child);
            drop(write_end);
            collect(child, read_end, steps, deadline, start)
        }
    }
}

/// Reads the child's records until EOF or the deadline; reaps it; gives the verdict.
fn collect(
    child: Pid,
    pipe: OwnedFd,
    steps: &[ProbeStep],
    deadline: Instant,
    start: Instant,
) -> Result<ProbeReport, MqiError> {
    let mut records = Vec::new();
    let mut pending = Vec::<u8>::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return at_deadline(child, steps, &records, start);
        }
        let ms = u16::try_from(left.as_millis().max(1)).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(pipe.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) | Err(Errno::EINTR) => continue,
            Ok(_) => {}
            Err(e) => {
                kill_group(child);
                return Err(MqiError::Spawn(format!("poll: {e}")));
            }
        }
        let n = match nix::unistd::read(pipe.as_raw_fd(), &mut buf) {
            Ok(n) => n,
            Err(Errno::EINTR | Errno::EAGAIN) => continue,
            Err(e) => {
                kill_group(child);
                return Err(MqiError::Spawn(format!("read: {e}")));
            }
        };
        if n == 0 {
            break; // EOF: the child exited (or closed its pipe by dying)
        }
        pending.extend_from_slice(&buf[..n]);
        while let Some(pos) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=pos).collect();
            let text = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
            match Record::decode(&text) {
                Ok(r) => records.push(r),
                Err(why) => {
                    let step = phase_label(steps, last_begun(&records));
                    kill_group(child);
                    reap(child, Instant::now() + REAP_GRACE);
                    return Err(MqiError::ChildDied { step, status: format!("garbled result: {why}") });
                }
            }
        }
        // Records are few short lines; the library runs as the mq user and could write anything.
        if pending.len() > MAX_RECORD || records.len() > MAX_RECORDS {
            let step = phase_label(steps, last_begun(&records));
            kill_group(child);
            reap(child, Instant::now() + REAP_GRACE);
            return Err(MqiError::ChildDied {
                step,
                status: format!("garbled result: over {MAX_RECORDS} records or a line over {MAX_RECORD} bytes"),
            });
        }
        // The verdict is complete: do not wait for EOF, which anything the MQI library started
        // (and that inherited the pipe) could delay.
        if records.last() == Some(&Record::Done) {
            break;
        }
    }
    // The child is exiting. Wait for it within the deadline.
    match wait_exit(child, deadline) {
        Some(status) => verdict(steps, &records, start.elapsed(), &status),
        None => at_deadline(child, steps, &records, start),
    }
}

/// The deadline passed: kill the child. If it had already given its verdict and only its
/// cleanup (MQDISC after a failed step, or its exit) hung, the verdict is the answer.
fn at_deadline(child: Pid, steps: &[ProbeStep], records: &[Record], start: Instant) -> Result<ProbeReport, MqiError> {
    kill_group(child);
    reap(child, Instant::now() + REAP_GRACE);
    let waited = start.elapsed();
    match verdict(steps, records, waited, "killed at the deadline") {
        Err(MqiError::ChildDied { .. }) => {
            Err(MqiError::Timeout { step: phase_label(steps, last_begun(records)), waited })
        }
        given => given,
    }
}

/// SIGKILL to the child's process group (anything the MQI library started) and the child.
/// Called only while the child is unreaped, so its pid and group id are still ours.
fn kill_group(child: Pid) {
    let _ = killpg(child, Signal::SIGKILL);
    let _ = kill(child, Signal::SIGKILL);
}

fn describe(status: WaitStatus) -> Option<String> {
    match status {
        WaitStatus::Exited(_, code) => Some(format!("exit status {code}")),
        WaitStatus::Signaled(_, sig, _) => Some(format!("killed by {sig}")),
        _ => None,
    }
}

/// Waits (bounded) for an exited child to be reaped; None if it is still there at `until`.
fn reap(child: Pid, until: Instant) -> Option<String> {
    loop {
        match waitpid(child, Some(nix::sys::wait::WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => {}
            Ok(st) => {
                if let Some(d) = describe(st) {
                    return Some(d);
                }
            }
            Err(Errno::EINTR) => continue,
            Err(e) => return Some(format!("wait failed: {e}")),
        }
        if Instant::now() >= until {
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// After EOF: the child is exiting. Before reaping it, kill whatever it left in its process
/// group (the zombie keeps the group id ours), then reap. None if it outlives the deadline.
fn wait_exit(child: Pid, deadline: Instant) -> Option<String> {
    loop {
        // SAFETY: plain waitid on our own child, WNOWAIT leaves it unreaped.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                child.as_raw() as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        let exited = rc == 0 && unsafe { info.si_pid() } != 0;
        if exited || (rc != 0 && Errno::last() != Errno::EINTR) {
            let _ = killpg(child, Signal::SIGKILL);
            return reap(child, deadline.max(Instant::now() + REAP_GRACE));
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(dir: &Path) -> MqiTarget {
        MqiTarget {
            lib_dir: dir.to_path_buf(),
            identity: ProbeIdentity::current(),
            qmgr: QmName::new("QM1").unwrap(),
            credentials: None,
        }
    }

    #[test]
    fn missing_library_is_unavailable_without_forking() {
        let t = target(Path::new("/nonexistent/mqm/lib64"));
        let e = run_probe(&t, &depth10_steps(), Instant::now() + Duration::from_secs(5)).unwrap_err();
        match &e {
            MqiError::Unavailable { path, .. } => {
                assert_eq!(path, Path::new("/nonexistent/mqm/lib64/libmqm_r.so"))
            }
            other => panic!("{other:?}"),
        }
        assert!(e.hint().unwrap().contains("mq_installation"));
    }

    #[test]
    fn depth20_with_client_repeats_the_checks_as_a_client() {
        let s = depth20_steps("HA.TESTQUEUE", Some(("APP.SVRCONN", "127.0.0.1(1414)")));
        assert_eq!(s.len(), 8);
        assert!(matches!(s[4], ProbeStep::ClientConnect { .. }));
        assert_eq!(s[6], ProbeStep::PutGetPersistent { queue: "HA.TESTQUEUE".into() });
        assert!(validate_steps(&s).is_ok());
        assert_eq!(depth20_steps("Q", None).len(), 4);
    }
}
