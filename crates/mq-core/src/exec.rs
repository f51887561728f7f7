//! Running an installation's command as the mq user: argv only (never a shell), a clean
//! environment with the installation's paths, its own process group, and a deadline at which the
//! whole group is killed. No su, no runuser, no login shell: the child drops privileges itself
//! (setgroups + setgid + setuid) between fork and exec.

use std::ffi::OsStr;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use crate::error::ExecError;

/// The identity a command runs under: the mq user with the groups initgroups would give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups, computed in the parent (getgrouplist) because reading /etc/group is
    /// not allowed between fork and exec.
    pub groups: Vec<u32>,
    pub home: PathBuf,
}

/// What a finished command answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub program: String,
    pub rc: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Output {
    /// stdout then stderr: MQ commands print their AMQ messages on either.
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.stdout.lines().chain(self.stderr.lines())
    }

    /// The line that best explains a failure: the first AMQ message, else the last non-empty line.
    pub fn explaining_line(&self) -> String {
        if let Some(l) = self.lines().find(|l| l.trim_start().starts_with("AMQ")) {
            return l.trim().to_string();
        }
        self.lines()
            .filter(|l| !l.trim().is_empty())
            .last()
            .map(|l| l.trim().to_string())
            .unwrap_or_else(|| "(no output)".to_string())
    }
}

/// The whole environment a program of the installation gets, nothing inherited from the agent
/// (no MQSERVER, MQCHLLIB, MQ_CONNECT_TYPE, LD_*): the installation's bin first in PATH, the C
/// locale, and the user's HOME, USER and LOGNAME when it runs as a given user.
pub fn mq_environment(bin_dir: &Path, user: Option<(&str, &Path)>) -> Vec<(String, String)> {
    let mut env = vec![
        ("PATH".to_string(), format!("{}:/usr/bin:/bin", bin_dir.display())),
        // English messages: AMQ ids are stable anyway, and dspmq is run with -n.
        ("LANG".to_string(), "C".to_string()),
        ("LC_ALL".to_string(), "C".to_string()),
    ];
    if let Some((name, home)) = user {
        env.push(("HOME".to_string(), home.display().to_string()));
        env.push(("USER".to_string(), name.to_string()));
        env.push(("LOGNAME".to_string(), name.to_string()));
    }
    env
}

/// Runs the commands of one installation as one identity.
#[derive(Debug, Clone)]
pub struct Runner {
    identity: Option<Identity>,
    env: Vec<(String, String)>,
    /// Set in the child before it drops to the identity, so a hard limit can be raised.
    limits: Vec<(crate::limits::Resource, crate::limits::Rlimit)>,
    /// `confined`: no privileges from exec, and nothing of the program's group outlives it.
    confined: bool,
}

impl Runner {
    /// `bin_dir` is the installation's bin directory; `identity` None runs as the caller.
    pub fn new(bin_dir: &Path, identity: Option<Identity>) -> Runner {
        let env = mq_environment(bin_dir, identity.as_ref().map(|id| (id.name.as_str(), id.home.as_path())));
        Runner { identity, env, limits: Vec::new(), confined: false }
    }

    /// The same runner, these variables (an `envfile`'s, already checked) added to the
    /// environment of its programs.
    pub fn with_env(mut self, vars: &[(String, String)]) -> Runner {
        self.env.retain(|(k, _)| !vars.iter().any(|(n, _)| n == k));
        self.env.extend(vars.iter().cloned());
        self
    }

    /// The same runner, its programs started with these resource limits (`limits::plan_all`).
    pub fn with_limits(mut self, planned: &[crate::limits::Planned]) -> Runner {
        self.limits = planned.iter().map(|p| (p.resource, p.limit)).collect();
        self
    }

    /// The same runner for a program that is not MQ's (the administrator's `monitor_program`):
    /// exec grants it no privileges (`PR_SET_NO_NEW_PRIVS`: set-user-id bits and file
    /// capabilities are ignored, for it and its children), and its process group is killed when
    /// it exits as well as at the deadline, so nothing it started in the background is left.
    /// Not for MQ's own programs: they are set-user-id and some must outlive the command.
    pub fn confined(mut self) -> Runner {
        self.confined = true;
        self
    }

    pub fn identity(&self) -> Option<&Identity> {
        self.identity.as_ref()
    }

    fn command<S: AsRef<OsStr>>(&self, program: &Path, args: &[S]) -> Result<Command, ExecError> {
        let mut cmd = Command::new(program);
        cmd.args(args).env_clear().envs(self.env.iter().map(|(k, v)| (k, v)));
        // "/" so that no child keeps a shared file system busy through its working directory.
        cmd.current_dir("/");
        if let Some(id) = &self.identity {
            let euid = nix::unistd::geteuid().as_raw();
            if euid != 0 && euid != id.uid {
                return Err(ExecError::Spawn {
                    program: program.display().to_string(),
                    source: std::io::Error::new(
                        ErrorKind::PermissionDenied,
                        format!("running as uid {euid}, cannot switch to user {}", id.name),
                    ),
                });
            }
        }
        Ok(cmd)
    }

    /// setrlimit in the child, registered before `drop_privileges` so it runs while still root.
    fn set_limits(&self, cmd: &mut Command) {
        if self.limits.is_empty() {
            return;
        }
        let limits: Vec<(libc::__rlimit_resource_t, libc::rlimit)> =
            self.limits.iter().map(|(r, l)| (r.raw(), libc::rlimit { rlim_cur: l.soft, rlim_max: l.hard })).collect();
        // SAFETY: setrlimit is async-signal-safe; the vector was built before the fork.
        unsafe {
            cmd.pre_exec(move || {
                for (res, rl) in &limits {
                    if libc::setrlimit(*res, rl) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
    }

    fn drop_privileges(cmd: &mut Command, identity: Option<&Identity>) {
        let Some(id) = identity.cloned() else { return };
        if nix::unistd::geteuid().as_raw() != 0 {
            return;
        }
        let groups: Vec<libc::gid_t> = id.groups.clone();
        // SAFETY: only async-signal-safe system calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if libc::setgroups(groups.len(), groups.as_ptr()) != 0
                    || libc::setgid(id.gid) != 0
                    || libc::setuid(id.uid) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }

    /// Runs `program args` with `stdin` as its input until it exits or `deadline` passes; at the
    /// deadline the child's process group gets SIGKILL. A non-zero exit is an `Output`, not an error.
    /// The command and its outcome go to the command observer, if one is set.
    pub fn run<S: AsRef<OsStr>>(
        &self,
        program: &Path,
        args: &[S],
        stdin: Option<&[u8]>,
        deadline: Instant,
    ) -> Result<Output, ExecError> {
        self.run_observed(program, args, stdin, deadline, None)
    }

    /// `run`, handing each line of the command's standard output to `on_line` as it comes (a
    /// long strmqm's progress), not only once it has exited.
    pub fn run_watched<S: AsRef<OsStr>>(
        &self,
        program: &Path,
        args: &[S],
        deadline: Instant,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<Output, ExecError> {
        self.run_observed(program, args, None, deadline, Some(on_line))
    }

    /// `run_inner`, then the command and its outcome to the command observer.
    fn run_observed<S: AsRef<OsStr>>(
        &self,
        program: &Path,
        args: &[S],
        stdin: Option<&[u8]>,
        deadline: Instant,
        on_line: Option<&mut dyn FnMut(&str)>,
    ) -> Result<Output, ExecError> {
        let start = Instant::now();
        let result = self.run_inner(program, args, stdin, deadline, on_line);
        self.report(program, args, start, || match &result {
            Ok(o) => format!("exit {}", o.rc),
            Err(e) => e.to_string(),
        });
        result
    }

    /// One line for the command observer: what ran, as whom, how it ended, how long it took.
    fn report<S: AsRef<OsStr>>(&self, program: &Path, args: &[S], start: Instant, outcome: impl FnOnce() -> String) {
        observe(|| describe(program, args, self.identity.as_ref(), &outcome(), start.elapsed()));
    }

    fn run_inner<S: AsRef<OsStr>>(
        &self,
        program: &Path,
        args: &[S],
        stdin: Option<&[u8]>,
        deadline: Instant,
        on_line: Option<&mut dyn FnMut(&str)>,
    ) -> Result<Output, ExecError> {
        let name = program.display().to_string();
        let start = Instant::now();
        let mut cmd = self.command(program, args)?;
        cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        self.set_limits(&mut cmd);
        Self::drop_privileges(&mut cmd, self.identity.as_ref());
        if self.confined {
            // SAFETY: prctl is async-signal-safe.
            unsafe {
                cmd.pre_exec(|| {
                    if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: prctl/getppid/_exit are async-signal-safe.
        unsafe {
            cmd.pre_exec(move || {
                // If the agent itself is killed (Pacemaker's timeout), its direct child dies with it.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
        if Instant::now() >= deadline {
            return Err(ExecError::Timeout { program: name, after: Duration::ZERO });
        }
        let mut child = cmd.spawn().map_err(|e| ExecError::Spawn { program: name.clone(), source: e })?;
        if let (Some(data), Some(mut sin)) = (stdin, child.stdin.take()) {
            // MQSC scripts are far below the pipe buffer; a child that exits early gives EPIPE.
            let _ = sin.write_all(data);
        }
        let result = collect(&mut child, &name, deadline, on_line, self.confined);
        match result {
            Ok((status, stdout, stderr)) => {
                let rc = match (status.code(), status.signal()) {
                    (Some(rc), _) => rc,
                    (None, Some(sig)) => return Err(ExecError::Signalled { program: name, signal: sig }),
                    _ => -1,
                };
                Ok(Output {
                    program: name,
                    rc,
                    stdout: String::from_utf8_lossy(&stdout).into_owned(),
                    stderr: String::from_utf8_lossy(&stderr).into_owned(),
                    elapsed: start.elapsed(),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Starts a long-running program (channel initiator, command server helper) in its own
    /// session, detached from the agent: it must outlive the action and Pacemaker's kill of the
    /// agent's process group. Its output goes to /dev/null.
    pub fn spawn_detached<S: AsRef<OsStr>>(&self, program: &Path, args: &[S]) -> Result<(), ExecError> {
        let start = Instant::now();
        let result = self.spawn_detached_unobserved(program, args);
        self.report(program, args, start, || match &result {
            Ok(()) => "started detached".to_string(),
            Err(e) => e.to_string(),
        });
        result
    }

    fn spawn_detached_unobserved<S: AsRef<OsStr>>(&self, program: &Path, args: &[S]) -> Result<(), ExecError> {
        let name = program.display().to_string();
        let mut cmd = self.command(program, args)?;
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        self.set_limits(&mut cmd);
        Self::drop_privileges(&mut cmd, self.identity.as_ref());
        // SAFETY: fork/setsid/_exit are async-signal-safe. The intermediate child exits at once so
        // the program is re-parented to init and never becomes our zombie.
        unsafe {
            cmd.pre_exec(|| {
                match libc::fork() {
                    -1 => return Err(std::io::Error::last_os_error()),
                    0 => {}
                    _ => libc::_exit(0),
                }
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| ExecError::Spawn { program: name.clone(), source: e })?;
        child.wait().map_err(|e| ExecError::Io { program: name, source: e })?;
        Ok(())
    }
}

/// Who hears of every command a `Runner` runs: the agents trace them (trace_ra, HA_debug). Set
/// once per process; without it commands are not described at all.
static OBSERVER: std::sync::OnceLock<fn(&str)> = std::sync::OnceLock::new();

/// Sets the function that receives one line per command run through a `Runner`: its argv, the
/// user it ran as, its outcome and how long it took. A second call is ignored.
pub fn observe_commands(observer: fn(&str)) {
    let _ = OBSERVER.set(observer);
}

fn observe(line: impl FnOnce() -> String) {
    if let Some(f) = OBSERVER.get() {
        f(&line());
    }
}

/// `command /opt/mqm/bin/dspmq -n -m QM1 as mqm (uid 1001): exit 0 in 12 ms`; arguments that
/// are empty or hold blanks or quotes are shown quoted and escaped.
fn describe<S: AsRef<OsStr>>(
    program: &Path,
    args: &[S],
    identity: Option<&Identity>,
    outcome: &str,
    took: Duration,
) -> String {
    let mut line = format!("command {}", program.display());
    for a in args {
        let a = a.as_ref().to_string_lossy();
        if a.is_empty() || a.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"' || c.is_control()) {
            line.push_str(&format!(" '{}'", a.escape_default()));
        } else {
            line.push(' ');
            line.push_str(&a);
        }
    }
    match identity {
        Some(id) => line.push_str(&format!(" as {} (uid {})", id.name, id.uid)),
        None => line.push_str(&format!(" as the agent's own user (uid {})", nix::unistd::geteuid())),
    }
    line.push_str(&format!(": {outcome} in {} ms", took.as_millis()));
    line
}

/// How long a killed child may take to be reaped before the caller gets its answer anyway.
const REAP_GRACE: Duration = Duration::from_millis(1000);

fn set_nonblocking(fd: &impl AsRawFd) {
    // SAFETY: plain fcntl on a descriptor we own.
    unsafe {
        let fl = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
}

/// A descriptor that becomes readable when the process exits (Linux 5.3+), so waiting costs no
/// polling latency; None on older kernels, where a short poll interval is used instead.
fn pidfd_open(pid: u32) -> Option<OwnedFd> {
    // SAFETY: the syscall returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        None
    } else {
        // SAFETY: fd is a fresh descriptor owned by nobody else.
        Some(unsafe { OwnedFd::from_raw_fd(fd as i32) })
    }
}

/// Whether child `pid` has exited, without reaping it (waitid with WNOWAIT).
fn exited_unreaped(pid: u32) -> bool {
    // SAFETY: waitid writes into the zeroed siginfo we own; WNOWAIT leaves the child reapable.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT) == 0
            && info.si_pid() != 0
    }
}

/// Most of one stream of a command's output kept: MQ's replies are far smaller, and a program
/// the mq user replaced must not make root's agent hold unbounded memory.
const OUTPUT_CAP: usize = 4 * 1024 * 1024;

/// Reads whatever is available without blocking, keeping at most `OUTPUT_CAP` bytes (the rest is
/// read and dropped, so the child never blocks on a full pipe); false once the writer closed it.
fn drain<R: Read>(r: &mut R, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    let mut chunk = [0u8; 8192];
    loop {
        match r.read(&mut chunk) {
            Ok(0) => return Ok(false),
            Ok(n) => buf.extend_from_slice(&chunk[..n.min(OUTPUT_CAP.saturating_sub(buf.len()))]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(true),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Hands the complete lines of `buf` after `seen` to `f`, moving `seen` past them.
fn emit_lines(buf: &[u8], seen: &mut usize, f: &mut dyn FnMut(&str)) {
    while let Some(nl) = buf[*seen..].iter().position(|b| *b == b'\n') {
        f(String::from_utf8_lossy(&buf[*seen..*seen + nl]).trim_end());
        *seen += nl + 1;
    }
}

fn collect(
    child: &mut Child,
    name: &str,
    deadline: Instant,
    mut on_line: Option<&mut dyn FnMut(&str)>,
    end_group_on_exit: bool,
) -> Result<(std::process::ExitStatus, Vec<u8>, Vec<u8>), ExecError> {
    let mut seen = 0;
    let io = |e| ExecError::Io { program: name.to_string(), source: e };
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    if let Some(o) = &out {
        set_nonblocking(o);
    }
    if let Some(e) = &err {
        set_nonblocking(e);
    }
    let pidfd = pidfd_open(child.id());
    let (mut obuf, mut ebuf) = (Vec::new(), Vec::new());
    let started = Instant::now();
    loop {
        if end_group_on_exit && exited_unreaped(child.id()) {
            // The leader is a zombie until reaped, so its pid (the group's id) cannot be reused
            // yet: the group killed is the one it led.
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        if let Some(status) = child.try_wait().map_err(io)? {
            // Daemons the command started may keep the pipes open: take what is there and stop.
            if let Some(o) = out.as_mut() {
                drain(o, &mut obuf).map_err(io)?;
            }
            if let Some(e) = err.as_mut() {
                drain(e, &mut ebuf).map_err(io)?;
            }
            if let Some(f) = on_line.as_mut() {
                emit_lines(&obuf, &mut seen, &mut **f);
            }
            return Ok((status, obuf, ebuf));
        }
        let now = Instant::now();
        if now >= deadline {
            // Our child leads its own group; kill the group so no helper survives it.
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
            let _ = child.kill();
            // A child stuck in the kernel (D state on lost storage) dies only when its system call
            // returns: reap it if it goes within a short grace, never wait for it unbounded.
            let grace = Instant::now() + REAP_GRACE;
            while Instant::now() < grace {
                if matches!(child.try_wait(), Ok(Some(_)) | Err(_)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            return Err(ExecError::Timeout { program: name.to_string(), after: now - started });
        }
        let remaining = deadline - now;
        let step = if pidfd.is_some() { Duration::from_millis(200) } else { Duration::from_millis(2) };
        let wait = remaining.min(step);
        {
            let mut fds = Vec::with_capacity(3);
            if let Some(o) = &out {
                fds.push(PollFd::new(o.as_fd(), PollFlags::POLLIN));
            }
            if let Some(e) = &err {
                fds.push(PollFd::new(e.as_fd(), PollFlags::POLLIN));
            }
            if let Some(p) = &pidfd {
                fds.push(PollFd::new(p.as_fd(), PollFlags::POLLIN));
            }
            let ms = wait.as_millis().clamp(1, u16::MAX as u128) as u16;
            match poll(&mut fds, PollTimeout::from(ms)) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(e) => return Err(io(std::io::Error::from(e))),
            }
        }
        if let Some(o) = out.as_mut() {
            if !drain(o, &mut obuf).map_err(io)? {
                out = None;
            }
        }
        if let Some(f) = on_line.as_mut() {
            emit_lines(&obuf, &mut seen, &mut **f);
        }
        if let Some(e) = err.as_mut() {
            if !drain(e, &mut ebuf).map_err(io)? {
                err = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_described_with_argv_user_outcome_and_time() {
        let id = Identity { name: "mqm".into(), uid: 1001, gid: 1001, groups: vec![], home: "/var/mqm".into() };
        let line = describe(
            Path::new("/opt/mqm/bin/dspmq"),
            &["-n", "-m", "QM1"],
            Some(&id),
            "exit 0",
            Duration::from_millis(12),
        );
        assert_eq!(line, "command /opt/mqm/bin/dspmq -n -m QM1 as mqm (uid 1001): exit 0 in 12 ms");
        let line = describe(Path::new("/x"), &["a b", "", "it's"], None, "timed out", Duration::ZERO);
        assert!(line.starts_with("command /x 'a b' '' 'it\\'s' as the agent's own user (uid "), "{line}");
    }

    fn runner() -> Runner {
        Runner::new(Path::new("/nonexistent/bin"), None)
    }

    #[test]
    fn watched_lines_arrive_while_the_command_runs_and_at_its_deadline() {
        let t = Instant::now();
        let mut seen: Vec<(String, Duration)> = Vec::new();
        let mut on_line = |l: &str| seen.push((l.to_string(), t.elapsed()));
        let o = runner()
            .run_watched(
                Path::new("/bin/sh"),
                &["-c", "echo one; sleep 1; printf 'two\\nthree'"],
                Instant::now() + Duration::from_secs(5),
                &mut on_line,
            )
            .unwrap();
        assert_eq!(o.stdout, "one\ntwo\nthree");
        let lines: Vec<&str> = seen.iter().map(|(l, _)| l.as_str()).collect();
        // A last line without its newline is not a line yet.
        assert_eq!(lines, ["one", "two"]);
        assert!(seen[0].1 < Duration::from_millis(900), "the first line came only at exit: {:?}", seen[0].1);
        // A command killed at its deadline has handed over what it printed before.
        let mut got = Vec::new();
        let mut on_line = |l: &str| got.push(l.to_string());
        let e = runner().run_watched(
            Path::new("/bin/sh"),
            &["-c", "echo progress; sleep 10"],
            Instant::now() + Duration::from_millis(500),
            &mut on_line,
        );
        assert!(matches!(e, Err(ExecError::Timeout { .. })), "{e:?}");
        assert_eq!(got, ["progress"]);
    }

    #[test]
    fn captures_stdout_stderr_and_rc() {
        let o = runner()
            .run(
                Path::new("/bin/sh"),
                &["-c", "echo out; echo AMQ1234E: bad >&2; exit 3"],
                None,
                Instant::now() + Duration::from_secs(5),
            )
            .unwrap();
        assert_eq!(o.rc, 3);
        assert_eq!(o.stdout, "out\n");
        assert_eq!(o.explaining_line(), "AMQ1234E: bad");
    }

    #[test]
    fn feeds_stdin_and_cleans_environment() {
        std::env::set_var("MQHA_LEAK_TEST", "1");
        let o = runner()
            .run(
                Path::new("/bin/sh"),
                &["-c", "cat; echo \"$PATH|$LANG|${MQHA_LEAK_TEST:-unset}|$(pwd)\""],
                Some(b"DISPLAY QMGR\n"),
                Instant::now() + Duration::from_secs(5),
            )
            .unwrap();
        assert_eq!(o.stdout, "DISPLAY QMGR\n/nonexistent/bin:/usr/bin:/bin|C|unset|/\n");
    }

    #[test]
    fn deadline_kills_the_whole_process_group() {
        let t = Instant::now();
        // The background sleep (unique argument) would survive a kill of the shell alone.
        let e = runner()
            .run(
                Path::new("/bin/sh"),
                &["-c", "sleep 31.4159 & wait"],
                None,
                Instant::now() + Duration::from_millis(300),
            )
            .unwrap_err();
        assert!(matches!(e, ExecError::Timeout { .. }), "{e}");
        assert!(t.elapsed() < Duration::from_secs(3));
        let alive = |e: &std::fs::DirEntry| {
            std::fs::read(e.path().join("cmdline")).map(|c| c == b"sleep\x0031.4159\x00").unwrap_or(false)
                && std::fs::read_to_string(e.path().join("stat")).map(|s| !s.contains(") Z ")).unwrap_or(false)
        };
        let mut left = true;
        for _ in 0..50 {
            left = std::fs::read_dir("/proc").unwrap().filter_map(|e| e.ok()).any(|e| alive(&e));
            if !left {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!left, "the background child survived the deadline");
    }

    #[test]
    fn returns_when_a_daemon_keeps_the_pipe_open() {
        let t = Instant::now();
        let o = runner()
            .run(
                Path::new("/bin/sh"),
                &["-c", "(sleep 2 &) ; echo started"],
                None,
                Instant::now() + Duration::from_secs(10),
            )
            .unwrap();
        assert_eq!(o.stdout, "started\n");
        assert!(t.elapsed() < Duration::from_millis(1500), "{:?}", t.elapsed());
    }

    #[test]
    fn output_is_kept_up_to_the_cap() {
        let o = runner()
            .run(
                Path::new("/bin/sh"),
                &["-c", "head -c 6000000 /dev/zero; echo done >&2"],
                None,
                Instant::now() + Duration::from_secs(20),
            )
            .unwrap();
        assert_eq!((o.rc, o.stdout.len(), o.stderr.as_str()), (0, OUTPUT_CAP, "done\n"));
    }

    #[test]
    fn limits_are_set_in_the_child() {
        use crate::limits::{Planned, Resource, Rlimit, Source};
        let cur = crate::limits::current(Resource::Nofile);
        let soft = cur.hard.min(777);
        let planned =
            [Planned { resource: Resource::Nofile, limit: Rlimit { soft, hard: cur.hard }, source: Source::Parameter }];
        let o = runner()
            .with_limits(&planned)
            .run(Path::new("/bin/sh"), &["-c", "ulimit -Sn"], None, Instant::now() + Duration::from_secs(5))
            .unwrap();
        assert_eq!(o.stdout.trim(), soft.to_string());
    }

    #[test]
    fn a_confined_program_gets_no_new_privileges_and_leaves_nothing_behind() {
        let d = tempfile::tempdir().unwrap();
        let pidfile = d.path().join("bg.pid");
        let script = format!("sleep 300 & echo $! > {}; grep NoNewPrivs /proc/self/status", pidfile.display());
        let deadline = Instant::now() + Duration::from_secs(10);
        let o = runner().confined().run(Path::new("/bin/sh"), &["-c", &script], None, deadline).unwrap();
        assert_eq!(o.stdout.split_whitespace().collect::<Vec<_>>(), ["NoNewPrivs:", "1"], "{o:?}");
        let bg: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
        // Killed with the group when the program exited: at most a zombie of init's for a moment.
        let gone = (0..100).any(|_| {
            let st = std::fs::read_to_string(format!("/proc/{bg}/stat")).unwrap_or_default();
            let alive = !st.is_empty() && !st.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z');
            if alive {
                std::thread::sleep(Duration::from_millis(20));
            }
            !alive
        });
        assert!(gone, "the background sleep {bg} outlived its program");
        // An ordinary runner leaves both alone (MQ's daemons must outlive their command).
        let o = runner().run(Path::new("/bin/sh"), &["-c", &script], None, deadline).unwrap();
        assert_eq!(o.stdout.split_whitespace().collect::<Vec<_>>(), ["NoNewPrivs:", "0"], "{o:?}");
        let bg: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
        assert!(std::path::Path::new(&format!("/proc/{bg}")).exists());
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(bg), nix::sys::signal::Signal::SIGKILL);
    }

    #[test]
    fn missing_program_is_a_spawn_error_naming_it() {
        let e = runner()
            .run(Path::new("/nonexistent/bin/dspmq"), &["-n"], None, Instant::now() + Duration::from_secs(1))
            .unwrap_err();
        assert!(e.to_string().contains("/nonexistent/bin/dspmq"), "{e}");
    }
}
