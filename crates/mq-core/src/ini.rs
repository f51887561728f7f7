//! MQ's stanza files (mqs.ini, qm.ini; docs/reference/mq-processes-and-files.md#mqs-ini): `Stanza:` lines followed by
//! indented
//! `Key=Value` lines. Read-only here: changes go through MQ's own commands (addmqinf).

use std::path::{Path, PathBuf};

use crate::fsread;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stanza {
    pub name: String,
    pub attrs: Vec<(String, String)>,
}

impl Stanza {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IniFile {
    pub stanzas: Vec<Stanza>,
}

impl IniFile {
    pub fn parse(text: &str) -> IniFile {
        let mut stanzas: Vec<Stanza> = Vec::new();
        for raw in text.lines() {
            // '#' and ';' start comments in MQ ini files.
            let line = raw.split(['#', ';']).next().unwrap_or("").trim_end();
            if line.trim().is_empty() {
                continue;
            }
            let indented = line.starts_with([' ', '\t']);
            let t = line.trim();
            if !indented && t.ends_with(':') && !t.contains('=') {
                stanzas.push(Stanza { name: t.trim_end_matches(':').to_string(), attrs: vec![] });
            } else if let (Some((k, v)), Some(s)) = (t.split_once('='), stanzas.last_mut()) {
                s.attrs.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        IniFile { stanzas }
    }

    /// Reads a stanza file the mq user owns: bounded, never through a final symlink, regular
    /// files only, and non-UTF-8 content is an error rather than a file with no stanzas.
    pub fn read(path: &Path) -> std::io::Result<IniFile> {
        Ok(IniFile::parse(&fsread::utf8(fsread::read_capped(path, fsread::INI_CAP)?)?))
    }

    pub fn stanza(&self, name: &str) -> Option<&Stanza> {
        self.stanzas.iter().find(|s| s.name == name)
    }

    /// The `QueueManager:` stanza whose `Name=` is `qm`.
    pub fn queue_manager(&self, qm: &str) -> Option<QmStanza> {
        let s = self.stanzas.iter().find(|s| s.name == "QueueManager" && s.get("Name") == Some(qm))?;
        Some(QmStanza {
            name: qm.to_string(),
            prefix: s.get("Prefix").map(PathBuf::from),
            directory: s.get("Directory").map(str::to_string),
            data_path: s.get("DataPath").map(PathBuf::from),
            installation: s.get("InstallationName").map(str::to_string),
        })
    }

    pub fn default_prefix(&self) -> Option<PathBuf> {
        self.stanza("AllQueueManagers").and_then(|s| s.get("DefaultPrefix")).map(PathBuf::from)
    }
}

/// A queue manager's entry in mqs.ini.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QmStanza {
    pub name: String,
    pub prefix: Option<PathBuf>,
    pub directory: Option<String>,
    pub data_path: Option<PathBuf>,
    pub installation: Option<String>,
}

impl QmStanza {
    /// DataPath when set (shared storage), else `<Prefix>/qmgrs/<Directory>`
    /// (docs/reference/mq-processes-and-files.md#data-directory).
    pub fn data_dir(&self, default_prefix: &Path, default_directory: &str) -> PathBuf {
        if let Some(dp) = &self.data_path {
            return dp.clone();
        }
        let prefix = self.prefix.clone().unwrap_or_else(|| default_prefix.to_path_buf());
        prefix.join("qmgrs").join(self.directory.as_deref().unwrap_or(default_directory))
    }
}

/// The recovery-log directory a qm.ini names (`Log:` `LogPath=`), if it names one.
pub fn log_path(qm_ini: &IniFile) -> Option<PathBuf> {
    qm_ini.stanza("Log").and_then(|s| s.get("LogPath")).map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MQS_INI: &str = "#*******************************************************************#\n\
AllQueueManagers:\n   DefaultPrefix=/var/mqm\n\
LogDefaults:\n   LogPrimaryFiles=3\n   LogDefaultPath=/var/mqm/log\n\
QueueManager:\n   Name=foo\n   Directory=foo\n   Prefix=/var/mqm\n   InstallationName=Installation1\n\
QueueManager:\n   Name=queue.manager\n   Prefix=/var/mqm\n   Directory=queue!manager\n   DataPath=/MQHA/qmgrs/queue!manager\n\
DefaultQueueManager:\n   Name=foo\n";

    #[test]
    fn queue_manager_stanzas() {
        let ini = IniFile::parse(MQS_INI);
        assert_eq!(ini.default_prefix(), Some(PathBuf::from("/var/mqm")));
        let foo = ini.queue_manager("foo").unwrap();
        assert_eq!(foo.data_dir(Path::new("/x"), "foo"), PathBuf::from("/var/mqm/qmgrs/foo"));
        let qm = ini.queue_manager("queue.manager").unwrap();
        assert_eq!(qm.data_dir(Path::new("/var/mqm"), "x"), PathBuf::from("/MQHA/qmgrs/queue!manager"));
        assert!(ini.queue_manager("fo").is_none());
        assert!(ini.queue_manager("FOO").is_none(), "names are case-sensitive");
    }

    #[test]
    fn qm_ini_log_path() {
        let ini = IniFile::parse(
            "Log:\n   LogPrimaryFiles=3\n   LogPath=/var/mqm/log/QM1/\n   LogType=CIRCULAR\nTCP:\n   Port=1414\n",
        );
        assert_eq!(log_path(&ini), Some(PathBuf::from("/var/mqm/log/QM1/")));
    }

    #[test]
    fn read_refuses_what_the_mq_user_could_plant() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mqs.ini");
        std::fs::write(&p, b"QueueManager:\n   Name=QM\xe9\n").unwrap();
        let e = IniFile::read(&p).unwrap_err();
        assert!(e.to_string().contains("not UTF-8"), "{e}");
        std::fs::remove_file(&p).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &p).unwrap();
        assert!(IniFile::read(&p).is_err());
        std::fs::remove_file(&p).unwrap();
        nix::unistd::mkfifo(&p, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        assert!(IniFile::read(&p).unwrap_err().to_string().contains("FIFO"));
    }
}
