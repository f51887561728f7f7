//! The OCF exit codes, in one place: every action ends by returning one of these.

use std::fmt;

/// An OCF exit status (resource agent API 1.1, "Exit Status Codes").
///
/// Pacemaker judges them: 1 and 9 are soft (restart/move), 2, 4, 5 are hard (ban this node),
/// 6 is fatal (ban everywhere), 7 means cleanly stopped, 190/191 are monitor-only "degraded".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OcfExit {
    Success = 0,
    ErrGeneric = 1,
    ErrArgs = 2,
    Unimplemented = 3,
    ErrPerm = 4,
    ErrInstalled = 5,
    ErrConfigured = 6,
    NotRunning = 7,
    RunningPromoted = 8,
    FailedPromoted = 9,
    Degraded = 190,
    DegradedPromoted = 191,
}

impl OcfExit {
    /// The numeric status the process exits with.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The name resource-agents' ocf-returncodes (and Pacemaker for 190/191) give the code.
    pub fn name(self) -> &'static str {
        match self {
            OcfExit::Success => "OCF_SUCCESS",
            OcfExit::ErrGeneric => "OCF_ERR_GENERIC",
            OcfExit::ErrArgs => "OCF_ERR_ARGS",
            OcfExit::Unimplemented => "OCF_ERR_UNIMPLEMENTED",
            OcfExit::ErrPerm => "OCF_ERR_PERM",
            OcfExit::ErrInstalled => "OCF_ERR_INSTALLED",
            OcfExit::ErrConfigured => "OCF_ERR_CONFIGURED",
            OcfExit::NotRunning => "OCF_NOT_RUNNING",
            OcfExit::RunningPromoted => "OCF_RUNNING_PROMOTED",
            OcfExit::FailedPromoted => "OCF_FAILED_PROMOTED",
            OcfExit::Degraded => "OCF_DEGRADED",
            OcfExit::DegradedPromoted => "OCF_DEGRADED_PROMOTED",
        }
    }

    /// The code for a number, if OCF defines one.
    pub fn from_code(code: i32) -> Option<OcfExit> {
        Some(match code {
            0 => OcfExit::Success,
            1 => OcfExit::ErrGeneric,
            2 => OcfExit::ErrArgs,
            3 => OcfExit::Unimplemented,
            4 => OcfExit::ErrPerm,
            5 => OcfExit::ErrInstalled,
            6 => OcfExit::ErrConfigured,
            7 => OcfExit::NotRunning,
            8 => OcfExit::RunningPromoted,
            9 => OcfExit::FailedPromoted,
            190 => OcfExit::Degraded,
            191 => OcfExit::DegradedPromoted,
            _ => return None,
        })
    }

    /// Whether this is a failure of the action (anything but 0, or 7 for a monitor, or 8).
    pub fn is_failure_for_monitor(self) -> bool {
        !matches!(
            self,
            OcfExit::Success
                | OcfExit::NotRunning
                | OcfExit::RunningPromoted
                | OcfExit::Degraded
                | OcfExit::DegradedPromoted
        )
    }
}

impl fmt::Display for OcfExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code(), self.name())
    }
}

impl From<OcfExit> for std::process::ExitCode {
    fn from(e: OcfExit) -> Self {
        std::process::ExitCode::from(e.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_match_the_spec() {
        let all = [
            (OcfExit::Success, 0),
            (OcfExit::ErrGeneric, 1),
            (OcfExit::ErrArgs, 2),
            (OcfExit::Unimplemented, 3),
            (OcfExit::ErrPerm, 4),
            (OcfExit::ErrInstalled, 5),
            (OcfExit::ErrConfigured, 6),
            (OcfExit::NotRunning, 7),
            (OcfExit::RunningPromoted, 8),
            (OcfExit::FailedPromoted, 9),
            (OcfExit::Degraded, 190),
            (OcfExit::DegradedPromoted, 191),
        ];
        for (e, n) in all {
            assert_eq!(e.code() as i32, n);
            assert_eq!(OcfExit::from_code(n), Some(e));
        }
        assert_eq!(OcfExit::from_code(42), None);
        assert_eq!(OcfExit::from_code(189), None);
    }

    #[test]
    fn monitor_failure_classification() {
        assert!(!OcfExit::NotRunning.is_failure_for_monitor());
        assert!(!OcfExit::Degraded.is_failure_for_monitor());
        assert!(OcfExit::ErrGeneric.is_failure_for_monitor());
        assert!(OcfExit::ErrConfigured.is_failure_for_monitor());
    }
}
