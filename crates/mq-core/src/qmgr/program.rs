//! The administrator's own check (`monitor_program=`): a program of the site's that says whether
//! what is built on the queue manager is healthy, run with the queue manager's name as its one
//! argument; exit 0 passes, anything else fails the monitor with the program's first line of
//! output as the reason (docs/ibmmq.md#monitor-program).
//!
//! Trust. The agent runs as root and the program decides a monitor's verdict, so root must have
//! put it there: the file and every directory on its path are owned by root and not writable by
//! group or others, and no component is a symbolic link, so no other user can replace it or
//! redirect the path (`judge`). The agent never executes it as root: it runs as the mq user
//! (the identity, clean environment, `env_file` variables and limits of the queue manager's MQ
//! commands), with `PR_SET_NO_NEW_PRIVS` so that no set-user-id bit or file capability gives it
//! more, stdin from /dev/null, output capped, in its own process group that is killed when the
//! program exits and at the deadline (`exec::Runner::confined`). The look at its path runs in a
//! child abandoned at its deadline, so a path on storage that hangs cannot hang the monitor.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::error::{ExecError, MqError};
use crate::exec::Output;
use crate::storage::{in_child, ChildFailed};
use crate::user::MqUser;

use super::QueueManager;

/// The rule of the parameter's text, as the meta-data states it.
pub const PATH_RULE: &str = "An absolute path of an executable file, without arguments (the queue manager's name \
is its one argument), without '.' or '..' components, blanks or control characters.";

/// How much of the program's first line a reason keeps (crm_mon shows about 128 characters).
pub const REASON_CAP: usize = 160;

/// The text of the parameter, checked without touching the node (what `pcs --agent-validation`
/// runs): the end of `monitor_program='<value>' <why>`.
pub fn check_path_text(s: &str) -> Result<(), String> {
    if !s.starts_with('/') {
        return Err("is not an absolute path".into());
    }
    if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "has {:?}: give the program alone, without arguments (it gets the queue manager's name); wrap a command line in a script",
            c
        ));
    }
    if s.ends_with('/') {
        return Err("names a directory, not a program".into());
    }
    if s.split('/').any(|c| c == "." || c == "..") {
        return Err("has a '.' or '..' component; give the program's real path".into());
    }
    Ok(())
}

/// What lstat(2) said about one component of the path: (uid, gid, mode) or the errno.
pub type Lstat = Result<(u32, u32, u32), i32>;

/// The path and each directory above it, from `/` down to the program itself.
fn chain(path: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = path.ancestors().map(Path::to_path_buf).collect();
    v.reverse();
    v
}

/// Whether `user` may `bit` (4 read, 2 write, 1 execute/search) a file of this owner and mode,
/// by the class the kernel uses (owner, else group, else others).
fn user_may(user: &MqUser, (uid, gid, mode): (u32, u32, u32), bit: u32) -> bool {
    let class = if uid == user.uid {
        6
    } else if gid == user.gid || user.groups.contains(&gid) {
        3
    } else {
        0
    };
    mode & (bit << class) != 0
}

/// Decides from the lstat answers for `chain(path)` (as many as were taken: the look stops at the
/// first failure) whether root can trust the program at `path` and `user` can run it; the why of a
/// refusal names the component.
pub fn judge(path: &Path, looks: &[(PathBuf, Lstat)], user: &MqUser) -> Result<(), String> {
    for (at, look) in looks {
        let at_s = at.display();
        let is_program = at == path;
        let (uid, gid, mode) = match look {
            Ok(m) => *m,
            Err(errno) if *errno == libc::ENOENT => {
                return Err(if is_program { "does not exist".into() } else { format!("{at_s} does not exist") })
            }
            Err(errno) => return Err(format!("cannot look at {at_s}: {}", std::io::Error::from_raw_os_error(*errno))),
        };
        let kind = mode & libc::S_IFMT;
        if kind == libc::S_IFLNK {
            return Err(format!("{at_s} is a symbolic link; name the program by its real path"));
        }
        let which = if is_program { String::new() } else { format!("directory {at_s} ") };
        if uid != 0 {
            return Err(format!("{which}is owned by uid {uid}, not root: only root may decide what the monitor runs"));
        }
        if mode & 0o022 != 0 {
            return Err(format!(
                "{which}is writable by group or others (mode {:04o}): another user could replace the program",
                mode & 0o7777
            ));
        }
        if !is_program {
            if kind != libc::S_IFDIR {
                return Err(format!("{at_s} is not a directory"));
            }
            if !user_may(user, (uid, gid, mode), 1) {
                return Err(format!("the mq user {} cannot enter {at_s} (mode {:04o})", user.name, mode & 0o7777));
            }
            continue;
        }
        if kind != libc::S_IFREG {
            return Err("is not a regular file".into());
        }
        if mode & 0o6000 != 0 {
            return Err(format!(
                "is set-user-id or set-group-id (mode {:04o}); a check needs no privileges: chmod ug-s it",
                mode & 0o7777
            ));
        }
        if !user_may(user, (uid, gid, mode), 1) {
            return Err(format!("is not executable by the mq user {} (mode {:04o})", user.name, mode & 0o7777));
        }
        return Ok(());
    }
    Err("cannot look at it".into())
}

/// Record of one lstat in the look's child: uid, gid, mode, errno.
const RECORD: usize = 16;

/// lstat of every component of `chain`, as root, in a child abandoned at `deadline`; stops at the
/// first that fails. Err when the child gave no answer in time.
fn look(chain: &[PathBuf], deadline: Instant) -> Result<Vec<(PathBuf, Lstat)>, String> {
    let cpaths: Vec<CString> = chain
        .iter()
        .map(|p| CString::new(p.as_os_str().as_encoded_bytes()).map_err(|_| "has a NUL byte".to_string()))
        .collect::<Result<_, _>>()?;
    // SAFETY (the closure): lstat and write only, on buffers made before the fork.
    let got = in_child(None, RECORD * cpaths.len(), deadline, |wr| unsafe {
        for c in &cpaths {
            let mut st: libc::stat = std::mem::zeroed();
            let mut rec = [0u8; RECORD];
            let failed = libc::lstat(c.as_ptr(), &mut st) != 0;
            if failed {
                rec[12..16].copy_from_slice(&(*libc::__errno_location()).to_ne_bytes());
            } else {
                rec[0..4].copy_from_slice(&st.st_uid.to_ne_bytes());
                rec[4..8].copy_from_slice(&st.st_gid.to_ne_bytes());
                rec[8..12].copy_from_slice(&st.st_mode.to_ne_bytes());
            }
            crate::storage::write_all(wr, &rec);
            if failed {
                break;
            }
        }
    });
    let buf = match got {
        Ok(b) => b,
        Err(ChildFailed::Hung) => return Err("no answer from its file system in time".into()),
        Err(ChildFailed::Other(e)) => return Err(e),
    };
    let u32_at = |r: &[u8], i: usize| u32::from_ne_bytes([r[i], r[i + 1], r[i + 2], r[i + 3]]);
    Ok(buf
        .chunks_exact(RECORD)
        .zip(chain)
        .map(|(r, p)| {
            let errno = u32_at(r, 12) as i32;
            let l = if errno != 0 { Err(errno) } else { Ok((u32_at(r, 0), u32_at(r, 4), u32_at(r, 8))) };
            (p.clone(), l)
        })
        .collect())
}

/// `line` without terminal escape sequences (a coloured `ESC [ ... m`) and control characters.
fn printable(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            // Parameters and intermediates, up to the final byte (@ to ~).
            for f in chars.by_ref() {
                if ('@'..='~').contains(&f) {
                    break;
                }
            }
        } else if !c.is_control() {
            out.push(c);
        }
    }
    out
}

/// The first line of what the program said (stdout, else stderr), escape sequences and control
/// characters dropped and cut at `REASON_CAP` characters; None when it said nothing.
pub fn first_line(o: &Output) -> Option<String> {
    let pick = |s: &str| s.lines().map(|l| printable(l).trim().to_string()).find(|l| !l.is_empty());
    let line = pick(&o.stdout).or_else(|| pick(&o.stderr))?;
    Some(if line.chars().count() > REASON_CAP {
        format!("{}...", line.chars().take(REASON_CAP).collect::<String>())
    } else {
        line
    })
}

impl QueueManager {
    /// Whether the program at `path` may be run as this queue manager's monitor program (see the
    /// module's "Trust"): `Config` naming `monitor_program=` and the value when not; `Failed` when
    /// its file system gave no answer before `deadline`.
    pub fn check_monitor_program(&self, path: &Path, deadline: Instant) -> Result<(), MqError> {
        let refuse = |why: String| MqError::Config(format!("monitor_program={}: {why}", path.display()));
        check_path_text(&path.to_string_lossy()).map_err(&refuse)?;
        let looks = look(&chain(path), deadline.min(Instant::now() + crate::storage::LOOK_TIMEOUT))
            .map_err(|why| MqError::Failed(format!("monitor_program={}: {why}", path.display())))?;
        judge(path, &looks, &self.user).map_err(refuse)
    }

    /// Checks the program at `path` and runs it as the mq user with this queue manager's name,
    /// until it exits or `deadline` passes (its process group is then killed). Ok when it exits
    /// 0; `Failed` with its first line of output, or with how it ended, otherwise.
    pub fn run_monitor_program(&self, path: &Path, deadline: Instant) -> Result<(), MqError> {
        if Instant::now() >= deadline {
            return Err(MqError::Failed(format!(
                "monitor_program {} not run: the monitor's other checks used up its timeout; give the monitor a longer timeout",
                path.display()
            )));
        }
        self.check_monitor_program(path, deadline)?;
        let budget = deadline.saturating_duration_since(Instant::now());
        let runner = self.runner().clone().confined();
        let failed = |why: String| MqError::Failed(format!("monitor_program {} {why}", path.display()));
        match runner.run(path, &[self.name.as_str()], None, deadline) {
            Ok(o) if o.rc == 0 => Ok(()),
            Ok(o) => Err(MqError::Failed(match first_line(&o) {
                Some(line) => format!("{line} (monitor_program {} exited {})", path.display(), o.rc),
                None => format!("monitor_program {} exited {} with no output", path.display(), o.rc),
            })),
            Err(ExecError::Timeout { .. }) => Err(failed(format!(
                "did not finish within {:.1} s; its process group was killed",
                budget.as_secs_f64()
            ))),
            Err(ExecError::Signalled { signal, .. }) => Err(failed(format!("was killed by signal {signal}"))),
            Err(ExecError::Spawn { source, .. }) => Err(failed(format!("could not be run: {source}"))),
            Err(e) => Err(MqError::Failed(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mqm() -> MqUser {
        MqUser { name: "mqm".into(), uid: 1001, gid: 1001, home: "/var/mqm".into(), groups: vec![1001, 1002] }
    }

    const DIR: u32 = libc::S_IFDIR;
    const REG: u32 = libc::S_IFREG;

    fn looks(modes: &[(u32, u32, u32)]) -> Vec<(PathBuf, Lstat)> {
        chain(Path::new("/usr/local/check")).into_iter().zip(modes.iter().map(|m| Ok(*m))).collect()
    }

    #[test]
    fn the_parameter_text_is_an_absolute_path_without_arguments() {
        assert_eq!(check_path_text("/usr/local/bin/check_app"), Ok(()));
        for (bad, why) in [
            ("check_app", "is not an absolute path"),
            ("/usr/local/bin/check QM1", "without arguments"),
            ("/usr/local/bin/check\tx", "without arguments"),
            ("/usr/local/bin/", "names a directory"),
            ("/usr/local/../bin/check", "'..' component"),
            ("/usr/./check", "'.' or '..' component"),
        ] {
            let e = check_path_text(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn a_root_owned_chain_that_the_mq_user_can_run_is_trusted() {
        let ok = looks(&[(0, 0, DIR | 0o755), (0, 0, DIR | 0o755), (0, 0, DIR | 0o755), (0, 0, REG | 0o755)]);
        assert_eq!(judge(Path::new("/usr/local/check"), &ok, &mqm()), Ok(()));
        // Executable by the group only, and the mq user is in it (supplementary).
        let grp = looks(&[(0, 0, DIR | 0o755), (0, 0, DIR | 0o755), (0, 1002, DIR | 0o750), (0, 1002, REG | 0o750)]);
        assert_eq!(judge(Path::new("/usr/local/check"), &grp, &mqm()), Ok(()));
    }

    #[test]
    fn each_weak_component_is_refused_by_name() {
        let p = Path::new("/usr/local/check");
        let d = (0, 0, DIR | 0o755);
        let f = (0, 0, REG | 0o755);
        for (modes, why) in [
            (vec![d, d, (1001, 1001, DIR | 0o755), f], "directory /usr/local is owned by uid 1001, not root"),
            (vec![d, d, (0, 0, DIR | 0o1777), f], "directory /usr/local is writable by group or others (mode 1777)"),
            (vec![d, (0, 0, DIR | 0o775), d, f], "directory /usr is writable by group or others (mode 0775)"),
            (vec![d, d, (0, 0, DIR | 0o700), f], "the mq user mqm cannot enter /usr/local (mode 0700)"),
            (vec![d, (0, 0, libc::S_IFLNK | 0o777), d, f], "/usr is a symbolic link"),
            (vec![d, d, d, (1001, 0, REG | 0o755)], "is owned by uid 1001, not root"),
            (vec![d, d, d, (0, 0, REG | 0o775)], "is writable by group or others (mode 0775)"),
            (vec![d, d, d, (0, 0, REG | 0o757)], "is writable by group or others (mode 0757)"),
            (vec![d, d, d, (0, 0, REG | 0o744)], "is not executable by the mq user mqm (mode 0744)"),
            (vec![d, d, d, (0, 0, REG | 0o4755)], "is set-user-id or set-group-id (mode 4755)"),
            (vec![d, d, d, (0, 0, DIR | 0o755)], "is not a regular file"),
            (vec![d, d, d, (0, 0, libc::S_IFLNK | 0o777)], "/usr/local/check is a symbolic link"),
            (vec![d, d, (0, 0, REG | 0o755)], "/usr/local is not a directory"),
        ] {
            let l: Vec<_> = chain(p).into_iter().zip(modes.into_iter().map(Ok)).collect();
            let e = judge(p, &l, &mqm()).unwrap_err();
            assert!(e.contains(why), "want '{why}', got '{e}'");
        }
        let mut missing = looks(&[d, d, d]);
        missing.push((p.to_path_buf(), Err(libc::ENOENT)));
        assert_eq!(judge(p, &missing, &mqm()), Err("does not exist".into()));
        let gone = vec![(PathBuf::from("/"), Ok(d)), (PathBuf::from("/usr"), Err(libc::ENOENT))];
        assert_eq!(judge(p, &gone, &mqm()), Err("/usr does not exist".into()));
    }

    #[test]
    fn the_look_stops_at_the_first_missing_component() {
        let l = look(&chain(Path::new("/nonexistent-mqha/x/y")), Instant::now() + std::time::Duration::from_secs(5))
            .unwrap();
        assert_eq!(l.len(), 2, "{l:?}");
        assert_eq!(l[1], (PathBuf::from("/nonexistent-mqha"), Err(libc::ENOENT)));
        assert!(l[0].1.is_ok());
    }

    #[test]
    fn the_reason_is_the_first_line_cleaned_and_cut() {
        let out = |stdout: &str, stderr: &str| Output {
            program: "p".into(),
            rc: 1,
            stdout: stdout.into(),
            stderr: stderr.into(),
            elapsed: std::time::Duration::ZERO,
        };
        assert_eq!(first_line(&out("\n  APP1 down\x1b[0m\nmore\n", "err")).as_deref(), Some("APP1 down"));
        assert_eq!(first_line(&out("", "only stderr\n")).as_deref(), Some("only stderr"));
        assert_eq!(first_line(&out(" \n", "")), None);
        assert_eq!(first_line(&out("\x1b[1;31mred\x07 \x1b[0m", "")).as_deref(), Some("red"));
        let long = first_line(&out(&"x".repeat(500), "")).unwrap();
        assert_eq!(long.chars().count(), REASON_CAP + 3);
    }
}
