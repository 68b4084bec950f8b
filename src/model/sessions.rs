//! Sessions: where each one lives, when it was last used, and how it ends.
//!
//! Models: a session is created by a login (or forced re-login), held by one server's memory or by
//! the shared store, and is valid until `last_use + session_ttl` (sliding expiry). It ends by
//! expiring, or by being lost with the memory that held it (a crash, a removal, a non-durable
//! store crash). A user's cookie refers to one session slot; a slot is reused only once its
//! session has ended, no cookie refers to it, and the expiry wheel has let go of it, so a cookie
//! can always tell why its session ended.
//!
//! Leaves out: session size and memory pressure (no eviction), and the cost of expiring.
//!
//! Expiry is exact where it matters and lazy elsewhere: a request checks `last_use + ttl` against
//! the clock itself, and the counts of live sessions are brought up to date by `advance` (called
//! before every report and every timed event) from a timer wheel, so no event per session sits in
//! the engine's queue.

use crate::events::{AuthFailure, SessionState};
use crate::scenario::Micros;

/// The holder id of sessions that live in the shared store.
pub const STORE: u32 = u32::MAX;

/// "No session" in a cookie.
pub const NO_SESSION: u32 = u32::MAX;

/// One session (16 bytes).
#[derive(Clone, Copy, Debug)]
struct Session {
    last_use_us: Micros,
    holder: u32,
    state: SessionState,
    referenced: bool,
    in_wheel: bool,
}

/// What a server finds when it looks up a cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The session is alive and held by `holder` (a server id, or [`STORE`]).
    Alive {
        /// Who holds it.
        holder: u32,
    },
    /// The session has ended, for this reason.
    Gone(AuthFailure),
}

/// Counts of how sessions ended, since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionTotals {
    /// Sessions created.
    pub created: u64,
    /// Sessions that expired.
    pub expired: u64,
    /// Sessions lost with the memory that held them.
    pub lost: u64,
}

/// Every session of a run, with the live counts per holder.
#[derive(Debug)]
pub struct Sessions {
    slots: Vec<Session>,
    free: Vec<u32>,
    ttl_us: Micros,
    wheel: Wheel,
    alive_by_server: Vec<u64>,
    alive_in_store: u64,
    totals: SessionTotals,
}

impl Sessions {
    /// No sessions yet, with `servers` server ids known.
    pub fn new(ttl_us: Micros, servers: usize) -> Self {
        Sessions {
            slots: Vec::new(),
            free: Vec::new(),
            ttl_us,
            wheel: Wheel::new(ttl_us),
            alive_by_server: vec![0; servers],
            alive_in_store: 0,
            totals: SessionTotals::default(),
        }
    }

    /// Creates a live session held by `holder`, referenced by a cookie; returns its slot.
    pub fn create(&mut self, holder: u32, now: Micros) -> u32 {
        // Keeps the wheel's cursor near `now`, so the new deadline fits in the wheel; cheap,
        // because it only empties ticks that have ended.
        self.expire_due(now, false);
        let session = Session {
            last_use_us: now,
            holder,
            state: SessionState::Alive,
            referenced: true,
            in_wheel: true,
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = session;
                slot
            }
            None => {
                self.slots.push(session);
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 session slots")
            }
        };
        self.wheel.insert(slot, now + self.ttl_us);
        *self.alive_count(holder) += 1;
        self.totals.created += 1;
        slot
    }

    /// Looks up the session in `slot` at `now`, expiring it if its time has passed.
    pub fn lookup(&mut self, slot: u32, now: Micros) -> Lookup {
        let s = self.slots[slot as usize];
        match s.state {
            SessionState::Alive if s.last_use_us + self.ttl_us <= now => {
                self.end(slot, SessionState::Expired);
                Lookup::Gone(AuthFailure::Expired)
            }
            SessionState::Alive => Lookup::Alive { holder: s.holder },
            SessionState::Expired => Lookup::Gone(AuthFailure::Expired),
            SessionState::Lost => Lookup::Gone(AuthFailure::Lost),
        }
    }

    /// Marks a live session as used at `now` (sliding expiry).
    pub fn touch(&mut self, slot: u32, now: Micros) {
        let s = &mut self.slots[slot as usize];
        assert_eq!(s.state, SessionState::Alive, "only a live session is used");
        s.last_use_us = now;
    }

    /// The cookie that referred to `slot` is gone (replaced, or its user left).
    pub fn release(&mut self, slot: u32) {
        self.slots[slot as usize].referenced = false;
        self.free_if_done(slot);
    }

    /// Loses every live session held by `holder`; returns how many.
    ///
    /// Call [`Sessions::advance`] first, so that sessions already expired are not counted as lost.
    pub fn lose_all_of(&mut self, holder: u32) -> u64 {
        if *self.alive_count(holder) == 0 {
            return 0;
        }
        let mut lost = 0;
        for slot in 0..self.slots.len() {
            let s = self.slots[slot];
            if s.state == SessionState::Alive && s.holder == holder {
                self.end(slot as u32, SessionState::Lost);
                lost += 1;
            }
        }
        debug_assert_eq!(*self.alive_count(holder), 0);
        lost
    }

    /// Expires every session whose time has passed by `now`, bringing the live counts up to date.
    pub fn advance(&mut self, now: Micros) {
        self.expire_due(now, true);
    }

    /// Expires the sessions of the wheel's ended ticks and, if `exact`, of the current tick too.
    fn expire_due(&mut self, now: Micros, exact: bool) {
        let mut due = std::mem::take(&mut self.wheel.scratch);
        self.wheel.take_due(now, exact, &mut due);
        for &slot in &due {
            let s = self.slots[slot as usize];
            let deadline = s.last_use_us + self.ttl_us;
            if s.state == SessionState::Alive && deadline > now {
                self.wheel.insert(slot, deadline);
                continue;
            }
            if s.state == SessionState::Alive {
                self.end(slot, SessionState::Expired);
            }
            self.slots[slot as usize].in_wheel = false;
            self.free_if_done(slot);
        }
        due.clear();
        self.wheel.scratch = due;
    }

    /// Live sessions held by server `server` (as of the last `advance`).
    pub fn alive_on(&self, server: u32) -> u64 {
        self.alive_by_server
            .get(server as usize)
            .copied()
            .unwrap_or(0)
    }

    /// Live sessions in the store (as of the last `advance`).
    pub fn alive_in_store(&self) -> u64 {
        self.alive_in_store
    }

    /// All live sessions (as of the last `advance`).
    pub fn alive(&self) -> u64 {
        self.alive_by_server.iter().sum::<u64>() + self.alive_in_store
    }

    /// How sessions were created and ended so far.
    pub fn totals(&self) -> SessionTotals {
        self.totals
    }

    /// Makes room for server ids up to `servers - 1`.
    pub fn grow_servers(&mut self, servers: usize) {
        if self.alive_by_server.len() < servers {
            self.alive_by_server.resize(servers, 0);
        }
    }

    fn end(&mut self, slot: u32, state: SessionState) {
        let holder = self.slots[slot as usize].holder;
        self.slots[slot as usize].state = state;
        *self.alive_count(holder) -= 1;
        match state {
            SessionState::Expired => self.totals.expired += 1,
            SessionState::Lost => self.totals.lost += 1,
            SessionState::Alive => unreachable!("end() ends a session"),
        }
    }

    fn free_if_done(&mut self, slot: u32) {
        let s = self.slots[slot as usize];
        if s.state != SessionState::Alive && !s.referenced && !s.in_wheel {
            self.free.push(slot);
        }
    }

    fn alive_count(&mut self, holder: u32) -> &mut u64 {
        if holder == STORE {
            &mut self.alive_in_store
        } else {
            &mut self.alive_by_server[holder as usize]
        }
    }
}

/// A timer wheel of session slots by deadline, with about 1,024 ticks over one TTL.
///
/// Every live session is in the wheel once, at its creation deadline or later; entries found
/// still alive when their tick comes are put back at their current deadline.
#[derive(Debug)]
struct Wheel {
    tick_us: Micros,
    ticks: Vec<Vec<u32>>,
    /// Every tick before this one has been emptied.
    cursor: u64,
    scratch: Vec<u32>,
}

impl Wheel {
    fn new(ttl_us: Micros) -> Self {
        let tick_us = (ttl_us / 1024).max(1);
        let ticks = (ttl_us / tick_us + 2) as usize;
        Wheel {
            tick_us,
            ticks: vec![Vec::new(); ticks],
            cursor: 0,
            scratch: Vec::new(),
        }
    }

    fn insert(&mut self, slot: u32, deadline: Micros) {
        let tick = deadline / self.tick_us;
        debug_assert!(tick >= self.cursor && tick - self.cursor < self.ticks.len() as u64);
        let n = self.ticks.len() as u64;
        self.ticks[(tick % n) as usize].push(slot);
    }

    /// Moves into `due` every entry of the ticks that ended by `now` and, with `current`, of the
    /// tick holding `now`, whose entries may not all be due yet: the caller puts those back.
    fn take_due(&mut self, now: Micros, current: bool, due: &mut Vec<u32>) {
        let now_tick = now / self.tick_us;
        let n = self.ticks.len() as u64;
        let first = self.cursor.max(now_tick.saturating_sub(n - 1));
        let end = if current { now_tick + 1 } else { now_tick };
        for tick in first..end {
            due.append(&mut self.ticks[(tick % n) as usize]);
        }
        self.cursor = self.cursor.max(now_tick);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Micros = 1_000_000;

    #[test]
    fn a_session_expires_exactly_ttl_after_its_last_use() {
        let mut s = Sessions::new(TTL, 2);
        let a = s.create(0, 0);
        s.touch(a, 500_000);
        assert_eq!(s.lookup(a, 1_499_999), Lookup::Alive { holder: 0 });
        assert_eq!(s.lookup(a, 1_500_000), Lookup::Gone(AuthFailure::Expired));
        assert_eq!(s.alive_on(0), 0);
        assert_eq!(s.totals().expired, 1);
    }

    #[test]
    fn advance_brings_counts_up_to_date_and_keeps_used_sessions() {
        let mut s = Sessions::new(TTL, 2);
        let a = s.create(0, 0);
        let b = s.create(1, 0);
        let c = s.create(STORE, 0);
        s.touch(b, 900_000);
        s.advance(1_000_000);
        // a and c expired at 1 s; b was used at 0.9 s and lives until 1.9 s.
        assert_eq!(
            (s.alive_on(0), s.alive_on(1), s.alive_in_store()),
            (0, 1, 0)
        );
        assert_eq!(s.lookup(a, 1_000_000), Lookup::Gone(AuthFailure::Expired));
        assert_eq!(s.lookup(c, 1_000_000), Lookup::Gone(AuthFailure::Expired));
        s.advance(1_899_999);
        assert_eq!(s.alive(), 1);
        s.advance(1_900_000);
        assert_eq!(s.alive(), 0);
        assert_eq!(s.totals().expired, 3);
    }

    #[test]
    fn a_crash_loses_only_its_servers_live_sessions_and_the_cookie_knows_why() {
        let mut s = Sessions::new(TTL, 3);
        let on0: Vec<u32> = (0..5).map(|_| s.create(0, 0)).collect();
        let on1 = s.create(1, 0);
        assert_eq!(s.lose_all_of(0), 5);
        assert_eq!(s.alive(), 1);
        assert_eq!(s.lookup(on0[2], 10), Lookup::Gone(AuthFailure::Lost));
        assert_eq!(s.lookup(on1, 10), Lookup::Alive { holder: 1 });
        assert_eq!(
            s.totals(),
            SessionTotals {
                created: 6,
                expired: 0,
                lost: 5
            }
        );
    }

    #[test]
    fn slots_are_reused_only_when_nothing_refers_to_them() {
        let mut s = Sessions::new(TTL, 1);
        let a = s.create(0, 0);
        s.lose_all_of(0);
        s.advance(2 * TTL);
        // Still referenced by its cookie: not reused.
        assert_ne!(s.create(0, 2 * TTL), a);
        s.release(a);
        assert_eq!(s.create(0, 2 * TTL), a);
    }

    #[test]
    fn advance_over_long_gaps_keeps_every_session() {
        let mut s = Sessions::new(TTL, 1);
        for t in 0..50 {
            s.create(0, t * 7_919);
            s.advance(t * 7_919);
        }
        s.advance(100 * TTL);
        assert_eq!(s.alive(), 0);
        assert_eq!(s.totals().expired, 50);
    }
}
