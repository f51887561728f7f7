//! Native HA (issue 18): one queue manager made of three instances on three nodes, each with its
//! own data and recovery log, electing the active among themselves
//! (docs/reference/native-ha.md). `config` is the qm.ini stanzas (`NativeHALocalInstance`, three
//! `NativeHAInstance`) and their validation; `status` is the node-local status record the local
//! instance's controller writes and dspmq, strmqm and runmqsc read. `proto`, `raft` and `node` are
//! the running group: connections between the instances, the election and the transport of the
//! engine's replication records.

pub mod config;
pub mod node;
pub mod proto;
pub mod raft;
pub mod status;

/// A version's first three numbers (`9.4.4.0` -> (9, 4, 4)); missing or bad parts are 0.
pub fn version_triple(version: &str) -> (u32, u32, u32) {
    let mut it = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0), it.next().unwrap_or(0))
}

/// Native HA outside containers exists from MQ 9.4.4 (docs/reference/native-ha.md#availability-by-version).
/// Before that it ran only in IBM's containers, which the simulator does not model: an installation
/// below 9.4.4 refuses `crtmqm -lr` (UNCONFIRMED: the stricter reading).
pub fn supported(version: &str) -> bool {
    version_triple(version) >= (9, 4, 4)
}

#[cfg(test)]
mod tests {
    #[test]
    fn native_ha_from_9_4_4() {
        assert!(super::supported("9.4.4.0"));
        assert!(super::supported("9.4.5.0"));
        assert!(super::supported("10.0.0.0"));
        assert!(!super::supported("9.4.3.0"));
        assert!(!super::supported("9.4.0.0"));
        assert!(!super::supported("9.3.0.0"));
    }
}
