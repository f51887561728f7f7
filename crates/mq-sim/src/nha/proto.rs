//! The frames Native HA instances exchange over their replication connections (one TCP
//! connection per pair of instances, on the `ReplicationAddress` ports): a 4-byte big-endian
//! length and one serde_json document, as `crate::wire` frames the engine's traffic.
//!
//! The wire format is the simulator's own (IBM's replication protocol is not public); only its
//! observable effects follow IBM (docs/reference/native-ha.md#in-sync, #quorum-and-election).

use serde::{Deserialize, Serialize};
use std::io;

/// A log sequence number: the position of a replication record in the group's record log
/// (1, 2, ...; 0 = nothing yet).
pub type Lsn = u64;

/// One frame on a replication connection. The sender is known from the connection's `Hello`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub enum Frame {
    /// First frame both ways: who is calling, for which queue manager.
    Hello { qm: String, instance: String },
    /// Raft traffic (`super::raft`).
    Raft(Msg),
    /// A replication record from the active: `rec` is the engine's record, opaque here.
    Append { term: u64, lsn: Lsn, rec: serde_json::Value },
    /// A replica has applied every record up to `lsn`.
    Ack { term: u64, lsn: Lsn },
    /// The active ends the whole group (plain endmqm on the active).
    EndGroup { mode: String },
    /// The active's view of the group, sent with its heartbeats: what a replica's dspmq shows
    /// of the others (IBM: a replica's view of the group may be stale).
    View { quorum: (u8, u8), peers: Vec<PeerView> },
    /// Keeps an idle connection (between two replicas) known to be alive.
    Ping,
}

/// An instance's role as dspmq reports it (docs/reference/native-ha.md#roles).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Active,
    Replica,
    Unknown,
}

/// One instance as the active sees it (`dspmq -o nativeha -x`, docs/reference/native-ha.md#in-sync).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PeerView {
    pub role: Role,
    /// Connected to the active.
    pub connactv: bool,
    pub insync: bool,
    pub backlog_kb: u64,
    /// Connected to the instance answering (filled in locally).
    pub conninst: bool,
}

/// The election and liveness messages of `super::raft::Raft`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub enum Msg {
    /// "Would you vote for me in `term`?" Changes no state on either side, so an instance that
    /// was cut off cannot disturb a healthy group when it comes back (Raft's pre-vote).
    PreVote {
        term: u64,
        last_lsn: Lsn,
    },
    PreVoteReply {
        term: u64,
        granted: bool,
    },
    VoteRequest {
        term: u64,
        last_lsn: Lsn,
    },
    VoteReply {
        term: u64,
        granted: bool,
    },
    /// From the leader; `formed`: the group's first election has happened.
    Heartbeat {
        term: u64,
        leader_lsn: Lsn,
        formed: bool,
    },
    HeartbeatReply {
        term: u64,
        lsn: Lsn,
    },
    /// From a leader handing over (endmqm -s): start an election now.
    TimeoutNow {
        term: u64,
    },
}

pub fn write<W: io::Write>(w: &mut W, f: &Frame) -> io::Result<()> {
    crate::wire::write_frame(w, f)
}

/// `Ok(None)` on a clean end of stream.
pub fn read<R: io::Read>(r: &mut R) -> io::Result<Option<Frame>> {
    crate::wire::read_frame(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_through_the_length_prefixed_encoding() {
        let frames = vec![
            Frame::Hello { qm: "QM1".into(), instance: "a".into() },
            Frame::Raft(Msg::VoteRequest { term: 3, last_lsn: 7 }),
            Frame::Append { term: 3, lsn: 8, rec: serde_json::json!({"Journal": {"queue": "Q"}}) },
            Frame::Ack { term: 3, lsn: 8 },
        ];
        let mut buf = Vec::new();
        for f in &frames {
            write(&mut buf, f).unwrap();
        }
        let mut r = &buf[..];
        for f in &frames {
            assert_eq!(read(&mut r).unwrap().as_ref(), Some(f));
        }
        assert_eq!(read(&mut r).unwrap(), None);
    }
}
