//! The probe child: after fork it closes what it inherited, becomes the mq user, loads the MQI,
//! runs the steps and writes one record line per event to its pipe, then _exits. It never returns
//! into the caller's code.

use std::ffi::CString;
use std::os::fd::RawFd;
use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::exec::mq_environment;
use libmqm_sys as mq;

use super::identity::ProbeIdentity;
use super::library::{Failure, Mqi};
use super::record::Record;
use super::step::{ProbeStep, StepOutcome, TEMP_DYN_PREFIX};
use super::structs::{
    get_chars, mqcd_client_conn_default, mqcno_default, mqcsp_user_password, mqgmo_default, mqmd_default, mqod_default,
    mqpmo_default, put_chars,
};
use super::Credentials;

/// The record pipe's descriptor in the child, after everything else is closed.
const RECORD_FD: RawFd = 3;

/// Longest wait for a message the probe itself just put outside syncpoint (it is there at once;
/// the wait only covers a slow queue manager and never passes the deadline).
const GET_WAIT_MS: u128 = 10_000;

fn emit(rec: &Record) {
    let line = rec.encode();
    let mut buf = line.as_bytes();
    while !buf.is_empty() {
        // SAFETY: writing our own bytes to our own pipe.
        let n = unsafe { libc::write(RECORD_FD, buf.as_ptr().cast(), buf.len()) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            // The parent is gone (or gave up on us): nothing left to report to.
            unsafe { libc::_exit(3) };
        }
        buf = &buf[n as usize..];
    }
}

extern "C" {
    static mut environ: *mut *mut libc::c_char;
}

/// The probe's whole environment, built in the parent (before fork): what a program of the
/// installation gets from `exec::mq_environment` as the probe's user, nothing of the agent's.
pub(super) struct ChildEnv {
    _vars: Vec<CString>,
    ptrs: Vec<*const libc::c_char>,
}

impl ChildEnv {
    pub(super) fn new(identity: &ProbeIdentity, lib_dir: &Path) -> ChildEnv {
        // The home was looked up with the identity, within the action's deadline.
        let home: &Path = if identity.home.as_os_str().is_empty() { Path::new("/") } else { &identity.home };
        let bin = lib_dir.parent().unwrap_or(lib_dir).join("bin");
        let vars: Vec<CString> = mq_environment(&bin, Some((&identity.name, home)))
            .into_iter()
            .filter_map(|(k, v)| CString::new(format!("{k}={v}")).ok())
            .collect();
        let mut ptrs: Vec<*const libc::c_char> = vars.iter().map(|v| v.as_ptr()).collect();
        ptrs.push(std::ptr::null());
        ChildEnv { _vars: vars, ptrs }
    }

    /// In the child: make this the environment. Assigning `environ` takes no lock, unlike
    /// clearenv/setenv, whose lock another thread of the parent may have held at fork.
    fn install(&self) {
        // SAFETY: the array and its strings live until the child _exits; it has one thread.
        unsafe { environ = self.ptrs.as_ptr() as *mut *mut libc::c_char };
    }
}

/// Leaves only stdin/stdout on /dev/null, stderr, and the record pipe at fd 3: a test process's
/// other pipes (or the agent's) must not stay open in the probe, or their readers never see EOF.
fn tidy_descriptors(pipe_fd: RawFd) {
    unsafe {
        if pipe_fd != RECORD_FD {
            libc::dup2(pipe_fd, RECORD_FD);
        }
        if libc::syscall(libc::SYS_close_range, (RECORD_FD + 1) as libc::c_uint, libc::c_uint::MAX, 0) != 0 {
            for fd in (RECORD_FD + 1)..4096 {
                libc::close(fd);
            }
        }
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            libc::dup2(null, 0);
            libc::dup2(null, 1);
            if null > RECORD_FD {
                libc::close(null);
            }
        }
    }
}

/// Entry point after fork, `parent` being the pid of the process that forked. Never returns.
#[allow(clippy::too_many_arguments)]
pub(super) fn run(
    parent: libc::pid_t,
    env: &ChildEnv,
    identity: &ProbeIdentity,
    csp: Option<&Credentials>,
    library: &Path,
    qmgr: &str,
    steps: &[ProbeStep],
    deadline: Instant,
    pipe_fd: RawFd,
) -> ! {
    let body = std::panic::AssertUnwindSafe(|| {
        tidy_descriptors(pipe_fd);
        // In ps the probe shows as what it is, not as a second copy of the agent.
        unsafe { libc::prctl(libc::PR_SET_NAME, c"mqha-mqi-probe".as_ptr()) };
        // The MQI installs its own handlers; it must not start with signals the caller blocked.
        unsafe {
            let mut none: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut none);
            libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
        }
        if let Err(detail) = identity.assume() {
            emit(&Record::Identity { user: identity.name.clone(), detail });
            return 4;
        }
        // Die with the agent: a probe outliving its parent would hold an MQ connection for nobody.
        // Only after the identity change, which clears the parent-death signal.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
        // The parent may have died before the signal was armed: then nobody waits for us.
        if unsafe { libc::getppid() } != parent {
            return 6;
        }
        // Nothing of the agent's environment (MQSERVER, MQ_CONNECT_TYPE=CLIENT, HOME=/root...)
        // may change what the check connects to or where MQ looks for its files.
        env.install();
        unsafe { libc::chdir(c"/".as_ptr()) };
        let mqi = match Mqi::load(library) {
            Ok(m) => m,
            Err(detail) => {
                emit(&Record::Unavailable { path: library.display().to_string(), detail });
                return 5;
            }
        };
        let mut s = Session { mqi: &mqi, hconn: None, qmgr, deadline, csp };
        for (idx, step) in steps.iter().enumerate() {
            emit(&Record::Begin(idx));
            let t0 = Instant::now();
            match s.run_step(step) {
                Ok(outcome) => emit(&Record::Ok { idx, elapsed: t0.elapsed(), outcome }),
                Err(e) => {
                    emit(&e.record(idx, qmgr, step));
                    s.disconnect_quietly();
                    emit(&Record::Done);
                    return 0;
                }
            }
        }
        emit(&Record::Begin(steps.len()));
        if let Some(mut h) = s.hconn.take() {
            if let Err(f) = mqi.disc(&mut h) {
                emit(&Record::Failed { idx: steps.len(), verb: f.verb.into(), cc: f.cc, reason: f.reason });
            }
        }
        emit(&Record::Done);
        0
    });
    let code = std::panic::catch_unwind(body).unwrap_or(101);
    // SAFETY: leave without running the parent's atexit handlers or destructors.
    unsafe { libc::_exit(code) }
}

enum StepError {
    Mq(Failure),
    WrongQmName(String),
    Mismatch(String),
}

impl From<Failure> for StepError {
    fn from(f: Failure) -> Self {
        StepError::Mq(f)
    }
}

impl StepError {
    fn record(&self, idx: usize, qmgr: &str, step: &ProbeStep) -> Record {
        match self {
            StepError::Mq(f) => Record::Failed { idx, verb: f.verb.into(), cc: f.cc, reason: f.reason },
            StepError::WrongQmName(got) => Record::WrongQmName { idx, expected: qmgr.into(), got: got.clone() },
            StepError::Mismatch(detail) => Record::MessageMismatch {
                idx,
                queue: format!("{} ({detail})", step.object().map(|o| o.name().to_string()).unwrap_or_default()),
            },
        }
    }
}

struct Session<'a> {
    mqi: &'a Mqi,
    hconn: Option<mq::MQHCONN>,
    qmgr: &'a str,
    deadline: Instant,
    /// MQCSP user id and password for client connects.
    csp: Option<&'a Credentials>,
}

impl Session<'_> {
    fn run_step(&mut self, step: &ProbeStep) -> Result<StepOutcome, StepError> {
        match step {
            ProbeStep::Connect => self.connect(None).map(|_| StepOutcome::Connected),
            ProbeStep::ClientConnect { channel, conname } => {
                self.connect(Some((channel, conname))).map(|_| StepOutcome::Connected)
            }
            ProbeStep::InquireQmName => self.inquire_qm_name().map(StepOutcome::QmName),
            ProbeStep::PutGetPersistent { queue } => {
                self.put_get_persistent(queue).map(|msg_id| StepOutcome::MessageRoundTrip { msg_id })
            }
            ProbeStep::TempDynRoundTrip { model_queue } => {
                self.temp_dyn(model_queue).map(|name| StepOutcome::TempDynQueue { name })
            }
        }
    }

    fn hconn(&self) -> mq::MQHCONN {
        // validate_steps guarantees a connect step ran first and succeeded (or we stopped).
        self.hconn.unwrap_or(mq::MQHC_UNUSABLE_HCONN)
    }

    fn disconnect_quietly(&mut self) {
        if let Some(mut h) = self.hconn.take() {
            let _ = self.mqi.disc(&mut h);
        }
    }

    fn connect(&mut self, client: Option<(&str, &str)>) -> Result<(), StepError> {
        self.disconnect_quietly();
        let mut name: mq::MQCHAR48 = [0; 48];
        put_chars(&mut name, self.qmgr);
        let mut cno = mqcno_default();
        // Boxed: the MQCD and MQCSP must stay put while MQCONNX reads them through the pointers.
        let mut cd = Box::new(mqcd_client_conn_default());
        let mut csp = Box::new(mqcsp_user_password());
        let (mut user, mut password) = (Vec::new(), Vec::new());
        if let Some((channel, conname)) = client {
            put_chars(&mut cd.ChannelName, channel);
            put_chars(&mut cd.ConnectionName, conname);
            cno.Version = mq::MQCNO_VERSION_2;
            cno.Options = mq::MQCNO_CLIENT_BINDING;
            cno.ClientConnPtr = (&mut *cd as *mut mq::MQCD).cast();
            if let Some(c) = self.csp {
                user.extend_from_slice(c.user.as_bytes());
                password.extend_from_slice(c.password().as_bytes());
                csp.CSPUserIdPtr = user.as_mut_ptr().cast();
                csp.CSPUserIdLength = user.len() as mq::MQLONG;
                csp.CSPPasswordPtr = password.as_mut_ptr().cast();
                csp.CSPPasswordLength = password.len() as mq::MQLONG;
                cno.Version = mq::MQCNO_VERSION_5;
                cno.SecurityParmsPtr = &mut *csp as *mut mq::MQCSP;
            }
        }
        let h = self.mqi.connx(&mut name, &mut cno)?;
        self.hconn = Some(h);
        Ok(())
    }

    /// Closes `hobj`; when the step already failed, its first failure is the one reported.
    fn close(&self, mut hobj: mq::MQHOBJ, options: i32, first: Result<(), StepError>) -> Result<(), StepError> {
        let closed = self.mqi.close(self.hconn(), &mut hobj, options);
        first?;
        closed.map_err(StepError::from)
    }

    fn inquire_qm_name(&mut self) -> Result<String, StepError> {
        let mut od = mqod_default();
        od.ObjectType = mq::MQOT_Q_MGR;
        let hobj = self.mqi.open(self.hconn(), &mut od, mq::MQOO_INQUIRE | mq::MQOO_FAIL_IF_QUIESCING)?;
        let mut selectors = [mq::MQCA_Q_MGR_NAME];
        let mut chars: mq::MQCHAR48 = [b' ' as mq::MQCHAR; 48];
        let inq = self.mqi.inq(self.hconn(), hobj, &mut selectors, &mut [], &mut chars);
        self.close(hobj, mq::MQCO_NONE, inq.map_err(StepError::from))?;
        let got = get_chars(&chars);
        if got != self.qmgr {
            return Err(StepError::WrongQmName(got));
        }
        Ok(got)
    }

    fn put_get_persistent(&mut self, queue: &str) -> Result<String, StepError> {
        let mut od = mqod_default();
        put_chars(&mut od.ObjectName, queue);
        let opts = mq::MQOO_INPUT_SHARED | mq::MQOO_OUTPUT | mq::MQOO_FAIL_IF_QUIESCING;
        let hobj = self.mqi.open(self.hconn(), &mut od, opts)?;
        let trip = self.round_trip(hobj, mq::MQPER_PERSISTENT);
        let msg_id = trip.as_ref().ok().cloned().unwrap_or_default();
        self.close(hobj, mq::MQCO_NONE, trip.map(|_| ()))?;
        Ok(msg_id)
    }

    fn temp_dyn(&mut self, model: &str) -> Result<String, StepError> {
        let mut od = mqod_default();
        put_chars(&mut od.ObjectName, model);
        put_chars(&mut od.DynamicQName, TEMP_DYN_PREFIX);
        let opts = mq::MQOO_INPUT_EXCLUSIVE | mq::MQOO_OUTPUT | mq::MQOO_FAIL_IF_QUIESCING;
        let hobj = self.mqi.open(self.hconn(), &mut od, opts)?;
        let name = get_chars(&od.ObjectName); // the queue manager wrote the generated name here
        let trip = self.round_trip(hobj, mq::MQPER_NOT_PERSISTENT);
        // DELETE_PURGE on the creating handle deletes the queue and its messages: for the usual
        // TEMPDYN model it is what MQCO_NONE would do; if an administrator made the model
        // PERMDYN, it keeps the probe from leaving one MQHA.* queue behind per monitor.
        self.close(hobj, mq::MQCO_DELETE_PURGE, trip.map(|_| ()))?;
        Ok(name)
    }

    /// Puts one message and gets exactly that message back by the MsgId the put returned.
    fn round_trip(&self, hobj: mq::MQHOBJ, persistence: i32) -> Result<String, StepError> {
        let stamp = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros()).unwrap_or(0);
        let mut payload = format!("mqha probe of {} pid {} at {stamp}", self.qmgr, std::process::id()).into_bytes();
        let sent = payload.clone();
        let mut md = mqmd_default();
        md.Format = b"MQSTR   ".map(|b| b as mq::MQCHAR); // MQFMT_STRING
        md.Persistence = persistence;
        let mut pmo = mqpmo_default();
        pmo.Options = mq::MQPMO_NO_SYNCPOINT | mq::MQPMO_NEW_MSG_ID | mq::MQPMO_FAIL_IF_QUIESCING;
        self.mqi.put(self.hconn(), hobj, &mut md, &mut pmo, &mut payload)?;
        if md.MsgId.iter().all(|&b| b == 0) {
            // Getting by an empty MsgId would take any message: never read what is not ours.
            return Err(StepError::Mismatch("the put returned no MsgId".into()));
        }
        let mut gmd = mqmd_default();
        gmd.MsgId = md.MsgId;
        let mut gmo = mqgmo_default();
        gmo.Options = mq::MQGMO_WAIT | mq::MQGMO_NO_SYNCPOINT | mq::MQGMO_FAIL_IF_QUIESCING;
        let left = self.deadline.saturating_duration_since(Instant::now()).as_millis();
        gmo.WaitInterval = left.min(GET_WAIT_MS) as i32;
        let mut buf = vec![0u8; 4096];
        let len = self.mqi.get(self.hconn(), hobj, &mut gmd, &mut gmo, &mut buf)?;
        if buf[..len.min(buf.len())] != sent[..] {
            return Err(StepError::Mismatch("the message got back is not the one put".into()));
        }
        Ok(md.MsgId.iter().map(|b| format!("{b:02x}")).collect())
    }
}
