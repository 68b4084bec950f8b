//! Sessions: where each one lives, when it was last used, and how it ends.
//!
//! Models: a session is created by a login (or forced re-login), held by one server's memory or by
//! the shared store, and is valid until `last_use + session_ttl` (sliding expiry). It ends by
//! expiring, or by being lost with the memory that held it (a crash, a removal, a non-durable
//! store crash). A user's cookie refers to one session slot; a slot is reused only once its
//! session has ended, no cookie refers to it, and the expiry wheel has let go of it, so a cookie
//! can always tell why its session ended.
//!
//! A store node with `max_sessions` keeps its sessions in least-recently-used order and evicts
//! the oldest to make room for a new one (a session already past its time is expired instead).
//! Each session can carry one more server (`aux`): the backup server of `server_replicated`,
//! or the server whose local cache holds it under `cached_store`. Where a session is held is a
//! [`Holder`] (a server, a store node or the cookie); inside the table it is one `u32`.
//!
//! A lost session remembers the row of `events.csv` whose event destroyed it (set by
//! [`Sessions::set_cause`] around each event), and whether its user was in a visit then.
//!
//! Leaves out: session size (a memory limit is a number of sessions), and the cost of expiring.
//!
//! Expiry is exact where it matters and lazy elsewhere: a request checks `last_use + ttl` against
//! the clock itself, and the counts of live sessions are brought up to date by `advance` (called
//! before every report and every timed event) from a timer wheel, so no event per session sits in
//! the engine's queue.

use crate::events::{AuthFailure, SessionState};
use crate::model::ids::{ServerId, SessionSlot, StoreNodeId};
use crate::scenario::Micros;

/// Most store nodes.
pub const MAX_STORE_NODES: u32 = 1024;

/// Where a live session is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    /// In the memory of this web server.
    Server(ServerId),
    /// In this node of the shared store.
    Store(StoreNodeId),
    /// In the user's signed cookie: no server or store holds it.
    Cookie,
}

/// The compact encoding of a [`Holder`] inside the table (one `u32` per session, which keeps a
/// session at 16 bytes): a server id as itself, store node `k` as `STORE - k`, the cookie as
/// `COOKIE`. Server ids stay below `COOKIE`.
const STORE: u32 = u32::MAX;
const COOKIE: u32 = u32::MAX - MAX_STORE_NODES;

impl Holder {
    #[inline]
    fn encode(self) -> u32 {
        match self {
            Holder::Server(s) => {
                debug_assert!(s.0 < COOKIE);
                s.0
            }
            Holder::Store(node) => {
                debug_assert!(node.0 < MAX_STORE_NODES);
                STORE - node.0
            }
            Holder::Cookie => COOKIE,
        }
    }

    #[inline]
    fn decode(code: u32) -> Holder {
        if code > COOKIE {
            Holder::Store(StoreNodeId(STORE - code))
        } else if code == COOKIE {
            Holder::Cookie
        } else {
            Holder::Server(ServerId(code))
        }
    }
}

/// "No server" in the `aux` vector (its public face is `Option<ServerId>`).
const NO_SERVER: u32 = u32::MAX;

/// The store node of an encoded holder, if it is one.
#[inline]
fn store_node(code: u32) -> Option<u32> {
    (code > COOKIE).then(|| STORE - code)
}

/// One session (16 bytes).
#[derive(Clone, Copy, Debug)]
struct Session {
    last_use_us: Micros,
    holder: u32,
    state: SessionState,
    referenced: bool,
    in_wheel: bool,
    /// The cookie that refers to it belongs to a user in a visit (not one who left or is away).
    visiting: bool,
}

/// What a server finds when it looks up a cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The session is alive and held by `holder`.
    Alive {
        /// Who holds it.
        holder: Holder,
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
    /// Sessions a store node evicted to make room.
    pub evicted: u64,
    /// Sessions lost while their user was in a visit.
    pub lost_active: u64,
    /// Sessions lost while no user in a visit held them (the user had left, or was away).
    pub lost_idle: u64,
}

/// Every session of a run, with the live counts per holder.
#[derive(Debug)]
pub struct Sessions {
    slots: Vec<Session>,
    free: Vec<u32>,
    ttl_us: Micros,
    wheel: Wheel,
    alive_by_server: Vec<u64>,
    /// Live sessions per store node.
    alive_in_store: Vec<u64>,
    alive_in_cookies: u64,
    totals: SessionTotals,
    /// One more server id per slot (or `NO_SERVER`), when the storage needs it.
    aux: Option<Vec<u32>>,
    lru: Option<Lru>,
    /// The row of `events.csv` of each lost session's destroyer (`NO_ROW`: none); read only for
    /// a session whose state is `Lost`.
    destroyer: Vec<u32>,
    /// The row of the event now destroying sessions (`NO_ROW`: none).
    cause: u32,
}

/// "No row" in `destroyer` and `cause` (their public face is `Option<u32>`).
const NO_ROW: u32 = u32::MAX;

/// Least-recently-used order of each store node's sessions: a doubly linked list through the
/// session slots, most recent at the head.
#[derive(Debug)]
struct Lru {
    limit: u64,
    /// `[previous, next]` of each slot (`NIL` at the ends).
    links: Vec<[u32; 2]>,
    head: Vec<u32>,
    tail: Vec<u32>,
}

const NIL: u32 = u32::MAX;

impl Lru {
    fn push_front(&mut self, node: usize, slot: u32) {
        if self.links.len() <= slot as usize {
            self.links.resize(slot as usize + 1, [NIL, NIL]);
        }
        let old = self.head[node];
        self.links[slot as usize] = [NIL, old];
        if old == NIL {
            self.tail[node] = slot;
        } else {
            self.links[old as usize][0] = slot;
        }
        self.head[node] = slot;
    }

    fn unlink(&mut self, node: usize, slot: u32) {
        let [prev, next] = self.links[slot as usize];
        if prev == NIL {
            self.head[node] = next;
        } else {
            self.links[prev as usize][1] = next;
        }
        if next == NIL {
            self.tail[node] = prev;
        } else {
            self.links[next as usize][0] = prev;
        }
    }
}

/// Options of a session table beyond the TTL.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Store nodes.
    pub store_nodes: u32,
    /// Most live sessions per store node (`None`: no limit, no LRU list).
    pub max_per_node: Option<u64>,
    /// Whether sessions carry an `aux` server id.
    pub aux: bool,
}

impl Sessions {
    /// No sessions yet, with `servers` server ids known and one store node.
    pub fn new(ttl_us: Micros, servers: usize) -> Self {
        let options = Options {
            store_nodes: 1,
            ..Options::default()
        };
        Self::with_options(ttl_us, servers, options)
    }

    /// No sessions yet, with `servers` server ids known.
    pub fn with_options(ttl_us: Micros, servers: usize, options: Options) -> Self {
        let nodes = options.store_nodes.max(1) as usize;
        Sessions {
            slots: Vec::new(),
            free: Vec::new(),
            ttl_us,
            wheel: Wheel::new(ttl_us),
            alive_by_server: vec![0; servers],
            alive_in_store: vec![0; nodes],
            alive_in_cookies: 0,
            totals: SessionTotals::default(),
            aux: options.aux.then(Vec::new),
            lru: options.max_per_node.map(|limit| Lru {
                limit,
                links: Vec::new(),
                head: vec![NIL; nodes],
                tail: vec![NIL; nodes],
            }),
            destroyer: Vec::new(),
            cause: NO_ROW,
        }
    }

    /// Creates a live session held by `holder`, referenced by a cookie; returns its slot. A
    /// store node at its `max_sessions` first evicts its least recently used session.
    pub fn create(&mut self, holder: Holder, now: Micros) -> SessionSlot {
        let holder = holder.encode();
        // Keeps the wheel's cursor near `now`, so the new deadline fits in the wheel; cheap,
        // because it only empties ticks that have ended.
        self.expire_due(now, false);
        if let Some(node) = store_node(holder) {
            self.make_room(node as usize, now);
        }
        let session = Session {
            last_use_us: now,
            holder,
            state: SessionState::Alive,
            referenced: true,
            in_wheel: true,
            visiting: true,
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
        if let Some(aux) = &mut self.aux {
            if aux.len() <= slot as usize {
                aux.resize(slot as usize + 1, NO_SERVER);
            }
            aux[slot as usize] = NO_SERVER;
        }
        if let (Some(lru), Some(node)) = (&mut self.lru, store_node(holder)) {
            lru.push_front(node as usize, slot);
        }
        SessionSlot::new(slot)
    }

    /// Evicts (or expires, if their time has passed) the least recently used sessions of store
    /// node `node` until it has room for one more.
    fn make_room(&mut self, node: usize, now: Micros) {
        let Some(lru) = &self.lru else {
            return;
        };
        let limit = lru.limit;
        while self.alive_in_store[node] >= limit {
            let oldest = self.lru.as_ref().map_or(NIL, |l| l.tail[node]);
            debug_assert_ne!(oldest, NIL, "a full node has a least recently used session");
            if oldest == NIL {
                return;
            }
            let s = self.slots[oldest as usize];
            let state = if s.last_use_us + self.ttl_us <= now {
                SessionState::Expired
            } else {
                SessionState::Evicted
            };
            self.end(oldest, state);
        }
    }

    /// Looks up the session in `slot` at `now`, expiring it if its time has passed.
    #[inline]
    pub fn lookup(&mut self, slot: SessionSlot, now: Micros) -> Lookup {
        let s = self.slots[slot.index()];
        match s.state {
            SessionState::Alive if s.last_use_us + self.ttl_us <= now => {
                self.end(slot.index() as u32, SessionState::Expired);
                Lookup::Gone(AuthFailure::Expired)
            }
            SessionState::Alive => Lookup::Alive {
                holder: Holder::decode(s.holder),
            },
            SessionState::Expired => Lookup::Gone(AuthFailure::Expired),
            SessionState::Lost => Lookup::Gone(AuthFailure::Lost),
            SessionState::Evicted => Lookup::Gone(AuthFailure::Evicted),
        }
    }

    /// Marks a live session as used at `now` (sliding expiry, and the head of its store node's
    /// LRU order).
    pub fn touch(&mut self, slot: SessionSlot, now: Micros) {
        let slot = slot.index() as u32;
        let s = &mut self.slots[slot as usize];
        assert_eq!(s.state, SessionState::Alive, "only a live session is used");
        s.last_use_us = now;
        if let (Some(lru), Some(node)) = (&mut self.lru, store_node(s.holder)) {
            lru.unlink(node as usize, slot);
            lru.push_front(node as usize, slot);
        }
    }

    /// Who holds (or last held) the session in `slot`.
    pub fn holder(&self, slot: SessionSlot) -> Holder {
        Holder::decode(self.slots[slot.index()].holder)
    }

    /// The extra server of the session in `slot` (`None` if none, or not kept).
    #[inline]
    pub fn aux(&self, slot: SessionSlot) -> Option<ServerId> {
        self.aux_code(slot.index() as u32)
    }

    #[inline]
    fn aux_code(&self, slot: u32) -> Option<ServerId> {
        let code = self.aux.as_ref()?.get(slot as usize).copied()?;
        (code != NO_SERVER).then_some(ServerId(code))
    }

    /// Sets the extra server of the session in `slot` (no effect if the table keeps none).
    pub fn set_aux(&mut self, slot: SessionSlot, server: Option<ServerId>) {
        self.set_aux_code(slot.index() as u32, server);
    }

    fn set_aux_code(&mut self, slot: u32, server: Option<ServerId>) {
        if let Some(a) = &mut self.aux {
            a[slot as usize] = server.map_or(NO_SERVER, |s| s.0);
        }
    }

    /// Moves the live session in `slot` to server `server` (a backup taking over).
    pub fn move_to(&mut self, slot: SessionSlot, server: ServerId) {
        self.move_code(slot.index() as u32, Holder::Server(server).encode());
    }

    fn move_code(&mut self, slot: u32, holder: u32) {
        let from = self.slots[slot as usize].holder;
        debug_assert_eq!(self.slots[slot as usize].state, SessionState::Alive);
        debug_assert!(store_node(from).is_none() && store_node(holder).is_none());
        *self.alive_count(from) -= 1;
        *self.alive_count(holder) += 1;
        self.slots[slot as usize].holder = holder;
    }

    /// `server_replicated`: server `server` stops. Each live session it held moves to its backup
    /// if `up(backup)`, else is lost; sessions it backed up lose their backup. Returns the
    /// sessions lost. Call [`Sessions::advance`] first.
    pub fn fail_replicated(&mut self, server: ServerId, up: impl Fn(ServerId) -> bool) -> u64 {
        let mut lost = 0;
        for slot in 0..self.slots.len() as u32 {
            let s = self.slots[slot as usize];
            if s.state != SessionState::Alive {
                continue;
            }
            let backup = self.aux_code(slot);
            if s.holder == server.0 {
                match backup.filter(|&b| b != server && up(b)) {
                    Some(b) => self.move_code(slot, b.0),
                    None => {
                        self.end(slot, SessionState::Lost);
                        lost += 1;
                    }
                }
                self.set_aux_code(slot, None);
            } else if backup == Some(server) {
                self.set_aux_code(slot, None);
            }
        }
        lost
    }

    /// Clears every `aux` equal to `server` (its local cache is gone).
    pub fn forget_server(&mut self, server: ServerId) {
        if let Some(a) = &mut self.aux {
            a.iter_mut()
                .filter(|x| **x == server.0)
                .for_each(|x| *x = NO_SERVER);
        }
    }

    /// The cookie that referred to `slot` is gone (replaced, or its user left for good).
    pub fn release(&mut self, slot: SessionSlot) {
        let slot = slot.index() as u32;
        self.slots[slot as usize].referenced = false;
        self.slots[slot as usize].visiting = false;
        self.free_if_done(slot);
    }

    /// The user whose cookie refers to `slot` left, keeping the cookie (`true`), or came back
    /// with it (`false`): a session lost meanwhile is counted as idle.
    pub fn set_away(&mut self, slot: SessionSlot, away: bool) {
        self.slots[slot.index()].visiting = !away;
    }

    /// Sessions lost from now on were destroyed by the event of row `row` of `events.csv`
    /// (`None`: by no event of a row).
    pub fn set_cause(&mut self, row: Option<u32>) {
        self.cause = row.unwrap_or(NO_ROW);
    }

    /// The row of the event that destroyed the lost session in `slot` (`None` if it is not lost,
    /// or no row's event destroyed it).
    pub fn destroyer(&self, slot: SessionSlot) -> Option<u32> {
        let i = slot.index();
        if self.slots[i].state != SessionState::Lost {
            return None;
        }
        self.destroyer.get(i).copied().filter(|&r| r != NO_ROW)
    }

    /// Loses every live session held by `holder`; returns how many.
    ///
    /// Call [`Sessions::advance`] first, so that sessions already expired are not counted as lost.
    pub fn lose_all_of(&mut self, holder: Holder) -> u64 {
        let holder = holder.encode();
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
        if !exact && now < self.wheel.cursor_end_us() {
            return; // No tick has ended since the last call.
        }
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
    pub fn alive_on(&self, server: ServerId) -> u64 {
        self.alive_by_server
            .get(server.index())
            .copied()
            .unwrap_or(0)
    }

    /// Live sessions in the store, all nodes (as of the last `advance`).
    pub fn alive_in_store(&self) -> u64 {
        self.alive_in_store.iter().sum()
    }

    /// Live sessions on store node `node` (as of the last `advance`).
    pub fn alive_in_node(&self, node: StoreNodeId) -> u64 {
        self.alive_in_store.get(node.index()).copied().unwrap_or(0)
    }

    /// All live sessions (as of the last `advance`).
    pub fn alive(&self) -> u64 {
        self.alive_by_server.iter().sum::<u64>() + self.alive_in_store() + self.alive_in_cookies
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
        if let (Some(lru), Some(node)) = (&mut self.lru, store_node(holder)) {
            lru.unlink(node as usize, slot);
        }
        match state {
            SessionState::Expired => self.totals.expired += 1,
            SessionState::Lost => self.lost(slot),
            SessionState::Evicted => self.totals.evicted += 1,
            SessionState::Alive => unreachable!("end() ends a session"),
        }
    }

    /// Counts the session in `slot` as lost, active or idle, and remembers its destroyer.
    fn lost(&mut self, slot: u32) {
        self.totals.lost += 1;
        match self.slots[slot as usize].visiting {
            true => self.totals.lost_active += 1,
            false => self.totals.lost_idle += 1,
        }
        let i = slot as usize;
        if self.destroyer.len() <= i {
            self.destroyer.resize(i + 1, NO_ROW);
        }
        self.destroyer[i] = self.cause;
    }

    fn free_if_done(&mut self, slot: u32) {
        let s = self.slots[slot as usize];
        if s.state != SessionState::Alive && !s.referenced && !s.in_wheel {
            self.free.push(slot);
        }
    }

    fn alive_count(&mut self, holder: u32) -> &mut u64 {
        if let Some(node) = store_node(holder) {
            &mut self.alive_in_store[node as usize]
        } else if holder == COOKIE {
            &mut self.alive_in_cookies
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

    /// The end of the tick at the cursor: before it, `take_due` without the current tick has
    /// nothing to take.
    #[inline]
    fn cursor_end_us(&self) -> Micros {
        (self.cursor + 1) * self.tick_us
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

    fn on(server: u32) -> Holder {
        Holder::Server(ServerId(server))
    }

    const TTL: Micros = 1_000_000;

    /// The table's one-`u32` encoding gives back every holder: the highest server id below the
    /// cookie's code, the first and last store nodes, the cookie.
    #[test]
    fn every_holder_survives_its_encoding() {
        let holders = [
            on(0),
            on(COOKIE - 1),
            Holder::Store(StoreNodeId(0)),
            Holder::Store(StoreNodeId(MAX_STORE_NODES - 1)),
            Holder::Cookie,
        ];
        for h in holders {
            assert_eq!(Holder::decode(h.encode()), h);
        }
    }

    #[test]
    fn a_session_expires_exactly_ttl_after_its_last_use() {
        let mut s = Sessions::new(TTL, 2);
        let a = s.create(on(0), 0);
        s.touch(a, 500_000);
        assert_eq!(s.lookup(a, 1_499_999), Lookup::Alive { holder: on(0) });
        assert_eq!(s.lookup(a, 1_500_000), Lookup::Gone(AuthFailure::Expired));
        assert_eq!(s.alive_on(ServerId(0)), 0);
        assert_eq!(s.totals().expired, 1);
    }

    #[test]
    fn advance_brings_counts_up_to_date_and_keeps_used_sessions() {
        let mut s = Sessions::new(TTL, 2);
        let a = s.create(on(0), 0);
        let b = s.create(on(1), 0);
        let c = s.create(Holder::Store(StoreNodeId(0)), 0);
        s.touch(b, 900_000);
        s.advance(1_000_000);
        // a and c expired at 1 s; b was used at 0.9 s and lives until 1.9 s.
        assert_eq!(
            (
                s.alive_on(ServerId(0)),
                s.alive_on(ServerId(1)),
                s.alive_in_store()
            ),
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
        let on0: Vec<SessionSlot> = (0..5).map(|_| s.create(on(0), 0)).collect();
        let on1 = s.create(on(1), 0);
        assert_eq!(s.lose_all_of(on(0)), 5);
        assert_eq!(s.alive(), 1);
        assert_eq!(s.lookup(on0[2], 10), Lookup::Gone(AuthFailure::Lost));
        assert_eq!(s.lookup(on1, 10), Lookup::Alive { holder: on(1) });
        assert_eq!(
            s.totals(),
            SessionTotals {
                created: 6,
                expired: 0,
                lost: 5,
                evicted: 0,
                lost_active: 5,
                lost_idle: 0,
            }
        );
    }

    /// Two sessions on server 0: one whose user is away, one released. The crash of row 3 loses
    /// both as idle, and each remembers row 3; a session lost with no row remembers none, and one
    /// whose user is in a visit is lost as active.
    #[test]
    fn a_lost_session_remembers_its_destroyer_and_whether_its_user_was_visiting() {
        let mut s = Sessions::new(TTL, 2);
        let away = s.create(on(0), 0);
        s.set_away(away, true);
        let left = s.create(on(0), 0);
        s.release(left);
        let visiting = s.create(on(1), 0);
        assert_eq!(s.destroyer(away), None);
        s.set_cause(Some(3));
        assert_eq!(s.lose_all_of(on(0)), 2);
        s.set_cause(None);
        assert_eq!(s.destroyer(away), Some(3));
        assert_eq!(s.lose_all_of(on(1)), 1);
        assert_eq!(s.destroyer(visiting), None);
        let t = s.totals();
        assert_eq!((t.lost, t.lost_active, t.lost_idle), (3, 1, 2));
    }

    #[test]
    fn slots_are_reused_only_when_nothing_refers_to_them() {
        let mut s = Sessions::new(TTL, 1);
        let a = s.create(on(0), 0);
        s.lose_all_of(on(0));
        s.advance(2 * TTL);
        // Still referenced by its cookie: not reused.
        assert_ne!(s.create(on(0), 2 * TTL), a);
        s.release(a);
        assert_eq!(s.create(on(0), 2 * TTL), a);
    }

    #[test]
    fn advance_over_long_gaps_keeps_every_session() {
        let mut s = Sessions::new(TTL, 1);
        for t in 0..50 {
            s.create(on(0), t * 7_919);
            s.advance(t * 7_919);
        }
        s.advance(100 * TTL);
        assert_eq!(s.alive(), 0);
        assert_eq!(s.totals().expired, 50);
    }
}
