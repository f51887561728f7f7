//! With HA_LOGFACILITY set (as pacemaker-execd sets it), log lines and exit reasons go to syslog
//! with the facility, a priority per level and the tag `<agent>(<instance>)[pid]`. The agent runs
//! in its own mount namespace where /dev/log is this test's socket, so nothing else is touched.

use std::ffi::CString;
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use mq_testkit::*;

#[test]
fn syslog_lines_carry_facility_priority_and_tag() {
    let dir = tempfile::tempdir().unwrap();
    let sock_path = dir.path().join("log");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();

    let links = Links::new();
    let src = CString::new(sock_path.to_str().unwrap()).unwrap();
    let mut cmd = Command::new(links.path("ibmmq-listener"));
    cmd.arg("validate-all")
        .env_clear()
        .env("HA_LOGFACILITY", "daemon")
        .env("OCF_RESOURCE_INSTANCE", "lsr1")
        .env("OCF_RESKEY_qmgr", "QM1")
        .env("OCF_RESKEY_port", "99999")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: only system calls between fork and exec; the strings were built before the fork.
    unsafe {
        cmd.pre_exec(move || {
            let none = std::ptr::null::<libc::c_char>();
            let check = |rc: libc::c_int| if rc == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) };
            check(libc::unshare(libc::CLONE_NEWNS))?;
            check(libc::mount(none, c"/".as_ptr(), none, libc::MS_REC | libc::MS_PRIVATE, std::ptr::null()))?;
            // A private /dev holding only `log`, bound to the test's socket.
            check(libc::mount(c"tmpfs".as_ptr(), c"/dev".as_ptr(), c"tmpfs".as_ptr(), 0, std::ptr::null()))?;
            let fd = libc::open(c"/dev/log".as_ptr(), libc::O_CREAT | libc::O_WRONLY, 0o666);
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::close(fd);
            check(libc::mount(src.as_ptr(), c"/dev/log".as_ptr(), none, libc::MS_BIND, std::ptr::null()))
        });
    }
    let out = cmd.output().expect("run the agent in a mount namespace");
    assert_eq!(out.status.code(), Some(6), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // stderr holds only the exit reason: the log line went to syslog.
    assert_eq!(stderr.trim_end(), "ocf-exit-reason:port='99999' is out of range 1-65535");

    let mut buf = [0u8; 2048];
    let n = sock.recv(&mut buf).expect("a syslog datagram");
    let line = String::from_utf8_lossy(&buf[..n]).into_owned();
    // daemon (3) * 8 + err (3) = 27
    assert!(line.starts_with("<27>"), "{line}");
    let tag_at = line.find("ibmmq-listener(lsr1)[").unwrap_or_else(|| panic!("no tag in {line}"));
    let rest = &line[tag_at..];
    assert!(rest.ends_with("]: ERROR: port='99999' is out of range 1-65535"), "{line}");
}
