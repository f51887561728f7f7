//! The MQI checks (depth 10/20), run in a child that dropped to the mq user. Owned by MQI-PROBE.
