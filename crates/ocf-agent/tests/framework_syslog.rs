//! With HA_LOGFACILITY set (as pacemaker-execd sets it), log lines and exit reasons go to syslog
//! with the facility, a priority per level and the tag `<agent>(<instance>)[pid]`. The agent runs
//! in its own mount namespace where /dev/log is this test's socket, so nothing else is touched.
//! With HA_LOGFILE and HA_DEBUGLOG as well (pacemaker-execd in debug mode), each line also reaches
//! the file in ocf_log's form (docs/logging.md).

use std::ffi::CString;
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use mq_testkit::*;

/// Makes `cmd` run in its own mount namespace whose /dev holds only `log`, bound to `sock_path`.
fn in_private_dev_log(cmd: &mut Command, sock_path: &std::path::Path) {
    let src = CString::new(sock_path.to_str().unwrap()).unwrap();
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
}

/// `ibmmq-listener validate-all` with port=99999 (an ERROR and exit 6), only `env` besides, in its
/// own mount namespace where /dev/log is `sock_path`.
fn listener_with_bad_port(sock_path: &std::path::Path, instance: &str, env: &[(&str, &str)]) -> std::process::Output {
    let links = Links::new();
    let mut cmd = Command::new(links.path("ibmmq-listener"));
    cmd.arg("validate-all")
        .env_clear()
        .envs(env.iter().copied())
        .env("OCF_RESOURCE_INSTANCE", instance)
        .env("OCF_RESKEY_qmgr", "QM1")
        .env("OCF_RESKEY_port", "99999")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    in_private_dev_log(&mut cmd, sock_path);
    let out = cmd.output().expect("run the agent in a mount namespace");
    assert_eq!(out.status.code(), Some(6), "{}", String::from_utf8_lossy(&out.stderr));
    out
}

#[test]
fn syslog_lines_carry_facility_priority_and_tag() {
    let dir = tempfile::tempdir().unwrap();
    let sock_path = dir.path().join("log");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();

    let out = listener_with_bad_port(&sock_path, "lsr1", &[("HA_LOGFACILITY", "daemon")]);
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

/// Every datagram that arrives until the socket has been quiet for its read timeout.
fn datagrams(sock: &UnixDatagram) -> Vec<String> {
    let mut v = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = sock.recv(&mut buf) {
        v.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    v
}

#[test]
fn pacemaker_debug_mode_sends_each_line_to_syslog_and_the_log_file_as_ocf_log_does() {
    let dir = tempfile::tempdir().unwrap();
    let sock_path = dir.path().join("log");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    let logfile = dir.path().join("pacemaker.log");
    let logfile = logfile.to_str().unwrap();

    // What pacemaker-execd 2.1 exports with PCMK_debug=yes: HA_LOGFILE and HA_DEBUGLOG both its log file.
    let env = [
        ("HA_LOGFACILITY", "local3"),
        ("HA_LOGFILE", logfile),
        ("HA_DEBUGLOG", logfile),
        ("HA_debug", "1"),
        ("HA_logfile", logfile),
    ];
    listener_with_bad_port(&sock_path, "lsr2", &env);

    let lines = datagrams(&sock);
    // local3 (19) * 8 + debug (7) = 159; + err (3) = 155.
    let debug = lines.iter().find(|l| l.contains("DEBUG: validate-all")).unwrap_or_else(|| panic!("{lines:?}"));
    assert!(debug.starts_with("<159>"), "{debug}");
    let err = lines.iter().find(|l| l.contains("ERROR: port=")).unwrap_or_else(|| panic!("{lines:?}"));
    assert!(err.starts_with("<155>"), "{err}");
    assert!(err.contains("ibmmq-listener(lsr2)["), "{err}");

    // The file: the error once in ocf_log's HA_LOGFILE form, the debug line in its HA_DEBUGLOG form.
    let text = std::fs::read_to_string(logfile).unwrap();
    let errors: Vec<&str> = text.lines().filter(|l| l.contains("ERROR: port='99999'")).collect();
    assert_eq!(errors.len(), 1, "{text}");
    assert!(errors[0].contains("]:    ERROR: port='99999' is out of range 1-65535"), "{text}");
    let debug = text.lines().find(|l| l.contains("DEBUG: validate-all")).unwrap_or_else(|| panic!("{text}"));
    assert!(debug.starts_with("ibmmq-listener(lsr2)[") && debug.contains("]:\t"), "{debug}");
}

#[test]
fn logfile_none_is_not_a_file_name() {
    // With PCMK_logfile=none, pacemaker-execd leaves HA_LOGFILE unset but HA_logfile=none stays exported.
    let dir = tempfile::tempdir().unwrap();
    let links = Links::new();
    let o = run_with_env_in(
        &links,
        dir.path(),
        &[("HA_logfile", "none"), ("HA_logfacility", "none"), ("OCF_RESKEY_qmgr", "QM1"), ("OCF_RESKEY_port", "99999")],
    );
    assert_eq!(o.status.code(), Some(6));
    assert!(!dir.path().join("none").exists());
    assert!(String::from_utf8_lossy(&o.stderr).contains("ocf-exit-reason:port='99999'"));
}

fn run_with_env_in(links: &Links, cwd: &std::path::Path, env: &[(&str, &str)]) -> std::process::Output {
    Command::new(links.path("ibmmq-listener"))
        .arg("validate-all")
        .env_clear()
        .envs(env.iter().copied())
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}
