//! The texts MQ's control commands print, in one place so each is written once, exactly as
//! docs/reference/mq-commands.md gives them. Ids carry the 9.x severity letter.

pub const AMQ7048: &str = "AMQ7048E: The queue manager name is either not valid or not known.";
pub const AMQ8118: &str = "AMQ8118E: IBM MQ queue manager does not exist.";
pub const AMQ8146: &str = "AMQ8146E: IBM MQ queue manager not available.";
pub const AMQ8110: &str = "AMQ8110E: IBM MQ queue manager already exists.";
pub const AMQ7077: &str = "AMQ7077E: You are not authorized to perform the requested operation.";
pub const AMQ7018: &str = "AMQ7018E: The queue manager operation cannot be completed.";
/// A control command of one installation used on a queue manager associated with another
/// (docs/reference/mq-commands.md#wrong-installation: the text is UNCONFIRMED, the refusal is not).
pub fn amq5691(qm: &str, installation: &str) -> String {
    format!("AMQ5691E: Queue manager '{qm}' is associated with a different installation ('{installation}').")
}
pub const QM_RUNNING: &str = "IBM MQ queue manager running.";
pub const QUIESCE_ACCEPTED: &str =
    "Quiesce request accepted. The queue manager will stop when all outstanding work\nis complete.";

/// The AMQ8041 block for processes still attached to a previous instance
/// (docs/reference/mq-processes-and-files.md#leftover-processes).
pub fn amq8041(pids: &[i32]) -> String {
    let mut s = String::from(
        "AMQ8041S: The queue manager cannot be restarted or deleted because processes,\nthat were previously connected, are still running.\n",
    );
    for p in pids {
        s.push_str(&format!("Process {p} is still running.\n"));
    }
    s.push_str(AMQ7018);
    s
}

/// "IBM MQ" from 9.0 on, "WebSphere MQ" up to 8.0: IBM renamed the product with 8.0 and its 8.0
/// documentation writes "IBM MQ", but 8.0's programs print "WebSphere MQ" (public 8.0.0.2 and
/// 8.0.0.4 output: "AMQ8146: WebSphere MQ queue manager not available.", "WebSphere MQ queue
/// manager 'QM1' started using V8.0.0.4."; docs/reference/mq-commands.md#message-ids-by-version).
pub fn product(version: &str) -> &'static str {
    if version_at_least(version, 9, 0) {
        "IBM MQ"
    } else {
        "WebSphere MQ"
    }
}

static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Records the installation's version once per command, for `localize`.
pub fn set_version(version: &str) {
    let _ = VERSION.set(version.to_string());
}

/// A message as this installation's version prints it: before 9.0 the product is "WebSphere MQ"
/// and AMQ ids carry no severity letter (docs/reference/mq-commands.md#message-ids-by-version).
pub fn localize(text: &str) -> String {
    match VERSION.get() {
        Some(v) if !version_at_least(v, 9, 0) => localize_for(v, text),
        _ => text.to_string(),
    }
}

pub fn localize_for(version: &str, text: &str) -> String {
    if version_at_least(version, 9, 0) {
        return text.to_string();
    }
    let text = text.replace("IBM MQ", "WebSphere MQ");
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        // AMQnnnnX: -> AMQnnnn:
        if b[i..].starts_with(b"AMQ")
            && b.len() >= i + 9
            && b[i + 3..i + 7].iter().all(u8::is_ascii_digit)
            && matches!(b[i + 7], b'I' | b'W' | b'E' | b'S')
            && b[i + 8] == b':'
        {
            out.push_str(&text[i..i + 7]);
            i += 8;
            continue;
        }
        let ch = text[i..].chars().next().unwrap();
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// println! through `localize`.
#[macro_export]
macro_rules! mqprintln {
    ($($t:tt)*) => {
        println!("{}", $crate::messages::localize(&format!($($t)*)))
    };
}

pub fn version_at_least(version: &str, major: u32, minor: u32) -> bool {
    let mut it = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (a, b) = (it.next().unwrap_or(0), it.next().unwrap_or(0));
    (a, b) >= (major, minor)
}

/// Usage error: the command's syntax line and rc (MQ prints usage on stderr).
pub fn usage(line: &str) -> i32 {
    eprintln!("Usage: {line}");
    36
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amq8041_block_matches_reference_shape() {
        let s = amq8041(&[1973, 2409]);
        assert!(s.starts_with("AMQ8041S: The queue manager cannot be restarted or deleted because processes,\n"));
        assert!(s.contains("Process 1973 is still running.\nProcess 2409 is still running.\n"));
        assert!(s.ends_with("AMQ7018E: The queue manager operation cannot be completed."));
    }

    #[test]
    fn old_releases_print_websphere_and_no_severity_letter() {
        assert_eq!(localize_for("8.0.0.6", AMQ8146), "AMQ8146: WebSphere MQ queue manager not available.");
        assert_eq!(localize_for("7.5.0.2", QM_RUNNING), "WebSphere MQ queue manager running.");
        assert_eq!(localize_for("9.3.0.0", AMQ8146), AMQ8146);
        assert!(localize_for("7.5.0.2", &amq8041(&[1])).starts_with("AMQ8041: The queue manager cannot"));
    }

    #[test]
    fn version_compare() {
        assert!(version_at_least("9.3.0.0", 9, 2));
        assert!(!version_at_least("7.5.0.2", 8, 0));
    }
}
