//! What Pacemaker tells an agent through its environment: the action, the instance, whether a
//! monitor is a probe, the check depth and the time budget of the operation.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

/// Operation timeout Pacemaker applies when none is configured (CRM_DEFAULT_OP_TIMEOUT_S).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// The action named by `argv[1]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Start,
    Stop,
    Monitor,
    ValidateAll,
    MetaData,
    ReloadAgent,
    Promote,
    Demote,
    Notify,
    Usage,
    /// Anything else: answered with 3 (OCF_ERR_UNIMPLEMENTED).
    Other(String),
}

impl Action {
    pub fn parse(s: &str) -> Action {
        match s {
            "start" => Action::Start,
            "stop" => Action::Stop,
            // `status` is the historical alias of monitor that resource-agents still answers.
            "monitor" | "status" => Action::Monitor,
            "validate-all" => Action::ValidateAll,
            "meta-data" | "metadata" => Action::MetaData,
            "reload-agent" => Action::ReloadAgent,
            "promote" => Action::Promote,
            "demote" => Action::Demote,
            "notify" => Action::Notify,
            "usage" | "help" | "--help" | "-h" => Action::Usage,
            other => Action::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Monitor => "monitor",
            Action::ValidateAll => "validate-all",
            Action::MetaData => "meta-data",
            Action::ReloadAgent => "reload-agent",
            Action::Promote => "promote",
            Action::Demote => "demote",
            Action::Notify => "notify",
            Action::Usage => "usage",
            Action::Other(s) => s,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// OCF_CHECK_LEVEL rounded down to a level the agents implement (OCF: "use the next lower one").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CheckLevel {
    /// 0: cheap and local (processes, state).
    Basic = 0,
    /// 10: the service answers.
    Medium = 10,
    /// 20: work really flows (data is written and read back).
    Deep = 20,
}

impl CheckLevel {
    /// Rounds any number down to 0, 10 or 20; a value that is not a number is an error.
    pub fn parse(s: &str) -> Result<CheckLevel, EnvError> {
        let t = s.trim();
        if t.is_empty() {
            return Ok(CheckLevel::Basic);
        }
        let n: u64 = t.parse().map_err(|_| EnvError::BadCheckLevel(s.to_string()))?;
        Ok(match n {
            0..=9 => CheckLevel::Basic,
            10..=19 => CheckLevel::Medium,
            _ => CheckLevel::Deep,
        })
    }

    pub fn depth(self) -> u32 {
        self as u32
    }
}

/// Notification details of a clone's `notify` action (OCF_RESKEY_CRM_meta_notify_*), kept raw
/// until an agent needs them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotifyEnv {
    /// `pre` or `post`.
    pub kind: Option<String>,
    /// The operation notified about: start, stop, promote, demote.
    pub operation: Option<String>,
    /// Every other `notify_*` field, by its name without the prefix (e.g. `start_uname`).
    pub fields: BTreeMap<String, String>,
}

/// A bad value in the OCF environment itself (not an instance parameter).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvError {
    #[error("OCF_CHECK_LEVEL='{0}' is not a number")]
    BadCheckLevel(String),
    #[error("OCF_RESKEY_CRM_meta_timeout='{0}' is not a number of milliseconds")]
    BadTimeout(String),
    #[error("OCF_RESKEY_CRM_meta_interval='{0}' is not a number of milliseconds")]
    BadInterval(String),
}

/// The OCF environment of one agent invocation.
#[derive(Debug, Clone)]
pub struct Env {
    pub action: Action,
    /// OCF_RESOURCE_INSTANCE; clone instances carry `:N`.
    pub instance: String,
    /// OCF_RESKEY_CRM_meta_interval in milliseconds; Pacemaker omits it for interval 0.
    pub interval_ms: Option<u64>,
    pub check_level: CheckLevel,
    /// OCF_RESKEY_CRM_meta_timeout: the operation's whole budget.
    pub timeout: Duration,
    /// Whether the timeout came from Pacemaker or is the default.
    pub timeout_given: bool,
    /// ocf-tester's OCF_TESTER_FAIL_HAVE_BINARY=1: behave as if the service's binaries were missing.
    pub fail_have_binary: bool,
    /// OCF_RESKEY_CRM_meta_clone_max is set.
    pub is_clone: bool,
    pub notify: NotifyEnv,
    /// When the agent began: budgets count from here, not from when the action got round to it.
    pub started: Instant,
}

impl Env {
    /// Reads the real process environment.
    pub fn from_process(action: Action) -> Result<Env, EnvError> {
        Env::from_lookup(action, |k| std::env::var(k).ok(), Instant::now())
    }

    /// Reads the environment through `get` (so decisions are testable without touching the process).
    pub fn from_lookup(
        action: Action,
        get: impl Fn(&str) -> Option<String>,
        started: Instant,
    ) -> Result<Env, EnvError> {
        let instance = get("OCF_RESOURCE_INSTANCE").filter(|s| !s.is_empty()).unwrap_or_else(|| "default".to_string());
        let interval_ms = match get("OCF_RESKEY_CRM_meta_interval") {
            None => None,
            Some(s) if s.trim().is_empty() => None,
            Some(s) => Some(s.trim().parse::<u64>().map_err(|_| EnvError::BadInterval(s.clone()))?),
        };
        // Pacemaker exports OCF_CHECK_LEVEL unprefixed; ocf-shellfuncs also accepts the prefixed form.
        let check_level = match get("OCF_CHECK_LEVEL").or_else(|| get("OCF_RESKEY_OCF_CHECK_LEVEL")) {
            None => CheckLevel::Basic,
            Some(s) => CheckLevel::parse(&s)?,
        };
        let (timeout, timeout_given) = match get("OCF_RESKEY_CRM_meta_timeout") {
            None => (DEFAULT_TIMEOUT, false),
            Some(s) if s.trim().is_empty() => (DEFAULT_TIMEOUT, false),
            Some(s) => match s.trim().parse::<u64>().map_err(|_| EnvError::BadTimeout(s.clone()))? {
                // No time at all would fail every action at once: treat it as unset.
                0 => (DEFAULT_TIMEOUT, false),
                ms => (Duration::from_millis(ms), true),
            },
        };
        let fail_have_binary = get("OCF_TESTER_FAIL_HAVE_BINARY").is_some_and(|v| v == "1");
        let is_clone = get("OCF_RESKEY_CRM_meta_clone_max").is_some_and(|v| !v.is_empty());
        let notify = NotifyEnv {
            kind: get("OCF_RESKEY_CRM_meta_notify_type"),
            operation: get("OCF_RESKEY_CRM_meta_notify_operation"),
            fields: BTreeMap::new(),
        };
        Ok(Env {
            action,
            instance,
            interval_ms,
            check_level,
            timeout,
            timeout_given,
            fail_have_binary,
            is_clone,
            notify,
            started,
        })
    }

    /// Adds every OCF_RESKEY_CRM_meta_notify_* variable of the process to `notify.fields`.
    pub fn with_notify_fields(mut self, vars: impl IntoIterator<Item = (String, String)>) -> Env {
        const P: &str = "OCF_RESKEY_CRM_meta_notify_";
        for (k, v) in vars {
            if let Some(name) = k.strip_prefix(P) {
                if name != "type" && name != "operation" {
                    self.notify.fields.insert(name.to_string(), v);
                }
            }
        }
        self
    }

    /// A monitor with no interval, an empty one or 0 is a probe (Pacemaker drops interval 0).
    pub fn is_probe(&self) -> bool {
        self.action == Action::Monitor && self.interval_ms.unwrap_or(0) == 0
    }

    /// The deadline of this action: the operation timeout minus a safety margin, counted from
    /// the agent's start. Pacemaker SIGKILLs the agent's process group at the timeout, so the
    /// agent must finish (and report) before it.
    pub fn deadline(&self) -> Instant {
        self.started + budget_for(self.timeout)
    }
}

/// The part of an operation timeout an action may use: the rest is kept to report and exit.
/// 10% of the timeout, at least 1 s and at most 5 s, but never more than half of it.
pub fn budget_for(timeout: Duration) -> Duration {
    let margin = (timeout / 10).clamp(Duration::from_secs(1), Duration::from_secs(5)).min(timeout / 2);
    timeout - margin
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(action: &str, vars: &[(&str, &str)]) -> Result<Env, EnvError> {
        let m: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Env::from_lookup(Action::parse(action), |k| m.get(k).cloned(), Instant::now())
    }

    #[test]
    fn probe_when_interval_missing_empty_or_zero() {
        assert!(env_of("monitor", &[]).unwrap().is_probe());
        assert!(env_of("monitor", &[("OCF_RESKEY_CRM_meta_interval", "")]).unwrap().is_probe());
        assert!(env_of("monitor", &[("OCF_RESKEY_CRM_meta_interval", "0")]).unwrap().is_probe());
        assert!(!env_of("monitor", &[("OCF_RESKEY_CRM_meta_interval", "20000")]).unwrap().is_probe());
        assert!(!env_of("start", &[]).unwrap().is_probe());
        // `status` is monitor's alias and probes the same way.
        assert!(env_of("status", &[]).unwrap().is_probe());
    }

    #[test]
    fn bad_interval_names_the_value() {
        let e = env_of("monitor", &[("OCF_RESKEY_CRM_meta_interval", "10s")]).unwrap_err();
        assert_eq!(e, EnvError::BadInterval("10s".into()));
        assert!(e.to_string().contains("'10s'"));
    }

    #[test]
    fn check_level_rounds_down_to_implemented_levels() {
        let lvl = |v: &str| env_of("monitor", &[("OCF_CHECK_LEVEL", v)]).unwrap().check_level;
        assert_eq!(lvl("0"), CheckLevel::Basic);
        assert_eq!(lvl("5"), CheckLevel::Basic);
        assert_eq!(lvl("10"), CheckLevel::Medium);
        assert_eq!(lvl("15"), CheckLevel::Medium);
        assert_eq!(lvl("20"), CheckLevel::Deep);
        assert_eq!(lvl("30"), CheckLevel::Deep);
        assert_eq!(env_of("monitor", &[]).unwrap().check_level, CheckLevel::Basic);
        let prefixed = env_of("monitor", &[("OCF_RESKEY_OCF_CHECK_LEVEL", "20")]).unwrap();
        assert_eq!(prefixed.check_level, CheckLevel::Deep);
        assert!(env_of("monitor", &[("OCF_CHECK_LEVEL", "deep")]).unwrap_err().to_string().contains("'deep'"));
    }

    #[test]
    fn timeout_defaults_to_pacemakers_20s() {
        let e = env_of("start", &[]).unwrap();
        assert_eq!(e.timeout, Duration::from_secs(20));
        assert!(!e.timeout_given);
        let e = env_of("start", &[("OCF_RESKEY_CRM_meta_timeout", "120000")]).unwrap();
        assert_eq!(e.timeout, Duration::from_secs(120));
        assert!(e.timeout_given);
        assert!(env_of("start", &[("OCF_RESKEY_CRM_meta_timeout", "2m")]).is_err());
        assert_eq!(env_of("start", &[("OCF_RESKEY_CRM_meta_timeout", "0")]).unwrap().timeout, DEFAULT_TIMEOUT);
    }

    #[test]
    fn budget_keeps_a_margin() {
        assert_eq!(budget_for(Duration::from_secs(20)), Duration::from_secs(18));
        assert_eq!(budget_for(Duration::from_secs(120)), Duration::from_secs(115));
        assert_eq!(budget_for(Duration::from_secs(5)), Duration::from_secs(4));
        assert_eq!(budget_for(Duration::from_millis(1000)), Duration::from_millis(500));
        assert_eq!(budget_for(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn deadline_from_env_is_inside_the_timeout() {
        let e = env_of("stop", &[("OCF_RESKEY_CRM_meta_timeout", "10000")]).unwrap();
        let r = e.deadline().saturating_duration_since(Instant::now());
        assert!(r <= Duration::from_secs(9) && r > Duration::from_millis(8500), "{r:?}");
    }

    #[test]
    fn instance_and_tester_flags() {
        let e = env_of(
            "monitor",
            &[
                ("OCF_RESOURCE_INSTANCE", "rsc1:0"),
                ("OCF_TESTER_FAIL_HAVE_BINARY", "1"),
                ("OCF_RESKEY_CRM_meta_clone_max", "2"),
            ],
        )
        .unwrap();
        assert_eq!(e.instance, "rsc1:0");
        assert!(e.fail_have_binary);
        assert!(e.is_clone);
        let e = env_of("monitor", &[]).unwrap();
        assert_eq!(e.instance, "default");
        assert!(!e.fail_have_binary);
    }

    #[test]
    fn notify_fields_are_collected() {
        let e = env_of(
            "notify",
            &[("OCF_RESKEY_CRM_meta_notify_type", "pre"), ("OCF_RESKEY_CRM_meta_notify_operation", "promote")],
        )
        .unwrap()
        .with_notify_fields(vec![
            ("OCF_RESKEY_CRM_meta_notify_promote_uname".to_string(), "node2".to_string()),
            ("OCF_RESKEY_name".to_string(), "n1".to_string()),
        ]);
        assert_eq!(e.notify.kind.as_deref(), Some("pre"));
        assert_eq!(e.notify.operation.as_deref(), Some("promote"));
        assert_eq!(e.notify.fields.get("promote_uname").map(String::as_str), Some("node2"));
        assert_eq!(e.notify.fields.len(), 1);
    }

    #[test]
    fn unknown_actions_are_kept_by_name() {
        assert_eq!(Action::parse("migrate_to"), Action::Other("migrate_to".into()));
        assert_eq!(Action::parse("help"), Action::Usage);
        assert_eq!(Action::parse("reload-agent"), Action::ReloadAgent);
    }
}
