//! The books of a run, checked at its end. Each check is an invariant of the program, not of the
//! input: a broken one is a bug in tiersim, reported with the variant and seed that show it.
//!
//! - every request sent after warm-up has exactly one outcome (or is unfinished);
//! - the time series adds up to the totals;
//! - every session created is alive, expired, lost or evicted, and every lost one was lost in a
//!   visit or idle;
//! - people: visits with an error are visits, users forced to log in are active users;
//! - no server is busy more than all its workers all the time;
//! - Little's law on the sample path: the area under the number of requests in the tier equals
//!   the time requests spent in it, over the measured period (integers, so exactly);
//! - the count of requests in the tier matches the users whose request is in it.

use super::{Engine, Mode};
use crate::events::Phase;
use crate::metrics::RunResult;

impl<M: Mode> Engine<'_, M> {
    /// Every broken invariant of a finished run, as sentences (empty when the books balance).
    pub(super) fn audit(&mut self, r: &RunResult) -> Vec<String> {
        let mut broken = Vec::new();
        let s = &r.summary;
        let c = &s.counts;
        if s.sent != c.ended() + s.unfinished {
            broken.push(format!(
                "requests sent ({}) != ended ({}) + unfinished ({})",
                s.sent,
                c.ended(),
                s.unfinished
            ));
        }
        let bucketed: u64 = r.buckets.iter().map(|b| b.counts.ended()).sum();
        if bucketed != c.ended() {
            broken.push(format!(
                "requests in the time series ({bucketed}) != ended ({})",
                c.ended()
            ));
        }
        let t = self.tier.sessions.totals();
        if t.created != self.tier.sessions.alive() + t.expired + t.lost + t.evicted {
            broken.push(format!(
                "sessions created ({}) != alive ({}) + expired ({}) + lost ({}) + evicted ({})",
                t.created,
                self.tier.sessions.alive(),
                t.expired,
                t.lost,
                t.evicted
            ));
        }
        broken.extend(people(s));
        if let Some(row) = r
            .servers
            .iter()
            .find(|row| !(0.0..=1.0 + 1e-9).contains(&row.busy_fraction))
        {
            broken.push(format!(
                "server {} was busy {:.6} of the time at {} us",
                row.server, row.busy_fraction, row.start_us
            ));
        }
        let end = self.sc.duration_us;
        let inside: Vec<u64> = self
            .users
            .iter()
            .filter(|(_, u)| u.phase != Phase::Idle)
            .map(|(_, u)| u.tier_since_us)
            .collect();
        let in_tier = inside.len() as u64;
        if in_tier != self.measure.rec.in_tier() {
            broken.push(format!(
                "requests counted in the tier ({}) != users with a request in it ({in_tier})",
                self.measure.rec.in_tier()
            ));
        }
        let (area, sojourn) = self.measure.rec.tier_books(end, inside.into_iter());
        if area != sojourn {
            broken.push(format!(
                "Little's law: area under requests in the tier ({area} us) != time spent in it ({sojourn} us)"
            ));
        }
        broken
    }
}

/// The books of people: visits with an error are among the visits, users forced to log in among
/// the active users, and every session lost was lost in a visit or idle.
fn people(s: &crate::metrics::Summary) -> Vec<String> {
    let p = &s.people;
    let mut broken = Vec::new();
    if p.visits_with_error > p.visits {
        broken.push(format!(
            "visits with an error ({}) > visits ({})",
            p.visits_with_error, p.visits
        ));
    }
    if p.users_forced_login > p.users_active {
        broken.push(format!(
            "users forced to log in ({}) > active users ({})",
            p.users_forced_login, p.users_active
        ));
    }
    if s.sessions_lost_active + s.sessions_lost_idle != s.sessions_lost {
        broken.push(format!(
            "sessions lost in a visit ({}) + idle ({}) != sessions lost ({})",
            s.sessions_lost_active, s.sessions_lost_idle, s.sessions_lost
        ));
    }
    broken
}

#[cfg(test)]
mod tests {
    use crate::metrics::{People, Summary};

    /// Each book of people, broken alone, is named; balanced books say nothing.
    #[test]
    fn the_books_of_people_name_what_does_not_balance() {
        let fine = Summary {
            people: People {
                users_active: 10,
                users_forced_login: 3,
                visits: 12,
                visits_with_error: 2,
            },
            sessions_lost: 5,
            sessions_lost_active: 2,
            sessions_lost_idle: 3,
            ..Summary::default()
        };
        assert!(super::people(&fine).is_empty());
        let mut bad = fine.clone();
        bad.people.visits_with_error = 13;
        bad.people.users_forced_login = 11;
        bad.sessions_lost_idle = 4;
        assert_eq!(
            super::people(&bad),
            vec![
                "visits with an error (13) > visits (12)",
                "users forced to log in (11) > active users (10)",
                "sessions lost in a visit (2) + idle (4) != sessions lost (5)",
            ]
        );
    }
}
