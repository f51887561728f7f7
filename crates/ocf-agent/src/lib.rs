//! The Pacemaker face of mqha: the OCF resource agents ocf:mqha:ibmmq, ocf:mqha:ibmmq-listener
//! and ocf:mqha:ibmmq-trigger, served by one binary (`ibmmq`, see main.rs) that picks the agent
//! by the name it was called by. This library reads the OCF environment into typed parameters
//! (one declarative table per agent, from which meta-data and man page are derived too), runs
//! the action on mq-core's components and maps the outcome to an OCF exit code in one place.
//! It does not drive MQ itself (commands, /proc and the MQI are mq-core's), nor hold the OCF
//! machinery (environment, parameter tables, meta-data, logging, exit codes are ocf-runtime's).

pub mod check;
pub mod component;
pub mod ibmmq;
pub mod listener;
pub mod pacemaker;
pub mod spec;
pub mod trigger;

/// The OCF runtime under the name the agents' modules use (`crate::ocf::...`, `crate::ocf_debug!`).
pub use ocf_runtime as ocf;
pub use ocf_runtime::{ocf_debug, ocf_err, ocf_info, ocf_warn};
