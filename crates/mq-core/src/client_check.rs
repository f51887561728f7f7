//! The depth-20 client check's own identity, so that it works on a stock queue manager without
//! weakening its security (docs/reference/mqi.md#client-channel-security): a dedicated OS user
//! that is neither root nor in the mq group (`client_user`), whom the back-stop CHLAUTH rule and
//! CHCKCLNT(REQDADM) do not refuse, and/or MQCSP credentials from a file only root can read
//! (`client_credentials`).

use std::path::Path;
use std::time::Instant;

use crate::fsread;
use crate::mqi::{Credentials, ProbeIdentity};
use crate::user::{self, MqUser, MQ_GROUP};

/// Largest credentials file accepted: two short lines.
const CREDENTIALS_CAP: u64 = 4096;

/// Why a client-check setting cannot be used, by who must act.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientConfigError {
    /// Wrong wherever it runs (root, a member of the mq group, an unsafe or malformed file).
    #[error("{0}")]
    Invalid(String),
    /// Missing on this node (no such user, no such file).
    #[error("{0}")]
    NotOnThisNode(String),
    /// The user database did not answer in time, or another failure of this node.
    #[error("{0}")]
    Node(String),
}

/// Looks `name` up within `deadline` and refuses root, the mq user and any member of the mq
/// group or of the mq user's primary group: those are privileged, and the check must not need
/// the back-stop weakened for them.
pub fn client_identity(name: &str, mq_user: &MqUser, deadline: Instant) -> Result<ProbeIdentity, ClientConfigError> {
    let u = MqUser::lookup_within(name, deadline).map_err(|e| {
        let text = e.to_string();
        if text.contains("does not exist") {
            ClientConfigError::NotOnThisNode(format!("client_user='{name}' does not exist on this node"))
        } else {
            ClientConfigError::Node(format!("client_user='{name}': {text}"))
        }
    })?;
    let privileged = |why: String| {
        ClientConfigError::Invalid(format!(
            "client_user='{name}' {why}: the client check must run as a dedicated user outside the mq group \
             (README: monitoring channel)"
        ))
    };
    if u.uid == 0 {
        return Err(privileged("is root (uid 0)".into()));
    }
    if u.uid == mq_user.uid || u.is_member_of(mq_user.gid) {
        return Err(privileged(format!("is or shares the primary group of the mq user '{}'", mq_user.name)));
    }
    // A lookup that fails leaves only the mq user's group to judge by (checked above).
    if let Ok(gid) = user::group_gid(MQ_GROUP) {
        if u.is_member_of(gid) {
            return Err(privileged(format!("is a member of group '{MQ_GROUP}'")));
        }
    }
    Ok(ProbeIdentity::from(&u))
}

/// Reads MQCSP credentials from `path`: a regular file (not a symlink) owned by root, mode 0600
/// or stricter, read within a size cap; lines `user=NAME` and `password=SECRET`, blank lines and
/// `#` comments ignored. The password never appears in an error.
pub fn read_credentials(path: &Path) -> Result<Credentials, ClientConfigError> {
    let shown = path.display();
    let bytes = fsread::read_private(path, CREDENTIALS_CAP).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            ClientConfigError::NotOnThisNode(format!("client_credentials='{shown}' does not exist on this node"))
        }
        _ => ClientConfigError::Invalid(format!("client_credentials='{shown}' {e}")),
    })?;
    let text =
        fsread::utf8(bytes).map_err(|e| ClientConfigError::Invalid(format!("client_credentials='{shown}' {e}")))?;
    let (mut user, mut password) = (None, None);
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let bad = |why: &str| ClientConfigError::Invalid(format!("client_credentials='{shown}' line {}: {why}", n + 1));
        match line.split_once('=') {
            Some(("user", v)) if !v.is_empty() && user.is_none() => user = Some(v.to_string()),
            Some(("password", v)) if !v.is_empty() && password.is_none() => password = Some(v.to_string()),
            Some(("user" | "password", "")) => return Err(bad("empty value")),
            Some(("user" | "password", _)) => return Err(bad("given twice")),
            _ => return Err(bad("expected user=NAME or password=SECRET")),
        }
    }
    let (Some(user), Some(password)) = (user, password) else {
        return Err(ClientConfigError::Invalid(format!(
            "client_credentials='{shown}' needs both a user= and a password= line"
        )));
    };
    if user.chars().any(char::is_control) || user.len() > 1024 {
        return Err(ClientConfigError::Invalid(format!(
            "client_credentials='{shown}': the user id is not a valid MQCSP user id"
        )));
    }
    if password.contains('\0') || password.len() > 1024 {
        return Err(ClientConfigError::Invalid(format!(
            "client_credentials='{shown}': the password is too long or has a NUL byte"
        )));
    }
    Ok(Credentials::new(user, password))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn file(dir: &Path, text: &str, mode: u32) -> std::path::PathBuf {
        let p = dir.join("cred");
        let _ = std::fs::remove_file(&p);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    #[test]
    fn credentials_are_read_and_unsafe_files_refused_naming_the_path() {
        let d = tempfile::tempdir().unwrap();
        let p = file(d.path(), "# monitoring\nuser=mqhamon\npassword=s3cr=t\n", 0o600);
        let c = read_credentials(&p).unwrap();
        assert_eq!((c.user.as_str(), c.password()), ("mqhamon", "s3cr=t"));
        assert!(!format!("{c:?}").contains("s3cr"), "{c:?}");
        for mode in [0o640, 0o604, 0o620, 0o602] {
            let p = file(d.path(), "user=a\npassword=b\n", mode);
            let e = read_credentials(&p).unwrap_err();
            assert!(
                matches!(e, ClientConfigError::Invalid(_)) && e.to_string().contains(&p.display().to_string()),
                "{e}"
            );
        }
        let p = file(d.path(), "user=a\n", 0o600);
        assert!(read_credentials(&p).unwrap_err().to_string().contains("password="));
        let p = file(d.path(), "user=a\npassword=secret\nextra\n", 0o600);
        let e = read_credentials(&p).unwrap_err().to_string();
        assert!(e.contains("line 3") && !e.contains("secret"), "{e}");
        let link = d.path().join("link");
        std::os::unix::fs::symlink(d.path().join("cred"), &link).unwrap();
        let e = read_credentials(&link).unwrap_err();
        assert!(matches!(e, ClientConfigError::Invalid(_)) && e.to_string().contains("symbolic link"), "{e}");
        let e = read_credentials(&d.path().join("none")).unwrap_err();
        assert!(matches!(e, ClientConfigError::NotOnThisNode(_)), "{e}");
    }
}
