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

    /// Looks the user up within `deadline` (or LOOKUP_TIMEOUT, whichever comes first); asked
    /// once per run (see `known`).
    pub fn lookup_within(name: &str, deadline: Instant) -> Result<MqUser, MqError> {
        if name.contains('\0') {
            return Err(MqError::Config(format!("bad user name '{name}'")));
        }
        match known(&Key::Name(name.to_string()), deadline)? {
            Some(k) => Ok(k.user),
            None => Err(MqError::Node(format!("mq user '{name}' does not exist on this node"))),
        }
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

/// What one lookup learns of a user: its record, and whether it is a member of the mq group
/// and not root (whom a process of the queue manager may run as, and the mq user may be).
#[derive(Debug, Clone)]
struct Known {
    user: MqUser,
    member: bool,
}

/// A user asked for by uid or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    Uid(u32),
    Name(String),
}

impl Key {
    fn describe(&self) -> String {
        match self {
            Key::Uid(u) => format!("uid {u}"),
            Key::Name(n) => format!("user '{n}'"),
        }
    }
}

/// This run's answers, by uid and by name: an action is one short run and its users do not
/// change under it, so a depth-0 monitor forks one lookup child (not one per question: the
/// derivation asks a uid's name, membership and record). A lookup that timed out is remembered
/// too, so a stop's scans do not each wait for it again.
static KNOWN: std::sync::Mutex<Vec<(Key, Answer)>> = std::sync::Mutex::new(Vec::new());

/// A lookup's answer: the user (None: no such user), or why there is none (e.g. it timed out).
type Answer = Result<Option<Known>, String>;

/// The keys a child was forked for, in order (for the tests that count them).
#[cfg(test)]
static ASKED: std::sync::Mutex<Vec<Key>> = std::sync::Mutex::new(Vec::new());

/// The user `key` names (None: no such user), its record and mq-group membership in one child.
fn known(key: &Key, deadline: Instant) -> Result<Option<Known>, MqError> {
    let cached = KNOWN.lock().ok().and_then(|k| k.iter().find(|(c, _)| c == key).map(|(_, a)| a.clone()));
    let answer = match cached {
        Some(a) => a,
        None => {
            #[cfg(test)]
            if let Ok(mut a) = ASKED.lock() {
                a.push(key.clone());
            }
            let a = ask(key, deadline).map_err(|e| e.to_string());
            if let Ok(mut k) = KNOWN.lock() {
                if let Ok(Some(found)) = &a {
                    // The same user by its other key: a later question about it costs nothing.
                    for other in [Key::Uid(found.user.uid), Key::Name(found.user.name.clone())] {
                        if other != *key && !k.iter().any(|(c, _)| *c == other) {
                            k.push((other, a.clone()));
                        }
                    }
                }
                k.push((key.clone(), a.clone()));
            }
            a
        }
    };
    answer.map_err(MqError::Node)
}

fn ask(key: &Key, deadline: Instant) -> Result<Option<Known>, MqError> {
    let what = key.describe();
    let raw = nss(&what, deadline, || {
        let found = match key {
            Key::Uid(uid) => User::from_uid(Uid::from_raw(*uid)),
            Key::Name(name) => User::from_name(name),
        }
        .map_err(|e| format!("cannot look up {what}: {e}"))?;
        let Some(u) = found else { return Ok(Vec::new()) };
        let cname = std::ffi::CString::new(u.name.clone()).map_err(|_| format!("bad user name of {what}"))?;
        let groups = nix::unistd::getgrouplist(&cname, u.gid)
            .map_err(|e| format!("cannot list the groups of user '{}': {e}", u.name))?;
        let mq_gid = Group::from_name(MQ_GROUP).ok().flatten().map(|g| g.gid);
        let member = !u.uid.is_root() && mq_gid.is_some_and(|g| u.gid == g || groups.contains(&g));
        let mut out = vec![if member { b'1' } else { b'0' }];
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
    let Some((flag, rest)) = raw.split_first() else { return Ok(None) };
    let bad = || MqError::Node(format!("garbled answer from the lookup of {what}"));
    let mut f = rest.split(|b| *b == 0);
    let mut text = || f.next().map(|b| String::from_utf8_lossy(b).into_owned()).ok_or_else(bad);
    let name = text()?;
    let uid = text()?.parse().map_err(|_| bad())?;
    let gid = text()?.parse().map_err(|_| bad())?;
    let home = PathBuf::from(text()?);
    let groups = f.map(|g| String::from_utf8_lossy(g).parse().map_err(|_| bad())).collect::<Result<_, _>>()?;
    Ok(Some(Known { user: MqUser { name, uid, gid, home, groups }, member: *flag == b'1' }))
}

/// Whether `uid` is a user of this node in the mq group and not root: whom a process of the
/// queue manager may run as, and whom the mq user may be derived as. A lookup that times out
/// counts as not a member.
pub fn in_mq_group(uid: u32) -> bool {
    uid != 0 && known(&Key::Uid(uid), Instant::now() + LOOKUP_TIMEOUT).is_ok_and(|k| k.is_some_and(|k| k.member))
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
    Ok(known(&Key::Uid(uid), deadline)?.map(|k| k.user.name))
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
    fn one_lookup_child_answers_every_question_about_a_user() {
        // mqm2 (tests/setup.sh): no other test of this binary asks about it.
        let asked = |uid: u32| {
            ASKED.lock().unwrap().iter().filter(|k| **k == Key::Uid(uid) || **k == Key::Name("mqm2".into())).count()
        };
        let soon = Instant::now() + LOOKUP_TIMEOUT;
        let uid = nix::unistd::User::from_name("mqm2").unwrap().expect("test user mqm2 (tests/setup.sh)").uid.as_raw();
        // What the derivation asks of a data directory's owner: its name, membership and record.
        let name = name_of_uid(uid, soon).unwrap().unwrap();
        let member = in_mq_group(uid);
        assert_eq!(user_name(uid), name);
        let u = MqUser::lookup(&name).unwrap();
        assert_eq!((u.uid, u.name.as_str()), (uid, "mqm2"));
        assert_eq!(member, group_gid(MQ_GROUP).is_ok_and(|g| u.is_member_of(g)));
        assert_eq!(asked(uid), 1, "{:?}", ASKED.lock().unwrap());
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
