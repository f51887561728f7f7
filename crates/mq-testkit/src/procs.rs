//! What /proc and the network show, read independently of the product's own matching.

use std::path::Path;
use std::time::Duration;

/// One live (non-zombie) process.
#[derive(Debug, Clone)]
pub struct Proc {
    pub pid: i32,
    pub ppid: i32,
    pub pgid: i32,
    pub uid: u32,
    pub comm: String,
    pub cmdline: Vec<String>,
}

impl Proc {
    /// Whether its arguments (after argv[0]) are exactly `args`.
    pub fn args_are(&self, args: &[&str]) -> bool {
        self.cmdline.len() == args.len() + 1 && self.cmdline[1..].iter().zip(args).all(|(a, b)| a == b)
    }
}

fn read(pid: i32) -> Option<Proc> {
    let dir = Path::new("/proc").join(pid.to_string());
    let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
    let close = stat.rfind(')')?;
    let comm = stat[stat.find('(')? + 1..close].to_string();
    let rest: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    if rest.first() == Some(&"Z") {
        return None;
    }
    let ppid = rest.get(1)?.parse().ok()?;
    let pgid = rest.get(2)?.parse().ok()?;
    let status = std::fs::read_to_string(dir.join("status")).unwrap_or_default();
    let uid = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|u| u.parse().ok())
        .unwrap_or(u32::MAX);
    let cmdline = std::fs::read(dir.join("cmdline"))
        .unwrap_or_default()
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    Some(Proc { pid, ppid, pgid, uid, comm, cmdline })
}

fn all_pids() -> impl Iterator<Item = i32> {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()))
}

/// Live processes whose executable lies under `root` (a simulated installation).
pub fn processes_under(root: &Path) -> Vec<Proc> {
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    all_pids()
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).map(|e| e.starts_with(&root)).unwrap_or(false))
        .filter_map(read)
        .collect()
}

/// Pids of processes whose argv names queue manager `qm` (`-m QM` or `-mQM`) and whose program
/// lives under `root`.
pub fn qm_pids(root: &Path, qm: &str) -> Vec<i32> {
    let root_s = root.to_str().expect("utf-8 root");
    let joined = format!("-m{qm}");
    all_pids()
        .filter(|pid| {
            let Ok(raw) = std::fs::read(format!("/proc/{pid}/cmdline")) else { return false };
            let args: Vec<&[u8]> = raw.split(|b| *b == 0).filter(|s| !s.is_empty()).collect();
            let Ok(exe) = std::fs::read_link(format!("/proc/{pid}/exe")) else { return false };
            let ours = exe.starts_with(root) || args.first().map(|a| a.starts_with(root_s.as_bytes())).unwrap_or(false);
            let names =
                args.windows(2).any(|w| w[0] == b"-m" && w[1] == qm.as_bytes()) || args.contains(&joined.as_bytes());
            ours && names
        })
        .collect()
}

/// The process exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    read(pid).is_some()
}

/// The process exists in any state (a zombie not yet reaped included).
pub fn pid_exists(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// A TCP port on 127.0.0.1 nobody listens on right now (the kernel's choice for port 0).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0").local_addr().unwrap().port()
}

/// Whether something accepts TCP connections on 127.0.0.1:port.
pub fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500)).is_ok()
}
