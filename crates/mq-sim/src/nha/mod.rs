//! Native HA: three instances of one queue manager, each with its own data and log, replicating
//! the recovery log between them and electing the active instance (docs/reference/native-ha.md).

pub mod node;
pub mod proto;
pub mod raft;
