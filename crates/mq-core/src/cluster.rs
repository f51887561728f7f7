//! What mq-core asks of the cluster it runs in, as traits: the agent implements them with the
//! cluster manager's tools, tests in memory. mq-core never runs a cluster command itself.

use std::time::Instant;

/// Values each node publishes under a name, which every node can read.
pub trait NodeAttributes {
    /// This node's name in the cluster.
    fn node(&self) -> String;
    /// Publishes this node's `value` of `name`; Err says why the cluster did not take it.
    fn publish(&self, name: &str, value: &str, deadline: Instant) -> Result<(), String>;
    /// Every node's value of `name`, as (node, value).
    fn read_all(&self, name: &str, deadline: Instant) -> Result<Vec<(String, String)>, String>;
}

/// How strongly the cluster should prefer this node for the promoted (active) role.
pub trait PromotionScores {
    /// Sets (Some) or removes (None) this node's score; Err says why it could not.
    fn set(&self, score: Option<u32>, deadline: Instant) -> Result<(), String>;
}
