//! Users: visits, each a closed loop of request, response (or error), think, request; and the
//! registered users who come back for more.
//!
//! Models: a visit arrives (Poisson), logs in, sends a geometric number of authenticated
//! requests, waiting for each response and then thinking for an exponential time, and leaves. The
//! user holds a cookie with its session (and, under sticky routing, the balancer's affinity
//! cookie). Each visit draws its own think, service and store times from its own generator, the
//! same four numbers for every request it sends, so every variant sees the same visit behave the
//! same way.
//!
//! With `users.population` = 0 every visit is made by a new user. With a population, each visit
//! is made by a registered user drawn from it (uniformly, or by Zipf popularity) who keeps their
//! cookies between visits ([`Registered`], 16 bytes each): a returning user whose session is
//! still alive goes on without logging in, one whose session is gone must log in again. A
//! registered user is in at most one visit at a time: a draw that picks a user in a visit is
//! drawn again (at most [`MAX_REDRAWS`] times; after that the visit is not made).
//!
//! Leaves out: users who give up, abandon a slow request, visit from two devices at once, or log
//! out; client-side time outs.

use crate::events::{Phase, Work};
use crate::model::ids::{ServerId, SessionSlot, UserSlot};
use crate::rng::{self, SimRng};
use crate::scenario::{Micros, Popularity};
use rand_distr::{Distribution, Zipf};

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
    /// What has been counted of this user and visit ([`Marks`]).
    pub marks: Marks,
}

/// What has been counted of a user and of their visit, as bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Marks(u8);

impl Marks {
    /// The user is a registered one (its id is its number in the population).
    pub const REGISTERED: Marks = Marks(1);
    /// The user has been counted in `users_active`.
    pub const ACTIVE: Marks = Marks(2);
    /// The user has been counted in `users_forced_login`.
    pub const FORCED: Marks = Marks(4);
    /// This visit started at or after warm-up (counted in `visits`).
    pub const MEASURED_VISIT: Marks = Marks(8);
    /// This visit has been counted in `visits_with_error`.
    pub const VISIT_ERROR: Marks = Marks(16);
    /// The marks a registered user keeps from one visit to the next.
    const KEPT: Marks = Marks(1 | 2 | 4);

    /// Whether every mark of `other` is set.
    #[inline]
    pub fn has(self, other: Marks) -> bool {
        self.0 & other.0 == other.0
    }

    /// Sets the marks of `other`; returns whether any was not set yet.
    #[inline]
    pub fn set(&mut self, other: Marks) -> bool {
        let new = !self.has(other);
        self.0 |= other.0;
        new
    }
}

/// A registered user between visits: their cookies and what has been counted of them (16 bytes).
#[derive(Clone, Copy, Debug, Default)]
pub struct Registered {
    /// The session in their cookie.
    pub session: Option<SessionSlot>,
    /// Their sticky cookie.
    pub pinned: Option<ServerId>,
    /// User marks kept between visits ([`Marks::ACTIVE`], [`Marks::FORCED`]).
    marks: Marks,
    /// Whether they are in a visit now.
    visiting: bool,
}

/// The most times a visit's user is drawn again because the one drawn is already in a visit.
pub const MAX_REDRAWS: u32 = 64;

/// The draw of a visit's registered user from the population, on its own random stream.
#[derive(Debug)]
pub struct Population {
    rng: SimRng,
    size: u64,
    zipf: Option<Zipf<f64>>,
}

impl Population {
    /// The draws from `size` (> 0) registered users with `popularity`, on `rng`.
    pub fn new(size: u64, popularity: Popularity, rng: SimRng) -> Self {
        assert!(size > 0, "a population has users");
        let zipf = match popularity {
            Popularity::Uniform => None,
            Popularity::Zipf { s } => {
                Some(Zipf::new(size as f64, s).expect("a checked Zipf exponent and population"))
            }
        };
        Population { rng, size, zipf }
    }

    /// A registered user's number, `0..size` (0 the most popular under Zipf).
    pub fn draw(&mut self) -> u64 {
        match &self.zipf {
            None => rng::below(&mut self.rng, self.size),
            Some(z) => (z.sample(&mut self.rng) as u64).clamp(1, self.size) - 1,
        }
    }

    /// A registered user not in a visit (drawn again while the one drawn is in one), or `None`
    /// after [`MAX_REDRAWS`] draws of users in a visit.
    pub fn draw_free(&mut self, users: &Users) -> Option<u64> {
        (0..=MAX_REDRAWS)
            .map(|_| self.draw())
            .find(|&id| !users.is_visiting(id))
    }
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

/// Users currently in a visit, in reusable slots, and the registered users between visits.
#[derive(Debug, Default)]
pub struct Users {
    slots: Vec<Option<User>>,
    free: Vec<UserSlot>,
    active: usize,
    registered: Vec<Registered>,
}

/// A visit that arrives: who makes it and how long it is.
#[derive(Debug)]
pub struct Visit {
    /// The user's identity: the visit's number, or the registered user's number.
    pub id: u64,
    /// The visit's generator.
    pub rng: SimRng,
    /// Authenticated requests to send after the login.
    pub requests: u64,
    /// Whether `id` is a registered user's number.
    pub registered: bool,
}

impl Users {
    /// No users, and no registered users (every visit a new user).
    pub fn new() -> Self {
        Self::default()
    }

    /// No users in a visit, and `population` registered users with no cookie yet.
    pub fn with_population(population: u64) -> Self {
        let size = usize::try_from(population).expect("a population that fits in memory");
        Users {
            registered: vec![Registered::default(); size],
            ..Self::default()
        }
    }

    /// Whether registered user `id` is in a visit.
    pub fn is_visiting(&self, id: u64) -> bool {
        self.registered[id as usize].visiting
    }

    /// The registered user `id` between visits (`None` if there is no such user).
    pub fn registered(&self, id: u64) -> Option<&Registered> {
        self.registered.get(id as usize)
    }

    /// A visit arrives: its user joins (with their cookies and marks, if registered); returns
    /// its slot.
    pub fn arrive(&mut self, visit: Visit) -> UserSlot {
        let Visit {
            id,
            rng,
            requests,
            registered,
        } = visit;
        let mut back = Registered::default();
        if registered {
            let r = &mut self.registered[id as usize];
            debug_assert!(!r.visiting, "a registered user is in one visit at a time");
            r.visiting = true;
            back = *r;
            back.marks.set(Marks::REGISTERED);
        }
        let user = User {
            id,
            rng,
            sent_us: 0,
            tier_since_us: 0,
            // A returning user with a cookie sends an authenticated request where a new one
            // logs in: the same number of requests either way.
            remaining: requests + u64::from(back.session.is_some()),
            request: u64::MAX,
            login: true,
            session: back.session,
            pinned: back.pinned,
            server: ServerId(0),
            slot: 0,
            phase: Phase::Idle,
            work: Work::Login,
            draws: Draws::default(),
            marks: back.marks,
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

    /// The user leaves; its slot will be reused. A registered user keeps their cookies and
    /// user marks until their next visit.
    pub fn leave(&mut self, slot: UserSlot) -> User {
        let user = self.slots[slot.index()].take().expect("a user leaves once");
        self.free.push(slot);
        self.active -= 1;
        if user.marks.has(Marks::REGISTERED) {
            self.registered[user.id as usize] = Registered {
                session: user.session,
                pinned: user.pinned,
                marks: Marks(user.marks.0 & Marks::KEPT.0),
                visiting: false,
            };
        }
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
    use super::*;

    /// A registered user between visits costs 16 bytes beyond their session: 1,000,000 of them
    /// take 16 MB.
    #[test]
    fn a_registered_user_stays_at_16_bytes() {
        assert_eq!(std::mem::size_of::<Registered>(), 16);
    }

    /// A registered user's cookies and user marks outlast the visit; the visit's marks do not.
    #[test]
    fn a_registered_user_comes_back_with_their_cookies() {
        let mut users = Users::with_population(3);
        let visit = |requests| Visit {
            id: 2,
            rng: rng::user_stream(1, 0),
            requests,
            registered: true,
        };
        let slot = users.arrive(visit(0));
        assert!(users.is_visiting(2) && !users.is_visiting(1));
        let user = users.get_mut(slot);
        user.session = Some(SessionSlot::new(7));
        user.pinned = Some(ServerId(1));
        user.marks.set(Marks::ACTIVE);
        user.marks.set(Marks::VISIT_ERROR);
        users.leave(slot);
        assert!(!users.is_visiting(2));
        let slot = users.arrive(visit(1));
        let again = users.get(slot);
        assert_eq!(
            (again.session, again.pinned),
            (Some(SessionSlot::new(7)), Some(ServerId(1)))
        );
        assert!(again.marks.has(Marks::ACTIVE) && again.marks.has(Marks::REGISTERED));
        assert!(!again.marks.has(Marks::VISIT_ERROR));
    }

    /// Uniform draws cover the population evenly: 4 users, 40,000 draws, each within 3 % of
    /// 10,000. Zipf with s = 1 over 4 users: user 0 has 1 / (1 + 1/2 + 1/3 + 1/4) = 0.48 of them.
    #[test]
    fn population_draws_follow_their_popularity() {
        let tally = |popularity| {
            let mut p = Population::new(4, popularity, rng::user_stream(9, 9));
            let mut n = [0u32; 4];
            (0..40_000).for_each(|_| n[p.draw() as usize] += 1);
            n
        };
        let uniform = tally(Popularity::Uniform);
        assert!(
            uniform.iter().all(|&k| k.abs_diff(10_000) < 300),
            "{uniform:?}"
        );
        let zipf = tally(Popularity::Zipf { s: 1.0 });
        assert!(zipf[0].abs_diff(19_200) < 400, "{zipf:?}");
    }

    /// A million users can be in memory at once: the typed cookie (`Option<SessionSlot>`,
    /// `Option<ServerId>`) keeps a user's slot at 96 bytes, as with sentinel numbers.
    #[test]
    fn a_user_slot_stays_at_96_bytes() {
        assert!(std::mem::size_of::<Option<super::User>>() <= 96);
    }
}
