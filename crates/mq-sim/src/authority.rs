//! Who may run the administrative commands: the mq user and members of the mq group, root
//! included only when it is in the group (docs/reference/mq-processes-and-files.md#mq-group-authority).
//! The programs run as the mq user because they are installed set-user-id and set-group-id mq
//! user (install.rs; #setuid-programs), not because they change identity themselves.

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
    mq_ids_of(&inst.user, &inst.group)
}

/// The ids of user `user` with group `group`.
pub fn mq_ids_of(user: &str, group: &str) -> Result<MqIds, AuthorityError> {
    let u = User::from_name(user).ok().flatten().ok_or_else(|| AuthorityError::NoUser(user.to_string()))?;
    let g = Group::from_name(group).ok().flatten().ok_or_else(|| AuthorityError::NoGroup(group.to_string()))?;
    let cname = std::ffi::CString::new(user).unwrap_or_default();
    let mut groups = nix::unistd::getgrouplist(&cname, g.gid).unwrap_or_else(|_| vec![g.gid]);
    if !groups.contains(&g.gid) {
        groups.push(g.gid);
    }
    Ok(MqIds { uid: u.uid, gid: g.gid, groups })
}

/// Whether the calling user may administer this installation's queue managers: the REAL user is
/// the mq user, or the mq group is its real group or one of its supplementary groups. Root is no
/// exception (docs/reference/mq-processes-and-files.md#mq-group-authority: "this includes the root
/// user"). The effective ids do not count: every control command is set-user-id and set-group-id
/// mq user (install.rs), so they are the mq user's for every caller.
pub fn caller_is_mq_admin(inst: &Installation) -> bool {
    let Ok(ids) = mq_ids(inst) else { return false };
    if Uid::current() == ids.uid || Gid::current() == ids.gid {
        return true;
    }
    nix::unistd::getgroups().unwrap_or_default().contains(&ids.gid)
}

/// The control commands that refuse a caller outside the mq group with AMQ7077E (rc 119): every
/// program of ROOT/opt/mqm/bin that a user runs, except `mqconfig` (IBM's own example runs it as
/// root; it is not a queue-manager command). IBM names only crtmqcvx and dspmqtrc (neither
/// simulated) as usable outside the group; that display commands (dspmq, dspmqver, dspmqinf,
/// dspmqcsv) refuse too is the stricter reading, UNCONFIRMED (README).
pub const ADMIN_COMMANDS: &[&str] = &[
    "crtmqm", "dltmqm", "strmqm", "endmqm", "dspmq", "dspmqver", "dspmqinf", "addmqinf", "rmvmqinf", "runmqsc",
    "runmqlsr", "endmqlsr", "strmqcsv", "endmqcsv", "dspmqcsv", "runmqchi", "runmqtrm", "amqiclen", "dmpmqmsg",
    "setmqm",
];

/// The return code of the refusal: strmqm's 119 ("user not authorized"); the same for every
/// command is UNCONFIRMED.
pub const NOT_AUTHORIZED_RC: i32 = 119;

/// Prints AMQ7077E and returns false when the caller is not an administrator.
pub fn require_admin(inst: &Installation) -> bool {
    if caller_is_mq_admin(inst) {
        true
    } else {
        crate::mqprintln!("{}", crate::messages::AMQ7077);
        false
    }
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
