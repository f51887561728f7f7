//! The identity the probe child takes before it loads the MQI: the mq user's uid, gid and group
//! list, resolved in the parent (NSS lookups are not safe in a child forked from a threaded
//! process), applied in the child with setgroups, setgid, setuid in that order.

use nix::unistd::{self, Gid, Uid, User};
use std::ffi::CString;

use super::error::MqiError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeIdentity {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups, as initgroups(name, gid) would set them.
    pub groups: Vec<u32>,
}

impl ProbeIdentity {
    /// Looks `name` up in the user database, with its group list.
    pub fn lookup(name: &str) -> Result<Self, MqiError> {
        let err = |detail: String| MqiError::Identity { user: name.to_string(), detail };
        let user = User::from_name(name)
            .map_err(|e| err(format!("user lookup failed: {e}")))?
            .ok_or_else(|| err("no such user".into()))?;
        let cname = CString::new(name).map_err(|_| err("name contains a NUL byte".into()))?;
        let groups =
            unistd::getgrouplist(&cname, user.gid).map_err(|e| err(format!("group list lookup failed: {e}")))?;
        Ok(ProbeIdentity {
            name: name.to_string(),
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
            groups: groups.into_iter().map(Gid::as_raw).collect(),
        })
    }

    /// Whoever this process runs as: no identity change in the child.
    pub fn current() -> Self {
        let uid = unistd::getuid();
        let name = User::from_uid(uid).ok().flatten().map(|u| u.name).unwrap_or_else(|| uid.to_string());
        ProbeIdentity {
            name,
            uid: uid.as_raw(),
            gid: unistd::getgid().as_raw(),
            groups: unistd::getgroups().unwrap_or_default().into_iter().map(Gid::as_raw).collect(),
        }
    }

    /// In the child: become this identity (real and effective), or say why not. Only syscalls.
    pub(crate) fn assume(&self) -> Result<(), String> {
        let (uid, gid) = (Uid::from_raw(self.uid), Gid::from_raw(self.gid));
        if unistd::getuid() == uid && unistd::geteuid() == uid && unistd::getgid() == gid {
            return Ok(()); // already this user: nothing to drop, and no privilege to do it
        }
        let groups: Vec<Gid> = self.groups.iter().map(|g| Gid::from_raw(*g)).collect();
        unistd::setgroups(&groups).map_err(|e| format!("setgroups: {e}"))?;
        unistd::setgid(gid).map_err(|e| format!("setgid({}): {e}", self.gid))?;
        unistd::setuid(uid).map_err(|e| format!("setuid({}): {e}", self.uid))?;
        // MQ may check the real or the effective id (docs/reference/mqi.md#user-identity): both must be the mq user's.
        if unistd::getuid() != uid || unistd::geteuid() != uid || unistd::getegid() != gid {
            return Err("the real and effective ids did not both change".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_user_is_named() {
        let e = ProbeIdentity::lookup("no-such-user-mqha").unwrap_err();
        assert!(e.to_string().contains("no-such-user-mqha") && e.to_string().contains("no such user"), "{e}");
    }

    #[test]
    fn root_lookup_has_its_group() {
        let r = ProbeIdentity::lookup("root").unwrap();
        assert_eq!((r.uid, r.gid), (0, 0));
        assert!(r.groups.contains(&0));
    }
}
