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
    pub fn is_file(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFREG
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

/// Whom a look runs as. A look that judges what the mq user can reach runs as that user: under
/// NFS `root_squash` root is mapped to nobody and would get another answer than the user does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookAs {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
}

impl LookAs {
    pub fn user(u: &crate::user::MqUser) -> LookAs {
        LookAs { uid: u.uid, gid: u.gid, groups: u.groups.clone() }
    }
}

/// Why a look in a child gave no answer.
pub(crate) enum ChildFailed {
    Hung,
    Other(String),
}

/// Runs `body` in a forked child (as `who`, when given) that writes its answer to a pipe; up to
/// `max` bytes of it are read until EOF or `deadline`, after which the child is abandoned.
/// `body` runs between fork and _exit: only async-signal-safe calls, no allocation (the NSS
/// lookups of `user` are the one exception, and say why).
pub(crate) fn in_child<F: FnOnce(libc::c_int)>(
    who: Option<&LookAs>,
    max: usize,
    deadline: Instant,
    body: F,
) -> Result<Vec<u8>, ChildFailed> {
    let Ok((rd, wr)) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) else {
        return Err(ChildFailed::Other("cannot create a pipe".into()));
    };
    let groups: Vec<libc::gid_t> = who.map(|w| w.groups.clone()).unwrap_or_default();
    let mut buf = Vec::with_capacity(max.min(64 * 1024));
    // SAFETY: the child makes system calls only (setgroups, setgid, setuid, then `body`'s).
    match unsafe { nix::unistd::fork() } {
        Err(e) => Err(ChildFailed::Other(format!("fork: {e}"))),
        Ok(nix::unistd::ForkResult::Child) => unsafe {
            drop(rd);
            if let Some(w) = who {
                if libc::setgroups(groups.len(), groups.as_ptr()) != 0
                    || libc::setgid(w.gid) != 0
                    || libc::setuid(w.uid) != 0
                {
                    libc::_exit(1);
                }
            }
            body(wr.as_raw_fd());
            libc::_exit(0);
        },
        Ok(nix::unistd::ForkResult::Parent { child }) => {
            drop(wr);
            let eof = read_until(&rd, &mut buf, max, deadline);
            if !eof {
                // Abandoned: it dies when the kernel lets go of it; reaped if it already did.
                let _ = nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGKILL);
                let _ = nix::sys::wait::waitpid(child, Some(nix::sys::wait::WaitPidFlag::WNOHANG));
                return Err(ChildFailed::Hung);
            }
            let _ = nix::sys::wait::waitpid(child, None);
            Ok(buf)
        }
    }
}

/// Writes all of `buf` to `fd` (a child's answer to its pipe), giving up when the pipe fails.
pub(crate) fn write_all(fd: libc::c_int, buf: &[u8]) {
    let mut off = 0;
    while off < buf.len() {
        // SAFETY: writes from a live buffer within its length.
        let k = unsafe { libc::write(fd, buf[off..].as_ptr().cast(), buf.len() - off) };
        if k <= 0 {
            break;
        }
        off += k as usize;
    }
}

fn cstring(path: &Path) -> Result<std::ffi::CString, String> {
    std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| "path contains a NUL byte".to_string())
}

fn who_text(who: Option<&LookAs>) -> String {
    who.map(|w| format!("uid {}", w.uid)).unwrap_or_else(|| "root".into())
}

/// stat(path) within `deadline`, in a child process running as `who` (root when None).
pub fn stat_as(path: &Path, who: Option<&LookAs>, deadline: Instant) -> Look<Meta> {
    let cpath = match cstring(path) {
        Ok(c) => c,
        Err(e) => return Look::Missing(e),
    };
    let got = in_child(who, RECORD, deadline, |wr| unsafe {
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
        libc::write(wr, rec.as_ptr().cast(), RECORD);
    });
    let buf = match got {
        Ok(b) if b.len() == RECORD => b,
        Ok(_) => return Look::Missing(format!("no answer from a look as {}", who_text(who))),
        Err(ChildFailed::Hung) => return Look::Hung(path.to_path_buf()),
        Err(ChildFailed::Other(e)) => return Look::Missing(e),
    };
    let u32_at = |i: usize| u32::from_ne_bytes([buf[i], buf[i + 1], buf[i + 2], buf[i + 3]]);
    let errno = u32_at(20) as i32;
    if errno != 0 {
        return Look::Missing(std::io::Error::from_raw_os_error(errno).to_string());
    }
    let mut dev = [0u8; 8];
    dev.copy_from_slice(&buf[12..20]);
    Look::Found(Meta { uid: u32_at(0), gid: u32_at(4), mode: u32_at(8), dev: u64::from_ne_bytes(dev) })
}

/// stat(path) as root within `deadline`.
pub fn stat(path: &Path, deadline: Instant) -> Look<Meta> {
    stat_as(path, None, deadline)
}

/// Answer codes of `read_capped_as`'s child: the 8-byte header is (code, value).
const READ_OK: u32 = 0;
const READ_ERRNO: u32 = 1;
const READ_NOT_REGULAR: u32 = 2;
const READ_TOO_LARGE: u32 = 3;

/// `fsread::read_capped` in a child running as `who` (root when None) within `deadline`: the
/// same rules (the last component not followed, regular files only, at most `cap` bytes), and
/// a read on storage that does not answer is `Hung` instead of a wait.
pub fn read_capped_as(path: &Path, cap: usize, who: Option<&LookAs>, deadline: Instant) -> Look<Vec<u8>> {
    let cpath = match cstring(path) {
        Ok(c) => c,
        Err(e) => return Look::Missing(e),
    };
    // The child's buffer is allocated before the fork: no allocation between fork and _exit.
    let mut data = vec![0u8; cap + 1];
    let got = in_child(who, 8 + cap, deadline, move |wr| unsafe {
        let header = |code: u32, value: u32| {
            let mut h = [0u8; 8];
            h[0..4].copy_from_slice(&code.to_ne_bytes());
            h[4..8].copy_from_slice(&value.to_ne_bytes());
            libc::write(wr, h.as_ptr().cast(), 8);
        };
        // O_NONBLOCK: opening a FIFO with no writer would otherwise block.
        let flags = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
        let fd = libc::open(cpath.as_ptr(), flags);
        if fd < 0 {
            return header(READ_ERRNO, *libc::__errno_location() as u32);
        }
        let mut st: libc::stat = std::mem::zeroed();
        if libc::fstat(fd, &mut st) != 0 {
            return header(READ_ERRNO, *libc::__errno_location() as u32);
        }
        if st.st_mode & libc::S_IFMT != libc::S_IFREG {
            return header(READ_NOT_REGULAR, st.st_mode);
        }
        if st.st_size as u64 > cap as u64 {
            return header(READ_TOO_LARGE, 0);
        }
        let mut n = 0usize;
        while n < data.len() {
            let k = libc::read(fd, data.as_mut_ptr().add(n).cast(), data.len() - n);
            if k < 0 && *libc::__errno_location() == libc::EINTR {
                continue;
            }
            if k < 0 {
                return header(READ_ERRNO, *libc::__errno_location() as u32);
            }
            if k == 0 {
                break;
            }
            n += k as usize;
        }
        if n > cap {
            return header(READ_TOO_LARGE, 0);
        }
        header(READ_OK, 0);
        let mut off = 0usize;
        while off < n {
            let k = libc::write(wr, data.as_ptr().add(off).cast(), n - off);
            if k <= 0 {
                break;
            }
            off += k as usize;
        }
    });
    let buf = match got {
        Ok(b) if b.len() >= 8 => b,
        Ok(_) => return Look::Missing(format!("no answer from a read as {}", who_text(who))),
        Err(ChildFailed::Hung) => return Look::Hung(path.to_path_buf()),
        Err(ChildFailed::Other(e)) => return Look::Missing(e),
    };
    let code = u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]);
    let value = u32::from_ne_bytes([buf[4], buf[5], buf[6], buf[7]]);
    match code {
        READ_OK => Look::Found(buf[8..].to_vec()),
        READ_ERRNO if value as i32 == libc::ELOOP => Look::Missing(crate::fsread::SYMLINK_REFUSED.into()),
        READ_ERRNO => Look::Missing(std::io::Error::from_raw_os_error(value as i32).to_string()),
        READ_NOT_REGULAR => Look::Missing(crate::fsread::not_regular(value)),
        _ => Look::Missing(crate::fsread::too_large_text(cap as u64)),
    }
}

/// Reads into `buf` until EOF (true), `max` bytes, or `deadline` (false: no EOF in time).
fn read_until(fd: &std::os::fd::OwnedFd, buf: &mut Vec<u8>, max: usize, deadline: Instant) -> bool {
    let mut chunk = [0u8; 8192];
    loop {
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        let ms = (deadline - now).as_millis().clamp(1, u16::MAX as u128) as u16;
        let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) => continue,
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return false,
        }
        match nix::unistd::read(fd.as_raw_fd(), &mut chunk) {
            Ok(0) => return true,
            Ok(k) => {
                if buf.len() + k > max {
                    return false;
                }
                buf.extend_from_slice(&chunk[..k]);
            }
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return false,
        }
    }
}

/// Whether a failed look's error text (`Look::Missing`) is what a lost mount gives: EIO, ENOTCONN
/// (a FUSE or network file system whose server went away), ESTALE (NFS), ENOENT (unmounted).
pub fn lost_mount_error(text: &str) -> bool {
    [libc::EIO, libc::ENOTCONN, libc::ESTALE, libc::ENOENT].iter().any(|e| text.ends_with(&format!("(os error {e})")))
}

/// How long one look at shared storage may take before it counts as hung, within the deadline.
pub const LOOK_TIMEOUT: Duration = Duration::from_secs(5);

/// stat within LOOK_TIMEOUT or `deadline`, whichever comes first.
pub fn stat_soon(path: &Path, deadline: Instant) -> Look<Meta> {
    stat(path, deadline.min(Instant::now() + LOOK_TIMEOUT))
}

/// stat as `who` within LOOK_TIMEOUT or `deadline`, whichever comes first.
pub fn stat_soon_as(path: &Path, who: Option<&LookAs>, deadline: Instant) -> Look<Meta> {
    stat_as(path, who, deadline.min(Instant::now() + LOOK_TIMEOUT))
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
    fn a_read_in_a_child_keeps_the_rules_of_read_capped() {
        let d = tempfile::tempdir().unwrap();
        let soon = || Instant::now() + Duration::from_secs(5);
        let p = d.path().join("qm.ini");
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&p, &big).unwrap();
        assert_eq!(read_capped_as(&p, 300_000, None, soon()).found().unwrap(), big);
        let missing = |l: Look<Vec<u8>>| match l {
            Look::Missing(e) => e,
            other => panic!("{other:?}"),
        };
        assert!(missing(read_capped_as(&p, 1000, None, soon())).contains("1000-byte limit"));
        let fifo = d.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let t = Instant::now();
        assert!(missing(read_capped_as(&fifo, 1000, None, soon())).contains("a FIFO"));
        assert!(t.elapsed() < Duration::from_secs(2));
        let link = d.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert!(missing(read_capped_as(&link, 1000, None, soon())).contains("symbolic link"));
        assert!(missing(read_capped_as(Path::new("/dev/zero"), 1000, None, soon())).contains("a device"));
    }

    #[test]
    fn a_look_as_a_user_sees_what_that_user_sees() {
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("secret");
        std::fs::write(&p, "x").unwrap();
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        let soon = || Instant::now() + Duration::from_secs(5);
        let nobody = LookAs { uid: 65534, gid: 65534, groups: vec![65534] };
        assert!(read_capped_as(&p, 10, None, soon()).found().is_some());
        match read_capped_as(&p, 10, Some(&nobody), soon()) {
            Look::Missing(e) => assert!(e.contains("Permission denied"), "{e}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(stat_as(&p, Some(&nobody), soon()).found().map(|m| m.is_file()), Some(true));
    }

    #[test]
    fn a_passed_deadline_is_hung_not_blocked() {
        let t = Instant::now();
        let r = stat(Path::new("/"), Instant::now());
        assert!(matches!(r, Look::Hung(_) | Look::Found(_)));
        assert!(t.elapsed() < Duration::from_secs(1));
    }
}
