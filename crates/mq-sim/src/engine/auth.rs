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

/// An administrative user of this installation: root, the mq user, or a member of the mq group
/// (primary or supplementary) — what CHLAUTH's `*MQADMIN` and CHCKCLNT(REQDADM) mean.
pub fn is_admin(user: &str, inst: &Installation) -> bool {
    if user == "root" || user == inst.user {
        return true;
    }
    let Ok(Some(group)) = Group::from_name(&inst.group) else { return false };
    if group.mem.iter().any(|m| m == user) {
        return true;
    }
    matches!(User::from_name(user), Ok(Some(u)) if u.gid == group.gid)
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

/// Decides a client connection on channel `channel` from `ip`. Returns the user the connection
/// runs as, or the reason code (2035).
///
/// Rules, in MQ's order:
/// 1. CHLAUTH(ENABLED): the most specific ADDRESSMAP rule whose profile matches the channel and
///    whose address matches: USERSRC(NOACCESS) refuses (IBM's default `SYSTEM.*` rule).
/// 2. CONNAUTH: CHCKCLNT REQUIRED needs a valid password from everyone, REQDADM from administrative
///    users; a password that is given but wrong is always refused (unless CHCKCLNT NONE).
/// 3. CHLAUTH BLOCKUSER (`*MQADMIN` by default) refuses an administrative user who did not
///    authenticate with a password.
///
/// Deviation, deliberate and documented in INTERFACE.md: the administrative user without a password is
/// refused only while BOTH 2 and 3 refuse it, so that either `ALTER QMGR CHLAUTH(DISABLED)` or
/// `CHCKCLNT(OPTIONAL)` + `REFRESH SECURITY` lets it in, a simplification for tests (real 8.0+ needs both).
#[allow(clippy::too_many_arguments)] // one argument per field MQ's check reads: a struct would only rename them
pub(crate) fn check_client(
    st: &State,
    inst: &Installation,
    channel: &str,
    mcauser: &str,
    ip: &str,
    asserted_user: &str,
    csp_user: Option<&str>,
    csp_password: Option<&str>,
) -> Result<String, i32> {
    let chlauth_on = st.qmgr.get("CHLAUTH").map(String::as_str) != Some("DISABLED");
    if chlauth_on {
        let best = st
            .chlauth
            .iter()
            .filter(|r| {
                r.rule_type == "ADDRESSMAP" && generic_match(&r.profile, channel) && address_matches(&r.address, ip)
            })
            .max_by_key(|r| specificity(&r.profile));
        if let Some(rule) = best {
            if rule.usersrc == "NOACCESS" {
                return Err(mqi::MQRC_NOT_AUTHORIZED);
            }
        }
    }
    let chckclnt = st.effective_chckclnt.as_str();
    let authenticated = match (csp_user, csp_password) {
        (Some(u), Some(p)) if chckclnt != "NONE" => {
            if !verify_password(u, p, inst) {
                return Err(mqi::MQRC_NOT_AUTHORIZED);
            }
            true
        }
        _ => false,
    };
    // ADOPTCTX(YES) (IBM's default): an authenticated connection runs as the user it proved.
    let user = match (authenticated, csp_user) {
        (true, Some(u)) => u.to_string(),
        _ => asserted_user.to_string(),
    };
    // The channel's MCAUSER, when set, is the identity the connection runs as; CHLAUTH user
    // rules see it, CONNAUTH still judges the user who connected.
    let run_as = if mcauser.is_empty() { user.clone() } else { mcauser.to_string() };
    let admin = is_admin(&user, inst);
    let run_as_admin = is_admin(&run_as, inst);
    let connauth_refuses = match chckclnt {
        "REQUIRED" => !authenticated,
        "REQDADM" => admin && !authenticated,
        _ => false,
    };
    if connauth_refuses && !admin {
        return Err(mqi::MQRC_NOT_AUTHORIZED);
    }
    let blockuser_refuses = chlauth_on
        && !authenticated
        && st.chlauth.iter().any(|r| {
            r.rule_type == "BLOCKUSER"
                && generic_match(&r.profile, channel)
                && r.userlist.iter().any(|u| (u == "*MQADMIN" && run_as_admin) || u.eq_ignore_ascii_case(&run_as))
        });
    if admin && connauth_refuses && blockuser_refuses {
        return Err(mqi::MQRC_NOT_AUTHORIZED);
    }
    if !admin && blockuser_refuses {
        return Err(mqi::MQRC_NOT_AUTHORIZED);
    }
    Ok(run_as)
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
