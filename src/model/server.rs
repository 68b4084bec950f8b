//! A web server: `workers` requests in service at once and a bounded FIFO queue.
//!
//! Models: a request that finds a free worker holds it until it ends (including while it waits
//! for the session store, as a thread-per-request server does); otherwise it waits in the queue,
//! or is rejected when the queue is full. A server is up or down, exists or not (servers added and
//! removed during the run); whether the balancer routes to it is the balancer's business.
//!
//! Leaves out: CPU sharing between workers (each worker is an independent server of the M/M/c
//! kind), garbage collection, connection limits and keep-alive, and slow start after a restart.

use crate::scenario::Micros;
use std::collections::VecDeque;

/// "Free" in a worker slot.
const FREE: u32 = u32::MAX;

/// What happened to a request that reached a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// It holds worker slot `slot` from now on.
    Started {
        /// The worker slot.
        slot: u32,
    },
    /// It waits in the queue.
    Queued,
    /// The queue was full: rejected.
    Rejected,
}

/// One web server.
#[derive(Debug)]
pub struct Server {
    /// Whether the server exists (ids beyond the current count do not).
    pub exists: bool,
    /// Whether it is running (false after a crash, until its restart).
    pub up: bool,
    /// Bumped by every crash, restart and removal; events of an older epoch are stale.
    pub epoch: u32,
    /// The user in each worker slot, or `FREE`.
    slots: Vec<u32>,
    free_slots: Vec<u32>,
    queue: VecDeque<u32>,
    queue_limit: usize,
    /// Busy worker-microseconds since the server was created, up to `busy_since_us`.
    busy_area_us: u64,
    busy_since_us: Micros,
}

impl Server {
    /// A running server with no work.
    pub fn new(workers: u32, queue_limit: u32, now: Micros) -> Self {
        let mut server = Server {
            exists: true,
            up: true,
            epoch: 0,
            slots: vec![FREE; workers as usize],
            free_slots: Vec::with_capacity(workers as usize),
            queue: VecDeque::new(),
            queue_limit: queue_limit as usize,
            busy_area_us: 0,
            busy_since_us: now,
        };
        server.reset_slots();
        server
    }

    /// Takes a request from `user`: a free worker if there is one, else the queue if it has room.
    pub fn admit(&mut self, user: u32, now: Micros) -> Admission {
        debug_assert!(self.up && self.exists);
        self.account_busy(now);
        if let Some(slot) = self.free_slots.pop() {
            self.slots[slot as usize] = user;
            Admission::Started { slot }
        } else if self.queue.len() < self.queue_limit {
            self.queue.push_back(user);
            Admission::Queued
        } else {
            Admission::Rejected
        }
    }

    /// Frees worker `slot`, then gives it to the first queued user, if any (returned).
    pub fn release(&mut self, slot: u32, now: Micros) -> Option<u32> {
        debug_assert_ne!(self.slots[slot as usize], FREE, "released a free worker");
        if let Some(next) = self.queue.pop_front() {
            self.slots[slot as usize] = next;
            return Some(next);
        }
        self.account_busy(now);
        self.slots[slot as usize] = FREE;
        self.free_slots.push(slot);
        None
    }

    /// The user holding worker `slot` (`None` if it is free).
    pub fn user_in(&self, slot: u32) -> Option<u32> {
        let user = self.slots[slot as usize];
        (user != FREE).then_some(user)
    }

    /// Requests in service or queued (what `least_connections` compares).
    pub fn load(&self) -> u32 {
        (self.slots.len() - self.free_slots.len() + self.queue.len()) as u32
    }

    /// Stops the server at once (a crash or an abrupt removal).
    ///
    /// Loses: the queue and every request in service (their users are appended to `lost`, in
    /// slot order then queue order, for the engine to fail with an error). The sessions in its
    /// memory are the engine's to lose (`Sessions::lose_all_of`); the balancer's rotation is the
    /// balancer's to change. Keeps: its busy-time account up to `now`.
    pub fn stop(&mut self, now: Micros, lost: &mut Vec<u32>) {
        assert!(self.up, "only a running server can stop");
        self.account_busy(now);
        lost.extend(self.slots.iter().copied().filter(|&u| u != FREE));
        lost.extend(self.queue.drain(..));
        self.reset_slots();
        self.up = false;
        self.epoch += 1;
    }

    /// Starts a stopped server again, empty (a restart, or an added server reusing an id).
    pub fn start(&mut self, now: Micros) {
        assert!(!self.up, "only a stopped server can start");
        debug_assert!(self.queue.is_empty() && self.free_slots.len() == self.slots.len());
        self.up = true;
        self.exists = true;
        self.epoch += 1;
        self.busy_since_us = now;
    }

    /// The server is removed from the cluster; `stop` it first if it is running.
    pub fn retire(&mut self) {
        assert!(!self.up, "a running server is stopped before it is removed");
        self.exists = false;
        self.epoch += 1;
    }

    /// Busy worker-microseconds since the server was created, up to `now` (never decreases:
    /// callers take differences).
    pub fn busy_total_us(&mut self, now: Micros) -> u64 {
        self.account_busy(now);
        self.busy_area_us
    }

    /// Number of workers.
    pub fn workers(&self) -> u32 {
        self.slots.len() as u32
    }

    fn account_busy(&mut self, now: Micros) {
        let busy = (self.slots.len() - self.free_slots.len()) as u64;
        self.busy_area_us += busy * (now - self.busy_since_us);
        self.busy_since_us = now;
    }

    fn reset_slots(&mut self) {
        self.slots.fill(FREE);
        self.free_slots.clear();
        // Popped from the end: slot 0 is handed out first.
        self.free_slots.extend((0..self.slots.len() as u32).rev());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_then_queue_then_rejection() {
        let mut s = Server::new(2, 1, 0);
        assert_eq!(s.admit(10, 0), Admission::Started { slot: 0 });
        assert_eq!(s.admit(11, 0), Admission::Started { slot: 1 });
        assert_eq!(s.admit(12, 0), Admission::Queued);
        assert_eq!(s.admit(13, 0), Admission::Rejected);
        assert_eq!(s.load(), 3);
        // The queued user takes the freed worker directly.
        assert_eq!(s.release(1, 5), Some(12));
        assert_eq!(s.user_in(1), Some(12));
        assert_eq!(s.release(1, 5), None);
        assert_eq!(s.load(), 1);
    }

    #[test]
    fn busy_time_is_integrated() {
        let mut s = Server::new(4, 0, 0);
        s.admit(1, 0); // 1 busy from 0
        s.admit(2, 10); // 2 busy from 10
        s.release(0, 30); // 1 busy from 30
        // 1*10 + 2*20 + 1*10 = 60
        assert_eq!(s.busy_total_us(40), 60);
        assert_eq!(s.busy_total_us(50), 70);
    }

    #[test]
    fn stop_hands_back_every_request_and_empties_the_server() {
        let mut s = Server::new(1, 5, 0);
        s.admit(7, 0);
        s.admit(8, 0);
        s.admit(9, 0);
        let mut lost = Vec::new();
        s.stop(3, &mut lost);
        assert_eq!(lost, vec![7, 8, 9]);
        assert!(!s.up);
        assert_eq!(s.load(), 0);
        assert_eq!(s.epoch, 1);
        s.start(4);
        assert_eq!(s.admit(1, 4), Admission::Started { slot: 0 });
        assert_eq!(s.epoch, 2);
    }
}
