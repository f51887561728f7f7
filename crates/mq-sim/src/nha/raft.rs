//! The election of a Native HA group as a pure state machine (no sockets, no clock: the caller
//! passes the time in milliseconds and sends what comes back), so it is unit-tested on its own.
//!
//! IBM describes the election as a Raft-style consensus on the recovery log
//! (docs/reference/native-ha.md#quorum-and-election); the rules simulated here:
//! - the FIRST election of a group needs all three instances (later ones a majority, two of three);
//!   `formed` records that it happened (the caller keeps it on disk, as MQ keeps the QMId);
//! - one vote per instance per term, so there are never two leaders in one term;
//! - a candidate whose log is behind the voter's gets no vote (#out-of-sync-replica);
//! - an instance only stands after a pre-vote round a majority would grant (Raft's pre-vote), so
//!   an instance coming back from a partition cannot depose a healthy leader;
//! - the leader steps down when it has not heard from a majority (itself included) for the
//!   leader lease, half the shortest election timeout: an isolated active gives up the role
//!   before the others can elect a new one, so two instances never both act as active
//!   (#partition; how fast IBM's active gives up is UNCONFIRMED, this is the strict reading).
//!
//! The election timeout is random in [min, 2*min) (default min 1000 ms; `nha-election-ms`
//! shortens it for tests; IBM's timing is UNCONFIRMED, "within seconds"); heartbeats every min/5.

use super::proto::{Lsn, Msg};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}

/// Where a message goes: one peer (index in the stanza order) or every other instance.
#[derive(Debug, Clone, PartialEq)]
pub enum To {
    Peer(usize),
    All,
}

pub type Out = Vec<(To, Msg)>;

#[derive(Debug, Clone)]
pub struct Raft {
    me: usize,
    n: usize,
    term: u64,
    voted_for: Option<usize>,
    role: Role,
    leader: Option<usize>,
    formed: bool,
    last_lsn: Lsn,
    /// Pre-votes (while `prevoting`) or votes (Candidate) granted, by instance.
    granted: Vec<bool>,
    prevoting: bool,
    /// When a follower or candidate stands (next), in ms.
    election_at: u64,
    /// When this instance last heard from a live leader.
    leader_seen: Option<u64>,
    /// Leader: when each peer last answered in this term.
    heard: Vec<Option<u64>>,
    next_heartbeat: u64,
    election_min: u64,
    rng: u64,
}

impl Raft {
    /// `me` of `n` instances; `formed`: the first election happened before (persisted);
    /// `last_lsn`: the last record this instance holds; `seed`: any non-constant number.
    pub fn new(me: usize, n: usize, formed: bool, last_lsn: Lsn, election_min: u64, seed: u64, now: u64) -> Raft {
        let mut r = Raft {
            me,
            n,
            term: 0,
            voted_for: None,
            role: Role::Follower,
            leader: None,
            formed,
            last_lsn,
            granted: vec![false; n],
            prevoting: false,
            election_at: 0,
            leader_seen: None,
            heard: vec![None; n],
            next_heartbeat: 0,
            election_min: election_min.max(10),
            rng: seed | 1,
        };
        r.reset_election(now);
        r
    }

    pub fn role(&self) -> Role {
        self.role
    }
    pub fn term(&self) -> u64 {
        self.term
    }
    pub fn leader(&self) -> Option<usize> {
        self.leader
    }
    pub fn voted_for(&self) -> Option<usize> {
        self.voted_for
    }
    /// Restores the term and vote kept on disk, so a restarted instance never votes twice in a term.
    pub fn restore(&mut self, term: u64, voted_for: Option<usize>) {
        self.term = term;
        self.voted_for = voted_for.filter(|v| *v < self.n);
    }
    pub fn formed(&self) -> bool {
        self.formed
    }
    pub fn last_lsn(&self) -> Lsn {
        self.last_lsn
    }
    pub fn election_min(&self) -> u64 {
        self.election_min
    }
    /// The log grew (a record applied here, or acknowledged as leader).
    pub fn set_last_lsn(&mut self, lsn: Lsn) {
        self.last_lsn = self.last_lsn.max(lsn);
    }
    /// The log is exactly `lsn` long (an instance that stopped leading keeps only what was
    /// acknowledged and applied).
    pub fn reset_last_lsn(&mut self, lsn: Lsn) {
        self.last_lsn = lsn;
    }
    pub fn set_election_min(&mut self, ms: u64) {
        self.election_min = ms.max(10);
    }

    /// The leader lease: a leader that has not heard from a majority for this long steps down.
    pub fn lease(&self) -> u64 {
        self.election_min / 2
    }

    fn needed(&self) -> usize {
        if self.formed {
            self.n / 2 + 1
        } else {
            self.n
        }
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64: enough to spread the instances' timeouts.
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }

    fn reset_election(&mut self, now: u64) {
        let jitter = self.next_random() % self.election_min;
        self.election_at = now + self.election_min + jitter;
    }

    fn become_follower(&mut self, term: u64, now: u64) {
        if term > self.term {
            self.term = term;
            self.voted_for = None;
        }
        if self.role != Role::Follower {
            self.role = Role::Follower;
            self.reset_election(now);
        }
        if self.leader == Some(self.me) {
            self.leader = None;
        }
        self.prevoting = false;
    }

    /// Whether this instance heard a live leader within the shortest election timeout.
    fn leader_alive(&self, now: u64) -> bool {
        self.role == Role::Leader || self.leader_seen.is_some_and(|t| now < t + self.election_min)
    }

    fn count_granted(&self) -> usize {
        self.granted.iter().filter(|g| **g).count()
    }

    fn start_prevote(&mut self, now: u64) -> Out {
        self.prevoting = true;
        self.granted = vec![false; self.n];
        self.granted[self.me] = true;
        self.reset_election(now);
        vec![(To::All, Msg::PreVote { term: self.term + 1, last_lsn: self.last_lsn })]
    }

    fn start_election(&mut self, now: u64) -> Out {
        self.prevoting = false;
        self.term += 1;
        self.role = Role::Candidate;
        self.leader = None;
        self.voted_for = Some(self.me);
        self.granted = vec![false; self.n];
        self.granted[self.me] = true;
        self.reset_election(now);
        let mut out = vec![(To::All, Msg::VoteRequest { term: self.term, last_lsn: self.last_lsn })];
        out.extend(self.check_won(now));
        out
    }

    fn check_won(&mut self, now: u64) -> Out {
        if self.role != Role::Candidate || self.count_granted() < self.needed() {
            return vec![];
        }
        self.role = Role::Leader;
        self.leader = Some(self.me);
        self.formed = true;
        // The voters answered just now: the lease starts from the win.
        self.heard = (0..self.n).map(|i| self.granted[i].then_some(now)).collect();
        self.next_heartbeat = now;
        self.heartbeat(now)
    }

    fn heartbeat(&mut self, now: u64) -> Out {
        if self.role != Role::Leader || now < self.next_heartbeat {
            return vec![];
        }
        self.next_heartbeat = now + (self.election_min / 5).max(1);
        vec![(To::All, Msg::Heartbeat { term: self.term, leader_lsn: self.last_lsn, formed: self.formed })]
    }

    /// Peers heard within the lease, this instance included (leader only).
    pub fn majority_heard(&self, now: u64) -> usize {
        1 + (0..self.n).filter(|i| *i != self.me && self.heard[*i].is_some_and(|t| now < t + self.lease())).count()
    }

    /// Advances timers: stand for election, send heartbeats, step down without a majority.
    pub fn tick(&mut self, now: u64) -> Out {
        match self.role {
            Role::Leader => {
                if self.majority_heard(now) < self.n / 2 + 1 {
                    self.role = Role::Follower;
                    self.leader = None;
                    self.leader_seen = None;
                    self.reset_election(now);
                    return vec![];
                }
                self.heartbeat(now)
            }
            Role::Follower | Role::Candidate => {
                if now < self.election_at {
                    return vec![];
                }
                if self.role == Role::Candidate {
                    // The election timed out without a winner: back to a pre-vote round.
                    self.role = Role::Follower;
                }
                self.leader = None;
                self.start_prevote(now)
            }
        }
    }

    /// A peer's connection went away.
    pub fn peer_down(&mut self, peer: usize) {
        if self.leader == Some(peer) {
            self.leader = None;
        }
    }

    /// Hand over (endmqm -s on the active): stop leading, do not stand again for a while, and
    /// tell `to` (an in-sync replica) to stand now.
    pub fn hand_over(&mut self, to: usize, now: u64) -> Out {
        if self.role != Role::Leader {
            return vec![];
        }
        self.role = Role::Follower;
        self.leader = None;
        self.leader_seen = None;
        self.election_at = now + 4 * self.election_min;
        vec![(To::Peer(to), Msg::TimeoutNow { term: self.term })]
    }

    /// Stop leading now (the active could not make a write durable): stand again only after
    /// twice the longest election timeout, so another instance is likely to win.
    pub fn step_down(&mut self, now: u64) {
        if self.role == Role::Leader {
            self.role = Role::Follower;
            self.leader = None;
            self.leader_seen = None;
            self.election_at = now + 4 * self.election_min;
        }
    }

    /// Handles one message from `from`; returns what to send.
    pub fn on_message(&mut self, from: usize, msg: Msg, now: u64) -> Out {
        match msg {
            Msg::PreVote { term, last_lsn } => {
                let granted = term > self.term && !self.leader_alive(now) && last_lsn >= self.last_lsn;
                vec![(To::Peer(from), Msg::PreVoteReply { term, granted })]
            }
            Msg::PreVoteReply { term, granted } => {
                if self.prevoting && term == self.term + 1 && granted {
                    self.granted[from] = true;
                    if self.count_granted() >= self.needed() {
                        return self.start_election(now);
                    }
                }
                vec![]
            }
            Msg::VoteRequest { term, last_lsn } => {
                if term > self.term {
                    self.become_follower(term, now);
                }
                let granted = term == self.term
                    && self.role == Role::Follower
                    && self.voted_for.is_none_or(|v| v == from)
                    && last_lsn >= self.last_lsn;
                if granted {
                    self.voted_for = Some(from);
                    self.reset_election(now);
                }
                vec![(To::Peer(from), Msg::VoteReply { term: self.term, granted })]
            }
            Msg::VoteReply { term, granted } => {
                if term > self.term {
                    self.become_follower(term, now);
                    return vec![];
                }
                if self.role == Role::Candidate && term == self.term && granted {
                    self.granted[from] = true;
                    return self.check_won(now);
                }
                vec![]
            }
            Msg::Heartbeat { term, leader_lsn: _, formed } => {
                if term < self.term {
                    return vec![(To::Peer(from), Msg::HeartbeatReply { term: self.term, lsn: self.last_lsn })];
                }
                self.become_follower(term, now);
                self.leader = Some(from);
                self.leader_seen = Some(now);
                self.formed |= formed;
                self.reset_election(now);
                vec![(To::Peer(from), Msg::HeartbeatReply { term: self.term, lsn: self.last_lsn })]
            }
            Msg::HeartbeatReply { term, lsn: _ } => {
                if term > self.term {
                    self.become_follower(term, now);
                } else if term == self.term && self.role == Role::Leader {
                    self.heard[from] = Some(now);
                }
                vec![]
            }
            Msg::TimeoutNow { term } => {
                if term == self.term && self.leader == Some(from) && self.role == Role::Follower {
                    return self.start_election(now);
                }
                vec![]
            }
        }
    }

    /// The leader heard from `peer` in its term (an acknowledgement of a record).
    pub fn heard_from(&mut self, peer: usize, term: u64, now: u64) {
        if self.role == Role::Leader && term == self.term {
            self.heard[peer] = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// Three instances wired by an in-memory network; `cut[i]` isolates instance i.
    struct Net {
        nodes: Vec<Raft>,
        queue: VecDeque<(usize, usize, Msg)>,
        cut: Vec<bool>,
        now: u64,
        /// (term, leader) of every leader ever seen.
        leaders: Vec<(u64, usize)>,
    }

    impl Net {
        fn new(formed: bool, lsns: [Lsn; 3]) -> Net {
            let nodes = (0..3).map(|i| Raft::new(i, 3, formed, lsns[i], 100, 7 + i as u64 * 7919, 0)).collect();
            Net { nodes, queue: VecDeque::new(), cut: vec![false; 3], now: 0, leaders: vec![] }
        }
        fn post(&mut self, from: usize, out: Out) {
            for (to, m) in out {
                let targets: Vec<usize> = match to {
                    To::Peer(p) => vec![p],
                    To::All => (0..3).filter(|p| *p != from).collect(),
                };
                for t in targets {
                    self.queue.push_back((from, t, m.clone()));
                }
            }
        }
        fn step(&mut self, ms: u64) {
            for _ in 0..ms {
                self.now += 1;
                for i in 0..3 {
                    let out = self.nodes[i].tick(self.now);
                    self.post(i, out);
                }
                while let Some((from, to, m)) = self.queue.pop_front() {
                    if self.cut[from] || self.cut[to] {
                        continue;
                    }
                    let out = self.nodes[to].on_message(from, m, self.now);
                    self.post(to, out);
                }
                let current: Vec<usize> = (0..3).filter(|i| self.nodes[*i].role() == Role::Leader).collect();
                for l in &current {
                    let t = self.nodes[*l].term();
                    if !self.leaders.contains(&(t, *l)) {
                        self.leaders.push((t, *l));
                    }
                }
                // Never two leaders in one term; never two instances acting as leader at once.
                assert!(current.len() <= 1, "two leaders at {} ms: {current:?}", self.now);
                for (t, l) in &self.leaders {
                    assert!(!self.leaders.iter().any(|(t2, l2)| t2 == t && l2 != l), "two leaders in term {t}");
                }
            }
        }
        fn leader(&self) -> Option<usize> {
            (0..3).find(|i| self.nodes[*i].role() == Role::Leader)
        }
    }

    #[test]
    fn three_instances_elect_exactly_one_leader() {
        let mut net = Net::new(false, [0, 0, 0]);
        net.step(1000);
        let l = net.leader().expect("a leader within 1 s");
        for i in 0..3 {
            assert!(net.nodes[i].formed());
            if i != l {
                assert_eq!(net.nodes[i].leader(), Some(l));
                assert_eq!(net.nodes[i].role(), Role::Follower);
            }
        }
    }

    #[test]
    fn the_first_election_needs_all_three() {
        let mut net = Net::new(false, [0, 0, 0]);
        net.cut[2] = true;
        net.step(3000);
        assert_eq!(net.leader(), None, "two of three must not form a new group");
        net.cut[2] = false;
        net.step(1000);
        assert!(net.leader().is_some());
    }

    #[test]
    fn after_the_first_election_a_majority_suffices() {
        let mut net = Net::new(true, [0, 0, 0]);
        net.cut[2] = true;
        net.step(1000);
        let l = net.leader().expect("two of three elect once the group is formed");
        assert_ne!(l, 2);
    }

    #[test]
    fn an_isolated_leader_steps_down_and_the_others_elect_without_overlap() {
        let mut net = Net::new(false, [0, 0, 0]);
        net.step(1000);
        let old = net.leader().unwrap();
        let term = net.nodes[old].term();
        net.cut[old] = true;
        // The lease is 50 ms: stepped down well before anyone else can win (checked every ms by step).
        net.step(60);
        assert_ne!(net.nodes[old].role(), Role::Leader);
        net.step(1000);
        let new = net.leader().expect("the majority elects");
        assert_ne!(new, old);
        assert!(net.nodes[new].term() > term);
        // The isolated one keeps failing pre-votes: its term does not run away...
        assert_eq!(net.nodes[old].term(), term);
        // ...so when it comes back it follows the new leader instead of deposing it.
        net.cut[old] = false;
        net.step(500);
        assert_eq!(net.leader(), Some(new));
        assert_eq!(net.nodes[old].leader(), Some(new));
    }

    #[test]
    fn a_candidate_whose_log_is_behind_cannot_win() {
        let mut net = Net::new(true, [5, 9, 9]);
        for _ in 0..5 {
            net.step(1000);
            assert_ne!(net.leader(), Some(0));
            // Force fresh elections: cut the leader off and heal.
            if let Some(l) = net.leader() {
                net.cut[l] = true;
                net.step(400);
                net.cut[l] = false;
            }
        }
        // Alone with the lagging one, no leader can be elected from it.
        let mut net = Net::new(true, [5, 9, 9]);
        net.cut[1] = true;
        net.step(2000);
        assert_eq!(net.leader(), Some(2), "0 is behind 2: only 2 can win");
    }

    #[test]
    fn one_vote_per_term() {
        let mut r = Raft::new(0, 3, true, 0, 100, 1, 0);
        let a = r.on_message(1, Msg::VoteRequest { term: 1, last_lsn: 0 }, 5);
        let b = r.on_message(2, Msg::VoteRequest { term: 1, last_lsn: 0 }, 6);
        assert_eq!(a, vec![(To::Peer(1), Msg::VoteReply { term: 1, granted: true })]);
        assert_eq!(b, vec![(To::Peer(2), Msg::VoteReply { term: 1, granted: false })]);
    }

    #[test]
    fn a_leader_that_hears_no_majority_steps_down_after_the_lease() {
        let mut r = Raft::new(0, 3, true, 0, 100, 1, 0);
        let mut now = 0;
        // Win an election by hand.
        while r.role() != Role::Candidate {
            now += 1;
            r.tick(now);
            r.on_message(1, Msg::PreVoteReply { term: 1, granted: true }, now);
        }
        r.on_message(1, Msg::VoteReply { term: 1, granted: true }, now);
        assert_eq!(r.role(), Role::Leader);
        let won = now;
        while r.role() == Role::Leader {
            now += 1;
            r.tick(now);
        }
        assert_eq!(now - won, r.lease());
    }

    #[test]
    fn hand_over_makes_the_named_replica_the_leader() {
        let mut net = Net::new(false, [0, 0, 0]);
        net.step(1000);
        let old = net.leader().unwrap();
        let to = (old + 1) % 3;
        let now = net.now;
        let out = net.nodes[old].hand_over(to, now);
        net.post(old, out);
        net.step(50);
        assert_eq!(net.leader(), Some(to));
    }
}
