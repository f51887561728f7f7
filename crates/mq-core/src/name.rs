//! Queue-manager names: the one validated type every other module takes, so an unchecked string
//! never reaches an argv, a path or an MQSC command.

use std::fmt;
use std::str::FromStr;

/// Longest queue-manager name MQ accepts (docs/reference/mq-processes-and-files.md#qmgr-names).
pub const QM_NAME_MAX: usize = 48;

/// Why a string is not a queue-manager name; each variant names the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QmNameError {
    #[error("queue manager name is empty")]
    Empty,
    #[error("queue manager name '{name}' is {len} characters long; IBM MQ allows at most 48")]
    TooLong { name: String, len: usize },
    #[error("queue manager name '{name}' contains '{ch}' at position {pos}; only A-Z a-z 0-9 . / _ % are allowed")]
    BadChar { name: String, ch: char, pos: usize },
}

/// A queue-manager name as MQ accepts it: 1-48 characters of A-Z a-z 0-9 . / _ %, case-sensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QmName(String);

impl QmName {
    /// Validates `s`; the error names the value and the first offending character.
    pub fn new(s: &str) -> Result<Self, QmNameError> {
        if s.is_empty() {
            return Err(QmNameError::Empty);
        }
        for (pos, ch) in s.chars().enumerate() {
            if !(ch.is_ascii_alphanumeric() || matches!(ch, '.' | '/' | '_' | '%')) {
                return Err(QmNameError::BadChar { name: s.to_string(), ch, pos: pos + 1 });
            }
        }
        // All characters are ASCII here, so bytes == characters.
        if s.len() > QM_NAME_MAX {
            return Err(QmNameError::TooLong { name: s.to_string(), len: s.len() });
        }
        Ok(QmName(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The directory name MQ derives from the queue-manager name: `.` -> `!`, `/` -> `&`
    /// (docs/reference/mq-processes-and-files.md#directory-names). mqs.ini's `Directory=` is authoritative when
    /// present; this is the default.
    pub fn directory(&self) -> String {
        self.0
            .chars()
            .map(|c| match c {
                '.' => '!',
                '/' => '&',
                c => c,
            })
            .collect()
    }
}

impl fmt::Display for QmName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for QmName {
    type Err = QmNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        QmName::new(s)
    }
}

impl AsRef<str> for QmName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_allowed_character() {
        let n = QmName::new("Aa0._/%").unwrap();
        assert_eq!(n.as_str(), "Aa0._/%");
    }

    #[test]
    fn length_limits() {
        assert!(QmName::new(&"Q".repeat(48)).is_ok());
        let e = QmName::new(&"Q".repeat(49)).unwrap_err();
        assert!(matches!(e, QmNameError::TooLong { len: 49, .. }));
        assert!(e.to_string().contains(&"Q".repeat(49)));
        assert_eq!(QmName::new("").unwrap_err(), QmNameError::Empty);
    }

    #[test]
    fn rejects_shell_metacharacters_and_blanks_naming_them() {
        for bad in ["QM1;rm", "QM 1", "QM1$", "QM1`x`", "QM-1", "QM1\n", "../QM", "QMé"] {
            let e = QmName::new(bad);
            if bad == "../QM" {
                // '.' and '/' are legal MQ characters; the directory mapping makes it safe.
                assert_eq!(e.unwrap().directory(), "!!&QM");
                continue;
            }
            let e = e.unwrap_err();
            assert!(matches!(e, QmNameError::BadChar { .. }), "{bad}");
            assert!(e.to_string().contains(bad.trim_end()), "{e}");
        }
    }

    #[test]
    fn directory_mapping() {
        assert_eq!(QmName::new("queue.manager").unwrap().directory(), "queue!manager");
        assert_eq!(QmName::new("a/b").unwrap().directory(), "a&b");
        assert_eq!(QmName::new("SVTBRIDGE.QUEUE.MANAGER").unwrap().directory(), "SVTBRIDGE!QUEUE!MANAGER");
        assert_eq!(QmName::new("QM1").unwrap().directory(), "QM1");
    }
}
