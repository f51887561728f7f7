//! mqconfig: checks kernel and user limits against IBM's minimums and prints PASS/WARN/FAIL lines
//! in the layout of docs/reference/mq-commands.md#mqconfig. Exit status UNCONFIRMED: 0 when nothing FAILs, 1 otherwise.

use super::target;

fn read_num(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.split_whitespace().next()?.parse().ok()
}

fn verdict(v: u64, min: u64) -> &'static str {
    if v >= min {
        "PASS"
    } else if v >= min / 2 {
        "WARN"
    } else {
        "FAIL"
    }
}

pub fn main(_args: Vec<String>) -> i32 {
    let inst = match target::installation("mqconfig") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| t.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|s| s.trim_matches('"').to_string())))
        .unwrap_or_else(|| "Linux".into());
    let v: Vec<&str> = inst.version.split('.').collect();
    println!("mqconfig: Analyzing {os} settings for IBM\n          MQ V{}.{}\n", v[0], v.get(1).unwrap_or(&"0"));
    let mut fail = false;
    let mut line = |label: &str, val: u64, unit: &str, min: u64| {
        let vd = verdict(val, min);
        fail |= vd == "FAIL";
        let left = format!("  {label:<20}{val} {unit}");
        println!("{left:<53}IBM>={min:<12}{vd}");
    };
    println!("System V Semaphores");
    let sem: Vec<u64> = std::fs::read_to_string("/proc/sys/kernel/sem")
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    if sem.len() == 4 {
        line("semmsl     (sem:1)", sem[0], "semaphores", 32);
        line("semmns     (sem:2)", sem[1], "semaphores", 4096);
        line("semopm     (sem:3)", sem[2], "operations", 32);
        line("semmni     (sem:4)", sem[3], "sets", 128);
    }
    println!("\nSystem V Shared Memory");
    line("shmmni", read_num("/proc/sys/kernel/shmmni").unwrap_or(0), "sets", 4096);
    println!("\nSystem Settings");
    line("file-max", read_num("/proc/sys/fs/file-max").unwrap_or(0), "files", 524288);
    line("pid_max", read_num("/proc/sys/kernel/pid_max").unwrap_or(0), "processes", 32768);
    line("threads-max", read_num("/proc/sys/kernel/threads-max").unwrap_or(0), "threads", 32768);
    println!("\nCurrent User Limits ({})", inst.user);
    let nofile =
        nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).map(|(_, h)| h).unwrap_or(0);
    let nproc = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NPROC).map(|(s, _)| s).unwrap_or(0);
    line("nofile       (-Hn)", nofile.min(u32::MAX as u64), "files", 10240);
    line("nproc        (-Su)", nproc.min(u32::MAX as u64), "processes", 4096);
    i32::from(fail)
}
