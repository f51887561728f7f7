//! endmqm: ends a queue manager: -c (default, returns at once) / -w (waits) controlled, -i
//! immediate, -p pre-emptive (kills what does not end), -s switchover, -x standby only, -t/-tp
//! escalation intervals. Output and codes per docs/reference/mq-commands.md#endmqm-output (0, 16, 40)
//! and #multi-instance.

use super::target;
use crate::messages;
use crate::nha::config::NhaConfig;
use crate::paths::{Installation, QmPaths};
use crate::runtime::{control, controller, family, procs};
use crate::status::{self, QmState};
use std::time::{Duration, Instant};

const USAGE: &str = "endmqm [-z] [-c | -w | -i | -p] [-s] [-r] [-t Interval] [-tp Interval] [-x] QMgrName";

/// Bound on waits that MQ itself would wait out indefinitely (-w, -i on a queue manager that will
/// not end): the caller (an agent with its own deadline) normally kills endmqm long before.
const WAIT_CAP: Duration = Duration::from_secs(3600);

pub fn main(args: Vec<String>) -> i32 {
    let inst = match target::installation("endmqm") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    let mut mode = 'c';
    let (mut switchover, mut standby_only, mut quiet) = (false, false, false);
    let (mut t, mut tp): (Option<u64>, Option<u64>) = (None, None);
    let mut name = None;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-c" => mode = 'c',
            "-w" => mode = 'w',
            "-i" => mode = 'i',
            "-p" => mode = 'p',
            "-s" => switchover = true,
            "-x" => standby_only = true,
            "-r" => {}
            "-z" => quiet = true,
            "-is" | "-si" => {
                mode = 'i';
                switchover = true;
            }
            "-t" | "-tp" => {
                let v = it.next().and_then(|v| v.parse::<u64>().ok());
                let Some(v) = v else {
                    eprintln!("endmqm: {a} needs an interval in seconds");
                    return messages::usage(USAGE);
                };
                if a == "-t" {
                    t = Some(v)
                } else {
                    tp = Some(v)
                }
            }
            s if s.starts_with('-') => {
                eprintln!("endmqm: unknown flag '{s}'");
                return messages::usage(USAGE);
            }
            _ if name.is_none() => name = Some(a),
            _ => return messages::usage(USAGE),
        }
    }
    let Some(name) = name else { return messages::usage(USAGE) };
    // Target times are documented from MQ 9.2 (docs/reference/mq-commands.md#endmqm-target-time);
    // an older endmqm refuses the flag (the text and rc of that refusal are UNCONFIRMED: usage, 36).
    if (t.is_some() || tp.is_some()) && !messages::version_at_least(&inst.version, 9, 2) {
        eprintln!("endmqm: unknown flag '{}'", if tp.is_some() { "-tp" } else { "-t" });
        return messages::usage(USAGE);
    }
    let qm = match target::qm(&inst, &name, messages::AMQ8118, 16) {
        Ok(q) => q,
        Err(rc) => return rc,
    };
    let say = |s: &str| {
        if !quiet {
            crate::mqprintln!("{s}")
        }
    };
    let wire_mode = match mode {
        'w' => "w",
        'i' => "i",
        'p' => "p",
        _ => "c",
    };
    let sw = if switchover { "s" } else { "-" };
    // Native HA (docs/reference/native-ha.md#endmqm): the local instance's controller checks
    // the quorum first and refuses, stopping nothing, when ending this instance would break it.
    let native_ha = matches!(NhaConfig::load(&qm.data_dir), Ok(Some(_)));
    let mut sent = None;
    if native_ha && procs::controller(&inst, &qm).is_some() {
        if switchover && standby_only {
            return messages::usage(USAGE);
        }
        let kind = if standby_only { "x" } else { sw };
        let reply = control::request(&inst, &qm, &format!("NHA-END {wire_mode} {kind}"), Duration::from_secs(5));
        match reply.as_deref() {
            Ok("ACCEPTED") => sent = Some(Ok(String::new())),
            Ok(r) if r.starts_with("QUORUM") => {
                // Text and rc UNCONFIRMED (IBM documents the check, not its message): rc 71.
                let left = r.split_whitespace().nth(1).unwrap_or("0");
                say(&format!(
                    "IBM MQ queue manager '{name}' not ended: ending this Native HA instance would break the quorum of the group ({left} other instance(s) running in sync, 2 needed)."
                ));
                return 71;
            }
            Ok("ACTIVE") => {
                // UNCONFIRMED: -x is for a replica; the active is handed over with -s.
                say(&format!(
                    "IBM MQ queue manager '{name}' is the active Native HA instance; use endmqm -s to hand over or endmqm to end the group."
                ));
                return 40;
            }
            Ok("REPLICA") => {
                // As for a multi-instance standby (text and rc UNCONFIRMED): ending a replica needs -x.
                say(&format!(
                    "IBM MQ queue manager '{name}' is running as a Native HA replica; use endmqm -x to end it."
                ));
                return 26;
            }
            _ => {
                say(messages::AMQ8146);
                return 40;
            }
        }
    }
    let state = status::qm_state(&inst, &qm);
    if sent.is_none() && state == QmState::RunningAsStandby {
        if !standby_only {
            // Text UNCONFIRMED (docs/reference/mq-commands.md#endmqm-output): ending a standby needs -x.
            say(&format!("IBM MQ queue manager '{name}' is running as a standby instance; use endmqm -x to end it."));
            return 26;
        }
        if control::request(&inst, &qm, "END-STANDBY", Duration::from_secs(5)).is_err() {
            say(messages::AMQ8146);
            return 40;
        }
        wait_gone(&inst, &qm, WAIT_CAP);
        say(&format!("IBM MQ queue manager '{name}' standby instance ended."));
        return 0;
    }
    let sent = match sent {
        Some(s) => s,
        None => {
            if !state.is_local_instance() || standby_only {
                say(messages::AMQ8146);
                return 40;
            }
            control::request(&inst, &qm, &format!("END {wire_mode} {sw}"), Duration::from_secs(5))
        }
    };
    let product = messages::product(&inst.version);
    let tail = if switchover { ", permitting switchover to a standby instance" } else { "" };
    match mode {
        'c' => {
            if sent.is_err() {
                say(messages::AMQ8146);
                return 40;
            }
            say(messages::QUIESCE_ACCEPTED);
            // -t / -tp escalate later; with them endmqm stays to do it (MQ's endmqm does the same).
            if t.is_some() || tp.is_some() {
                escalate(&inst, &qm, t, tp, switchover);
            }
            0
        }
        'w' => {
            say(&format!("Waiting for queue manager '{name}' to end."));
            let start = Instant::now();
            let mut last = Instant::now();
            loop {
                if gone(&inst, &qm) {
                    break;
                }
                if let Some(s) = t {
                    if start.elapsed() >= Duration::from_secs(s) {
                        let _ = control::request(&inst, &qm, &format!("END i {sw}"), Duration::from_secs(5));
                    }
                }
                if let Some(s) = tp {
                    if start.elapsed() >= Duration::from_secs(s) {
                        preempt(&inst, &qm, switchover);
                        break;
                    }
                }
                if start.elapsed() > WAIT_CAP {
                    return 71;
                }
                if last.elapsed() >= Duration::from_secs(5) {
                    say(&format!("Waiting for queue manager '{name}' to end."));
                    last = Instant::now();
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            say(&format!("{product} queue manager '{name}' ended{tail}."));
            0
        }
        'i' => {
            say(&format!("{product} queue manager '{name}' ending."));
            let start = Instant::now();
            loop {
                if gone(&inst, &qm) {
                    break;
                }
                if let Some(s) = tp {
                    if start.elapsed() >= Duration::from_secs(s) {
                        preempt(&inst, &qm, switchover);
                        break;
                    }
                }
                if start.elapsed() > WAIT_CAP {
                    return 71;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            say(&format!("{product} queue manager '{name}' ended{tail}."));
            0
        }
        _ => {
            say(&format!("{product} queue manager '{name}' ending."));
            // Give the controller a moment to end in order; then kill what is left (-p escalates:
            // docs/reference/mq-commands.md#endmqm-modes).
            if !wait_gone(&inst, &qm, Duration::from_millis(1500)) {
                preempt(&inst, &qm, switchover);
            }
            say(&format!("{product} queue manager '{name}' ended{tail}."));
            0
        }
    }
}

/// The local execution controller is gone (its processes ended).
fn gone(inst: &Installation, qm: &QmPaths) -> bool {
    procs::controller(inst, qm).is_none()
}

fn wait_gone(inst: &Installation, qm: &QmPaths, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if gone(inst, qm) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    gone(inst, qm)
}

/// Pre-emptive end: kill every process of the queue manager's family, record "Ended pre-emptively".
fn preempt(inst: &Installation, qm: &QmPaths, switchover: bool) {
    let ctl = procs::controller(inst, qm);
    let pids: Vec<i32> = procs::family(inst, qm).into_iter().map(|p| p.pid).collect();
    family::terminate(&pids, Duration::from_millis(0));
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && pids.iter().any(|p| procs::alive(*p)) {
        std::thread::sleep(Duration::from_millis(10));
    }
    if ctl.is_some() {
        let permit =
            controller::read_status(qm).and_then(|s| s.get("PermitStandby").map(|v| v == "Yes")).unwrap_or(false);
        controller::write_status(inst, qm, QmState::EndedPreemptively, permit, switchover);
        let _ = std::fs::remove_file(inst.run_dir(qm).join("role"));
    }
}

/// endmqm -c with -t / -tp: stay, escalating to immediate, then pre-emptive.
fn escalate(inst: &Installation, qm: &QmPaths, t: Option<u64>, tp: Option<u64>, switchover: bool) {
    let start = Instant::now();
    let sw = if switchover { "s" } else { "-" };
    let mut sent_i = false;
    while !gone(inst, qm) && start.elapsed() < WAIT_CAP {
        if let (Some(s), false) = (t, sent_i) {
            if start.elapsed() >= Duration::from_secs(s) {
                let _ = control::request(inst, qm, &format!("END i {sw}"), Duration::from_secs(5));
                sent_i = true;
            }
        }
        if let Some(s) = tp {
            if start.elapsed() >= Duration::from_secs(s) {
                preempt(inst, qm, switchover);
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
