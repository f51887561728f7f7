//! The identity the probe child takes before it loads the MQI: the mq user's (or the client
//! check's user's) uid, gid, group list and home, resolved in the parent before the fork (NSS
//! lookups are not safe in a child forked from a threaded process) and within the action's
//! deadline (in a forked child of their own, `user.rs`, abandoned at the deadline: NSS may ask
//! LDAP or SSSD, which can hang); applied in the child with setgroups, setgid, setuid in that order.

use nix::unistd::{self, Gid, Uid};
use std::path::PathBuf;
use std::time::Instant;

use super::error::MqiError;
use crate::user::{MqUser, LOOKUP_TIMEOUT};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeIdentity {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups, as initgroups(name, gid) would set them.
    pub groups: Vec<u32>,
    /// The user's home directory (HOME of the probe).
    pub home: PathBuf,
}

impl From<&MqUser> for ProbeIdentity {
    fn from(u: &MqUser) -> Self {
        ProbeIdentity { name: u.name.clone(), uid: u.uid, gid: u.gid, groups: u.groups.clone(), home: u.home.clone() }
    }
}

impl ProbeIdentity {
    /// Looks `name` up in the user database, with its group list, within LOOKUP_TIMEOUT.
    pub fn lookup(name: &str) -> Result<Self, MqiError> {
        ProbeIdentity::lookup_within(name, Instant::now() + LOOKUP_TIMEOUT)
    }

    /// Looks `name` up within `deadline`: the lookup runs in a forked child that is abandoned
    /// when the deadline passes (a hung LDAP or SSSD then costs the deadline, not the action).
    pub fn lookup_within(name: &str, deadline: Instant) -> Result<Self, MqiError> {
        MqUser::lookup_within(name, deadline)
            .map(|u| ProbeIdentity::from(&u))
            .map_err(|e| MqiError::Identity { user: name.to_string(), detail: e.to_string() })
    }

    /// Whoever this process runs as: no identity change in the child. The name and home come
    /// from a bounded lookup; without an answer the uid stands for the name and / for home.
    pub fn current() -> Self {
        let uid = unistd::getuid();
        let deadline = Instant::now() + LOOKUP_TIMEOUT;
        let known = crate::user::name_of_uid(uid.as_raw(), deadline)
            .ok()
            .flatten()
            .and_then(|n| MqUser::lookup_within(&n, deadline).ok());
        ProbeIdentity {
            name: known.as_ref().map(|u| u.name.clone()).unwrap_or_else(|| uid.to_string()),
            uid: uid.as_raw(),
            gid: unistd::getgid().as_raw(),
            groups: unistd::getgroups().unwrap_or_default().into_iter().map(Gid::as_raw).collect(),
            home: known.map(|u| u.home).unwrap_or_else(|| PathBuf::from("/")),
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
        assert!(e.to_string().contains("no-such-user-mqha") && e.to_string().contains("does not exist"), "{e}");
    }

    #[test]
    fn the_lookup_keeps_the_deadline() {
        // The lookup runs in a child abandoned at the deadline: a deadline already passed gives
        // a timeout naming the user, never a wait for the user database.
        let t0 = Instant::now();
        // (A user no other test of this process looks up: answers are cached for the run.)
        let e = ProbeIdentity::lookup_within("daemon", t0).unwrap_err();
        assert!(t0.elapsed() < std::time::Duration::from_secs(2), "{:?}", t0.elapsed());
        assert!(e.to_string().contains("daemon") && e.to_string().contains("timed out"), "{e}");
        // A timed-out lookup is remembered for the run (user.rs), so the answer in time is
        // another user's: its home comes with it.
        let r = ProbeIdentity::lookup_within("nobody", Instant::now() + std::time::Duration::from_secs(5)).unwrap();
        assert_eq!(r.home, nix::unistd::User::from_name("nobody").unwrap().unwrap().dir);
    }

    #[test]
    fn root_lookup_has_its_group() {
        let r = ProbeIdentity::lookup("root").unwrap();
        assert_eq!((r.uid, r.gid), (0, 0));
        assert!(r.groups.contains(&0));
    }
}
