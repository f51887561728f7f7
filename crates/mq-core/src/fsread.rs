//! Bounded reads of files that someone other than root can change (mqs.ini, qm.ini, mqinst.ini,
//! root's own cache): the agent runs as root, so such a file must not be able to hang an action
//! (a FIFO), exhaust its memory (a symlink to /dev/zero, a huge file) or redirect the read (a
//! symlink as the last component). Not for /proc, whose files report size 0.

use std::fs::File;
use std::io::{Error, ErrorKind, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

/// Cap for MQ's stanza files: real ones are a few KiB, even with hundreds of queue managers.
pub const INI_CAP: u64 = 1024 * 1024;

/// Reads the regular file at `path`, at most `cap` bytes. The last component is not followed
/// (a symlink is an error); a FIFO, device or directory is an error without blocking; a file
/// larger than `cap` is an error rather than a truncated read. Errors say which rule was broken;
/// the caller names the path (as `MqError::File` does).
pub fn read_capped(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    let (file, md) = open_regular(path)?;
    if md.len() > cap {
        return Err(too_large(cap));
    }
    take_capped(file, cap)
}

/// Reads a secret that only root may know, like `read_capped`, and refuses it unless the file
/// that was opened (checked on the open descriptor, not by path) is owned by root and neither
/// readable nor writable by its group or others.
pub fn read_private(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    let (file, md) = open_regular(path)?;
    if md.uid() != 0 {
        return Err(Error::new(ErrorKind::InvalidData, format!("is owned by uid {}, not by root", md.uid())));
    }
    if md.mode() & 0o066 != 0 {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!("has mode {:04o}: its group or others may read or write it (chmod 600)", md.mode() & 0o7777),
        ));
    }
    if md.len() > cap {
        return Err(too_large(cap));
    }
    take_capped(file, cap)
}

fn open_regular(path: &Path) -> std::io::Result<(File, std::fs::Metadata)> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        // O_NONBLOCK: opening a FIFO with no writer would otherwise block forever.
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => Error::new(ErrorKind::InvalidData, SYMLINK_REFUSED),
            _ => e,
        })?;
    let md = file.metadata()?;
    if !md.file_type().is_file() {
        return Err(Error::new(ErrorKind::InvalidData, not_regular(md.mode())));
    }
    Ok((file, md))
}

fn take_capped(file: File, cap: u64) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    // One byte more than the cap tells a file that grew past it from one that fits exactly.
    file.take(cap + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Err(too_large(cap));
    }
    Ok(buf)
}

fn too_large(cap: u64) -> Error {
    Error::new(ErrorKind::InvalidData, too_large_text(cap))
}

/// What a refused read says; `storage::read_capped_as` says the same from its child.
pub(crate) const SYMLINK_REFUSED: &str = "is a symbolic link, which is not followed";

pub(crate) fn too_large_text(cap: u64) -> String {
    format!("is larger than the {cap}-byte limit")
}

/// "is a FIFO, not a regular file" and the like, from st_mode.
pub(crate) fn not_regular(mode: u32) -> String {
    let kind = match mode & libc::S_IFMT {
        libc::S_IFIFO => "a FIFO",
        libc::S_IFDIR => "a directory",
        libc::S_IFCHR | libc::S_IFBLK => "a device",
        libc::S_IFSOCK => "a socket",
        _ => "not a file",
    };
    format!("is {kind}, not a regular file")
}

/// `bytes` as text, or an error giving the offset of the first byte that is not UTF-8.
pub fn utf8(bytes: Vec<u8>) -> std::io::Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        Error::new(ErrorKind::InvalidData, format!("is not UTF-8 text (byte {at})"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn reads_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mqs.ini");
        std::fs::write(&p, "AllQueueManagers:\n").unwrap();
        assert_eq!(read_capped(&p, INI_CAP).unwrap(), b"AllQueueManagers:\n");
        std::fs::write(&p, vec![b'x'; 11]).unwrap();
        assert_eq!(read_capped(&p, 11).unwrap().len(), 11);
        let e = read_capped(&p, 10).unwrap_err();
        assert!(e.to_string().contains("10-byte limit"), "{e}");
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("qm.ini");
        nix::unistd::mkfifo(&p, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let t = Instant::now();
        let e = read_capped(&p, INI_CAP).unwrap_err();
        assert!(t.elapsed() < Duration::from_secs(1));
        assert!(e.to_string().contains("a FIFO"), "{e}");
    }

    #[test]
    fn a_symlink_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mqs.ini");
        std::os::unix::fs::symlink("/dev/zero", &p).unwrap();
        let e = read_capped(&p, INI_CAP).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
    }

    #[test]
    fn a_device_is_refused() {
        let e = read_capped(Path::new("/dev/zero"), INI_CAP).unwrap_err();
        assert!(e.to_string().contains("a device"), "{e}");
    }

    #[test]
    fn non_utf8_gives_the_offset() {
        let e = utf8(b"ab\xffc".to_vec()).unwrap_err();
        assert!(e.to_string().contains("not UTF-8") && e.to_string().contains("byte 2"), "{e}");
    }
}
