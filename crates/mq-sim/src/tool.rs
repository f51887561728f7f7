//! `mqsim <subcommand>`: the test tooling around a simulated installation — install it, switch
//! faults, crash or kill parts of a queue manager, start a locally bound application, tear
//! everything down, and measure a create/start/end cycle. Documented in the crate's README.

use crate::faults::{self, Fault};
use crate::install::{self, InstallOptions};
use crate::paths::{Installation, QmPaths};
use crate::runtime::{family, ipc, procs};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const USAGE: &str = "usage:
  mqsim install ROOT [--version 9.3.0.0] [--user mqm] [--group mqm] [--node HOSTNAME]
                     [--prefix opt/mqm] [--name InstallationN]
  mqsim fault ROOT QMGR set NAME [VALUE] | clear NAME | list
  mqsim crash ROOT QMGR [--leave-children]
  mqsim kill ROOT QMGR listener[:PORT] | cmdserver | chinit | trigger
  mqsim app ROOT QMGR
  mqsim cleanup ROOT
  mqsim bench ROOT [CYCLES]";

pub fn main(args: Vec<String>) -> i32 {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["install", root, rest @ ..] => cmd_install(Path::new(root), rest),
        ["fault", root, qm, rest @ ..] => with_qm(root, qm, |i, q| cmd_fault(i, q, rest)),
        ["crash", root, qm, rest @ ..] => with_qm(root, qm, |i, q| cmd_crash(i, q, rest)),
        ["kill", root, qm, comp] => with_qm(root, qm, |i, q| cmd_kill(i, q, comp)),
        ["app", root, qm] => with_qm(root, qm, cmd_app),
        ["cleanup", root] => cmd_cleanup(Path::new(root)),
        ["bench", root, rest @ ..] => cmd_bench(Path::new(root), rest),
        _ => {
            eprintln!("{USAGE}");
            2
        }
    }
}

fn with_qm(root: &str, qm: &str, f: impl FnOnce(&Installation, &QmPaths) -> i32) -> i32 {
    let inst = match Installation::at(Path::new(root)) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("mqsim: {e}");
            return 2;
        }
    };
    match inst.qm(qm) {
        // The queue manager's own installation runs it (ROOT may hold several).
        Ok(q) => f(&inst.owner_of(&q), &q),
        Err(e) => {
            eprintln!("mqsim: {e}");
            2
        }
    }
}

fn cmd_install(root: &Path, rest: &[&str]) -> i32 {
    let mut o = InstallOptions::new();
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        let Some(v) = it.next() else {
            eprintln!("mqsim install: {a} needs a value\n{USAGE}");
            return 2;
        };
        match *a {
            "--version" => o.version = v.to_string(),
            "--user" => o.user = v.to_string(),
            "--group" => o.group = v.to_string(),
            "--node" => o.node = Some(v.to_string()),
            "--prefix" => o.prefix = Some(v.to_string()),
            "--name" => o.name = Some(v.to_string()),
            _ => {
                eprintln!("mqsim install: unknown option '{a}'\n{USAGE}");
                return 2;
            }
        }
    }
    match install::install(root, &o) {
        Ok(inst) => {
            println!(
                "Installed simulated IBM MQ {} as {} at {} (mq user {}, group {})",
                inst.version,
                inst.name,
                inst.inst_path.display(),
                inst.user,
                inst.group
            );
            0
        }
        Err(e) => {
            eprintln!("mqsim install: {e}");
            1
        }
    }
}

fn cmd_fault(inst: &Installation, qm: &QmPaths, rest: &[&str]) -> i32 {
    let r = match rest {
        ["set", name, value @ ..] if value.len() <= 1 => Fault::parse(name).and_then(|f| {
            faults::set(inst, qm, f, value.first().copied())?;
            if f == Fault::LeftoverIpc {
                // Real SysV IPC owned by the mq user, as a crashed queue manager leaves it.
                let owner = crate::authority::mq_ids(inst).ok().map(|ids| (ids.uid.as_raw(), ids.gid.as_raw()));
                ipc::create(inst, qm, owner).map_err(|e| faults::FaultError::Io(PathBuf::from("SysV IPC"), e))?;
            }
            Ok(())
        }),
        ["clear", name] => Fault::parse(name).and_then(|f| faults::clear(inst, qm, f)),
        ["list"] => {
            for (f, v) in faults::list(inst, qm) {
                println!("{} {v}", f.name());
            }
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            return 2;
        }
    };
    match r {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("mqsim fault: {e}");
            2
        }
    }
}

fn family_pids(inst: &Installation, qm: &QmPaths) -> Vec<i32> {
    procs::family(inst, qm).into_iter().map(|p| p.pid).collect()
}

fn cmd_crash(inst: &Installation, qm: &QmPaths, rest: &[&str]) -> i32 {
    let leave = match rest {
        [] => false,
        ["--leave-children"] => true,
        _ => {
            eprintln!("{USAGE}");
            return 2;
        }
    };
    let Some(ctl) = procs::controller(inst, qm) else {
        eprintln!("mqsim crash: no execution controller of {} is running in {}", qm.name, inst.root.display());
        return 1;
    };
    if leave {
        if let Err(e) = faults::set(inst, qm, Fault::LeaveChildren, None) {
            eprintln!("mqsim crash: {e}");
            return 1;
        }
    }
    let others: Vec<i32> = family_pids(inst, qm).into_iter().filter(|p| *p != ctl.pid).collect();
    crash_evidence(inst, qm, ctl.pid as u32, others.first().copied().unwrap_or(ctl.pid + 1) as u32);
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(ctl.pid), nix::sys::signal::Signal::SIGKILL);
    // Deterministic for tests: return once the controller is gone and, unless they are to stay, its children too.
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let ctl_gone = !procs::alive(ctl.pid);
        let kids_gone = leave || others.iter().all(|p| !procs::alive(*p));
        if ctl_gone && kids_gone {
            return 0;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    eprintln!("mqsim crash: processes of {} still alive after 10s", qm.name);
    1
}

/// What the queue manager leaves when an essential process of it dies (the crash stands for
/// that): its execution controller writes AMQ5008S to the error log and an FFST with Probe Id
/// ZX005020 (zxcProcessChildren, zrcX_PROCESS_MISSING), as IBM shows
/// (docs/reference/mq-processes-and-files.md#ffst-on-a-missing-process), then everything ends.
fn crash_evidence(inst: &Installation, qm: &QmPaths, controller: u32, lost: u32) {
    let message = format!(
        "AMQ5008S: An essential IBM MQ process {lost} (zllCRIT) cannot be found and is assumed to be terminated."
    );
    crate::diag::error_log(
        inst,
        qm,
        &crate::diag::Entry {
            program: "amqzxma0",
            pid: controller,
            message: &message,
            arith: &[u64::from(lost)],
            comments: &["zllCRIT"],
            explanation: "1) A user has inadvertently terminated the process. 2) The system is low on resources. Some operating systems terminate processes to free resources.",
            action: "IBM MQ will stop all MQ processes. Inform your systems administrator. When the problem is rectified IBM MQ can be restarted.",
            source: "amqzxmb0.c",
        },
    );
    crate::diag::ffst(
        inst,
        &qm.name,
        &crate::diag::Ffst {
            program: "amqzxma0",
            pid: controller,
            probe_id: "ZX005020",
            component: "zxcProcessChildren",
            major: "zrcX_PROCESS_MISSING",
            minor: "OK",
            probe_type: "MSGAMQ5008",
            description: &message,
            arith1: Some(u64::from(lost)),
            comment1: Some("zllCRIT"),
        },
    );
}

fn cmd_kill(inst: &Installation, qm: &QmPaths, comp: &str) -> i32 {
    let (prog, port) = match comp.split_once(':') {
        Some(("listener", p)) => ("runmqlsr", Some(p.to_string())),
        _ => match comp {
            "listener" => ("runmqlsr", None),
            "cmdserver" => ("amqpcsea", None),
            "chinit" => ("runmqchi", None),
            "trigger" => ("runmqtrm", None),
            _ => {
                eprintln!("mqsim kill: unknown component '{comp}' (listener[:PORT] | cmdserver | chinit | trigger)");
                return 2;
            }
        },
    };
    let victims: Vec<i32> = procs::component(inst, qm, prog)
        .into_iter()
        .filter(|p| match &port {
            Some(port) => p.argv.windows(2).any(|w| w[0] == "-p" && &w[1] == port),
            None => true,
        })
        .map(|p| p.pid)
        .collect();
    if victims.is_empty() {
        eprintln!("mqsim kill: no {prog} of {} is running", qm.name);
        return 1;
    }
    for p in &victims {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(*p), nix::sys::signal::Signal::SIGKILL);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && victims.iter().any(|p| procs::alive(*p)) {
        std::thread::sleep(Duration::from_millis(10));
    }
    0
}

/// Starts a locally bound application (ROOT/opt/mqm/samp/bin/mqsimapp -m QM) that holds the
/// queue manager: attached to its IPC and connected to its engine. Prints its pid.
fn cmd_app(inst: &Installation, qm: &QmPaths) -> i32 {
    if procs::controller(inst, qm).is_none() {
        eprintln!("mqsim app: queue manager {} is not running", qm.name);
        return 1;
    }
    let exe = inst.samp_bin_dir.join("mqsimapp");
    let mut cmd = Command::new(&exe);
    cmd.arg("-m").arg(&qm.name).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    cmd.current_dir("/");
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            libc::setsid();
            Ok(())
        });
    }
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mqsim app: cannot run {}: {e}", exe.display());
            return 1;
        }
    };
    let pid = child.id() as i32;
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if ipc::attached_pids(inst, qm).contains(&pid) {
            println!("{pid}");
            return 0;
        }
        if !procs::alive(pid) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    eprintln!("mqsim app: the application did not attach to {}", qm.name);
    1
}

/// mqsimapp: the application process itself.
pub fn app_main(args: Vec<String>) -> i32 {
    let Some(name) = family::qm_arg(&args) else { return 2 };
    let Ok(inst) = Installation::current() else { return 2 };
    let Ok(qm) = inst.qm(&name) else { return 2 };
    if !ipc::attach(&inst, &qm) {
        return 1;
    }
    // Hold a bindings connection too, so the engine counts it (endmqm -c waits for it).
    let _conn = crate::wire::connect_bindings(&inst, &qm, "mqsimapp").ok();
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// Kills every process running a program of ROOT (exe under ROOT), then removes the IPC of its QMs.
pub fn cmd_cleanup(root: &Path) -> i32 {
    let Ok(root) = std::fs::canonicalize(root) else { return 0 };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pids: Vec<i32> = procs::exes_under(&root).into_iter().filter(|p| *p != std::process::id() as i32).collect();
        if pids.is_empty() {
            break;
        }
        for p in &pids {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(*p), nix::sys::signal::Signal::SIGKILL);
        }
        if Instant::now() > deadline {
            eprintln!("mqsim cleanup: processes still alive: {pids:?}");
            return 1;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if let Ok(inst) = Installation::at(&root) {
        for n in inst.qm_names().unwrap_or_default() {
            if let Ok(qm) = inst.qm(&n) {
                // A killed process may still be detaching for a moment: retry briefly.
                let deadline = Instant::now() + Duration::from_secs(2);
                while ipc::remove_unused(&inst, &qm).is_err() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
    }
    0
}

/// crtmqm + strmqm + endmqm -i + dltmqm, CYCLES times, through the installed commands.
fn cmd_bench(root: &Path, rest: &[&str]) -> i32 {
    let cycles: u32 = rest.first().and_then(|c| c.parse().ok()).unwrap_or(5);
    if Installation::at(root).is_err() {
        let o = InstallOptions::new();
        if let Err(e) = install::install(root, &o) {
            eprintln!("mqsim bench: {e}");
            return 1;
        }
    }
    let inst = Installation::at(root).expect("installed");
    // As the mq user, as an administrator runs them (root outside the mq group is refused).
    let ids = match crate::authority::mq_ids(&inst) {
        Ok(ids) => ids,
        Err(e) => {
            eprintln!("mqsim bench: {e}");
            return 1;
        }
    };
    let run = |prog: &str, args: &[&str]| -> (i32, Duration) {
        let t = Instant::now();
        let mut cmd = Command::new(inst.bin_dir.join(prog));
        cmd.args(args).stdout(Stdio::null()).stderr(Stdio::null()).current_dir("/");
        if nix::unistd::Uid::effective().is_root() {
            let (uid, gid) = (ids.uid.as_raw(), ids.gid.as_raw());
            // SAFETY: only async-signal-safe calls between fork and exec.
            unsafe {
                std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
                    if libc::setgroups(1, &gid) != 0 || libc::setgid(gid) != 0 || libc::setuid(uid) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let st = cmd.status();
        (st.ok().and_then(|s| s.code()).unwrap_or(-1), t.elapsed())
    };
    let mut totals = Vec::new();
    for i in 0..cycles {
        let name = format!("BENCH{i}");
        let (c1, d1) = run("crtmqm", &[&name]);
        let (c2, d2) = run("strmqm", &[&name]);
        let (c3, d3) = run("endmqm", &["-i", &name]);
        let (c4, _) = run("dltmqm", &[&name]);
        if (c1, c2, c3, c4) != (0, 0, 0, 0) {
            eprintln!("mqsim bench: cycle {i} failed: crtmqm rc {c1}, strmqm rc {c2}, endmqm rc {c3}, dltmqm rc {c4}");
            cmd_cleanup(root);
            return 1;
        }
        let total = d1 + d2 + d3;
        println!(
            "cycle {i}: crtmqm {:.1} ms, strmqm {:.1} ms, endmqm -i {:.1} ms, total {:.1} ms",
            ms(d1),
            ms(d2),
            ms(d3),
            ms(total)
        );
        totals.push(total);
    }
    totals.sort();
    let mean = totals.iter().sum::<Duration>() / totals.len().max(1) as u32;
    println!(
        "crtmqm+strmqm+endmqm cycle: mean {:.1} ms, median {:.1} ms, max {:.1} ms over {cycles} cycles",
        ms(mean),
        ms(totals[totals.len() / 2]),
        ms(*totals.last().unwrap())
    );
    0
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
