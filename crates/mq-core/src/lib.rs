//! mq-core: everything about driving IBM MQ; it knows nothing of OCF or Pacemaker and asks the
//! cluster only through `cluster`'s traits. ocf-runtime: OCF without MQ; ocf-agent joins the two.
//!
//! mq-core drives an IBM MQ installation: queue-manager names, the installation's files, running
//! its control commands as the mq user with a deadline, reading their replies, the MQI, and the
//! queue manager's process family in /proc. From those it builds the components an agent manages
//! (`qmgr::QueueManager` with its multi-instance role, `listener::Listener`,
//! `trigger::TriggerMonitor`), each placed once (`placement`), observed, decided on and started or
//! stopped within one `Deadline`. It returns typed states and errors; the agent decides what they
//! mean to the cluster. docs/architecture.md shows where each concern lives.

pub mod client_check;
pub mod cluster;
pub mod deadline;
pub mod dspmq;
pub mod envfile;
pub mod error;
pub mod exec;
pub mod fsread;
pub mod ini;
pub mod installation;
pub mod limits;
pub mod listener;
pub mod mqi;
pub mod name;
pub mod placement;
pub mod procs;
pub mod qmgr;
pub mod runmqsc;
pub mod state_dir;
pub mod storage;
pub mod syntax;
pub mod trigger;
pub mod user;

pub use deadline::Deadline;
pub use dspmq::QmState;
pub use error::{ExecError, Fault, MqError};
pub use name::{QmName, QmNameError};
