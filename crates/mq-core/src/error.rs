//! Errors of mq-core, one enum per layer. Each carries what an administrator needs to act: the
//! command, its exit code and the output line that explains it.

use std::path::PathBuf;
use std::time::Duration;

/// Running one external command failed before it could give an answer.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{program} did not finish within {}ms; its process group was killed", .after.as_millis())]
    Timeout { program: String, after: Duration },
    #[error("{program} was killed by signal {signal}")]
    Signalled { program: String, signal: i32 },
    #[error("reading the output of {program}: {source}")]
    Io {
        program: String,
        #[source]
        source: std::io::Error,
    },
}

/// What an MQ command answered when it did not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{command} exited {rc}: {line}")]
pub struct CommandFailed {
    pub command: String,
    pub rc: i32,
    /// The output line that explains the failure (an AMQ message when there is one).
    pub line: String,
}

/// Who must act on an error, which is what decides how a cluster should react to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The configuration is wrong wherever it runs (e.g. strmqm rejects the options).
    Config,
    /// This node is not set up for the queue manager (user, directories, mqs.ini, installation).
    Node,
    /// The mq user may not do what was asked.
    Permission,
    /// Anything else: worth a retry or a move to another node.
    Generic,
}

/// An error of a queue-manager operation, with the class that decides the reaction.
#[derive(Debug, thiserror::Error)]
pub enum MqError {
    #[error(transparent)]
    Exec(#[from] ExecError),
    #[error(transparent)]
    Command(#[from] CommandFailed),
    #[error("{what}: {path}: {source}")]
    File {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Node(String),
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Permission(String),
    #[error("{0}")]
    Failed(String),
    /// The queue manager was still Starting (log replay) when the operation's time ran out:
    /// `secs` is how long it had been Starting as far as the operation saw, `progress` the last
    /// replay line strmqm printed.
    #[error(
        "queue manager {qm} is still Starting (log replay) after {secs}s{}",
        .progress.as_ref().map(|p| format!(" (last progress: {})", p.trim_end_matches('.'))).unwrap_or_default()
    )]
    StillStarting { qm: String, secs: u64, progress: Option<String> },
    /// The queue manager did not answer `what` (runmqsc, an MQI connect and inquiry) within
    /// `bound`, the hang bound the caller set: it is hung, or too overloaded to serve.
    #[error("queue manager {qm} did not answer {what} within {}s: hung", .bound.as_secs_f64())]
    NoAnswer { qm: String, what: String, bound: Duration },
}

impl MqError {
    pub fn fault(&self) -> Fault {
        match self {
            MqError::Node(_) => Fault::Node,
            MqError::File { .. } => Fault::Node,
            MqError::Config(_) => Fault::Config,
            MqError::Permission(_) => Fault::Permission,
            _ => Fault::Generic,
        }
    }
}
