//! Node checks (validation layer 2), run at start and by monitors that are not probes: is this
//! node set up to run the queue manager? Failures are errors with a reason naming the value;
//! risks that do not stop it running are warnings.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{Journal, Level, QueueManager};
use crate::cluster::NodeAttributes;
use crate::error::MqError;
use crate::fsread;
use crate::storage::{self, Look, LookAs};
use crate::user::{self, MqUser};

/// What the node checks may do besides checking.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeCheckOptions {
    /// Add the QueueManager stanza to this node's mqs.ini (addmqinf) when it is missing.
    pub add_mqs_ini: bool,
    /// The queue manager's data directory when it is not `<Prefix>/qmgrs/<Directory>` (what
    /// `crtmqm -md DIR` made); used while this node has no stanza for it.
    pub data_path: Option<PathBuf>,
}

/// The attribute carrying a node's uid:gid of the mq user.
pub fn ids_attribute(user: &str) -> String {
    format!("mqha-mq-ids-{user}")
}

/// What the published ids of the mq user say about this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdVerdict {
    /// Every node that published agrees with this one.
    Agree,
    /// This node is the odd one: it must not start the queue manager (the reason says why).
    ThisNodeDiffers(String),
    /// This node is right; other nodes are not: a warning naming them, and the start goes on.
    OthersDiffer(String),
}

/// Decides whether this node's mq user ids (`own`, "uid:gid") are the right ones, given every
/// node's published ids (`all`, (node, value); this node's own entry is ignored) and the owner
/// of the queue manager's data directory when this node can read it. Who is right: the data's
/// owner, when some node's mq user is that owner (else the mq user is an alternate user in the
/// mq group and the owner says nothing about it); else a strict majority of the nodes; with no
/// majority this node refuses only when it differs from every other node.
pub fn judge_ids(
    user: &str,
    own_node: &str,
    own: &str,
    all: &[(String, String)],
    data_owner: Option<&str>,
) -> IdVerdict {
    let others: Vec<(&str, &str)> =
        all.iter().filter(|(h, v)| h != own_node && !v.is_empty()).map(|(h, v)| (h.as_str(), v.as_str())).collect();
    let odd_ones = |right: &str| -> Vec<String> {
        others.iter().filter(|(_, v)| *v != right).map(|(h, v)| format!("{h} ({v})")).collect()
    };
    let warn = |right: &str, basis: &str| {
        let odd = odd_ones(right);
        if odd.is_empty() {
            IdVerdict::Agree
        } else {
            IdVerdict::OthersDiffer(format!(
                "mq user {user} is {right} here on {own_node} ({basis}) but differs on {}: those nodes refuse the queue manager until their mq user's uid:gid is {right}",
                odd.join(", ")
            ))
        }
    };
    let todo =
        "make the mq user's uid and gid the same on every node (usermod -u / groupmod -g, then chown what it owns)";
    let holder = |right: &str| others.iter().find(|(_, v)| *v == right).map(|(h, _)| *h);
    if let Some(owner) = data_owner {
        if own == owner {
            return warn(owner, "the owner of the queue manager's data");
        }
        if let Some(h) = holder(owner) {
            return IdVerdict::ThisNodeDiffers(format!(
                "mq user {user} is {own} on {own_node} but {owner} on {h} (owner of the queue manager's data); {todo}"
            ));
        }
    }
    let total = others.len() + 1;
    let count = |v: &str| others.iter().filter(|(_, o)| *o == v).count() + usize::from(v == own);
    let majority = std::iter::once(own).chain(others.iter().map(|(_, v)| *v)).find(|v| count(v) * 2 > total);
    match majority {
        Some(m) if m == own => warn(own, "as on most nodes"),
        Some(m) => IdVerdict::ThisNodeDiffers(format!(
            "mq user {user} is {own} on {own_node} but {m} on {} ({} of {total} nodes); {todo}",
            others.iter().filter(|(_, v)| *v == m).map(|(h, _)| *h).collect::<Vec<_>>().join(", "),
            count(m)
        )),
        None if !others.is_empty() && others.iter().all(|(_, v)| *v != own) => IdVerdict::ThisNodeDiffers(format!(
            "mq user {user} is {own} on {own_node} but {} (no majority, and no node's ids match the owner of the queue manager's data); {todo}",
            others.iter().map(|(h, v)| format!("{v} on {h}")).collect::<Vec<_>>().join(", ")
        )),
        None => IdVerdict::OthersDiffer(format!(
            "mq user {user} has no majority uid:gid across nodes: {own} on {own_node}, {}; {todo}",
            others.iter().map(|(h, v)| format!("{v} on {h}")).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Whether a directory is usable by the mq user: owned by it, or by its mq group with group rwx.
/// The look cannot hang: shared storage that does not answer is a problem, not a wait.
/// The look runs as the mq user (NFS root_squash would give root another answer), within
/// LOOK_TIMEOUT and `deadline`.
pub fn owner_problem(path: &Path, user: &MqUser, mq_gid: u32, deadline: Instant) -> Option<String> {
    let m = match storage::stat_soon_as(path, Some(&LookAs::user(user)), deadline) {
        Look::Found(m) => m,
        Look::Missing(e) => return Some(format!("{} is not accessible: {e}", path.display())),
        Look::Hung(_) => return Some(format!("{} does not answer in time (shared storage hung?)", path.display())),
    };
    if !m.is_dir() {
        return Some(format!("{} is not a directory", path.display()));
    }
    if m.uid == user.uid || (m.gid == mq_gid && m.mode & 0o070 == 0o070 && user.is_member_of(mq_gid)) {
        return None;
    }
    Some(format!(
        "{} is owned by {}:{}, not by the mq user {} (uid {}); chown -R {}:{} it or set mq_user",
        path.display(),
        user::user_name(m.uid),
        user::group_name(m.gid),
        user.name,
        user.uid,
        user.name,
        user::group_name(user.gid)
    ))
}

/// Cap for a systemd unit file: real ones are a few KiB.
const UNIT_CAP: u64 = 256 * 1024;

/// Enabled systemd units that start this queue manager at boot (strmqm and its name, or an
/// instance of a template unit named after it).
pub fn boot_units(unit_root: &Path, qm: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(dirs) = std::fs::read_dir(unit_root) else { return found };
    for d in dirs.flatten() {
        if !d.file_name().to_string_lossy().ends_with(".wants") {
            continue;
        }
        let Ok(units) = std::fs::read_dir(d.path()) else { continue };
        for u in units.flatten() {
            let name = u.file_name().to_string_lossy().into_owned();
            let Ok(text) = fsread::read_capped(&u.path(), UNIT_CAP).and_then(fsread::utf8) else { continue };
            if !text.contains("strmqm") {
                continue;
            }
            let instance =
                name.split_once('@').map(|(_, rest)| rest.trim_end_matches(".service") == qm).unwrap_or(false);
            let named = text.split(|c: char| !(c.is_ascii_alphanumeric() || "._/%".contains(c))).any(|w| w == qm);
            if instance || named {
                found.push(u.path());
            }
        }
    }
    found
}

/// Lines of mqconfig output that report a failed check.
pub fn mqconfig_failures(out: &str) -> Vec<String> {
    out.lines().filter(|l| l.split_whitespace().last() == Some("FAIL")).map(|l| l.trim().to_string()).collect()
}

/// A mount check: root's view is the one that matters.
fn same_device_as_root(path: &Path, deadline: Instant) -> bool {
    match (storage::stat_soon(path, deadline), std::fs::metadata("/")) {
        (Look::Found(a), Ok(b)) => a.dev == b.dev(),
        _ => false,
    }
}

/// The addmqinf arguments registering `qm` (IBM's recipe for a queue manager on shared storage
/// adds DataPath; Prefix stays this node's default prefix).
pub fn addmqinf_args(qm: &str, directory: &str, prefix: &Path, data_path: Option<&Path>) -> Vec<String> {
    let mut args = vec![
        "-s".to_string(),
        "QueueManager".into(),
        "-v".into(),
        format!("Name={qm}"),
        "-v".into(),
        format!("Directory={directory}"),
        "-v".into(),
        format!("Prefix={}", prefix.display()),
    ];
    if let Some(d) = data_path {
        args.extend(["-v".to_string(), format!("DataPath={}", d.display())]);
    }
    args
}

/// One line of a readiness report: a check's name and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub check: &'static str,
    pub verdict: Verdict,
}

/// PASS (what was found), WARN or FAIL (what is wrong and what to do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass(String),
    Warn(String),
    Fail(String),
}

impl Verdict {
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Pass(_) => "PASS",
            Verdict::Warn(_) => "WARN",
            Verdict::Fail(_) => "FAIL",
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Verdict::Pass(t) | Verdict::Warn(t) | Verdict::Fail(t) => t,
        }
    }
}

impl QueueManager {
    /// Every node check of `node_checks`, through the same steps, read-only and to the end: the
    /// missing stanza is reported, not added; the cluster's published ids are read, never
    /// written; a failed check does not stop the ones after it. For `ibmmq check`.
    pub fn readiness(
        &self,
        opts: &NodeCheckOptions,
        cluster: Option<&dyn NodeAttributes>,
        deadline: Instant,
        j: &dyn Journal,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut add = |check, verdict| out.push(Finding { check, verdict });
        let data_owner = self.data_owner(opts, deadline);
        let mq_gid = match self.check_mq_group(data_owner.as_ref(), deadline) {
            Ok(gid) => {
                add(
                    "mq user and group",
                    Verdict::Pass(format!(
                        "{} (uid {}, gid {}) is a member of {} (gid {gid})",
                        self.user.name,
                        self.user.uid,
                        self.user.gid,
                        user::group_name(gid)
                    )),
                );
                Some(gid)
            }
            Err(e) => {
                add("mq user and group", Verdict::Fail(e.to_string()));
                data_owner.as_ref().map(|(_, (_, gid))| *gid)
            }
        };
        let own = format!("{}:{}", self.user.uid, self.user.gid);
        let ids = match cluster {
            None => Verdict::Warn("not compared: no cluster attributes here (run it on a cluster node)".into()),
            Some(c) => match c
                .read_all(&ids_attribute(&self.user.name), deadline.min(Instant::now() + Duration::from_secs(5)))
            {
                Err(e) => Verdict::Warn(format!("not compared with the other nodes: {e}")),
                Ok(all) => {
                    let owner = data_owner.as_ref().map(|(_, (uid, gid))| format!("{uid}:{gid}"));
                    match judge_ids(&self.user.name, &c.node(), &own, &all, owner.as_deref()) {
                        IdVerdict::Agree => Verdict::Pass(format!(
                            "{} is {own} here and on every node that published it ({} published)",
                            self.user.name,
                            all.len()
                        )),
                        IdVerdict::OthersDiffer(w) => Verdict::Warn(w),
                        IdVerdict::ThisNodeDiffers(m) => Verdict::Fail(m),
                    }
                }
            },
        };
        add("uid and gid across nodes", ids);
        let read_only = NodeCheckOptions { add_mqs_ini: false, ..opts.clone() };
        let stanza = match self.check_stanza(&read_only, deadline, j) {
            Ok(()) => {
                Verdict::Pass(format!("{} has its QueueManager stanza in {}", self.name, self.inst.mqs_ini().display()))
            }
            Err(e) if opts.add_mqs_ini => Verdict::Warn(format!("{e} (start adds it: add_mqs_ini=true)")),
            Err(e) => Verdict::Fail(e.to_string()),
        };
        add("mqs.ini stanza", stanza);
        let mut warnings = Vec::new();
        let mut mounts = Vec::new();
        let dirs = match mq_gid {
            None => Verdict::Fail("not checked: the mq group is unknown (see the mq user and group check)".into()),
            Some(gid) => match self.check_directories(opts, gid, deadline, &mut |w| warnings.push(w)) {
                Ok((data, log)) => {
                    self.check_own_mounts(&data, log.as_deref(), deadline, &mut |w| mounts.push(w));
                    if mounts.is_empty() {
                        mounts.push(String::new());
                    }
                    Verdict::Pass(match log {
                        Some(l) => {
                            format!("data {} and log {} belong to {}", data.display(), l.display(), self.user.name)
                        }
                        None => format!(
                            "data {} belongs to {} (log directory not found in qm.ini)",
                            data.display(),
                            self.user.name
                        ),
                    })
                }
                Err(e) => Verdict::Fail(e.to_string()),
            },
        };
        add("data and log directories", dirs);
        for w in warnings.drain(..) {
            add("data and log directories", Verdict::Warn(w));
        }
        for w in mounts {
            let verdict = if w.is_empty() {
                Verdict::Pass("data and log directories are on mounts of their own, not the root file system".into())
            } else {
                Verdict::Warn(w)
            };
            add("storage mounts", verdict);
        }
        self.check_boot_units(&mut |w| warnings.push(w));
        if warnings.is_empty() {
            add("boot-time start", Verdict::Pass(format!("no systemd unit starts {} at boot", self.name)));
        }
        for w in warnings.drain(..) {
            add("boot-time start", Verdict::Warn(w));
        }
        if self.inst.has("mqconfig") {
            self.check_mqconfig(deadline, j, &mut |w| warnings.push(w));
            if warnings.is_empty() {
                add("mqconfig", Verdict::Pass("every kernel and limit check passed".into()));
            }
            for w in warnings.drain(..) {
                add("mqconfig", Verdict::Warn(w));
            }
        } else {
            add(
                "mqconfig",
                Verdict::Warn(format!("{} has no mqconfig: kernel and limit checks not run", self.inst.path.display())),
            );
        }
        out
    }

    /// The node checks; Ok carries the warnings (already journaled).
    /// With `cluster`, the mq user's ids are published and compared with the other nodes'.
    pub fn node_checks(
        &self,
        opts: &NodeCheckOptions,
        cluster: Option<&dyn NodeAttributes>,
        deadline: Instant,
        j: &dyn Journal,
    ) -> Result<Vec<String>, MqError> {
        let mut warnings = Vec::new();
        let mut warn = |w: String| {
            j.note(Level::Warn, &w);
            warnings.push(w);
        };
        let data_owner = self.data_owner(opts, deadline);
        let mq_gid = self.check_mq_group(data_owner.as_ref(), deadline)?;
        if let Some(cluster) = cluster {
            let owner = data_owner.as_ref().map(|(_, (uid, gid))| format!("{uid}:{gid}"));
            self.check_cluster_ids(cluster, owner.as_deref(), deadline, j)?;
        }
        self.check_stanza(opts, deadline, j)?;
        let (data, log) = self.check_directories(opts, mq_gid, deadline, &mut warn)?;
        self.check_boot_units(&mut warn);
        self.check_own_mounts(&data, log.as_deref(), deadline, &mut warn);
        self.check_mqconfig(deadline, j, &mut warn);
        Ok(warnings)
    }

    /// The data directory and its (uid, gid), when this node sees it in time. Without a stanza
    /// yet, the data_path parameter is the only pointer to the data.
    fn data_owner(&self, opts: &NodeCheckOptions, deadline: Instant) -> Option<(PathBuf, (u32, u32))> {
        self.data_dir().or_else(|| opts.data_path.clone()).and_then(|d| {
            let who = LookAs::user(&self.user);
            storage::stat_soon_as(&d, Some(&who), deadline).found().map(|m| (d, (m.uid, m.gid)))
        })
    }

    /// The mq user is in the mq group: the group owning the data directory when it exists, else
    /// mqm. Returns that group's gid.
    fn check_mq_group(&self, data_owner: Option<&(PathBuf, (u32, u32))>, deadline: Instant) -> Result<u32, MqError> {
        let (mq_gid, source) = match data_owner {
            Some((d, (_, gid))) => (*gid, format!("the group of {}", d.display())),
            None => (user::group_gid("mqm")?, "the mq group".to_string()),
        };
        if self.user.is_member_of(mq_gid) {
            return Ok(mq_gid);
        }
        if let Some((d, _)) = data_owner {
            if let Some(p) = owner_problem(d, &self.user, mq_gid, deadline) {
                return Err(MqError::Node(format!("data directory of {}: {p}", self.name)));
            }
        }
        Err(MqError::Node(format!(
            "mq user {} is not a member of group {} (gid {}, {source}), which MQ requires",
            self.user.name,
            user::group_name(mq_gid),
            mq_gid
        )))
    }

    /// This node's mqs.ini has the queue manager's stanza (added when asked to).
    fn check_stanza(&self, opts: &NodeCheckOptions, deadline: Instant, j: &dyn Journal) -> Result<(), MqError> {
        if self.stanza().is_some() {
            return Ok(());
        }
        if opts.add_mqs_ini {
            return self.add_stanza(opts.data_path.as_deref(), deadline, j);
        }
        let qm = &self.name;
        Err(MqError::Node(format!(
            "queue manager {qm} has no QueueManager stanza in {}; add it (dspmqinf -o command {qm} on the node that has it, then addmqinf here) or set add_mqs_ini=true",
            self.inst.mqs_ini().display()
        )))
    }

    /// The data and log directories are the mq user's; returns them.
    fn check_directories(
        &self,
        opts: &NodeCheckOptions,
        mq_gid: u32,
        deadline: Instant,
        warn: &mut dyn FnMut(String),
    ) -> Result<(PathBuf, Option<PathBuf>), MqError> {
        let qm = &self.name;
        let data = self.data_dir().ok_or_else(|| MqError::Node(format!("no data directory known for {qm}")))?;
        if let Some(given) = &opts.data_path {
            // The stanza is what MQ itself uses; the parameter only helps a node that has none.
            if given != &data {
                warn(format!(
                    "data_path={} differs from DataPath {} of {qm}'s stanza in {}; MQ uses the stanza's",
                    given.display(),
                    data.display(),
                    self.inst.mqs_ini().display()
                ));
            }
        }
        if let Some(p) = owner_problem(&data, &self.user, mq_gid, deadline) {
            return Err(MqError::Node(format!("data directory of {qm}: {p}")));
        }
        let log = self.log_dir(deadline);
        if let Some(p) = log.as_deref().and_then(|l| owner_problem(l, &self.user, mq_gid, deadline)) {
            return Err(MqError::Node(format!("log directory of {qm}: {p}")));
        }
        Ok((data, log))
    }

    /// No boot-time service also starts the queue manager (a warning).
    fn check_boot_units(&self, warn: &mut dyn FnMut(String)) {
        let qm = self.name.as_str();
        for unit in boot_units(Path::new("/etc/systemd/system"), qm) {
            warn(format!(
                "systemd unit {} also starts {qm} at boot; disable it so that only the cluster starts the queue manager",
                unit.display()
            ));
        }
    }

    /// The data and log directories are on their own mounts, not the root file system (a warning).
    fn check_own_mounts(&self, data: &Path, log: Option<&Path>, deadline: Instant, warn: &mut dyn FnMut(String)) {
        for (what, dir) in [("data", Some(data)), ("log", log)] {
            if let Some(dir) = dir.filter(|d| same_device_as_root(d, deadline)) {
                warn(format!(
                    "{what} directory {} of {} is on the root file system, not on its own (shared) mount",
                    dir.display(),
                    self.name
                ));
            }
        }
    }

    /// mqconfig's failed kernel and limit checks (warnings).
    fn check_mqconfig(&self, deadline: Instant, j: &dyn Journal, warn: &mut dyn FnMut(String)) {
        if !self.inst.has("mqconfig") {
            return;
        }
        match self.run("mqconfig", &[], None, deadline.min(Instant::now() + Duration::from_secs(20))) {
            Ok(o) => {
                for l in mqconfig_failures(&o.stdout) {
                    warn(format!("mqconfig: {l}"));
                }
            }
            Err(e) => j.note(Level::Debug, &format!("mqconfig: {e}")),
        }
    }

    /// Publishes this node's uid:gid of the mq user and compares it with the other nodes' and
    /// with the data's owner (`judge_ids`): only the odd node refuses; the others warn.
    /// Skipped (debug) when the cluster does not take or give the attribute.
    fn check_cluster_ids(
        &self,
        cluster: &dyn NodeAttributes,
        data_owner: Option<&str>,
        deadline: Instant,
        j: &dyn Journal,
    ) -> Result<(), MqError> {
        let name = ids_attribute(&self.user.name);
        let own = format!("{}:{}", self.user.uid, self.user.gid);
        let d = || deadline.min(Instant::now() + Duration::from_secs(5));
        let all = match cluster.publish(&name, &own, d()).and_then(|_| cluster.read_all(&name, d())) {
            Ok(all) => all,
            Err(e) => {
                j.note(Level::Debug, &format!("{e}: uid/gid comparison across nodes skipped"));
                return Ok(());
            }
        };
        match judge_ids(&self.user.name, &cluster.node(), &own, &all, data_owner) {
            IdVerdict::Agree => Ok(()),
            IdVerdict::OthersDiffer(w) => {
                j.note(Level::Warn, &w);
                Ok(())
            }
            IdVerdict::ThisNodeDiffers(m) => Err(MqError::Node(m)),
        }
    }

    /// Adds the QueueManager stanza from the queue manager's own data under the default prefix,
    /// the MQ way (addmqinf).
    fn add_stanza(&self, data_path: Option<&Path>, deadline: Instant, j: &dyn Journal) -> Result<(), MqError> {
        let qm = self.name.as_str();
        let prefix =
            self.mqs_ini().ok().and_then(|i| i.default_prefix()).unwrap_or_else(|| self.inst.data_path.clone());
        let dir = self.name.directory();
        let data = data_path.map(Path::to_path_buf).unwrap_or_else(|| prefix.join("qmgrs").join(&dir));
        let qm_ini = storage::stat_soon_as(&data.join("qm.ini"), Some(&LookAs::user(&self.user)), deadline);
        if !qm_ini.found().is_some_and(|m| m.is_file()) {
            let hint = if data_path.is_some() {
                "mount its storage first"
            } else {
                "mount its storage first, or set data_path if crtmqm -md put it elsewhere"
            };
            // Where it looked comes first: Pacemaker keeps only the start of an exit reason.
            return Err(MqError::Node(format!(
                "add_mqs_ini: no qm.ini at {} for {qm} (not in {}); {hint}",
                data.display(),
                self.inst.mqs_ini().display()
            )));
        }
        let args = addmqinf_args(qm, &dir, &prefix, data_path);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        j.note(Level::Info, &format!("adding {qm} to {}: addmqinf {}", self.inst.mqs_ini().display(), argv.join(" ")));
        let o = self.run("addmqinf", &argv, None, deadline.min(Instant::now() + Duration::from_secs(15)))?;
        if o.rc != 0 || self.stanza().is_none() {
            return Err(MqError::Node(format!("addmqinf for {qm} exited {}: {}", o.rc, o.explaining_line())));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn published(rows: &[(&str, &str)]) -> Vec<(String, String)> {
        rows.iter().map(|(h, v)| (h.to_string(), v.to_string())).collect()
    }

    #[test]
    fn addmqinf_argv_with_and_without_data_path() {
        let plain = addmqinf_args("QM1", "QM1", Path::new("/var/mqm"), None);
        assert_eq!(plain, ["-s", "QueueManager", "-v", "Name=QM1", "-v", "Directory=QM1", "-v", "Prefix=/var/mqm"]);
        let shared = addmqinf_args("QM.A", "QM!A", Path::new("/var/mqm"), Some(Path::new("/MQHA/qmgrs/QM!A")));
        assert_eq!(
            shared,
            [
                "-s",
                "QueueManager",
                "-v",
                "Name=QM.A",
                "-v",
                "Directory=QM!A",
                "-v",
                "Prefix=/var/mqm",
                "-v",
                "DataPath=/MQHA/qmgrs/QM!A"
            ]
        );
    }

    /// The cluster's attributes in memory: what other nodes published, and what this node adds.
    struct Attributes {
        node: &'static str,
        values: std::cell::RefCell<Vec<(String, String)>>,
    }

    impl NodeAttributes for Attributes {
        fn node(&self) -> String {
            self.node.to_string()
        }
        fn publish(&self, _: &str, value: &str, _: Instant) -> Result<(), String> {
            self.values.borrow_mut().push((self.node.to_string(), value.to_string()));
            Ok(())
        }
        fn read_all(&self, _: &str, _: Instant) -> Result<Vec<(String, String)>, String> {
            Ok(self.values.borrow().clone())
        }
    }

    #[test]
    fn the_odd_node_refuses_and_publishes_its_ids() {
        let me = MqUser::lookup("root").unwrap();
        let inst = crate::installation::Installation { path: "/opt/mqm".into(), data_path: "/var/mqm".into() };
        let qm = QueueManager::new(crate::QmName::new("QM1").unwrap(), inst, me.clone());
        let own = format!("{}:{}", me.uid, me.gid);
        let others =
            vec![("node2".to_string(), "4001:4001".to_string()), ("node3".to_string(), "4001:4001".to_string())];
        let cluster = Attributes { node: "node1", values: std::cell::RefCell::new(others) };
        let d = Instant::now() + Duration::from_secs(5);
        let e = qm.check_cluster_ids(&cluster, None, d, &crate::qmgr::Silent).unwrap_err();
        assert!(matches!(e, MqError::Node(_)), "{e}");
        assert!(cluster.values.borrow().contains(&("node1".to_string(), own)));
        let alone = Attributes { node: "node1", values: Default::default() };
        assert!(qm.check_cluster_ids(&alone, None, d, &crate::qmgr::Silent).is_ok());
    }

    #[test]
    fn ids_all_equal_agree() {
        let all = published(&[("node1", "999:999"), ("node2", "999:999"), ("node3", "999:999")]);
        assert_eq!(judge_ids("mqm", "node1", "999:999", &all, Some("999:999")), IdVerdict::Agree);
        assert_eq!(judge_ids("mqm", "node1", "999:999", &all, None), IdVerdict::Agree);
        // Nobody else has published yet.
        assert_eq!(judge_ids("mqm", "node1", "999:999", &published(&[("node1", "999:999")]), None), IdVerdict::Agree);
    }

    #[test]
    fn ids_this_node_odd_refuses_naming_both_nodes_and_ids() {
        let all = published(&[("node1", "999:999"), ("node2", "1999:999"), ("node3", "999:999")]);
        for owner in [Some("999:999"), None] {
            let IdVerdict::ThisNodeDiffers(r) = judge_ids("mqm", "node2", "1999:999", &all, owner) else {
                panic!("node2 must refuse (owner {owner:?})")
            };
            assert!(r.contains("mqm is 1999:999 on node2") && r.contains("999:999 on node1"), "{r}");
            assert!(r.contains("same on every node"), "{r}");
        }
        let IdVerdict::ThisNodeDiffers(r) = judge_ids("mqm", "node2", "1999:999", &all, Some("999:999")) else {
            panic!()
        };
        assert!(r.contains("owner of the queue manager's data"), "{r}");
    }

    #[test]
    fn ids_other_node_odd_only_warns() {
        let all = published(&[("node1", "999:999"), ("node2", "1999:999"), ("node3", "999:999")]);
        for (me, owner) in [("node1", Some("999:999")), ("node3", None)] {
            let IdVerdict::OthersDiffer(w) = judge_ids("mqm", me, "999:999", &all, owner) else {
                panic!("{me} must keep working (owner {owner:?})")
            };
            assert!(
                w.contains(&format!("is 999:999 here on {me}")) && w.contains("differs on node2 (1999:999):"),
                "{w}"
            );
        }
    }

    #[test]
    fn ids_two_node_split_decided_by_the_data_owner() {
        let all = published(&[("node1", "999:999"), ("node2", "1999:999")]);
        assert!(matches!(judge_ids("mqm", "node1", "999:999", &all, Some("999:999")), IdVerdict::OthersDiffer(_)));
        let IdVerdict::ThisNodeDiffers(r) = judge_ids("mqm", "node2", "1999:999", &all, Some("999:999")) else {
            panic!()
        };
        assert!(r.contains("1999:999 on node2") && r.contains("999:999 on node1"), "{r}");
        // The owner matches no node's mq user (an alternate user in the mq group): no authority.
        let alt = published(&[("node1", "1002:999"), ("node2", "1002:999"), ("node3", "1003:999")]);
        assert!(matches!(judge_ids("mqadmin", "node1", "1002:999", &alt, Some("999:999")), IdVerdict::OthersDiffer(_)));
        assert!(matches!(
            judge_ids("mqadmin", "node3", "1003:999", &alt, Some("999:999")),
            IdVerdict::ThisNodeDiffers(_)
        ));
    }

    #[test]
    fn ids_without_owner_or_majority() {
        // Two nodes, no owner: each differs from every other, so each refuses.
        let two = published(&[("node1", "999:999"), ("node2", "1999:999")]);
        assert!(matches!(judge_ids("mqm", "node1", "999:999", &two, None), IdVerdict::ThisNodeDiffers(_)));
        assert!(matches!(judge_ids("mqm", "node2", "1999:999", &two, None), IdVerdict::ThisNodeDiffers(_)));
        // Four nodes split 2:1:1, no owner: the pair has no majority but is not alone: warns.
        let four = published(&[("n1", "1:1"), ("n2", "1:1"), ("n3", "2:2"), ("n4", "3:3")]);
        assert!(matches!(judge_ids("mqm", "n1", "1:1", &four, None), IdVerdict::OthersDiffer(_)));
        assert!(matches!(judge_ids("mqm", "n4", "3:3", &four, None), IdVerdict::ThisNodeDiffers(_)));
        // Empty values (a node that cleared its attribute) do not count.
        let blank = published(&[("node1", "999:999"), ("node2", "")]);
        assert_eq!(judge_ids("mqm", "node1", "999:999", &blank, None), IdVerdict::Agree);
    }

    #[test]
    fn mqconfig_fail_lines() {
        let out = "System V Semaphores\n  semmsl     (sem:1)  250 semaphores                     IBM>=32           PASS\n  nofile       (-Hn)  1024 files                         IBM>=10240        FAIL\n";
        assert_eq!(
            mqconfig_failures(out),
            vec!["nofile       (-Hn)  1024 files                         IBM>=10240        FAIL"]
        );
    }

    #[test]
    fn boot_units_found_by_name_or_instance() {
        let d = tempfile::tempdir().unwrap();
        let w = d.path().join("multi-user.target.wants");
        std::fs::create_dir(&w).unwrap();
        std::fs::write(w.join("mq@QM1.service"), "[Service]\nExecStart=/opt/mqm/bin/strmqm %I\n").unwrap();
        std::fs::write(w.join("qm2.service"), "[Service]\nExecStart=/opt/mqm/bin/strmqm QM2\n").unwrap();
        std::fs::write(w.join("other.service"), "[Service]\nExecStart=/opt/mqm/bin/strmqm QM10\n").unwrap();
        assert_eq!(boot_units(d.path(), "QM1").len(), 1);
        assert_eq!(boot_units(d.path(), "QM2").len(), 1);
        assert!(boot_units(d.path(), "QM3").is_empty());
    }

    #[test]
    fn ownership_rules() {
        let d = tempfile::tempdir().unwrap();
        let soon = || Instant::now() + Duration::from_secs(5);
        let root = MqUser::lookup("root").unwrap();
        assert!(owner_problem(d.path(), &root, 0, soon()).is_none());
        let missing = d.path().join("nope");
        assert!(owner_problem(&missing, &root, 0, soon()).unwrap().contains("nope"));
        let mut other = root.clone();
        other.uid = 4242;
        other.name = "someone".into();
        other.groups = vec![4242];
        other.gid = 4242;
        let p = owner_problem(d.path(), &other, 4242, soon()).unwrap();
        assert!(p.contains("someone") && p.contains("root"), "{p}");
    }
}
