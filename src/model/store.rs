//! A node of the shared session store: `workers` operations at once and a FIFO queue of at most
//! `queue_limit` more (one more is rejected).
//!
//! Models: every authenticated request of a stateless tier reads its session from the node its
//! session lives on, and every login writes one; each operation takes an exponential time
//! (`read_time`, `write_time`). A node's sessions are kept on `replicas` machines; the first
//! machine up serves its operations. When that machine crashes, the operations queued or in
//! progress fail and the next machine up takes over (at once); when no machine is up, requests
//! that need the node fail at once. Which sessions survive (`durable`, copies left) is the
//! engine's business with `Sessions`. Sessions are placed on nodes by a consistent-hash ring
//! ([`Ring`]).
//!
//! Leaves out: replication lag (copies are taken as written with the operation), re-sharding when
//! nodes are added, connection pools, and a node's CPU shared between its workers.

use crate::model::ids::{StoreNodeId, UserSlot};
use crate::scenario::Micros;
use std::collections::VecDeque;

/// An operation of one request on the store. It is stale once its user's request number has moved
/// on (the request ended another way, e.g. with its server's crash).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op {
    /// The user whose request needs it.
    pub user: UserSlot,
    /// The number of the request that asked for it.
    pub request: u64,
    /// A session write (else a read).
    pub write: bool,
    /// How long it takes once a store worker starts it.
    pub duration_us: Micros,
}

/// What happened to an operation submitted to a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Submitted {
    /// It holds worker slot `slot` from now on.
    Started(u32),
    /// It waits in the queue.
    Queued,
    /// The queue was full: rejected.
    Rejected,
}

/// One store node.
#[derive(Debug)]
pub struct Store {
    /// Whether it answers (one of its machines is up).
    pub up: bool,
    /// Bumped by every crash of its serving machine; completions of an older epoch are stale.
    pub epoch: u32,
    slots: Vec<Option<Op>>,
    free_slots: Vec<u32>,
    queue: VecDeque<Op>,
    queue_limit: usize,
}

impl Store {
    /// A running node with `workers` worker slots and at most `queue_limit` queued operations.
    pub fn with_queue_limit(workers: u32, queue_limit: Option<u32>) -> Self {
        Store {
            up: true,
            epoch: 0,
            slots: vec![None; workers as usize],
            free_slots: (0..workers).rev().collect(),
            queue: VecDeque::new(),
            queue_limit: queue_limit.map_or(usize::MAX, |l| l as usize),
        }
    }

    /// Takes an operation: it starts now, waits, or is rejected.
    pub fn submit(&mut self, op: Op) -> Submitted {
        debug_assert!(self.up);
        if let Some(slot) = self.free_slots.pop() {
            self.slots[slot as usize] = Some(op);
            Submitted::Started(slot)
        } else if self.queue.len() < self.queue_limit {
            self.queue.push_back(op);
            Submitted::Queued
        } else {
            Submitted::Rejected
        }
    }

    /// Ends the operation in `slot`; returns it, and the next queued operation if one starts in
    /// the same slot.
    pub fn complete(&mut self, slot: u32) -> (Op, Option<Op>) {
        let done = self.slots[slot as usize]
            .take()
            .expect("a completed slot was busy");
        match self.queue.pop_front() {
            Some(next) => {
                self.slots[slot as usize] = Some(next);
                (done, Some(next))
            }
            None => {
                self.free_slots.push(slot);
                (done, None)
            }
        }
    }

    /// Its serving machine crashed: loses every queued and in-progress operation (appended to
    /// `lost` for the engine to fail their requests); the node is `up` afterwards if
    /// `another_machine_up`. Keeps nothing else: sessions are not stored here.
    pub fn crash(&mut self, lost: &mut Vec<Op>, another_machine_up: bool) {
        assert!(self.up, "only a running node can crash");
        lost.extend(self.slots.iter_mut().filter_map(Option::take));
        lost.extend(self.queue.drain(..));
        self.free_slots.clear();
        self.free_slots.extend((0..self.slots.len() as u32).rev());
        self.up = another_machine_up;
        self.epoch += 1;
    }

    /// Brings the node back, empty of operations.
    pub fn restart(&mut self) {
        assert!(!self.up, "only a crashed node can restart");
        self.up = true;
    }
}

/// The consistent-hash ring that places sessions on store nodes: 128 points per node.
#[derive(Debug)]
pub struct Ring {
    points: Vec<(u64, u32)>,
}

/// Points of each node on the ring.
const POINTS_PER_NODE: u64 = 128;

impl Ring {
    /// A ring over nodes `0..nodes`.
    pub fn new(nodes: u32) -> Self {
        let mut points: Vec<(u64, u32)> = (0..nodes)
            .flat_map(|n| {
                (0..POINTS_PER_NODE).map(move |v| {
                    let key = (u64::from(n) << 32) | v;
                    (crate::rng::mix64(key ^ 0x5354_4f52_4520_5249), n)
                })
            })
            .collect();
        points.sort_unstable();
        Ring { points }
    }

    /// The node of a session with key `key` (the first point clockwise from its hash).
    pub fn node(&self, key: u64) -> StoreNodeId {
        if self.points.len() <= POINTS_PER_NODE as usize {
            return StoreNodeId(0);
        }
        let h = crate::rng::mix64(key);
        let i = self.points.partition_point(|&(p, _)| p < h);
        StoreNodeId(self.points[i % self.points.len()].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(user: u32) -> Op {
        Op {
            user: UserSlot(user),
            request: 0,
            write: false,
            duration_us: 10,
        }
    }

    #[test]
    fn ops_queue_when_workers_are_busy_and_start_in_order() {
        let mut s = Store::with_queue_limit(1, None);
        assert_eq!(s.submit(op(1)), Submitted::Started(0));
        assert_eq!(s.submit(op(2)), Submitted::Queued);
        assert_eq!(s.submit(op(3)), Submitted::Queued);
        assert_eq!(s.complete(0), (op(1), Some(op(2))));
        assert_eq!(s.complete(0), (op(2), Some(op(3))));
        assert_eq!(s.complete(0), (op(3), None));
    }

    #[test]
    fn a_crash_hands_back_every_op() {
        let mut s = Store::with_queue_limit(2, None);
        for u in 1..=4 {
            s.submit(op(u));
        }
        let mut lost = Vec::new();
        s.crash(&mut lost, false);
        let users: Vec<u32> = lost.iter().map(|o| o.user.0).collect();
        assert_eq!(users, vec![1, 2, 3, 4]);
        s.restart();
        assert_eq!(s.submit(op(5)), Submitted::Started(0));
    }

    #[test]
    fn a_full_queue_rejects_the_next_op() {
        let mut s = Store::with_queue_limit(1, Some(2));
        assert_eq!(s.submit(op(1)), Submitted::Started(0));
        assert_eq!(s.submit(op(2)), Submitted::Queued);
        assert_eq!(s.submit(op(3)), Submitted::Queued);
        assert_eq!(s.submit(op(4)), Submitted::Rejected);
        assert_eq!(s.complete(0), (op(1), Some(op(2))));
        assert_eq!(s.submit(op(5)), Submitted::Queued);
    }

    #[test]
    fn a_crash_with_a_replica_up_keeps_the_node_up() {
        let mut s = Store::with_queue_limit(1, None);
        s.submit(op(1));
        let mut lost = Vec::new();
        s.crash(&mut lost, true);
        assert!(s.up);
        assert_eq!(lost.len(), 1);
        assert_eq!(s.submit(op(2)), Submitted::Started(0));
    }

    #[test]
    fn the_ring_spreads_keys_evenly_over_nodes() {
        let ring = Ring::new(4);
        let mut counts = [0u32; 4];
        for key in 0..40_000u64 {
            counts[ring.node(key).index()] += 1;
        }
        // 128 points per node: each share within 20 % of a quarter.
        for c in counts {
            assert!((8_000..=12_000).contains(&c), "{counts:?}");
        }
        assert!((0..1000).all(|k| Ring::new(1).node(k) == StoreNodeId(0)));
    }
}
