//! Who may connect: local bindings (the mq user, members of the mq group, root) and client
//! channels through CHLAUTH rules and CONNAUTH (AUTHINFO IDPWOS CHCKCLNT), following the
//! 7.1+/8.0 defaults (docs/reference/mqi.md#client-channel-security).

use super::objects::generic_match;
use super::{mqi, State};
use crate::paths::Installation;
use nix::unistd::{Group, Uid, User};

pub fn user_name(uid: u32) -> String {
    User::from_uid(Uid::from_raw(uid)).ok().flatten().map(|u| u.name).unwrap_or_else(|| uid.to_string())
}

/// A privileged user of this installation: uid 0 or a member of the mq group (the mq user
/// included) — what CHLAUTH's `*MQADMIN` and CHCKCLNT(REQDADM) mean
/// (docs/reference/mqi.md#privileged-users; counting root is the stricter reading, UNCONFIRMED).
pub fn is_admin(user: &str, inst: &Installation) -> bool {
    matches!(User::from_name(user), Ok(Some(u)) if u.uid.is_root()) || user == "root" || is_mq_group_member(user, inst)
}

/// Local bindings: MQ checks +connect through the OAM. The simulator has no setmqaut, so only
/// administrative users (who hold every authority) may connect; others get 2035.
pub fn may_connect_bindings(uid: u32, user: &str, inst: &Installation) -> bool {
    uid == 0 || is_admin(user, inst)
}

/// The program name MQ shows as APPLTAG for a local process (basename of its executable).
/// MQ on Linux truncates the path to 28 characters; the exact form is UNCONFIRMED.
pub fn appl_tag_of(pid: u32) -> String {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
    let base = exe
        .as_ref()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .or_else(|| std::fs::read_to_string(format!("/proc/{pid}/comm")).ok().map(|s| s.trim().to_string()))
        .unwrap_or_default();
    base.chars().take(28).collect()
}

/// Why a client connection was refused: the reason code the client gets (always 2035 here) and
/// the error-log entry the queue manager writes, as IBM writes one for each refusal
/// (docs/reference/mqi.md#client-refusal-messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub reason: i32,
    pub log: String,
}

fn refuse(log: String) -> Refusal {
    Refusal { reason: mqi::MQRC_NOT_AUTHORIZED, log }
}

/// What the client presented: the channel it asked for, its address, the OS user the client
/// library asserts, and the MQCSP user id and password when it passed one.
pub(crate) struct ClientHello<'a> {
    pub channel: &'a str,
    /// The SVRCONN channel's own MCAUSER ('' = none).
    pub mcauser: &'a str,
    pub ip: &'a str,
    pub asserted_user: &'a str,
    pub csp_user: Option<&'a str>,
    pub csp_password: Option<&'a str>,
}

/// Decides a client connection. Returns the user the connection runs as, or the refusal.
///
/// In IBM MQ's order (docs/reference/mqi.md#client-channel-security and the entries after it):
/// 1. CONNAUTH (the AUTHINFO named by QMGR CONNAUTH, as cached at start / REFRESH SECURITY):
///    MQCSP credentials are checked against the operating system unless CHCKCLNT(NONE); a wrong
///    pair is refused (AMQ5534E). REQUIRED refuses a client without credentials; REQDADM
///    refuses a privileged client without them (AMQ5540E, AMQ5541E). ADOPTCTX(YES) makes the
///    authenticated user the connection's user.
/// 2. CHLAUTH(ENABLED), mapping rules: of the USERMAP (CLNTUSER = that user) and ADDRESSMAP rules
///    whose profile matches the channel and whose address matches, only the most specific applies:
///    the most specific channel profile, then USERMAP before ADDRESSMAP, then the more specific
///    address. USERSRC(NOACCESS) refuses (AMQ9777E), USERSRC(MAP) runs as its MCAUSER,
///    USERSRC(CHANNEL) keeps the channel's MCAUSER or the user.
/// 3. CHLAUTH BLOCKUSER: only the rule with the most specific channel profile applies (a rule
///    for the channel overrides the `*` back-stop); it refuses the user the connection would run
///    as when listed, or when it lists `*MQADMIN` and that user is privileged — authenticated or
///    not (AMQ9776E).
/// 4. OAM: a user outside the mq group needs +connect on the queue manager (AMQ8077W).
pub(crate) fn check_client(st: &State, inst: &Installation, hello: &ClientHello<'_>) -> Result<String, Refusal> {
    let ClientHello { channel, mcauser, ip, asserted_user, csp_user, csp_password } = *hello;
    let chlauth_on = st.qmgr.get("CHLAUTH").map(String::as_str) != Some("DISABLED");
    let chckclnt = st.effective_chckclnt.as_str();
    // 1. Connection authentication.
    let authenticated = match csp_user {
        Some(u) if chckclnt != "NONE" => {
            if !verify_password(u, csp_password.unwrap_or(""), inst) {
                return Err(refuse(format!(
                    "AMQ5534E: User ID '{u}' authentication failed\n\nThe user ID and password supplied by \
                     the application on channel '{channel}' from {ip} could not be authenticated."
                )));
            }
            true
        }
        _ => false,
    };
    let user = match csp_user {
        Some(u) if authenticated && st.effective_adoptctx => u,
        _ => asserted_user,
    };
    // 2. The most specific mapping rule.
    let mut run_as = if mcauser.is_empty() { user.to_string() } else { mcauser.to_string() };
    if chlauth_on {
        let best = st
            .chlauth
            .iter()
            .filter(|r| {
                generic_match(&r.profile, channel)
                    && address_matches(&r.address, ip)
                    && match r.rule_type.as_str() {
                        "USERMAP" => r.clntuser == user,
                        "ADDRESSMAP" => true,
                        _ => false,
                    }
            })
            // Channel profile first (confirmed); USERMAP before ADDRESSMAP and the more specific
            // address next: UNCONFIRMED (docs/reference/mqi.md#chlauth-most-specific-rule).
            .max_by_key(|r| (specificity(&r.profile), (r.rule_type == "USERMAP") as u8, specificity(&r.address)));
        if let Some(rule) = best {
            match rule.usersrc.as_str() {
                "NOACCESS" => {
                    return Err(refuse(format!(
                        "AMQ9777E: Channel was blocked\n\nThe inbound channel '{channel}' was blocked from \
                         address '{ip}' because the active values of the channel matched a record \
                         configured with USERSRC(NOACCESS): CHLAUTH('{}') TYPE({}).",
                        rule.profile, rule.rule_type
                    )))
                }
                "MAP" => run_as = rule.mcauser.clone(),
                _ => {}
            }
        }
    }
    // REQDADM judges the user the client presented and the one it would run as (the stricter
    // reading: which of the two IBM judges is UNCONFIRMED).
    let privileged = is_admin(user, inst) || is_admin(&run_as, inst);
    let missing = match chckclnt {
        "REQUIRED" => !authenticated,
        "REQDADM" => privileged && !authenticated,
        _ => false,
    };
    if missing {
        let why = if chckclnt == "REQDADM" {
            "\nAMQ5541E: The failed authentication check was caused by the queue manager CONNAUTH \
             CHCKCLNT(REQDADM) configuration."
        } else {
            ""
        };
        return Err(refuse(format!(
            "AMQ5540E: Application did not supply a user ID and password\n\nThe application on channel \
             '{channel}' from {ip} running as user '{user}' did not supply a user ID and password.{why}"
        )));
    }
    // 3. The most specific BLOCKUSER rule.
    if chlauth_on {
        let block = st
            .chlauth
            .iter()
            .filter(|r| r.rule_type == "BLOCKUSER" && generic_match(&r.profile, channel))
            .max_by_key(|r| specificity(&r.profile));
        if let Some(rule) = block {
            let hit = rule.userlist.iter().any(|u| {
                (u.eq_ignore_ascii_case("*MQADMIN") && is_admin(&run_as, inst)) || u.eq_ignore_ascii_case(&run_as)
            });
            if hit {
                return Err(refuse(format!(
                    "AMQ9776E: Channel was blocked by userid\n\nThe inbound channel '{channel}' was blocked \
                     from address '{ip}' because the active values of the channel were mapped to a \
                     userid which should be blocked. The active values of the channel were \
                     'CLNTUSER({user}) MCAUSER({run_as})', matched by CHLAUTH('{}') TYPE(BLOCKUSER).",
                    rule.profile
                )));
            }
        }
    }
    // 4. The OAM: +connect for anyone outside the mq group.
    if !is_mq_group_member(&run_as, inst) && !has_authority(st, &run_as, "CONNECT") {
        return Err(refuse(oam_denied(&run_as, "connect", st)));
    }
    Ok(run_as)
}

/// AMQ8077W, the OAM's entry for a refused authority check.
pub(crate) fn oam_denied(user: &str, what: &str, st: &State) -> String {
    let qm = st.qmid.split('_').next().unwrap_or("");
    format!(
        "AMQ8077W: Entity '{user}' has insufficient authority to access object {qm}.\n\nThe \
         specified entity is not authorized to access the required object. The following \
         requested permissions are unauthorized: {what}"
    )
}

/// A member of the mq group (primary or supplementary) or the mq user: the OAM lets these do
/// everything (docs/reference/mqi.md#privileged-users).
pub fn is_mq_group_member(user: &str, inst: &Installation) -> bool {
    if user == inst.user {
        return true;
    }
    let Ok(Some(group)) = Group::from_name(&inst.group) else { return false };
    if group.mem.iter().any(|m| m == user) {
        return true;
    }
    matches!(User::from_name(user), Ok(Some(u)) if u.gid == group.gid)
}

/// Whether one of `user`'s groups holds `auth` (CONNECT, INQ...) on the queue manager through
/// SET AUTHREC (the OAM's group-based policy: docs/reference/mqi.md#oam-group-grants).
pub(crate) fn has_authority(st: &State, user: &str, auth: &str) -> bool {
    let Ok(Some(u)) = User::from_name(user) else { return false };
    let Ok(cname) = std::ffi::CString::new(user) else { return false };
    let groups = nix::unistd::getgrouplist(&cname, u.gid).unwrap_or_else(|_| vec![u.gid]);
    let names: Vec<String> = groups.iter().filter_map(|g| Group::from_gid(*g).ok().flatten()).map(|g| g.name).collect();
    st.authrecs.iter().any(|r| names.contains(&r.group) && r.auths.iter().any(|a| a == auth || a == "ALL"))
}

fn specificity(profile: &str) -> usize {
    if profile.ends_with('*') {
        profile.len() - 1
    } else {
        usize::MAX
    }
}

/// CHLAUTH addresses: `*`, an exact address, or a pattern with `*` in place of trailing parts.
fn address_matches(pattern: &str, ip: &str) -> bool {
    pattern.is_empty() || pattern == "*" || generic_match(pattern, ip)
}

/// Checks a password against the shadow entry with crypt(3). The QM runs as the mq user and
/// cannot read /etc/shadow; real MQ uses the setuid helper amqoamax for this. The simulator
/// reads /etc/shadow when it can, else `ROOT/.mqsim/shadow` (same format; the installation may
/// provide it readable by the mq group, standing in for that helper).
pub fn verify_password(user: &str, password: &str, inst: &Installation) -> bool {
    let candidates = [std::path::PathBuf::from("/etc/shadow"), inst.sim_dir().join("shadow")];
    let hash = candidates.iter().find_map(|p| {
        let text = std::fs::read_to_string(p).ok()?;
        text.lines().find_map(|l| {
            let mut f = l.split(':');
            (f.next()? == user).then(|| f.next().unwrap_or("").to_string())
        })
    });
    match hash {
        Some(h) if !h.is_empty() && !h.starts_with('!') && !h.starts_with('*') => crypt_matches(password, &h),
        _ => false,
    }
}

fn crypt_matches(password: &str, hash: &str) -> bool {
    use std::ffi::{CStr, CString};
    type CryptFn = unsafe extern "C" fn(*const libc::c_char, *const libc::c_char) -> *mut libc::c_char;
    let (Ok(key), Ok(salt)) = (CString::new(password), CString::new(hash)) else { return false };
    // libcrypt is loaded at run time so the crate links nowhere near it when unused.
    unsafe {
        let lib = libc::dlopen(c"libcrypt.so.1".as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
        if lib.is_null() {
            return false;
        }
        let sym = libc::dlsym(lib, c"crypt".as_ptr());
        if sym.is_null() {
            return false;
        }
        let crypt: CryptFn = std::mem::transmute::<*mut libc::c_void, CryptFn>(sym);
        let out = crypt(key.as_ptr(), salt.as_ptr());
        !out.is_null() && CStr::from_ptr(out).to_bytes() == hash.as_bytes()
    }
}
