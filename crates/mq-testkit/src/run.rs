//! Running a program with a deadline and collecting what it said; users to run it as; children
//! a test starts in the background, killed on Drop.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The deadline of a command that a test gives none: generous, but a hang still ends the test.
const DEFAULT_LIMIT: Duration = Duration::from_secs(120);

/// What a finished (or deadline-killed) command did.
pub struct Run {
    /// Its exit code; -1 when it ended by a signal or was killed at its deadline.
    pub rc: i32,
    /// It ran past its deadline and was killed (with its process group).
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    /// The last `ocf-exit-reason:` line on stderr, as Pacemaker reads it; None when there is none.
    pub fn exit_reason(&self) -> Option<String> {
        self.stderr.lines().rev().find_map(|l| l.strip_prefix("ocf-exit-reason:")).map(str::to_string)
    }

    /// The exit reason, empty when there is none.
    pub fn reason(&self) -> String {
        self.exit_reason().unwrap_or_default()
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = if self.timed_out { " (killed at its deadline)" } else { "" };
        write!(
            f,
            "rc={}{how} after {:?}\n--stdout--\n{}\n--stderr--\n{}",
            self.rc, self.elapsed, self.stdout, self.stderr
        )
    }
}

/// Runs `cmd` with stdin from /dev/null within the default deadline.
pub fn run(cmd: &mut Command) -> Run {
    run_input(cmd, None, DEFAULT_LIMIT)
}

/// Spawns `cmd`, retrying for up to 2 s while exec says ETXTBSY: a test that has just written the
/// program (a copy of the agent) races with any fork of another test thread, whose child briefly
/// holds the write descriptor until it execs.
fn spawn_retrying_busy(cmd: &mut Command) -> Child {
    let until = Instant::now() + Duration::from_secs(2);
    loop {
        match cmd.spawn() {
            Ok(child) => return child,
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && Instant::now() < until => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => panic!("spawn {cmd:?}: {e}"),
        }
    }
}

/// Runs `cmd` in its own process group with `input` on stdin (or /dev/null), draining both pipes
/// while it runs; past `limit` the whole group is killed and the Run says `timed_out`.
pub fn run_input(cmd: &mut Command, input: Option<&str>, limit: Duration) -> Run {
    let start = Instant::now();
    cmd.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = spawn_retrying_busy(cmd);
    let writer = child.stdin.take().map(|mut w| {
        let text = input.unwrap_or_default().to_string();
        std::thread::spawn(move || {
            let _ = w.write_all(text.as_bytes());
        })
    });
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = pipe.read_to_end(&mut v);
            String::from_utf8_lossy(&v).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let (rc, timed_out) = wait_until(&mut child, start + limit);
    if let Some(w) = writer {
        let _ = w.join();
    }
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    Run { rc, timed_out, stdout, stderr, elapsed: start.elapsed() }
}

/// Waits for `child` (the leader of its own process group) until `deadline`; then kills the group.
fn wait_until(child: &mut Child, deadline: Instant) -> (i32, bool) {
    loop {
        if let Ok(Some(st)) = child.try_wait() {
            return (st.code().unwrap_or(-1), false);
        }
        if Instant::now() >= deadline {
            kill_group(child);
            return (-1, true);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn kill_group(child: &mut Child) {
    // SAFETY: kill(2) of a process group this test created.
    unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
    let _ = child.kill();
    let _ = child.wait();
}

/// A user of the test machine (tests/setup.sh creates mqm, mqm2, mqadmin).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
}

impl User {
    pub fn named(name: &str) -> User {
        let u = nix::unistd::User::from_name(name)
            .expect("getpwnam")
            .unwrap_or_else(|| panic!("user {name} is missing: run tests/setup.sh as root"));
        User { uid: u.uid.as_raw(), gid: u.gid.as_raw() }
    }

    /// The same uid with the gid of `group` (e.g. mqadmin in group mqm).
    pub fn with_group(self, group: &str) -> User {
        let g = nix::unistd::Group::from_name(group)
            .expect("getgrnam")
            .unwrap_or_else(|| panic!("group {group} is missing: run tests/setup.sh as root"));
        User { gid: g.gid.as_raw(), ..self }
    }

    /// Makes `cmd` run as root with the supplementary group `group` (root made a member of the mq
    /// group for this command only, as `setpriv --groups` does, never on the machine).
    pub fn root_in_group<'a>(group: &str, cmd: &'a mut Command) -> &'a mut Command {
        let gid = nix::unistd::Group::from_name(group)
            .expect("getgrnam")
            .unwrap_or_else(|| panic!("group {group} is missing: run tests/setup.sh as root"))
            .gid
            .as_raw();
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                let groups = [0, gid];
                if libc::setgroups(2, groups.as_ptr()) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        cmd
    }

    /// Makes `cmd` run as this user, as a login would have it: its group only (root's supplementary
    /// groups dropped), then gid, then uid; the working directory "/" (a user may not reach ours).
    pub fn apply(self, cmd: &mut Command) -> &mut Command {
        let (uid, gid) = (self.uid, self.gid);
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if libc::setgroups(1, &gid) != 0 || libc::setgid(gid) != 0 || libc::setuid(uid) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        cmd.current_dir("/")
    }
}

/// (uid, gid) of a user of the test machine.
pub fn ids(name: &str) -> (u32, u32) {
    let u = User::named(name);
    (u.uid, u.gid)
}

/// A child a test started in the background, in its own process group; Drop kills the group.
pub struct Spawned {
    pub child: Child,
}

impl Spawned {
    /// Spawns `cmd` as the leader of a new process group.
    pub fn start(cmd: &mut Command) -> Spawned {
        let child = spawn_retrying_busy(cmd.process_group(0));
        Spawned { child }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Waits at most `limit` for it to exit: its code (-1 for a signal), or None (then it is killed).
    pub fn wait_within(&mut self, limit: Duration) -> Option<i32> {
        match wait_until(&mut self.child, Instant::now() + limit) {
            (_, true) => None,
            (rc, false) => Some(rc),
        }
    }

    /// Kills its process group now (as Pacemaker does at an operation's timeout) and reaps it.
    pub fn kill(&mut self) {
        kill_group(&mut self.child);
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            kill_group(&mut self.child);
        }
    }
}
