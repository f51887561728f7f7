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
        Identity { name: self.name.clone(), uid: self.uid, gid: self.gid, groups: self.groups.clone(), home: self.home.clone() }
    }

    pub fn is_member_of(&self, gid: u32) -> bool {
        self.gid == gid || self.groups.contains(&gid)
    }
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
}
