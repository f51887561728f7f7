//! Who ran each command of the installation: every program dispatched by `mqsim` except its own
//! test tooling appends `UID EUID PROGRAM ARGS...` to `ROOT/.mqsim/commands.log`, so tests can
//! assert, for example, that the agent never ran a program of the installation as root.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The log's place under an installation root.
pub const COMMAND_LOG: &str = ".mqsim/commands.log";

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRecord {
    pub uid: u32,
    pub euid: u32,
    pub program: String,
    pub args: Vec<String>,
}

/// The installation root of the running program (ROOT/opt/mqm/.../X -> ROOT), from its path.
fn root_of(exe: &Path) -> Option<PathBuf> {
    exe.ancestors().find(|d| d.ends_with("opt/mqm")).and_then(|d| d.parent()?.parent()).map(Path::to_path_buf)
}

/// An argument as one word of the log: spaces, backslashes and control characters escaped.
fn word(a: &str) -> String {
    if a.is_empty() {
        return "''".into();
    }
    a.chars()
        .map(|c| match c {
            ' ' => "\\x20".to_string(),
            '\\' => "\\\\".to_string(),
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// Appends this process's line; silent when the log cannot be written (an installation made
/// before the log existed), so logging never changes what a command does.
pub fn record(program: &str, args: &[String]) {
    if program == "mqsim" {
        return;
    }
    let Some(root) = std::fs::read_link("/proc/self/exe").ok().and_then(|e| root_of(&e)) else { return };
    let mut line = format!("{} {} {}", nix::unistd::getuid(), nix::unistd::geteuid(), word(program));
    for a in args {
        line.push(' ');
        line.push_str(&word(a));
    }
    line.push('\n');
    let file = std::fs::OpenOptions::new()
        .append(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(root.join(COMMAND_LOG));
    if let Ok(mut f) = file {
        // One write of one short line: O_APPEND keeps concurrent writers' lines whole.
        let _ = f.write_all(line.as_bytes());
    }
}

/// Creates the log, writable by every user (commands run as root, the mq user and others).
pub fn create(root: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let p = root.join(COMMAND_LOG);
    std::fs::OpenOptions::new().create(true).append(true).open(&p)?;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o666))
}

/// Every line of the log of the installation at `root`.
pub fn read(root: &Path) -> std::io::Result<Vec<CommandRecord>> {
    let text = std::fs::read_to_string(root.join(COMMAND_LOG))?;
    Ok(text.lines().filter_map(parse).collect())
}

fn parse(line: &str) -> Option<CommandRecord> {
    let mut w = line.split(' ');
    let uid = w.next()?.parse().ok()?;
    let euid = w.next()?.parse().ok()?;
    let program = w.next()?.to_string();
    Some(CommandRecord { uid, euid, program, args: w.map(str::to_string).collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_lines() {
        assert_eq!(root_of(Path::new("/tmp/r/opt/mqm/bin/dspmq")), Some(PathBuf::from("/tmp/r")));
        assert_eq!(root_of(Path::new("/tmp/r/opt/mqm/samp/bin/amqsput")), Some(PathBuf::from("/tmp/r")));
        assert_eq!(root_of(Path::new("/usr/bin/x")), None);
        assert_eq!(word("a b\n"), "a\\x20b\\n");
        let r = parse("999 0 strmqm -x QM1").unwrap();
        assert_eq!((r.uid, r.euid, r.program.as_str(), r.args.len()), (999, 0, "strmqm", 2));
    }
}
