//! Looking at the queue manager's shared storage without ever hanging on it. A stat or read on
//! a hard-mounted NFS export whose server is gone blocks in the kernel, uninterruptibly; a thread
//! would keep the agent from exiting, so each look runs in a forked child that the agent can
//! abandon at the deadline.

use std::os::fd::{AsFd, AsRawFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

/// What stat(2) said about a path (symlinks followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
    pub dev: u64,
}

impl Meta {
    pub fn is_dir(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFDIR
    }
}

/// The answer of a look at shared storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Look<T> {
    Found(T),
    /// The path is not there (or not accessible); the errno text.
    Missing(String),
    /// No answer before the deadline: the storage hangs.
    Hung(PathBuf),
}

impl<T> Look<T> {
    pub fn found(self) -> Option<T> {
        match self {
            Look::Found(t) => Some(t),
            _ => None,
        }
    }
}

const RECORD: usize = 4 + 4 + 4 + 8 + 4;

/// stat(path) within `deadline`, in a child process.
pub fn stat(path: &Path, deadline: Instant) -> Look<Meta> {
    let Ok(cpath) = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()) else {
        return Look::Missing("path contains a NUL byte".into());
    };
    let Ok((rd, wr)) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) else {
        return Look::Missing("cannot create a pipe".into());
    };
    // SAFETY: the child only calls stat, write and _exit (async-signal-safe).
    match unsafe { nix::unistd::fork() } {
        Err(e) => Look::Missing(format!("fork: {e}")),
        Ok(nix::unistd::ForkResult::Child) => unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            let mut rec = [0u8; RECORD];
            if libc::stat(cpath.as_ptr(), &mut st) == 0 {
                rec[0..4].copy_from_slice(&st.st_uid.to_ne_bytes());
                rec[4..8].copy_from_slice(&st.st_gid.to_ne_bytes());
                rec[8..12].copy_from_slice(&st.st_mode.to_ne_bytes());
                rec[12..20].copy_from_slice(&(st.st_dev as u64).to_ne_bytes());
            } else {
                let errno = *libc::__errno_location();
                rec[20..24].copy_from_slice(&errno.to_ne_bytes());
            }
            libc::write(wr.as_raw_fd(), rec.as_ptr().cast(), RECORD);
            libc::_exit(0);
        },
        Ok(nix::unistd::ForkResult::Parent { child }) => {
            drop(wr);
            let mut buf = [0u8; RECORD];
            let got = read_until(&rd, &mut buf, deadline);
            if got < RECORD {
                // Abandoned: it dies when the kernel lets go of it; reaped if it already did.
                let _ = nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGKILL);
                let _ = nix::sys::wait::waitpid(child, Some(nix::sys::wait::WaitPidFlag::WNOHANG));
                return Look::Hung(path.to_path_buf());
            }
            let _ = nix::sys::wait::waitpid(child, None);
            let u32_at = |i: usize| u32::from_ne_bytes(buf[i..i + 4].try_into().unwrap());
            let errno = i32::from_ne_bytes(buf[20..24].try_into().unwrap());
            if errno != 0 {
                return Look::Missing(std::io::Error::from_raw_os_error(errno).to_string());
            }
            Look::Found(Meta {
                uid: u32_at(0),
                gid: u32_at(4),
                mode: u32_at(8),
                dev: u64::from_ne_bytes(buf[12..20].try_into().unwrap()),
            })
        }
    }
}

fn read_until(fd: &std::os::fd::OwnedFd, buf: &mut [u8], deadline: Instant) -> usize {
    let mut n = 0;
    while n < buf.len() {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        let ms = (deadline - now).as_millis().clamp(1, u16::MAX as u128) as u16;
        let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) => break,
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => break,
        }
        match nix::unistd::read(fd.as_raw_fd(), &mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => break,
        }
    }
    n
}

/// How long one look at shared storage may take before it counts as hung.
pub const LOOK_TIMEOUT: Duration = Duration::from_secs(5);

/// stat within LOOK_TIMEOUT or `deadline`, whichever comes first.
pub fn stat_soon(path: &Path, deadline: Instant) -> Look<Meta> {
    stat(path, deadline.min(Instant::now() + LOOK_TIMEOUT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_what_is_there_and_names_what_is_not() {
        let d = tempfile::tempdir().unwrap();
        let m = stat(d.path(), Instant::now() + Duration::from_secs(5)).found().unwrap();
        assert!(m.is_dir());
        assert_eq!(m.uid, nix::unistd::geteuid().as_raw());
        match stat(&d.path().join("nope"), Instant::now() + Duration::from_secs(5)) {
            Look::Missing(e) => assert!(e.contains("No such file"), "{e}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_passed_deadline_is_hung_not_blocked() {
        let t = Instant::now();
        let r = stat(Path::new("/"), Instant::now());
        assert!(matches!(r, Look::Hung(_) | Look::Found(_)));
        assert!(t.elapsed() < Duration::from_secs(1));
    }
}
