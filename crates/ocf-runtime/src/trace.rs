//! Action tracing as resource-agents' ocf-shellfuncs switches it on (`ocf_start_trace`): with
//! OCF_TRACE_RA or the `trace_ra` parameter true, the action's record goes to `trace_file` or OCF_TRACE_FILE
//! (an absolute path or a descriptor 3-9), else to `$OCF_RESKEY_trace_dir/<type>/<instance>.<action>.<%F.%T>`,
//! the directory defaulting to `$HA_VARLIB/trace_ra` (docs/logging.md#tracing). A shell agent traces
//! with `set -x`; this one writes its environment, every log line at full verbosity and its exit code.

use std::fs::File;
use std::io::Write;
use std::os::fd::FromRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

/// ocf-directories' default for HA_VARLIB.
pub const DEFAULT_VARLIB: &str = "/var/lib/heartbeat";

/// Where the trace goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceDest {
    File(PathBuf),
    /// A descriptor the caller opened for writing (OCF_TRACE_FILE=3..9).
    Fd(i32),
}

/// ocf_is_true's words: yes, true, 1, on (any case), and `ja`.
pub fn is_true(v: &str) -> bool {
    matches!(v.trim().to_ascii_lowercase().as_str(), "yes" | "true" | "1" | "on" | "ja")
}

/// The trace destination for `action` of `instance`, or None when tracing is off. A trace_file
/// that is neither absolute nor a descriptor falls back to the default path, as ocf_start_trace does.
pub fn dest_from_lookup(
    get: impl Fn(&str) -> Option<String>,
    agent: &str,
    instance: &str,
    action: &str,
    stamp: &str,
) -> Option<(TraceDest, Option<String>)> {
    let non_empty = |k: &str| get(k).filter(|v| !v.trim().is_empty());
    // OCF_TRACE_RA wins over the parameter, as `: ${OCF_TRACE_RA:=$OCF_RESKEY_trace_ra}` does.
    let on = non_empty("OCF_TRACE_RA").or_else(|| non_empty("OCF_RESKEY_trace_ra"))?;
    if !is_true(&on) {
        return None;
    }
    // pcs offers `trace_file` for every agent (ocf-shellfuncs reads only OCF_TRACE_FILE); the resource's own
    // setting wins, since crm_resource sets OCF_TRACE_FILE=/dev/stderr for every debug action (docs/logging.md#tracing).
    let file = non_empty("OCF_RESKEY_trace_file").or_else(|| non_empty("OCF_TRACE_FILE"));
    let mut warning = None;
    if let Some(f) = file {
        let f = f.trim().to_string();
        if let Ok(fd @ 3..=9) = f.parse::<i32>() {
            return Some((TraceDest::Fd(fd), None));
        }
        if f.starts_with('/') && f.len() > 1 {
            return Some((TraceDest::File(PathBuf::from(f)), None));
        }
        warning = Some(format!("trace file '{f}' is neither an absolute path nor a descriptor 3-9; using the default"));
    }
    let dir = non_empty("OCF_RESKEY_trace_dir").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(non_empty("HA_VARLIB").unwrap_or_else(|| DEFAULT_VARLIB.to_string())).join("trace_ra")
    });
    let rtype = non_empty("OCF_RESOURCE_TYPE").unwrap_or_else(|| agent.to_string());
    Some((TraceDest::File(dir.join(rtype).join(format!("{instance}.{action}.{stamp}"))), warning))
}

static TRACE: OnceLock<Mutex<File>> = OnceLock::new();

/// Whether a trace is being written.
pub fn active() -> bool {
    TRACE.get().is_some()
}

/// Opens the trace and writes its header: what runs and the environment it was given (OCF_*, HA_*,
/// PCMK_*). Returns a warning to log when the trace cannot be written; the action goes on regardless.
pub fn start(dest: &TraceDest, header: &str, env: &[(String, String)]) -> Result<(), String> {
    let file = match dest {
        TraceDest::Fd(fd) => {
            // The descriptor must be open for writing; fcntl tells without taking it over if it is not.
            if unsafe { libc::fcntl(*fd, libc::F_GETFD) } < 0 {
                return Err(format!("trace descriptor {fd} is not open, trace not going to happen"));
            }
            // SAFETY: the caller of the agent opened this descriptor for the trace; nothing else uses it.
            unsafe { File::from_raw_fd(*fd) }
        }
        TraceDest::File(p) => {
            if let Some(parent) = p.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            // 0600: the trace records the resource's parameters, as a shell agent's set -x output does.
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(p)
                .map_err(|e| format!("{} not writable ({e}), trace not going to happen", p.display()))?
        }
    };
    let mut text = format!("{header}\n");
    for (k, v) in env {
        text.push_str(&format!("env {k}={v}\n"));
    }
    let mut file = file;
    let _ = file.write_all(text.as_bytes());
    let _ = TRACE.set(Mutex::new(file));
    Ok(())
}

/// Appends one line to the trace, if there is one.
pub fn line(text: &str) {
    if let Some(m) = TRACE.get() {
        if let Ok(mut f) = m.lock() {
            let _ = f.write_all(format!("{text}\n").as_bytes());
        }
    }
}

/// The variables a trace records: what the cluster passed, not the whole process environment.
pub fn recorded_env(vars: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> =
        vars.filter(|(k, _)| k.starts_with("OCF_") || k.starts_with("HA_") || k.starts_with("PCMK_")).collect();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn dest(vars: &[(&str, &str)]) -> Option<(TraceDest, Option<String>)> {
        let m: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        dest_from_lookup(|k| m.get(k).cloned(), "ibmmq", "qm1", "start", "2026-12-03.08:00:00")
    }

    #[test]
    fn off_unless_asked() {
        assert_eq!(dest(&[]), None);
        assert_eq!(dest(&[("OCF_RESKEY_trace_ra", "0")]), None);
        assert_eq!(dest(&[("OCF_TRACE_RA", "no"), ("OCF_RESKEY_trace_ra", "1")]), None);
    }

    #[test]
    fn default_path_is_resource_agents_pattern() {
        let (d, w) = dest(&[("OCF_RESKEY_trace_ra", "1"), ("OCF_RESOURCE_TYPE", "ibmmq")]).unwrap();
        assert_eq!(d, TraceDest::File("/var/lib/heartbeat/trace_ra/ibmmq/qm1.start.2026-12-03.08:00:00".into()));
        assert_eq!(w, None);
        let (d, _) = dest(&[("OCF_TRACE_RA", "yes"), ("HA_VARLIB", "/v")]).unwrap();
        assert_eq!(d, TraceDest::File("/v/trace_ra/ibmmq/qm1.start.2026-12-03.08:00:00".into()));
        let (d, _) = dest(&[("OCF_TRACE_RA", "1"), ("OCF_RESKEY_trace_dir", "/t")]).unwrap();
        assert_eq!(d, TraceDest::File("/t/ibmmq/qm1.start.2026-12-03.08:00:00".into()));
    }

    #[test]
    fn trace_file_path_descriptor_or_fallback() {
        let (d, _) = dest(&[("OCF_RESKEY_trace_ra", "1"), ("OCF_RESKEY_trace_file", "/tmp/t.log")]).unwrap();
        assert_eq!(d, TraceDest::File("/tmp/t.log".into()));
        let (d, _) = dest(&[("OCF_RESKEY_trace_ra", "1"), ("OCF_TRACE_FILE", "5")]).unwrap();
        assert_eq!(d, TraceDest::Fd(5));
        let (d, _) =
            dest(&[("OCF_TRACE_RA", "1"), ("OCF_TRACE_FILE", "/dev/stderr"), ("OCF_RESKEY_trace_file", "/t")]).unwrap();
        assert_eq!(d, TraceDest::File("/t".into()));
        let (d, w) = dest(&[("OCF_RESKEY_trace_ra", "1"), ("OCF_RESKEY_trace_file", "rel.log")]).unwrap();
        assert_eq!(d, TraceDest::File("/var/lib/heartbeat/trace_ra/ibmmq/qm1.start.2026-12-03.08:00:00".into()));
        assert!(w.unwrap().contains("rel.log"));
    }

    #[test]
    fn recorded_env_keeps_cluster_variables_sorted() {
        let v = recorded_env(
            [("PATH", "/bin"), ("OCF_RESKEY_qmgr", "QM1"), ("HA_LOGFILE", "/l")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        assert_eq!(v, vec![("HA_LOGFILE".to_string(), "/l".to_string()), ("OCF_RESKEY_qmgr".into(), "QM1".into())]);
    }
}
