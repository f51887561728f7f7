//! An MQ installation: where its commands are (InstPath) and where its data lives (DataPath).
//! The primary installation comes from /etc/opt/mqm/mqinst.ini; the data path from what the
//! installation itself says (`dspmqver`), as a real installation prints /var/mqm.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::error::MqError;
use crate::exec::Runner;
use crate::ini::IniFile;

pub const MQINST_INI: &str = "/etc/opt/mqm/mqinst.ini";
pub const DEFAULT_INSTALLATION: &str = "/opt/mqm";
/// Where learned data paths are remembered until reboot, so a monitor need not ask dspmqver.
pub const CACHE_DIR: &str = "/run/mqha";

/// An installation of MQ on this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    /// InstPath, e.g. /opt/mqm.
    pub path: PathBuf,
    /// DataPath, e.g. /var/mqm (holds mqs.ini, qmgrs/, log/).
    pub data_path: PathBuf,
}

/// The primary installation named by an mqinst.ini: the stanza marked primary, else the only one.
pub fn primary_from_mqinst(ini: &IniFile) -> Option<PathBuf> {
    let insts: Vec<_> = ini.stanzas.iter().filter(|s| s.name == "Installation").collect();
    let marked =
        insts.iter().find(|s| s.get("Primary").map(|v| v.eq_ignore_ascii_case("yes") || v == "1").unwrap_or(false));
    let chosen = marked.or(if insts.len() == 1 { insts.first() } else { None })?;
    chosen.get("FilePath").map(PathBuf::from)
}

/// The installation to use when the resource names none: the primary one, else /opt/mqm.
pub fn default_path() -> PathBuf {
    IniFile::read(Path::new(MQINST_INI))
        .ok()
        .and_then(|ini| primary_from_mqinst(&ini))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_INSTALLATION))
}

/// (InstPath, DataPath) from `dspmqver` output (reference §11).
pub fn parse_dspmqver(out: &str) -> (Option<PathBuf>, Option<PathBuf>) {
    let field = |label: &str| {
        out.lines().find_map(|l| l.strip_prefix(label)).map(|v| v.trim()).filter(|v| !v.is_empty()).map(PathBuf::from)
    };
    (field("InstPath:"), field("DataPath:"))
}

fn cache_file(inst: &Path) -> PathBuf {
    let key: String = inst.display().to_string().chars().map(|c| if c == '/' { '_' } else { c }).collect();
    Path::new(CACHE_DIR).join(format!("datapath{key}"))
}

impl Installation {
    pub fn bin(&self, program: &str) -> PathBuf {
        self.path.join("bin").join(program)
    }

    pub fn has(&self, program: &str) -> bool {
        self.bin(program).is_file()
    }

    pub fn mqs_ini(&self) -> PathBuf {
        self.data_path.join("mqs.ini")
    }

    /// Opens the installation at `path`: its data path from the cache written by an earlier
    /// action, else from `dspmqver` (one exec, as the caller).
    pub fn open(path: &Path, deadline: Instant) -> Result<Installation, MqError> {
        if !path.join("bin").join("dspmq").is_file() {
            return Err(MqError::Node(format!(
                "no MQ installation at {} ({}/bin/dspmq is missing)",
                path.display(),
                path.display()
            )));
        }
        let cache = cache_file(path);
        if let Ok(cached) = std::fs::read_to_string(&cache) {
            let dp = PathBuf::from(cached.trim());
            if dp.join("mqs.ini").is_file() {
                return Ok(Installation { path: path.to_path_buf(), data_path: dp });
            }
        }
        let runner = Runner::new(&path.join("bin"), None);
        let out = runner.run(&path.join("bin").join("dspmqver"), &[] as &[&str], None, deadline)?;
        let (_, data) = parse_dspmqver(&out.stdout);
        let data_path = match (out.rc, data) {
            (0, Some(d)) => d,
            _ => {
                return Err(MqError::Node(format!(
                    "dspmqver of {} did not print a DataPath (rc {}): {}",
                    path.display(),
                    out.rc,
                    out.explaining_line()
                )))
            }
        };
        // Best effort: a read-only /run only costs the next action one dspmqver.
        let _ =
            std::fs::create_dir_all(CACHE_DIR).and_then(|_| std::fs::write(&cache, data_path.display().to_string()));
        Ok(Installation { path: path.to_path_buf(), data_path })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dspmqver_fields() {
        let out = "Name:        IBM MQ\nVersion:     9.2.0.0\nInstName:    Installation1\nInstDesc:\nPrimary:     Yes\nInstPath:    /opt/mqm\nDataPath:    /var/mqm\nMaxCmdLevel: 920\n";
        assert_eq!(parse_dspmqver(out), (Some("/opt/mqm".into()), Some("/var/mqm".into())));
        assert_eq!(parse_dspmqver("Name: IBM MQ\n"), (None, None));
    }

    #[test]
    fn primary_installation() {
        let one = IniFile::parse("Installation:\n   Name=Installation1\n   Identifier=1\n   FilePath=/opt/mqm\n");
        assert_eq!(primary_from_mqinst(&one), Some("/opt/mqm".into()));
        let two = IniFile::parse("Installation:\n   Name=Installation1\n   FilePath=/opt/mqm\nInstallation:\n   Name=Installation2\n   FilePath=/opt/mqm93\n   Primary=Yes\n");
        assert_eq!(primary_from_mqinst(&two), Some("/opt/mqm93".into()));
        let ambiguous = IniFile::parse("Installation:\n   FilePath=/a\nInstallation:\n   FilePath=/b\n");
        assert_eq!(primary_from_mqinst(&ambiguous), None);
    }

    #[test]
    fn missing_installation_is_named() {
        let e = Installation::open(Path::new("/nonexistent/mqm"), Instant::now() + std::time::Duration::from_secs(1))
            .unwrap_err();
        assert!(e.to_string().contains("/nonexistent/mqm"), "{e}");
    }
}
