//! A web server: `workers` requests in service at once and a bounded FIFO queue.
//!
//! Models: a request that finds a free worker holds it until it ends (including while it waits
//! for the session store, as a thread-per-request server does); otherwise it waits in the queue,
//! or is rejected when the queue is full. A server is up or down, exists or not (servers added and
//! removed during the run); whether the balancer routes to it is the balancer's business.
//!
//! Leaves out: CPU sharing between workers (each worker is an independent server of the M/M/c
//! kind), garbage collection, connection limits and keep-alive, and slow start after a restart.

use crate::model::ids::UserSlot;
use crate::scenario::Micros;
use std::collections::VecDeque;

/// What occupies a worker slot or a place in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Occupant {
    /// A user's request.
    User(UserSlot),
    /// A copy of a session sent to this server as its backup (`server_replicated`).
    Copy,
}

/// The compact encoding of a worker slot or queue place (one `u32`): a user slot as itself,
/// `COPY` for a copy, `FREE` for a free worker. User slots stay below `COPY`.
const FREE: u32 = u32::MAX;
const COPY: u32 = u32::MAX - 1;

impl Occupant {
    #[inline]
    fn encode(self) -> u32 {
        match self {
            Occupant::User(u) => {
                debug_assert!(u.0 < COPY);
                u.0
            }
            Occupant::Copy => COPY,
        }
    }

    #[inline]
    fn decode(code: u32) -> Occupant {
        debug_assert_ne!(code, FREE);
        if code == COPY {
            Occupant::Copy
        } else {
            Occupant::User(UserSlot(code))
        }
    }
}

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
    /// The occupant of each worker slot (encoded), or `FREE`.
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

    /// Takes `who` (a request, or a copy): a free worker if there is one, else the queue if it
    /// has room.
    #[inline]
    pub fn admit(&mut self, who: Occupant, now: Micros) -> Admission {
        debug_assert!(self.up && self.exists);
        let user = who.encode();
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

    /// Frees worker `slot`, then gives it to the first queued occupant, if any (returned).
    #[inline]
    pub fn release(&mut self, slot: u32, now: Micros) -> Option<Occupant> {
        debug_assert_ne!(self.slots[slot as usize], FREE, "released a free worker");
        if let Some(next) = self.queue.pop_front() {
            self.slots[slot as usize] = next;
            return Some(Occupant::decode(next));
        }
        self.account_busy(now);
        self.slots[slot as usize] = FREE;
        self.free_slots.push(slot);
        None
    }

    /// What holds worker `slot` (`None` if it is free).
    #[inline]
    pub fn occupant(&self, slot: u32) -> Option<Occupant> {
        let code = self.slots[slot as usize];
        (code != FREE).then(|| Occupant::decode(code))
    }

    /// Requests in service or queued (what `least_connections` compares).
    pub fn load(&self) -> u32 {
        (self.slots.len() - self.free_slots.len() + self.queue.len()) as u32
    }

    /// Stops the server at once (a crash or an abrupt removal).
    ///
    /// Loses: the queue and every request in service (their users are appended to `lost`, in
    /// slot order then queue order, for the engine to fail with an error), and the copies it was
    /// taking or had queued. The sessions in its
    /// memory are the engine's to lose (`Sessions::lose_all_of`); the balancer's rotation is the
    /// balancer's to change. Keeps: its busy-time account up to `now`.
    pub fn stop(&mut self, now: Micros, lost: &mut Vec<UserSlot>) {
        assert!(self.up, "only a running server can stop");
        self.account_busy(now);
        let in_service = self.slots.iter().copied().filter(|&u| u != FREE);
        let users =
            in_service.chain(self.queue.drain(..)).filter_map(|code| {
                match Occupant::decode(code) {
                    Occupant::User(u) => Some(u),
                    Occupant::Copy => None,
                }
            });
        lost.extend(users);
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

    fn user(slot: u32) -> Occupant {
        Occupant::User(UserSlot(slot))
    }

    #[test]
    fn workers_then_queue_then_rejection() {
        let mut s = Server::new(2, 1, 0);
        assert_eq!(s.admit(user(10), 0), Admission::Started { slot: 0 });
        assert_eq!(s.admit(user(11), 0), Admission::Started { slot: 1 });
        assert_eq!(s.admit(user(12), 0), Admission::Queued);
        assert_eq!(s.admit(user(13), 0), Admission::Rejected);
        assert_eq!(s.load(), 3);
        // The queued user takes the freed worker directly.
        assert_eq!(s.release(1, 5), Some(user(12)));
        assert_eq!(s.occupant(1), Some(user(12)));
        assert_eq!(s.release(1, 5), None);
        assert_eq!(s.load(), 1);
    }

    #[test]
    fn busy_time_is_integrated() {
        let mut s = Server::new(4, 0, 0);
        s.admit(user(1), 0); // 1 busy from 0
        s.admit(user(2), 10); // 2 busy from 10
        s.release(0, 30); // 1 busy from 30
        // 1*10 + 2*20 + 1*10 = 60
        assert_eq!(s.busy_total_us(40), 60);
        assert_eq!(s.busy_total_us(50), 70);
    }

    #[test]
    fn stop_hands_back_every_request_and_empties_the_server() {
        let mut s = Server::new(1, 5, 0);
        s.admit(user(7), 0);
        s.admit(Occupant::Copy, 0);
        s.admit(user(8), 0);
        s.admit(user(9), 0);
        let mut lost = Vec::new();
        s.stop(3, &mut lost);
        assert_eq!(lost, vec![UserSlot(7), UserSlot(8), UserSlot(9)]);
        assert!(!s.up);
        assert_eq!(s.load(), 0);
        assert_eq!(s.epoch, 1);
        s.start(4);
        assert_eq!(s.admit(user(1), 4), Admission::Started { slot: 0 });
        assert_eq!(s.epoch, 2);
    }
}
