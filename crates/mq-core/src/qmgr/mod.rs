//! The queue manager as a component: the operations an agent runs on it, one file each
//! (start, stop, monitor, node checks), built from the installation, the mq user, its commands
//! and its processes. Every operation takes a deadline and reports what it did through a journal.

pub mod checks;
pub mod evidence;
pub mod monitor;
pub mod multi;
pub mod nativeha;
pub mod program;
pub mod start;
pub mod stop;

use std::path::PathBuf;
use std::time::Instant;

use crate::dspmq::{self, DspmqReport};
use crate::error::{CommandFailed, MqError};
use crate::exec::{Output, Runner};
use crate::ini::{self, IniFile, QmStanza};
use crate::installation::Installation;
use crate::name::QmName;
use crate::runmqsc;
use crate::user::MqUser;

/// How loud a journal entry is; the agent maps it to its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Debug,
    Info,
    Warn,
}

/// Where operations report what they do (the agent's log; a Vec in tests).
pub trait Journal {
    fn note(&self, level: Level, msg: &str);
}

impl<F: Fn(Level, &str)> Journal for F {
    fn note(&self, level: Level, msg: &str) {
        self(level, msg)
    }
}

/// A journal that drops everything.
pub struct Silent;
impl Journal for Silent {
    fn note(&self, _: Level, _: &str) {}
}

/// Whether the agent starts and watches a component (command server, channel initiator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manage {
    /// When the queue manager's own attribute (SCMDSERV / SCHINIT) is MANUAL.
    Auto,
    Yes,
    No,
}

/// One queue manager of one installation, driven as one mq user.
#[derive(Debug, Clone)]
pub struct QueueManager {
    pub name: QmName,
    pub inst: Installation,
    pub user: MqUser,
    runner: Runner,
}

pub(crate) use crate::deadline::{share, Backoff};

impl QueueManager {
    pub fn new(name: QmName, inst: Installation, user: MqUser) -> QueueManager {
        let runner = Runner::new(&inst.path.join("bin"), Some(user.identity()));
        QueueManager { name, inst, user, runner }
    }

    /// This queue manager's processes: its name, programs of its installation, run by the mq user.
    pub fn scope(&self) -> crate::procs::Scope<'_> {
        crate::procs::Scope { qm: self.name.as_str(), inst: Some(&self.inst.path), uid: Some(self.user.uid) }
    }

    pub fn runner(&self) -> &Runner {
        &self.runner
    }

    /// The same queue manager, these variables (an `envfile`'s) added to the environment of every
    /// program of it.
    pub fn with_env(mut self, vars: &[(String, String)]) -> QueueManager {
        self.runner = self.runner.with_env(vars);
        self
    }

    /// The same queue manager, every program of it started with these resource limits.
    pub fn with_limits(mut self, planned: &[crate::limits::Planned]) -> QueueManager {
        self.runner = self.runner.with_limits(planned);
        self
    }

    /// Runs one of the installation's commands as the mq user.
    pub fn run(
        &self,
        program: &str,
        args: &[&str],
        stdin: Option<&[u8]>,
        deadline: Instant,
    ) -> Result<Output, MqError> {
        Ok(self.runner.run(&self.inst.bin(program), args, stdin, deadline)?)
    }

    /// `dspmq -n -m QM`: the one exec of a depth-0 monitor.
    pub fn dspmq(&self, deadline: Instant) -> Result<DspmqReport, MqError> {
        let out = self.run("dspmq", &["-n", "-m", self.name.as_str()], None, deadline)?;
        let text = format!("{}{}", out.stdout, out.stderr);
        dspmq::parse(self.name.as_str(), out.rc, &text).map_err(|e| {
            MqError::Command(CommandFailed {
                command: format!("dspmq -n -m {}", self.name),
                rc: out.rc,
                line: e.to_string(),
            })
        })
    }

    /// Runs an MQSC script through `runmqsc QM` and reads the report.
    pub fn mqsc(&self, script: &str, deadline: Instant) -> Result<runmqsc::Report, MqError> {
        let out = self.run("runmqsc", &[self.name.as_str()], Some(script.as_bytes()), deadline)?;
        let report = runmqsc::parse(&out.stdout);
        if let Some(r) = report.unavailable() {
            return Err(MqError::Command(CommandFailed {
                command: format!("runmqsc {}", self.name),
                rc: out.rc,
                line: format!("{}: {}", r.id, r.text),
            }));
        }
        if out.rc == 20 || (report.sections.is_empty() && out.rc != 0) {
            return Err(MqError::Command(CommandFailed {
                command: format!("runmqsc {}", self.name),
                rc: out.rc,
                line: out.explaining_line(),
            }));
        }
        Ok(report)
    }

    /// `mqsc`, failing on the first error reply (AMQ8147, no such object, is wrong on every node).
    pub fn mqsc_checked(&self, script: &str, deadline: Instant) -> Result<runmqsc::Report, MqError> {
        let report = self.mqsc(script, deadline)?;
        if let Some((s, r)) = report.first_error() {
            let line = format!("{}: {} {}", s.command.trim(), r.id, r.text);
            return Err(if r.is("AMQ8147") { MqError::Config(line) } else { MqError::Failed(line) });
        }
        Ok(report)
    }

    /// This node's mqs.ini.
    pub fn mqs_ini(&self) -> Result<IniFile, MqError> {
        let p = self.inst.mqs_ini();
        IniFile::read(&p).map_err(|e| MqError::File { what: "cannot read mqs.ini", path: p, source: e })
    }

    /// The queue manager's stanza in this node's mqs.ini, if it has one.
    pub fn stanza(&self) -> Option<QmStanza> {
        self.mqs_ini().ok()?.queue_manager(self.name.as_str())
    }

    /// The data directory mqs.ini gives (DataPath, else Prefix/qmgrs/Directory).
    pub fn data_dir(&self) -> Option<PathBuf> {
        let ini = self.mqs_ini().ok()?;
        let st = ini.queue_manager(self.name.as_str())?;
        let prefix = ini.default_prefix().unwrap_or_else(|| self.inst.data_path.clone());
        Some(st.data_dir(&prefix, &self.name.directory()))
    }

    /// Whether this node can see the queue manager's data (its stanza and its qm.ini), as the mq
    /// user sees it; a look that does not answer by `deadline` (hung shared storage) counts as
    /// not visible.
    pub fn data_visible(&self, deadline: Instant) -> bool {
        let Some(d) = self.data_dir() else { return false };
        let who = crate::storage::LookAs::user(&self.user);
        matches!(
            crate::storage::stat_soon_as(&d.join("qm.ini"), Some(&who), deadline),
            crate::storage::Look::Found(m) if !m.is_dir()
        )
    }

    /// The recovery-log directory: qm.ini's LogPath, else `<DataPath>/log/<Directory>`. qm.ini
    /// is on shared storage: it is read as the mq user in a child abandoned at `deadline`.
    pub fn log_dir(&self, deadline: Instant) -> Option<PathBuf> {
        let dd = self.data_dir()?;
        let who = crate::storage::LookAs::user(&self.user);
        let cap = crate::fsread::INI_CAP as usize;
        let bytes = crate::storage::read_capped_as(&dd.join("qm.ini"), cap, Some(&who), deadline).found()?;
        let qm_ini = IniFile::parse(&crate::fsread::utf8(bytes).ok()?);
        Some(ini::log_path(&qm_ini).unwrap_or_else(|| self.inst.data_path.join("log").join(self.name.directory())))
    }

    /// The queue manager's error log, named in failure reasons so administrators know where to look.
    pub fn error_log(&self) -> String {
        match self.data_dir() {
            Some(d) => d.join("errors").join("AMQERR01.LOG").display().to_string(),
            None => "its errors/AMQERR01.LOG".to_string(),
        }
    }
}
