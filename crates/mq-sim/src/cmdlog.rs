//! Who ran each command of the installation: every program dispatched by `mqsim` except its own
//! test tooling appends `UID EUID PROGRAM INSTALLATION ARGS...` to `ROOT/.mqsim/commands.log`
//! (one log for every installation under ROOT), so tests can assert, for example, that the agent
//! never ran a program of an installation as root, or which installation's program it ran.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The log's place under an installation root.
pub const COMMAND_LOG: &str = ".mqsim/commands.log";

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRecord {
    pub uid: u32,
    pub euid: u32,
    pub program: String,
    /// The name of the installation whose program ran (Installation1, ...).
    pub installation: String,
    pub args: Vec<String>,
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
    let exe = std::fs::read_link("/proc/self/exe").ok();
    let Some(inst) = exe.and_then(|e| crate::paths::Installation::from_program(&e).ok()) else { return };
    let root = inst.root;
    let (uid, euid) = (nix::unistd::getuid(), nix::unistd::geteuid());
    let mut line = format!("{uid} {euid} {} {}", word(program), word(&inst.name));
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
    let installation = w.next()?.to_string();
    Some(CommandRecord { uid, euid, program, installation, args: w.map(str::to_string).collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(word("a b\n"), "a\\x20b\\n");
        let r = parse("999 0 strmqm Installation2 -x QM1").unwrap();
        assert_eq!((r.uid, r.euid, r.program.as_str(), r.installation.as_str()), (999, 0, "strmqm", "Installation2"));
        assert_eq!(r.args, ["-x", "QM1"]);
    }
}
