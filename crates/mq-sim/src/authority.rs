//! Who may run the administrative commands (members of the mq group and the mq user, as in
//! docs/reference/mq-processes-and-files.md#mq-group-authority; root too here, although real MQ
//! refuses root outside the group), and running a program as the installation's mq user, as MQ's
//! setuid programs do.

use crate::paths::Installation;
use nix::unistd::{Gid, Group, Uid, User};

#[derive(Debug, thiserror::Error)]
pub enum AuthorityError {
    #[error("user '{0}' of this installation does not exist (run tests/setup.sh)")]
    NoUser(String),
    #[error("group '{0}' of this installation does not exist (run tests/setup.sh)")]
    NoGroup(String),
}

/// The mq user's ids and its supplementary groups.
#[derive(Debug, Clone)]
pub struct MqIds {
    pub uid: Uid,
    pub gid: Gid,
    pub groups: Vec<Gid>,
}

pub fn mq_ids(inst: &Installation) -> Result<MqIds, AuthorityError> {
    let u = User::from_name(&inst.user).ok().flatten().ok_or_else(|| AuthorityError::NoUser(inst.user.clone()))?;
    let g = Group::from_name(&inst.group).ok().flatten().ok_or_else(|| AuthorityError::NoGroup(inst.group.clone()))?;
    let cname = std::ffi::CString::new(inst.user.clone()).unwrap_or_default();
    let mut groups = nix::unistd::getgrouplist(&cname, g.gid).unwrap_or_else(|_| vec![g.gid]);
    if !groups.contains(&g.gid) {
        groups.push(g.gid);
    }
    Ok(MqIds { uid: u.uid, gid: g.gid, groups })
}

/// Whether the calling user may administer this installation's queue managers.
pub fn caller_is_mq_admin(inst: &Installation) -> bool {
    let uid = Uid::current();
    if uid.is_root() {
        return true;
    }
    let Ok(ids) = mq_ids(inst) else { return false };
    if uid == ids.uid {
        return true;
    }
    let mine = nix::unistd::getgroups().unwrap_or_default();
    Gid::current() == ids.gid || Gid::effective() == ids.gid || mine.contains(&ids.gid)
}

/// Prints AMQ7077E and returns false when the caller is not an administrator.
pub fn require_admin(inst: &Installation) -> bool {
    if caller_is_mq_admin(inst) {
        true
    } else {
        crate::mqprintln!("{}", crate::messages::AMQ7077);
        false
    }
}

/// Makes `cmd` run as the mq user when we are root (a non-root admin keeps its own ids: the
/// simulator's programs are not setuid).
pub fn run_as_mq_user(cmd: &mut std::process::Command, inst: &Installation) -> Result<(), AuthorityError> {
    use std::os::unix::process::CommandExt;
    if !Uid::effective().is_root() {
        return Ok(());
    }
    let ids = mq_ids(inst)?;
    let groups: Vec<libc::gid_t> = ids.groups.iter().map(|g| g.as_raw()).collect();
    let home = User::from_uid(ids.uid).ok().flatten().map(|u| u.dir).unwrap_or_default();
    cmd.env("USER", &inst.user).env("LOGNAME", &inst.user).env("HOME", home);
    let (uid, gid) = (ids.uid.as_raw(), ids.gid.as_raw());
    unsafe {
        // All three here, in this order: std runs pre_exec after its own setuid, too late for setgroups.
        cmd.pre_exec(move || {
            if libc::setgroups(groups.len(), groups.as_ptr()) != 0 || libc::setgid(gid) != 0 || libc::setuid(uid) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Ok(())
}

/// Changes the owner of `path` (recursively) to the mq user and group.
pub fn chown_tree(path: &std::path::Path, ids: &MqIds) -> std::io::Result<()> {
    std::os::unix::fs::lchown(path, Some(ids.uid.as_raw()), Some(ids.gid.as_raw()))?;
    if path.is_dir() && !path.is_symlink() {
        for e in std::fs::read_dir(path)? {
            chown_tree(&e?.path(), ids)?;
        }
    }
    Ok(())
}
