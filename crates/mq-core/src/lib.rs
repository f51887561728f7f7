//! mq-core drives an IBM MQ installation: queue-manager names, the installation's files, running
//! its control commands as the mq user with a deadline, reading their replies, the MQI, and the
//! queue manager's process family in /proc. It knows nothing of OCF or Pacemaker: it returns
//! typed states and errors, and the agent decides what they mean to the cluster.

pub mod cluster;
pub mod deadline;
pub mod dspmq;
pub mod error;
pub mod exec;
pub mod ini;
pub mod installation;
pub mod listener;
pub mod mqi;
pub mod name;
pub mod placement;
pub mod procs;
pub mod qmgr;
pub mod runmqsc;
pub mod storage;
pub mod trigger;
pub mod user;

pub use deadline::Deadline;
pub use dspmq::QmState;
pub use error::{ExecError, Fault, MqError};
pub use name::{QmName, QmNameError};
