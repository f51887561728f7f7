//! For writing an OCF resource agent in Rust: environment, exit codes, ocf_log logging, parameter table, meta-data.
//! Not an agent: it knows no managed service; value rules beyond its generic types come from the agent's table.
//!
//! An agent describes its parameters once ([`params::AgentSpec`]); parsing from OCF_RESKEY_*, the first
//! validation layer and the meta-data ([`metadata::render`]) are derived from that table, so they cannot drift
//! apart. [`Env`] reads the action's environment (probe, check level, the deadline from the operation timeout)
//! and [`OcfExit`] is what every action returns; [`invocation::run`] wraps an agent's action in the rules
//! every agent shares (unsupported actions, a stop that never fails over configuration, exit reasons).

pub mod env;
pub mod exit;
pub mod invocation;
pub mod log;
pub mod metadata;
pub mod params;
pub mod trace;

pub use env::{Action, CheckLevel, Env};
pub use exit::OcfExit;
pub use params::{ParamError, Values};
