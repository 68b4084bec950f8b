//! Users: one per visit, each a closed loop of request, response (or error), think, request.
//!
//! Models: a visit arrives (Poisson), logs in, sends a geometric number of authenticated
//! requests, waiting for each response and then thinking for an exponential time, and leaves. The
//! user holds a cookie with its session (and, under sticky routing, the balancer's affinity
//! cookie). Each user draws its own think, service and store times from its own generator, the
//! same four numbers for every request it sends, so every variant sees the same user behave the
//! same way.
//!
//! Leaves out: users who give up, abandon a slow request or come back for another visit, and
//! client-side time outs.

use crate::events::{Phase, Work};
use crate::model::ids::{ServerId, SessionSlot, UserSlot};
use crate::rng::{self, SimRng};
use crate::scenario::Micros;

/// The random times one request of a user will need, drawn when it is sent.
#[derive(Clone, Copy, Debug, Default)]
pub struct Draws {
    /// Standard exponential sample for the think time after this request ends.
    pub think: f32,
    /// Standard exponential sample for the service time on a server.
    pub service: f32,
    /// Standard exponential sample for a store read.
    pub read: f32,
    /// Standard exponential sample for a store write.
    pub write: f32,
}

impl Draws {
    /// The next request's draws from a user's generator, in this order: think, service, store
    /// read, store write. The engine and the live load generator both draw here.
    pub fn next(rng: &mut SimRng) -> Self {
        Draws {
            think: rng::exp1(rng) as f32,
            service: rng::exp1(rng) as f32,
            read: rng::exp1(rng) as f32,
            write: rng::exp1(rng) as f32,
        }
    }
}

/// One user in the middle of a visit.
#[derive(Debug)]
pub struct User {
    /// The visit number (0, 1, 2, ... in order of arrival): the user's identity for hashing.
    pub id: u64,
    /// The user's own generator.
    pub rng: SimRng,
    /// When the current request was sent.
    pub sent_us: Micros,
    /// When the current request entered the web tier (queued or took a worker).
    pub tier_since_us: Micros,
    /// Authenticated requests still to send after the login.
    pub remaining: u64,
    /// Number of the request in flight (unique in the run), `u64::MAX` when none is; store
    /// operations of another number are stale.
    pub request: u64,
    /// Whether the request in flight (or the last one) was sent as a login.
    pub login: bool,
    /// Session slot in the cookie (`None` before the first login).
    pub session: Option<SessionSlot>,
    /// Sticky cookie of the balancer (`None`: not pinned).
    pub pinned: Option<ServerId>,
    /// The server of the current request.
    pub server: ServerId,
    /// The worker slot the current request holds on that server.
    pub slot: u32,
    /// Where the current request is.
    pub phase: Phase,
    /// What the server found the current request to be (set when its service begins).
    pub work: Work,
    /// Random times of the current request.
    pub draws: Draws,
}

impl User {
    /// Whether the next request is a login (no cookie yet, or the last login failed).
    pub fn needs_login(&self) -> bool {
        self.session.is_none()
    }

    /// Draws the random times of the next request; called once per request sent.
    pub fn draw(&mut self) {
        self.draws = Draws::next(&mut self.rng);
    }
}

/// The shortest wait before a user's next request after an error: a retry always lands later than
/// the failure it retries, and an error loop cannot stall the clock.
pub const MIN_RETRY_US: Micros = 1_000;

/// How long a user waits after a request ends before sending the next one: the think time
/// (`think` is the request's standard exponential draw, scaled to the mean `think_time_us`), at
/// least 1 us after a response and at least [`MIN_RETRY_US`] after an error. The engine and the
/// live load generator both wait this long.
pub fn think_us(think: f32, think_time_us: Micros, after_error: bool) -> Micros {
    let floor_us = if after_error { MIN_RETRY_US } else { 1 };
    rng::scale_us(think, think_time_us).max(floor_us)
}

/// Users currently in a visit, in reusable slots.
#[derive(Debug, Default)]
pub struct Users {
    slots: Vec<Option<User>>,
    free: Vec<UserSlot>,
    active: usize,
}

impl Users {
    /// No users.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new user for visit `id` with `requests` authenticated requests; returns its slot.
    pub fn arrive(&mut self, id: u64, requests: u64, seed: u64) -> UserSlot {
        let user = User {
            id,
            rng: rng::user_stream(seed, id),
            sent_us: 0,
            tier_since_us: 0,
            remaining: requests,
            request: u64::MAX,
            login: true,
            session: None,
            pinned: None,
            server: ServerId(0),
            slot: 0,
            phase: Phase::Idle,
            work: Work::Login,
            draws: Draws::default(),
        };
        self.active += 1;
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot.index()] = Some(user);
                slot
            }
            None => {
                self.slots.push(Some(user));
                let slot = u32::try_from(self.slots.len() - 1);
                UserSlot(slot.expect("fewer than 2^32 concurrent users"))
            }
        }
    }

    /// The user leaves; its slot will be reused.
    pub fn leave(&mut self, slot: UserSlot) -> User {
        let user = self.slots[slot.index()].take().expect("a user leaves once");
        self.free.push(slot);
        self.active -= 1;
        user
    }

    /// The user in `slot`.
    #[inline]
    pub fn get(&self, slot: UserSlot) -> &User {
        self.slots[slot.index()].as_ref().expect("a live user")
    }

    /// The number of the request in flight of the user in `slot`, if there is such a user and
    /// request.
    pub fn current_request(&self, slot: UserSlot) -> Option<u64> {
        let user = self.slots.get(slot.index())?.as_ref()?;
        (user.request != u64::MAX).then_some(user.request)
    }

    /// The user in `slot`, if there is one.
    pub fn try_get(&self, slot: UserSlot) -> Option<&User> {
        self.slots.get(slot.index())?.as_ref()
    }

    /// The user in `slot`, mutably.
    #[inline]
    pub fn get_mut(&mut self, slot: UserSlot) -> &mut User {
        self.slots[slot.index()].as_mut().expect("a live user")
    }

    /// Every user in a visit, by slot.
    pub fn iter(&self) -> impl Iterator<Item = (UserSlot, &User)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, u)| u.as_ref().map(|u| (UserSlot(i as u32), u)))
    }

    /// How many users are in a visit.
    pub fn active(&self) -> usize {
        self.active
    }
}

/// The time of the next visit after `now`: a Poisson process whose rate follows the traffic
/// profile, drawn exactly by thinning (candidates at the peak rate, each kept with probability
/// rate(t) / peak). `Micros::MAX` when there is none before `end`. The engine and the live
/// load generator both draw their arrivals here, from the `Arrivals` stream.
pub fn next_visit(
    rng: &mut SimRng,
    users: &crate::scenario::Users,
    now: Micros,
    end: Micros,
) -> Micros {
    let peak = users.peak_rate();
    if peak <= 0.0 {
        return Micros::MAX;
    }
    let mut t = now;
    loop {
        t += rng::round_u64(rng::exp1(rng) * 1e6 / peak);
        if t >= end {
            return Micros::MAX;
        }
        if users.profile.is_empty() || rng::uniform(rng) * peak < users.rate_at(t) {
            return t;
        }
    }
}

#[cfg(test)]
mod tests {
    /// A million users can be in memory at once: the typed cookie (`Option<SessionSlot>`,
    /// `Option<ServerId>`) keeps a user's slot at 96 bytes, as with sentinel numbers.
    #[test]
    fn a_user_slot_stays_at_96_bytes() {
        assert!(std::mem::size_of::<Option<super::User>>() <= 96);
    }
}
