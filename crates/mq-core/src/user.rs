//! The mq user and group: lookup, group membership, and the identity commands run under.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::unistd::{Gid, Group, Uid, User};

use crate::error::MqError;
use crate::exec::Identity;

/// The user MQ's processes run as, with the group that administers MQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: PathBuf,
    /// Supplementary groups as initgroups would set them (primary group included).
    pub groups: Vec<u32>,
}

impl MqUser {
    /// Looks the user up in this node's user database.
    pub fn lookup(name: &str) -> Result<MqUser, MqError> {
        let u = User::from_name(name)
            .map_err(|e| MqError::Node(format!("cannot look up user '{name}': {e}")))?
            .ok_or_else(|| MqError::Node(format!("mq user '{name}' does not exist on this node")))?;
        let cname = std::ffi::CString::new(name).map_err(|_| MqError::Config(format!("bad user name '{name}'")))?;
        let groups = nix::unistd::getgrouplist(&cname, u.gid)
            .map_err(|e| MqError::Node(format!("cannot list the groups of user '{name}': {e}")))?
            .into_iter()
            .map(Gid::as_raw)
            .collect();
        Ok(MqUser { name: u.name, uid: u.uid.as_raw(), gid: u.gid.as_raw(), home: u.dir, groups })
    }

    pub fn identity(&self) -> Identity {
        Identity {
            name: self.name.clone(),
            uid: self.uid,
            gid: self.gid,
            groups: self.groups.clone(),
            home: self.home.clone(),
        }
    }

    pub fn is_member_of(&self, gid: u32) -> bool {
        self.gid == gid || self.groups.contains(&gid)
    }
}

/// The group MQ's users belong to (docs/reference/mq-processes-and-files.md#mq-group-authority).
pub const MQ_GROUP: &str = "mqm";

/// Whether `uid` is a user of this node in the mq group and not root: whom a process of the
/// queue manager may run as, and whom the mq user may be derived as.
pub fn in_mq_group(uid: u32) -> bool {
    if uid == 0 {
        return false;
    }
    // Asked for every candidate process of every scan of a stop's loop: one lookup per uid and
    // agent run (an action is short; membership does not change under it).
    static SEEN: std::sync::Mutex<Vec<(u32, bool)>> = std::sync::Mutex::new(Vec::new());
    let known = SEEN.lock().ok().and_then(|s| s.iter().find(|(u, _)| *u == uid).map(|(_, m)| *m));
    if let Some(member) = known {
        return member;
    }
    let member = (|| {
        let gid = group_gid(MQ_GROUP).ok()?;
        let u = User::from_uid(Uid::from_raw(uid)).ok()??;
        MqUser::lookup(&u.name).ok().map(|u| u.uid != 0 && u.is_member_of(gid))
    })()
    .unwrap_or(false);
    if let Ok(mut s) = SEEN.lock() {
        s.push((uid, member));
    }
    member
}

/// A group looked up by name: its gid.
pub fn group_gid(name: &str) -> Result<u32, MqError> {
    Group::from_name(name)
        .map_err(|e| MqError::Node(format!("cannot look up group '{name}': {e}")))?
        .map(|g| g.gid.as_raw())
        .ok_or_else(|| MqError::Node(format!("group '{name}' does not exist on this node")))
}

pub fn group_name(gid: u32) -> String {
    Group::from_gid(Gid::from_raw(gid)).ok().flatten().map(|g| g.name).unwrap_or_else(|| gid.to_string())
}

pub fn user_name(uid: u32) -> String {
    User::from_uid(Uid::from_raw(uid)).ok().flatten().map(|u| u.name).unwrap_or_else(|| uid.to_string())
}

/// The reason given when the queue manager's data directory is owned by a uid that is no user
/// on this node (so no default mq user can be derived from it): what was found, the local mqm
/// user's uid when one exists (the usual cause: it differs from the other nodes'), and what to
/// do; the directory last, as crm_mon keeps only the first 127 characters.
pub fn unknown_owner_reason(qm: &str, dir: &Path, uid: u32, gid: u32, mqm: Option<&MqUser>) -> String {
    let local = match mqm {
        Some(u) => format!("{} here has uid {}", u.name, u.uid),
        None => "and no user mqm here".to_string(),
    };
    format!(
        "{qm} data dir owned by uid {uid}, no user on this node ({local}); make the mq user's uid:gid the same on all nodes (or set mq_user); {}, gid {gid}",
        dir.display()
    )
}

/// Owner (uid, gid) of a path, symlinks followed.
pub fn owner(path: &Path) -> std::io::Result<(u32, u32)> {
    let m = std::fs::metadata(path)?;
    Ok((m.uid(), m.gid()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_exists_and_unknown_user_is_named() {
        let r = MqUser::lookup("root").unwrap();
        assert_eq!(r.uid, 0);
        assert!(r.is_member_of(0));
        let e = MqUser::lookup("no-such-user-mqha").unwrap_err();
        assert!(e.to_string().contains("'no-such-user-mqha'"), "{e}");
        assert!(group_gid("no-such-group-mqha").is_err());
    }

    #[test]
    fn the_mq_group_never_holds_root() {
        assert!(!in_mq_group(0));
        assert!(!in_mq_group(4_242_424));
        if let (Ok(m), Ok(gid)) = (MqUser::lookup("mqm"), group_gid(MQ_GROUP)) {
            assert_eq!(in_mq_group(m.uid), m.is_member_of(gid));
            assert_eq!(in_mq_group(m.uid), m.is_member_of(gid), "the cached answer");
        }
    }

    #[test]
    fn unknown_owner_names_uid_local_user_and_remedy() {
        let mqm = MqUser { name: "mqm".into(), uid: 1999, gid: 999, home: "/var/mqm".into(), groups: vec![999] };
        let r = unknown_owner_reason("QM1", Path::new("/MQHA/qmgrs/QM1"), 999, 999, Some(&mqm));
        let shown: String = r.chars().take(127).collect();
        assert!(
            shown.starts_with("QM1 data dir owned by uid 999, no user on this node (mqm here has uid 1999)"),
            "{r}"
        );
        assert!(shown.contains("same on all nodes"), "{r}");
        assert!(r.ends_with("/MQHA/qmgrs/QM1, gid 999") && !r.contains("'999'"), "{r}");
        let r = unknown_owner_reason("QM1", Path::new("/d"), 999, 999, None);
        assert!(r.contains("no user mqm here"), "{r}");
    }
}
