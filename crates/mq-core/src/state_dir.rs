//! Root's own small state files (the data-path cache under /run/mqha): kept in a directory only
//! root can write, never reached through a symlink, written whole (temp file + rename) so a
//! reader never sees half a file, and read with a size cap. Not for files the mq user writes.

use std::ffi::OsStr;
use std::fs::OpenOptions;
use std::io::{Error, ErrorKind, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::fsread;

/// State files are a line or two; anything bigger was not written by us.
const STATE_CAP: u64 = 64 * 1024;

/// A directory of root's state: owned by the running user, mode 0700, not a symlink.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    /// Opens `dir`, creating it 0700 when missing. An existing directory owned by another user,
    /// or a symlink, is refused (someone else could swap our files); one of ours with a wider
    /// mode (an older version made it 0755) is narrowed to 0700.
    pub fn open(dir: &Path) -> std::io::Result<StateDir> {
        let me = nix::unistd::geteuid().as_raw();
        match std::fs::symlink_metadata(dir) {
            Err(e) if e.kind() == ErrorKind::NotFound => {
                std::fs::DirBuilder::new().mode(0o700).create(dir)?;
            }
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        let md = std::fs::symlink_metadata(dir)?;
        if !md.file_type().is_dir() {
            return Err(Error::new(ErrorKind::InvalidData, format!("{} is not a directory", dir.display())));
        }
        if md.uid() != me {
            return Err(Error::new(
                ErrorKind::PermissionDenied,
                format!("{} is owned by uid {}, not {me}: not used", dir.display(), md.uid()),
            ));
        }
        if md.mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(StateDir { dir: dir.to_path_buf() })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The content of state file `name`, None when there is none.
    pub fn read(&self, name: &str) -> std::io::Result<Option<Vec<u8>>> {
        match fsread::read_capped(&self.dir.join(checked(name)?), STATE_CAP) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces state file `name` with `content` in one rename: readers see the old file or the
    /// new one, never a part; a symlink planted at either name is replaced, not followed.
    pub fn write(&self, name: &str, content: &[u8]) -> std::io::Result<()> {
        let name = checked(name)?;
        let tmp = self.dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let result = (|| {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&tmp)?;
            f.write_all(content)?;
            std::fs::rename(&tmp, self.dir.join(name))
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// Removes state file `name`; one that is not there is no error.
    pub fn remove(&self, name: &str) -> std::io::Result<()> {
        match std::fs::remove_file(self.dir.join(checked(name)?)) {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// A file name of this directory: one component, so no name can reach outside it.
fn checked(name: &str) -> std::io::Result<&str> {
    let bad = name.is_empty() || name.starts_with('.') || name.contains('/') || name.contains('\0');
    if bad {
        return Err(Error::new(ErrorKind::InvalidInput, format!("'{name}' is not a state file name")));
    }
    Ok(name)
}

/// A file-name key for `path` that two different paths never share: the bytes of the path with
/// `/` as `_` and `_`, `%` and every non-graphic byte percent-escaped (an injective mapping).
pub fn path_key(path: &Path) -> String {
    escape(path.as_os_str())
}

fn escape(s: &OsStr) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        match b {
            b'/' => out.push('_'),
            b'_' | b'%' => out.push_str(&format!("%{b:02x}")),
            0x21..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("%{b:02x}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_do_not_collide() {
        let k = |p: &str| path_key(Path::new(p));
        assert_eq!(k("/opt/mqm"), "_opt_mqm");
        assert_ne!(k("/opt/mq_m"), k("/opt/mq/m"));
        assert_ne!(k("/opt/mq%5fm"), k("/opt/mq_m"));
        assert_ne!(k("/opt/a b"), k("/opt/a%20b"));
        assert_eq!(k("/opt/a b"), "_opt_a%20b");
    }

    #[test]
    fn writes_atomically_and_reads_back() {
        let base = tempfile::tempdir().unwrap();
        let d = StateDir::open(&base.path().join("mqha")).unwrap();
        let md = std::fs::symlink_metadata(d.path()).unwrap();
        assert_eq!(md.mode() & 0o777, 0o700);
        assert_eq!(d.read("x").unwrap(), None);
        d.write("x", b"one").unwrap();
        d.write("x", b"two").unwrap();
        assert_eq!(d.read("x").unwrap().as_deref(), Some(&b"two"[..]));
        // A symlink planted at the name is replaced, never written through.
        let victim = base.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, d.path().join("y")).unwrap();
        assert!(d.read("y").is_err(), "a symlink is not read");
        d.write("y", b"mine").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(d.read("y").unwrap().as_deref(), Some(&b"mine"[..]));
        assert!(d.write("../z", b"").is_err() && d.write(".hidden", b"").is_err());
        let names: Vec<_> = std::fs::read_dir(d.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
    }

    #[test]
    fn a_wide_directory_is_narrowed_and_a_symlink_refused() {
        let base = tempfile::tempdir().unwrap();
        let wide = base.path().join("wide");
        std::fs::DirBuilder::new().mode(0o755).create(&wide).unwrap();
        StateDir::open(&wide).unwrap();
        assert_eq!(std::fs::metadata(&wide).unwrap().mode() & 0o777, 0o700);
        let link = base.path().join("link");
        std::os::unix::fs::symlink(&wide, &link).unwrap();
        let e = StateDir::open(&link).unwrap_err();
        assert!(e.to_string().contains("not a directory"), "{e}");
    }

    #[test]
    fn a_directory_of_another_user_is_refused() {
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        let base = tempfile::tempdir().unwrap();
        let theirs = base.path().join("theirs");
        std::fs::DirBuilder::new().mode(0o700).create(&theirs).unwrap();
        nix::unistd::chown(&theirs, Some(nix::unistd::Uid::from_raw(65534)), None).unwrap();
        let e = StateDir::open(&theirs).unwrap_err();
        assert!(e.to_string().contains("owned by uid 65534"), "{e}");
    }
}
