//! The arrivals: when the next visit comes, how many requests it will send, and the number each
//! visit gets (its user's identity).
//!
//! Owns the random streams of arrivals (`Arrivals` for the times, `VisitLengths` for the
//! lengths, `Population` for the registered user who makes each visit when there is a
//! population), so that every variant sees the same visits; with no population the last stream
//! is never drawn from, so such a run is the same as before populations existed. The times come from
//! `model::users::next_visit`, the process the live load generator draws from too. Leaves out
//! everything that happens once a visit has arrived: that is the engine's.

use crate::model::ids::UserSlot;
use crate::model::users::{self, Population, Users, Visit};
use crate::rng::{self, SimRng, Stream};
use crate::scenario::{Micros, Scenario};

/// The arrival process of a run.
#[derive(Debug)]
pub(super) struct Arrivals {
    times: SimRng,
    lengths: SimRng,
    /// When the next visit arrives (`Micros::MAX`: none before the end).
    next_us: Micros,
    /// Visits so far (the next one's number).
    visits: u64,
    /// The draw of each visit's registered user (`None`: every visit is a new user).
    population: Option<Population>,
}

impl Arrivals {
    /// The arrivals of a run, the first one drawn from time 0.
    pub fn new(sc: &Scenario) -> Self {
        let mut times = rng::stream(sc.seed, Stream::Arrivals);
        let next_us = users::next_visit(&mut times, &sc.users, 0, sc.duration_us);
        Arrivals {
            times,
            lengths: rng::stream(sc.seed, Stream::VisitLengths),
            next_us,
            visits: 0,
            population: (sc.users.population > 0).then(|| {
                let rng = rng::stream(sc.seed, Stream::Population);
                Population::new(sc.users.population, sc.users.popularity, rng)
            }),
        }
    }

    /// When the next visit arrives (`Micros::MAX` if none does before the end).
    #[inline]
    pub fn next_us(&self) -> Micros {
        self.next_us
    }

    /// The next visit arrives at `now` (its time): its user joins `users` (the slot is
    /// returned; `None` if every registered user drawn was already in a visit) and the visit
    /// after it is drawn.
    pub fn arrive(&mut self, sc: &Scenario, users: &mut Users, now: Micros) -> Option<UserSlot> {
        let number = self.visits;
        self.visits += 1;
        let requests = rng::geometric_with_mean(&mut self.lengths, sc.users.requests_per_visit);
        self.next_us = users::next_visit(&mut self.times, &sc.users, now, sc.duration_us);
        let (id, registered) = match &mut self.population {
            None => (number, false),
            Some(p) => (p.draw_free(users)?, true),
        };
        Some(users.arrive(Visit {
            id,
            rng: rng::user_stream(sc.seed, number),
            requests,
            registered,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The visits' times are `next_visit`'s on the `Arrivals` stream, each drawn from the one
    /// before; visit `k` is numbered `k` and sends a geometric number of requests from the
    /// `VisitLengths` stream.
    #[test]
    fn visits_arrive_when_next_visit_says_numbered_in_order() {
        let sc = super::super::tests::tiny(&[]);
        let mut arrivals = Arrivals::new(&sc);
        let mut users = Users::new();
        let mut times = rng::stream(sc.seed, Stream::Arrivals);
        let mut lengths = rng::stream(sc.seed, Stream::VisitLengths);
        let mut t = 0;
        for k in 0..5 {
            t = users::next_visit(&mut times, &sc.users, t, sc.duration_us);
            assert_eq!(arrivals.next_us(), t);
            let slot = arrivals.arrive(&sc, &mut users, t).expect("no population");
            let requests = rng::geometric_with_mean(&mut lengths, sc.users.requests_per_visit);
            assert_eq!(
                (users.get(slot).id, users.get(slot).remaining),
                (k, requests)
            );
        }
        assert_eq!(users.active(), 5);
    }

    /// Visits stop before the end: the last one arrives before `duration` (60 s at 10 visits
    /// per second: about 600), and then there is none.
    #[test]
    fn no_visit_at_or_after_the_end() {
        let sc = super::super::tests::tiny(&[]);
        let mut arrivals = Arrivals::new(&sc);
        let mut users = Users::new();
        let mut last = 0;
        while arrivals.next_us() != Micros::MAX {
            last = arrivals.next_us();
            arrivals.arrive(&sc, &mut users, last);
        }
        assert!(last < sc.duration_us);
        assert!((500..700).contains(&users.active()), "{}", users.active());
    }
}
