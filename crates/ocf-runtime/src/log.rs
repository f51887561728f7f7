//! Logging as resource-agents' ocf_log does it, so administrators find the agent's lines where
//! they find every other agent's (docs/logging.md): syslog when HA_LOGFACILITY is set, appended to
//! HA_LOGFILE and HA_DEBUGLOG, otherwise stderr; debug lines only with HA_debug, and then only to
//! syslog and HA_DEBUGLOG. Every line also goes to the action's trace when tracing is on. Exit
//! reasons go to stderr with the prefix Pacemaker looks for.

use std::ffi::CString;
use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use crate::trace;

/// Longest exit reason Pacemaker keeps (EXIT_REASON_MAX_LEN is 128 including the terminator).
pub const EXIT_REASON_MAX: usize = 127;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Crit,
    Err,
    Warn,
    Info,
    Debug,
}

impl Level {
    /// The word ocf_log puts before the message.
    pub fn word(self) -> &'static str {
        match self {
            Level::Crit => "CRIT",
            Level::Err => "ERROR",
            Level::Warn => "WARNING",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
        }
    }

    fn syslog_priority(self) -> libc::c_int {
        match self {
            Level::Crit => libc::LOG_CRIT,
            Level::Err => libc::LOG_ERR,
            Level::Warn => libc::LOG_WARNING,
            Level::Info => libc::LOG_INFO,
            Level::Debug => libc::LOG_DEBUG,
        }
    }
}

/// Where log lines go, read once from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// `<agent>(<instance>)[<pid>]`, the tag ocf_log uses.
    pub tag: String,
    pub facility: Option<libc::c_int>,
    pub logfile: Option<PathBuf>,
    pub debuglog: Option<PathBuf>,
    pub debug: bool,
    pub exit_reason_prefix: String,
}

impl LogConfig {
    pub fn from_lookup(agent: &str, instance: &str, pid: u32, get: impl Fn(&str) -> Option<String>) -> LogConfig {
        let non_empty = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        // Only the capitalised names, as ocf_log reads them: pacemaker-execd sets them from PCMK_logfacility and
        // PCMK_logfile except when those are `none`, while the lower-case HA_logfile keeps `none` (docs/logging.md).
        let facility = non_empty("HA_LOGFACILITY").and_then(|f| syslog_facility(&f));
        let logfile = non_empty("HA_LOGFILE").map(PathBuf::from);
        // ocf-directories defaults HA_DEBUGLOG to /dev/null: writing there is pointless.
        let debuglog = non_empty("HA_DEBUGLOG").map(PathBuf::from).filter(|p| p.as_os_str() != "/dev/null");
        // ha_debug: any value but empty or 0 turns debug on (Pacemaker exports HA_debug as 0 or 1).
        let debug = non_empty("HA_debug").is_some_and(|v| v.trim() != "0");
        let exit_reason_prefix =
            get("OCF_EXIT_REASON_PREFIX").filter(|p| !p.is_empty()).unwrap_or_else(|| "ocf-exit-reason:".to_string());
        LogConfig { tag: format!("{agent}({instance})[{pid}]"), facility, logfile, debuglog, debug, exit_reason_prefix }
    }

    /// Before `init` (unit tests, early failures): stderr only.
    fn fallback() -> LogConfig {
        LogConfig {
            tag: format!("ocf-agent[{}]", std::process::id()),
            facility: None,
            logfile: None,
            debuglog: None,
            debug: false,
            exit_reason_prefix: "ocf-exit-reason:".to_string(),
        }
    }
}

/// Maps a syslog facility name as Pacemaker passes it (`daemon`, `local0`...) to its number;
/// `none` and unknown names turn syslog off.
pub fn syslog_facility(name: &str) -> Option<libc::c_int> {
    Some(match name.trim().to_ascii_lowercase().as_str() {
        "daemon" => libc::LOG_DAEMON,
        "user" => libc::LOG_USER,
        "auth" => libc::LOG_AUTH,
        "authpriv" => libc::LOG_AUTHPRIV,
        "cron" => libc::LOG_CRON,
        "kern" => libc::LOG_KERN,
        "lpr" => libc::LOG_LPR,
        "mail" => libc::LOG_MAIL,
        "news" => libc::LOG_NEWS,
        "syslog" => libc::LOG_SYSLOG,
        "uucp" => libc::LOG_UUCP,
        "local0" => libc::LOG_LOCAL0,
        "local1" => libc::LOG_LOCAL1,
        "local2" => libc::LOG_LOCAL2,
        "local3" => libc::LOG_LOCAL3,
        "local4" => libc::LOG_LOCAL4,
        "local5" => libc::LOG_LOCAL5,
        "local6" => libc::LOG_LOCAL6,
        "local7" => libc::LOG_LOCAL7,
        _ => return None,
    })
}

static CONFIG: OnceLock<LogConfig> = OnceLock::new();
static EXIT_REASON_GIVEN: AtomicBool = AtomicBool::new(false);

/// Whether an exit reason has been printed, so the dispatcher can add one to a failure that lacks it.
pub fn exit_reason_given() -> bool {
    EXIT_REASON_GIVEN.load(Ordering::Relaxed)
}

/// Sets the log destinations for the rest of the process; the first call wins.
pub fn init(cfg: LogConfig) {
    if let Some(fac) = cfg.facility {
        // openlog keeps the pointer: the tag must live as long as the process.
        let ident: &'static CString = Box::leak(Box::new(CString::new(cfg.tag.replace('\0', "")).unwrap_or_default()));
        unsafe { libc::openlog(ident.as_ptr(), 0, fac) };
    }
    let _ = CONFIG.set(cfg);
}

/// Reads the process environment and initialises logging for `agent` on `instance`.
pub fn init_from_env(agent: &str, instance: &str) {
    init(LogConfig::from_lookup(agent, instance, std::process::id(), |k| std::env::var(k).ok()));
}

/// Starts the action's trace when OCF_TRACE_RA or `trace_ra` asks for it (after `init`), as
/// ocf-shellfuncs does when it is sourced; a trace that cannot be written is a warning, never a failure.
pub fn start_trace_from_env(agent: &str, instance: &str, action: &str) {
    let get = |k: &str| std::env::var(k).ok();
    let Some((dest, warning)) = trace::dest_from_lookup(get, agent, instance, action, &stamp(c"%F.%T")) else {
        return;
    };
    if let Some(w) = warning {
        warn(w);
    }
    let header = format!(
        "{} trace of {agent} {action} on {instance}, pid {}, ocf_log tag {}",
        stamp(c"%F %T"),
        std::process::id(),
        config().tag
    );
    if let Err(e) = trace::start(&dest, &header, &trace::recorded_env(std::env::vars())) {
        warn(e);
    }
}

fn config() -> &'static LogConfig {
    CONFIG.get_or_init(LogConfig::fallback)
}

/// Whether debug lines are emitted anywhere, the trace included (so callers can skip building expensive ones).
pub fn debug_enabled() -> bool {
    config().debug || trace::active()
}

/// One line as ocf_log appends it to HA_LOGFILE: `%b %d %T <tag>:    LEVEL: msg`.
pub fn file_line(date: &str, tag: &str, level: Level, msg: &str) -> String {
    format!("{date} {tag}:    {}: {}\n", level.word(), one_line(msg))
}

fn one_line(msg: &str) -> String {
    msg.replace(['\n', '\r'], " ")
}

/// Local time formatted `%b %d %T`, as ocf_log's HA_DATEFMT.
pub fn now_stamp() -> String {
    stamp(c"%b %d %T")
}

/// Local time formatted with strftime's `fmt`.
pub fn stamp(fmt: &std::ffi::CStr) -> String {
    let mut buf = [0u8; 64];
    unsafe {
        let t = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return String::new();
        }
        let n = libc::strftime(buf.as_mut_ptr() as *mut libc::c_char, buf.len(), fmt.as_ptr(), &tm);
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}

fn append(path: &PathBuf, line: &str) -> bool {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(line.as_bytes()))
        .is_ok()
}

/// One line as ocf_log appends it to HA_DEBUGLOG: `<tag>:<TAB>%b %d %T LEVEL: msg`.
pub fn debug_file_line(date: &str, tag: &str, level: Level, msg: &str) -> String {
    format!("{tag}:\t{date} {}: {}\n", level.word(), one_line(msg))
}

/// Sends one line where ocf_log would (__ha_log for the levels above debug, ha_debug for debug).
fn emit(level: Level, msg: &str, to_stderr_if_nowhere: bool) {
    let cfg = config();
    trace::line(&format!("{} {}: {}", stamp(c"%T"), level.word(), one_line(msg)));
    if level == Level::Debug && !cfg.debug {
        return;
    }
    if let Some(_fac) = cfg.facility {
        if let Ok(c) = CString::new(format!("{}: {}", level.word(), one_line(msg)).replace('\0', "")) {
            // "%s" so a '%' in the message is never read as a format.
            unsafe { libc::syslog(level.syslog_priority(), c"%s".as_ptr(), c.as_ptr()) };
        }
    }
    let date = now_stamp();
    if level == Level::Debug {
        // ha_debug writes to HA_DEBUGLOG only, even when it names HA_LOGFILE (Pacemaker's debug mode).
        if let Some(p) = &cfg.debuglog {
            append(p, &debug_file_line(&date, &cfg.tag, level, msg));
        } else if cfg.facility.is_none() && cfg.logfile.is_none() {
            // By hand, with no destination at all: stderr, as ocf_log does on a terminal.
            let _ = writeln!(std::io::stderr(), "{date} {}: {}", level.word(), one_line(msg));
        }
        return;
    }
    if let Some(p) = &cfg.logfile {
        append(p, &file_line(&date, &cfg.tag, level, msg));
    }
    if let Some(p) = cfg.debuglog.as_ref().filter(|p| Some(*p) != cfg.logfile.as_ref()) {
        append(p, &debug_file_line(&date, &cfg.tag, level, msg));
    }
    if cfg.facility.is_none() && cfg.logfile.is_none() && to_stderr_if_nowhere {
        let _ = writeln!(std::io::stderr(), "{date} {}: {}", level.word(), one_line(msg));
    }
}

pub fn log(level: Level, msg: impl fmt::Display) {
    emit(level, &msg.to_string(), true);
}

pub fn err(msg: impl fmt::Display) {
    log(Level::Err, msg)
}
pub fn warn(msg: impl fmt::Display) {
    log(Level::Warn, msg)
}
pub fn info(msg: impl fmt::Display) {
    log(Level::Info, msg)
}
pub fn debug(msg: impl fmt::Display) {
    log(Level::Debug, msg)
}

/// The exit-reason line for `msg`: prefix + message on one line, cut to what Pacemaker keeps.
pub fn exit_reason_line(prefix: &str, msg: &str) -> String {
    let mut m = one_line(msg);
    if m.chars().count() > EXIT_REASON_MAX {
        m = m.chars().take(EXIT_REASON_MAX).collect();
    }
    format!("{prefix}{m}")
}

/// Tells Pacemaker why the action failed (the last such line on stderr is shown in crm_mon),
/// and logs the full message as an error, as ocf_exit_reason does.
pub fn exit_reason(msg: impl fmt::Display) {
    let msg = msg.to_string();
    let cfg = config();
    let _ = writeln!(std::io::stderr(), "{}", exit_reason_line(&cfg.exit_reason_prefix, &msg));
    EXIT_REASON_GIVEN.store(true, Ordering::Relaxed);
    emit(Level::Err, &msg, false);
}

/// `ocf_info!("fmt", args)`: an INFO line.
#[macro_export]
macro_rules! ocf_info { ($($a:tt)*) => { $crate::log::info(format_args!($($a)*)) } }
/// `ocf_warn!("fmt", args)`: a WARNING line.
#[macro_export]
macro_rules! ocf_warn { ($($a:tt)*) => { $crate::log::warn(format_args!($($a)*)) } }
/// `ocf_err!("fmt", args)`: an ERROR line (not an exit reason).
#[macro_export]
macro_rules! ocf_err { ($($a:tt)*) => { $crate::log::err(format_args!($($a)*)) } }
/// `ocf_debug!("fmt", args)`: a DEBUG line, logged with HA_debug and traced with trace_ra.
#[macro_export]
macro_rules! ocf_debug { ($($a:tt)*) => { if $crate::log::debug_enabled() { $crate::log::debug(format_args!($($a)*)) } } }

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(vars: &[(&str, &str)]) -> LogConfig {
        let m: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        LogConfig::from_lookup("myagent", "rsc1", 42, |k| m.get(k).cloned())
    }

    #[test]
    fn tag_is_agent_instance_pid() {
        assert_eq!(cfg(&[]).tag, "myagent(rsc1)[42]");
    }

    #[test]
    fn destinations_from_env() {
        let c =
            cfg(&[("HA_LOGFACILITY", "daemon"), ("HA_LOGFILE", "/var/log/x.log"), ("HA_DEBUGLOG", "/var/log/d.log")]);
        assert_eq!(c.facility, Some(libc::LOG_DAEMON));
        assert_eq!(c.logfile, Some(PathBuf::from("/var/log/x.log")));
        assert_eq!(c.debuglog, Some(PathBuf::from("/var/log/d.log")));
        let c = cfg(&[("HA_LOGFACILITY", "none"), ("HA_DEBUGLOG", "/dev/null")]);
        assert_eq!(c.facility, None);
        assert_eq!(c.debuglog, None);
        // Pacemaker's lower-case names are not ocf_log's: HA_logfile=none must not become a file called none.
        let c = cfg(&[("HA_logfacility", "local3"), ("HA_logfile", "none")]);
        assert_eq!((c.facility, c.logfile), (None, None));
    }

    #[test]
    fn debug_switches() {
        assert!(!cfg(&[]).debug);
        assert!(!cfg(&[("HA_debug", "0")]).debug);
        assert!(cfg(&[("HA_debug", "1")]).debug);
        assert!(cfg(&[("HA_debug", "pacemaker-execd")]).debug);
        assert!(!cfg(&[("HA_DEBUG", "1")]).debug);
        // Tracing sends debug lines to the trace, not to the log destinations.
        assert!(!cfg(&[("OCF_TRACE_RA", "1")]).debug);
    }

    #[test]
    fn file_line_format_matches_ocf_log() {
        assert_eq!(
            file_line("Nov 22 01:02:03", "myagent(rsc1)[42]", Level::Warn, "a\nb"),
            "Nov 22 01:02:03 myagent(rsc1)[42]:    WARNING: a b\n"
        );
        assert_eq!(
            debug_file_line("Nov 22 01:02:03", "myagent(rsc1)[42]", Level::Debug, "x"),
            "myagent(rsc1)[42]:\tNov 22 01:02:03 DEBUG: x\n"
        );
        let s = now_stamp();
        // "%b %d %T": three-letter month, day, hh:mm:ss.
        assert_eq!(s.len(), 15, "{s}");
        assert_eq!(&s[3..4], " ");
        assert_eq!(&s[9..10], ":");
    }

    #[test]
    fn exit_reason_prefix_and_length() {
        assert_eq!(cfg(&[]).exit_reason_prefix, "ocf-exit-reason:");
        assert_eq!(cfg(&[("OCF_EXIT_REASON_PREFIX", "X:")]).exit_reason_prefix, "X:");
        assert_eq!(exit_reason_line("ocf-exit-reason:", "name is required"), "ocf-exit-reason:name is required");
        let long = "é".repeat(300);
        let line = exit_reason_line("p:", &long);
        assert_eq!(line.chars().count(), 2 + EXIT_REASON_MAX);
        assert!(!exit_reason_line("p:", "a\nb").contains('\n'));
    }
}
