//! Where a queue manager's parts run on this node: its installation and the mq user, resolved in
//! one place for every component (queue manager, listener, trigger monitor, multi-instance role).
//! Nothing here can hang: shared storage is looked at only through `storage::stat_soon`.

use std::path::{Path, PathBuf};

use crate::deadline::Deadline;
use crate::error::MqError;
use crate::exec::Runner;
use crate::ini::IniFile;
use crate::installation::{self, Installation};
use crate::name::QmName;
use crate::procs;
use crate::qmgr::{Journal, Level, QueueManager};
use crate::storage::{self, Look};
use crate::user::{self, MqUser};

/// The mq user when neither the resource nor the queue manager's data says otherwise.
pub const DEFAULT_MQ_USER: &str = "mqm";

/// What the resource says about placement; `None` means "find it on this node".
#[derive(Debug, Clone, Default)]
pub struct Wanted<'a> {
    pub mq_user: Option<&'a str>,
    pub mq_installation: Option<&'a Path>,
    /// The data directory when `crtmqm -md` put it outside the data path.
    pub data_path: Option<&'a Path>,
}

impl Wanted<'_> {
    /// The installation the resource names, else the one `qm`'s stanza names, else the primary
    /// one, else /opt/mqm, with no error: where to look for `qm`'s processes when the placement
    /// cannot be resolved, and which installation a listener's or trigger monitor's processes
    /// must belong to. The data path (where mqs.ini is) comes from the cache, else from one
    /// `dspmqver` within a quarter of the time left (a fresh node has no cache).
    pub fn installation_path(&self, qm: &QmName, deadline: Deadline) -> PathBuf {
        if let Some(p) = self.mq_installation {
            return p.to_path_buf();
        }
        let mqinst = Path::new(installation::MQINST_INI);
        let link = Path::new(installation::PRIMARY_LINK);
        let mut data_path = |c: &Path| {
            installation::cached_data_path(c)
                .or_else(|| Installation::open(c, deadline.child(0.25).instant()).ok().map(|i| i.data_path))
        };
        installation::choose(qm.as_str(), mqinst, link, &mut data_path)
            .map(|c| c.path)
            .unwrap_or_else(|_| PathBuf::from(installation::DEFAULT_INSTALLATION))
    }
}

/// Why a placement cannot be resolved; each agent maps the kind to its exit code.
#[derive(Debug, thiserror::Error)]
pub enum PlacementError {
    /// The installation is missing or broken (`named`: the resource chose it).
    #[error("{}={}: {source}", if *.named { "mq_installation" } else { "installation" }, .path.display())]
    Installation {
        path: PathBuf,
        named: bool,
        #[source]
        source: MqError,
    },
    /// The user the resource names does not exist here.
    #[error("mq_user='{name}': {source}")]
    NamedUser {
        name: String,
        #[source]
        source: MqError,
    },
    /// The queue manager's data is owned by a uid that is no user on this node.
    #[error("{0}")]
    DataOwner(String),
    /// The user derived from this node's facts is root or outside the mq group: this node is not
    /// set up (or someone else's process or directory stands in the way).
    #[error("{0}")]
    NotMqUser(String),
    /// The derived user could not be looked up.
    #[error(transparent)]
    User(MqError),
    /// A program the component needs is not in the installation.
    #[error("{program} is missing from the installation at {}", .path.display())]
    Missing { program: String, path: PathBuf },
    /// The resource names an installation the queue manager is not associated with: its commands
    /// would refuse the queue manager (AMQ5691E, docs/reference/mq-commands.md#wrong-installation).
    #[error(
        "mq_installation={} is {named}, but {qm} is associated with {associated} (InstallationName in mqs.ini); set mq_installation= to {associated}'s path, or move {qm} with setmqm",
        .path.display()
    )]
    WrongInstallation { qm: String, path: PathBuf, named: String, associated: String },
}

/// The installation and mq user one queue manager's components run with on this node.
#[derive(Debug, Clone)]
pub struct Placement {
    pub installation: Installation,
    pub user: MqUser,
}

/// The share of an action's time left that dspmqver may take: the user's lookup and the action
/// itself keep the rest, and a short action's deadline is never overrun.
const DSPMQVER_SHARE: f64 = 0.5;

impl Placement {
    /// The installation the resource names (refused when the queue manager's stanza names
    /// another), else the one the stanza names (InstallationName, through the registry), else the
    /// primary one, else /opt/mqm; the mq user the resource names, else the user the queue
    /// manager's execution controller (of that installation) runs as, else the owner of its data
    /// directory, else mqm.
    pub fn resolve(
        qm: &QmName,
        want: &Wanted,
        deadline: Deadline,
        j: &dyn Journal,
    ) -> Result<Placement, PlacementError> {
        let named = want.mq_installation.is_some();
        let path = match want.mq_installation {
            Some(p) => p.to_path_buf(),
            None => {
                let mqinst = Path::new(installation::MQINST_INI);
                let link = Path::new(installation::PRIMARY_LINK);
                // The installations share one data path: the first one that answers tells where mqs.ini is.
                let mut data_path = |c: &Path| {
                    Installation::open(c, deadline.child(DSPMQVER_SHARE).instant()).ok().map(|i| i.data_path)
                };
                let choice = installation::choose(qm.as_str(), mqinst, link, &mut data_path).map_err(|source| {
                    PlacementError::Installation { path: mqinst.to_path_buf(), named: false, source }
                })?;
                j.note(Level::Debug, &format!("installation {} ({})", choice.path.display(), choice.why));
                choice.path
            }
        };
        let inst = Installation::open(&path, deadline.child(DSPMQVER_SHARE).instant())
            .map_err(|source| PlacementError::Installation { path: path.clone(), named, source })?;
        if named {
            check_association(qm, &inst, j)?;
        }
        let user = resolve_user(qm, want, &inst, deadline, j)?;
        Ok(Placement { installation: inst, user })
    }

    /// Fails unless the installation has `program`.
    pub fn require(&self, program: &str) -> Result<(), PlacementError> {
        if self.installation.has(program) {
            return Ok(());
        }
        Err(PlacementError::Missing { program: program.to_string(), path: self.installation.path.clone() })
    }

    /// Runs the installation's commands as the mq user.
    pub fn runner(&self) -> Runner {
        Runner::new(&self.installation.path.join("bin"), Some(self.user.identity()))
    }

    /// Queue manager `qm` as placed here (its commands, runmqsc).
    pub fn queue_manager(&self, qm: &QmName) -> QueueManager {
        QueueManager::new(qm.clone(), self.installation.clone(), self.user.clone())
    }
}

/// The installation the resource names must be the one the queue manager's stanza names, when
/// the registry says which installation that is (names compared as MQ does, ignoring case).
fn check_association(qm: &QmName, inst: &Installation, j: &dyn Journal) -> Result<(), PlacementError> {
    let associated = IniFile::read(&inst.mqs_ini()).ok().and_then(|i| i.queue_manager(qm.as_str())?.installation);
    let Some(associated) = associated else { return Ok(()) };
    let registry = match installation::read_registry(Path::new(installation::MQINST_INI)) {
        Ok(r) => r.unwrap_or_default(),
        Err(e) => {
            j.note(Level::Warn, &format!("{e}; not checking that {qm} belongs to {}", inst.path.display()));
            return Ok(());
        }
    };
    match installation::name_of(&inst.path, &registry) {
        Some(name) if !name.eq_ignore_ascii_case(&associated) => Err(PlacementError::WrongInstallation {
            qm: qm.to_string(),
            path: inst.path.clone(),
            named: name,
            associated,
        }),
        _ => Ok(()),
    }
}

fn resolve_user(
    qm: &QmName,
    want: &Wanted,
    inst: &Installation,
    deadline: Deadline,
    j: &dyn Journal,
) -> Result<MqUser, PlacementError> {
    if let Some(name) = want.mq_user {
        let u = MqUser::lookup_within(name, deadline.instant())
            .map_err(|source| PlacementError::NamedUser { name: name.to_string(), source })?;
        if u.uid == 0 {
            let source = MqError::Config("uid 0: no program of MQ runs as root".into());
            return Err(PlacementError::NamedUser { name: name.to_string(), source });
        }
        return Ok(u);
    }
    // While it runs, /proc says who it runs as (the effective uid: MQ's programs are setuid,
    // docs/reference/mq-processes-and-files.md#setuid-programs). Found by name, -m and exe alone,
    // then judged: a look-alike another user runs is passed over, so it can neither become the mq
    // user nor block a start.
    // A /proc that does not answer in time leaves the data directory's owner to judge.
    let found = procs::family_of(qm.as_str(), Some(&inst.path), procs::Owner::Any, deadline.child(0.25).instant())
        .unwrap_or_else(|e| {
            j.note(Level::Warn, &format!("{e}; deriving the mq user from the data directory"));
            vec![]
        });
    for p in found {
        if p.name != procs::EXECUTION_CONTROLLER {
            continue;
        }
        match derived_user(qm, p.uid, &format!("its execution controller (pid {})", p.pid)) {
            Ok(u) => return Ok(u),
            Err(e) => j.note(Level::Warn, &format!("{e}; passed over")),
        }
    }
    match data_dir_owner(qm, want, inst, deadline, j) {
        Some((dir, uid, gid)) => match user::name_of_uid(uid, deadline.instant()) {
            Ok(Some(_)) => derived_user(qm, uid, &format!("the owner of {}", dir.display())),
            Err(e) => Err(PlacementError::User(e)),
            // The data's owner is no user here: say so, not "user '999' does not exist".
            Ok(None) => Err(PlacementError::DataOwner(user::unknown_owner_reason(
                qm.as_str(),
                &dir,
                uid,
                gid,
                MqUser::lookup(DEFAULT_MQ_USER).ok().as_ref(),
            ))),
        },
        None => MqUser::lookup_within(DEFAULT_MQ_USER, deadline.instant()).map_err(PlacementError::User),
    }
}

/// The mq user derived from `uid` (what `source` runs as or is owned by): only a user of the mq
/// group that is not root, since every MQ command and the MQI library then run as that user.
fn derived_user(qm: &QmName, uid: u32, source: &str) -> Result<MqUser, PlacementError> {
    if user::in_mq_group(uid) {
        return MqUser::lookup(&user::user_name(uid)).map_err(PlacementError::User);
    }
    let why = if uid == 0 { "is root".to_string() } else { format!("is not in group {}", user::MQ_GROUP) };
    // What to set comes before the path: crm_mon shows only the first 127 characters.
    Err(PlacementError::NotMqUser(format!(
        "{qm}: derived mq user uid {uid} ({}) {why}; set mq_user= to the mq user; uid of {source}",
        user::user_name(uid)
    )))
}

/// The owner of the queue manager's data directory (the stanza's, else the `data_path` the
/// resource names), when it answers before the deadline.
fn data_dir_owner(
    qm: &QmName,
    want: &Wanted,
    inst: &Installation,
    deadline: Deadline,
    j: &dyn Journal,
) -> Option<(PathBuf, u32, u32)> {
    let ini = IniFile::read(&inst.mqs_ini()).ok();
    let dir = match ini.as_ref().and_then(|i| Some((i, i.queue_manager(qm.as_str())?))) {
        Some((ini, st)) => {
            st.data_dir(&ini.default_prefix().unwrap_or_else(|| inst.data_path.clone()), &qm.directory())
        }
        None => want.data_path?.to_path_buf(),
    };
    match storage::stat_soon(&dir, deadline.instant()) {
        Look::Found(m) => Some((dir, m.uid, m.gid)),
        Look::Hung(d) => {
            j.note(
                Level::Warn,
                &format!("{} does not answer (shared storage hung?); assuming mq user {DEFAULT_MQ_USER}", d.display()),
            );
            None
        }
        Look::Missing(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn a_hanging_dspmqver_stays_within_the_action_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let inst = dir.path().join("opt/mqm");
        std::fs::create_dir_all(inst.join("bin")).unwrap();
        std::fs::write(inst.join("bin/dspmq"), "").unwrap();
        let script = inst.join("bin/dspmqver");
        std::fs::write(&script, "#!/bin/sh\nexec sleep 30\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let qm = QmName::new("QM1").unwrap();
        let want = Wanted { mq_installation: Some(&inst), ..Wanted::default() };
        let t = Instant::now();
        let r = Placement::resolve(&qm, &want, Deadline::after(Duration::from_secs(2)), &crate::qmgr::Silent);
        assert!(matches!(r, Err(PlacementError::Installation { named: true, .. })), "{r:?}");
        assert!(t.elapsed() < Duration::from_millis(1800), "dspmqver took {:?} of a 2 s deadline", t.elapsed());
    }
}
