//! The OCF side of the agents, independent of MQ: exit codes, the environment Pacemaker passes,
//! logging like ocf_log, and the declarative parameter tables with what is derived from them.

pub mod env;
pub mod exit;
pub mod log;
pub mod metadata;
pub mod params;

pub use env::{Action, CheckLevel, Env};
pub use exit::OcfExit;
pub use params::{ParamError, Values};
