//! The shared session store: one node, `workers` operations at once, an unbounded FIFO queue.
//!
//! Models: every authenticated request of a stateless tier reads its session here and every login
//! writes one; each operation takes an exponential time (`read_time`, `write_time`). The store can
//! crash: operations queued or in progress fail, and requests that need it while it is down fail
//! at once. Whether sessions survive the crash (`durable`) is the engine's business with
//! `Sessions`.
//!
//! Leaves out: several nodes, replication, memory limits and eviction, network latency apart from
//! the operation time, and connection pools.

use crate::scenario::Micros;
use std::collections::VecDeque;

/// An operation of one request on the store. It is stale once its user's request number has moved
/// on (the request ended another way, e.g. with its server's crash).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op {
    /// The user whose request needs it.
    pub user: u32,
    /// The number of the request that asked for it.
    pub request: u64,
    /// A session write (else a read).
    pub write: bool,
    /// How long it takes once a store worker starts it.
    pub duration_us: Micros,
}

/// The session store node.
#[derive(Debug)]
pub struct Store {
    /// Whether it answers.
    pub up: bool,
    /// Bumped by every crash; completions of an older epoch are stale.
    pub epoch: u32,
    slots: Vec<Option<Op>>,
    free_slots: Vec<u32>,
    queue: VecDeque<Op>,
}

impl Store {
    /// A running store with `workers` worker slots.
    pub fn new(workers: u32) -> Self {
        Store {
            up: true,
            epoch: 0,
            slots: vec![None; workers as usize],
            free_slots: (0..workers).rev().collect(),
            queue: VecDeque::new(),
        }
    }

    /// Takes an operation: returns the worker slot if it starts now, `None` if it is queued.
    pub fn submit(&mut self, op: Op) -> Option<u32> {
        debug_assert!(self.up);
        match self.free_slots.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(op);
                Some(slot)
            }
            None => {
                self.queue.push_back(op);
                None
            }
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

    /// Stops the store at once. Loses every queued and in-progress operation (appended to `lost`
    /// for the engine to fail their requests). Keeps nothing else: sessions are not stored here.
    pub fn crash(&mut self, lost: &mut Vec<Op>) {
        assert!(self.up, "only a running store can crash");
        lost.extend(self.slots.iter_mut().filter_map(Option::take));
        lost.extend(self.queue.drain(..));
        self.free_slots.clear();
        self.free_slots.extend((0..self.slots.len() as u32).rev());
        self.up = false;
        self.epoch += 1;
    }

    /// Brings the store back, empty of operations.
    pub fn restart(&mut self) {
        assert!(!self.up, "only a crashed store can restart");
        self.up = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(user: u32) -> Op {
        Op {
            user,
            request: 0,
            write: false,
            duration_us: 10,
        }
    }

    #[test]
    fn ops_queue_when_workers_are_busy_and_start_in_order() {
        let mut s = Store::new(1);
        assert_eq!(s.submit(op(1)), Some(0));
        assert_eq!(s.submit(op(2)), None);
        assert_eq!(s.submit(op(3)), None);
        assert_eq!(s.complete(0), (op(1), Some(op(2))));
        assert_eq!(s.complete(0), (op(2), Some(op(3))));
        assert_eq!(s.complete(0), (op(3), None));
    }

    #[test]
    fn a_crash_hands_back_every_op() {
        let mut s = Store::new(2);
        for u in 1..=4 {
            s.submit(op(u));
        }
        let mut lost = Vec::new();
        s.crash(&mut lost);
        let users: Vec<u32> = lost.iter().map(|o| o.user).collect();
        assert_eq!(users, vec![1, 2, 3, 4]);
        s.restart();
        assert_eq!(s.submit(op(5)), Some(0));
    }
}
