//! The mq user and group: lookup, group membership, and the identity commands run under.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::unistd::{Gid, Group, Uid, User};

use crate::error::MqError;
use crate::exec::Identity;
use crate::storage::ChildFailed;

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
    /// Looks the user up in this node's user database, within LOOKUP_TIMEOUT.
    pub fn lookup(name: &str) -> Result<MqUser, MqError> {
        MqUser::lookup_within(name, Instant::now() + LOOKUP_TIMEOUT)
    }

    /// Looks the user up within `deadline` (or LOOKUP_TIMEOUT, whichever comes first).
    pub fn lookup_within(name: &str, deadline: Instant) -> Result<MqUser, MqError> {
        let cname = std::ffi::CString::new(name).map_err(|_| MqError::Config(format!("bad user name '{name}'")))?;
        let raw = nss(&format!("user '{name}'"), deadline, || {
            let u = User::from_name(name)
                .map_err(|e| format!("cannot look up user '{name}': {e}"))?
                .ok_or_else(|| format!("user '{name}' does not exist on this node"))?;
            let groups = nix::unistd::getgrouplist(&cname, u.gid)
                .map_err(|e| format!("cannot list the groups of user '{name}': {e}"))?;
            let mut out = Vec::new();
            for field in [u.name.into_bytes(), u.uid.to_string().into_bytes(), u.gid.to_string().into_bytes()] {
                out.extend_from_slice(&field);
                out.push(0);
            }
            out.extend_from_slice(u.dir.as_os_str().as_bytes());
            for g in groups {
                out.push(0);
                out.extend_from_slice(g.to_string().as_bytes());
            }
            Ok(out)
        })?;
        let bad = || MqError::Node(format!("garbled answer from the lookup of user '{name}'"));
        let mut f = raw.split(|b| *b == 0);
        let mut text = || f.next().map(|b| String::from_utf8_lossy(b).into_owned()).ok_or_else(bad);
        let uname = text()?;
        let uid = text()?.parse().map_err(|_| bad())?;
        let gid = text()?.parse().map_err(|_| bad())?;
        let home = PathBuf::from(text()?);
        let groups = f.map(|g| String::from_utf8_lossy(g).parse().map_err(|_| bad())).collect::<Result<_, _>>()?;
        Ok(MqUser { name: uname, uid, gid, home, groups })
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

/// How long one user or group lookup may take: NSS may ask LDAP or SSSD, which can hang.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `lookup` in a forked child abandoned at `deadline` (at most LOOKUP_TIMEOUT from now): a
/// thread stuck in an NSS module would keep the agent from exiting. The child allocates: the
/// agent forks it while single-threaded, and glibc keeps malloc usable across fork (fork(2)).
fn nss(what: &str, deadline: Instant, lookup: impl FnOnce() -> Result<Vec<u8>, String>) -> Result<Vec<u8>, MqError> {
    nss_in_child(what, deadline.min(Instant::now() + LOOKUP_TIMEOUT), lookup)
}

fn nss_in_child(
    what: &str,
    deadline: Instant,
    lookup: impl FnOnce() -> Result<Vec<u8>, String>,
) -> Result<Vec<u8>, MqError> {
    let got = crate::storage::in_child(None, 1 << 20, deadline, |wr| {
        let (tag, body) = match lookup() {
            Ok(b) => (b'+', b),
            Err(e) => (b'-', e.into_bytes()),
        };
        let mut out = Vec::with_capacity(body.len() + 1);
        out.push(tag);
        out.extend_from_slice(&body);
        crate::storage::write_all(wr, &out);
    });
    match got {
        Ok(b) if b.first() == Some(&b'+') => Ok(b[1..].to_vec()),
        Ok(b) if b.first() == Some(&b'-') => Err(MqError::Node(String::from_utf8_lossy(&b[1..]).into_owned())),
        Ok(_) => Err(MqError::Node(format!("the lookup of {what} gave no answer"))),
        Err(ChildFailed::Hung) => Err(MqError::Node(format!(
            "the lookup of {what} timed out (the user database, e.g. LDAP or SSSD, does not answer)"
        ))),
        Err(ChildFailed::Other(e)) => Err(MqError::Node(format!("cannot look up {what}: {e}"))),
    }
}

/// Whether `uid` is a user of this node in the mq group and not root: whom a process of the
/// queue manager may run as, and whom the mq user may be derived as. A lookup that times out
/// counts as not a member, and is remembered so a stop's scans do not each wait for it again.
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
    // One child for the three lookups: one wait at most per uid.
    let member = nss(&format!("uid {uid} in group '{MQ_GROUP}'"), Instant::now() + LOOKUP_TIMEOUT, || {
        let yes = (|| {
            let gid = Group::from_name(MQ_GROUP).ok()??.gid;
            let u = User::from_uid(Uid::from_raw(uid)).ok()??;
            let cname = std::ffi::CString::new(u.name).ok()?;
            let groups = nix::unistd::getgrouplist(&cname, u.gid).ok()?;
            Some(!u.uid.is_root() && (u.gid == gid || groups.contains(&gid)))
        })()
        .unwrap_or(false);
        Ok(vec![yes as u8])
    })
    .is_ok_and(|b| b == [1]);
    if let Ok(mut s) = SEEN.lock() {
        s.push((uid, member));
    }
    member
}

/// A group looked up by name: its gid.
pub fn group_gid(name: &str) -> Result<u32, MqError> {
    let raw = nss(&format!("group '{name}'"), Instant::now() + LOOKUP_TIMEOUT, || {
        Group::from_name(name)
            .map_err(|e| format!("cannot look up group '{name}': {e}"))?
            .map(|g| g.gid.as_raw().to_string().into_bytes())
            .ok_or_else(|| format!("group '{name}' does not exist on this node"))
    })?;
    String::from_utf8_lossy(&raw)
        .parse()
        .map_err(|_| MqError::Node(format!("garbled answer from the lookup of group '{name}'")))
}

/// The name of group `gid` for a message; the number when it has none or the lookup times out.
pub fn group_name(gid: u32) -> String {
    nss(&format!("gid {gid}"), Instant::now() + LOOKUP_TIMEOUT, || {
        Ok(Group::from_gid(Gid::from_raw(gid)).ok().flatten().map(|g| g.name).unwrap_or_default().into_bytes())
    })
    .ok()
    .and_then(|b| String::from_utf8(b).ok())
    .filter(|n| !n.is_empty())
    .unwrap_or_else(|| gid.to_string())
}

/// The name of user `uid`; the number when it has none or the lookup times out.
pub fn user_name(uid: u32) -> String {
    name_of_uid(uid, Instant::now() + LOOKUP_TIMEOUT).ok().flatten().unwrap_or_else(|| uid.to_string())
}

/// The name of user `uid` within `deadline`; None when no user has that uid.
pub fn name_of_uid(uid: u32, deadline: Instant) -> Result<Option<String>, MqError> {
    let raw = nss(&format!("uid {uid}"), deadline, || {
        Ok(User::from_uid(Uid::from_raw(uid)).ok().flatten().map(|u| u.name).unwrap_or_default().into_bytes())
    })?;
    Ok(Some(String::from_utf8_lossy(&raw).into_owned()).filter(|n| !n.is_empty()))
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
    fn a_hanging_lookup_times_out_naming_what_it_looked_up() {
        let t = Instant::now();
        let e = nss_in_child("user 'mqm'", Instant::now() + Duration::from_millis(300), || {
            std::thread::sleep(Duration::from_secs(30));
            Ok(vec![])
        })
        .unwrap_err();
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
        let e = e.to_string();
        assert!(e.contains("user 'mqm'") && e.contains("timed out"), "{e}");
        assert!(nss_in_child("x", Instant::now(), || Ok(vec![])).is_err(), "a passed deadline");
        assert_eq!(nss("x", Instant::now() + Duration::from_secs(5), || Ok(b"a\0b".to_vec())).unwrap(), b"a\0b");
    }

    #[test]
    fn names_of_ids() {
        assert_eq!(user_name(0), "root");
        assert_eq!(user_name(4_242_424), "4242424");
        assert_eq!(group_name(0), "root");
        assert_eq!(group_name(4_242_424), "4242424");
        let r = MqUser::lookup("root").unwrap();
        assert_eq!((r.name.as_str(), r.gid, r.home.as_path()), ("root", 0, Path::new("/root")));
        assert!(r.groups.contains(&0));
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
