//! The measurement: the recorder the request handlers feed, the periodic bucket boundaries (one
//! row per bucket and one per server), and the rows of `events.csv` with the users each change
//! of rotation remapped.
//!
//! Buckets start at `warmup` and are `bucket` long; the last one ends at `duration` and may be
//! shorter. The boundary at `warmup` only starts the measured period. Owns no part of the
//! cluster: it reads the tier (and the users, for an event's row) at each boundary or change.

use super::tier::Tier;
use super::{Engine, Mode, RemapTarget};
use crate::events::EventAction;
use crate::events::{AuthFailure, Outcome};
use crate::metrics::hours::MachineHours;
use crate::metrics::{self, BucketRow, EventRow, People, Recorder, RunResult, ServerRow, summary};
use crate::model::ids::ServerId;
use crate::model::ids::UserSlot;
use crate::model::sessions::SessionTotals;
use crate::model::users::{Marks, User, Users};
use crate::scenario::{Micros, Scenario};

/// What a run measures, as it goes.
#[derive(Debug)]
pub(super) struct Measurement {
    pub rec: Recorder,
    next_tick_us: Micros,
    /// Start of the current bucket (`None` before warm-up ends).
    bucket_start_us: Option<Micros>,
    /// Busy worker-time of each server at the start of the current bucket.
    bucket_busy: Vec<u64>,
    /// Session counts when warm-up ended.
    sessions_at_warmup: SessionTotals,
    /// The rows of `events.csv` so far.
    pub event_rows: Vec<EventRow>,
    /// The row of a crash whose detection is still pending, per server.
    detect_row: Vec<Option<usize>>,
    /// The bucket and server rows so far.
    result: RunResult,
    /// (user slot, user id, server it would be routed to) of logged-in users before a change.
    targets: Vec<RemapTarget>,
    /// Web servers rented, from the start of their boot until their removal.
    pub servers_rented: MachineHours,
    /// Users and visits counted since warm-up.
    pub people: People,
}

impl Measurement {
    /// Nothing measured yet; the first boundary is at warm-up.
    pub fn new(sc: &Scenario) -> Self {
        Measurement {
            rec: Recorder::new(sc.warmup_us),
            next_tick_us: sc.warmup_us,
            bucket_start_us: None,
            bucket_busy: Vec::new(),
            sessions_at_warmup: SessionTotals::default(),
            event_rows: Vec::new(),
            detect_row: vec![None; sc.servers.count as usize],
            result: RunResult::default(),
            targets: Vec::new(),
            servers_rented: MachineHours::new(sc.servers.count, sc.warmup_us),
            people: People::default(),
        }
    }

    /// `user` sent a request at `now`: an active user, if at or after warm-up.
    #[inline]
    pub fn count_active(&mut self, user: &mut User, now: Micros) {
        if self.rec.measuring(now) && user.marks.set(Marks::ACTIVE) {
            self.people.users_active += 1;
        }
    }

    /// `user`'s request ended with `outcome`: a user forced to log in (a failed authentication
    /// sent at or after warm-up, not an expiry), or a visit with an error.
    #[inline]
    pub fn count_people(&mut self, user: &mut User, outcome: Outcome) {
        match outcome {
            Outcome::Ok | Outcome::FailedAuth(AuthFailure::Expired) => {}
            Outcome::FailedAuth(_) => {
                if self.rec.measuring(user.sent_us) && user.marks.set(Marks::FORCED) {
                    self.people.users_forced_login += 1;
                }
            }
            Outcome::Error(_) => {
                if user.marks.has(Marks::MEASURED_VISIT) && user.marks.set(Marks::VISIT_ERROR) {
                    self.people.visits_with_error += 1;
                }
            }
        }
    }

    /// When the next bucket boundary is.
    #[inline]
    pub fn next_tick_us(&self) -> Micros {
        self.next_tick_us
    }

    /// Session counts when warm-up ended.
    pub fn sessions_at_warmup(&self) -> SessionTotals {
        self.sessions_at_warmup
    }

    /// Buckets closed so far.
    pub fn buckets_closed(&self) -> usize {
        self.result.buckets.len()
    }

    /// The start of the last bucket closed.
    pub fn last_bucket_start(&self) -> Micros {
        self.result.buckets.last().map_or(0, |b| b.start_us)
    }

    /// The bucket and server rows measured, leaving the measurement empty of them.
    pub fn take_result(&mut self) -> RunResult {
        std::mem::take(&mut self.result)
    }

    /// The bucket boundary at `now`, with `users_in_visit` users in a visit: starts the measured
    /// period, or closes a bucket into its rows. Returns true when it is the end of the run.
    pub fn boundary(
        &mut self,
        now: Micros,
        sc: &Scenario,
        tier: &mut Tier,
        users_in_visit: u64,
    ) -> bool {
        match self.bucket_start_us {
            None => self.start_measuring(now, tier),
            Some(start) => self.close_bucket(start, now, tier, users_in_visit),
        }
        self.bucket_start_us = Some(now);
        if now >= sc.duration_us {
            return true;
        }
        self.next_tick_us = (now + sc.bucket_us).min(sc.duration_us);
        false
    }

    fn start_measuring(&mut self, now: Micros, tier: &mut Tier) {
        self.bucket_busy = tier
            .servers
            .iter_mut()
            .map(|s| s.busy_total_us(now))
            .collect();
        self.rec.start_measuring();
        self.sessions_at_warmup = tier.sessions.totals();
    }

    fn close_bucket(&mut self, start: u64, now: Micros, tier: &mut Tier, users_in_visit: u64) {
        let len_us = now - start;
        let served = self.rec.served_in_bucket(tier.servers.len());
        for (id, server) in tier.servers.iter_mut().enumerate() {
            let total = server.busy_total_us(now);
            if self.bucket_busy.len() <= id {
                self.bucket_busy.resize(id + 1, 0);
            }
            let busy_us = total - std::mem::replace(&mut self.bucket_busy[id], total);
            self.result.servers.push(ServerRow {
                start_us: start,
                server: id as u32,
                up: server.exists && server.up,
                requests: served[id],
                busy_fraction: summary::busy_fraction(busy_us, server.workers(), len_us),
                sessions: tier.sessions.alive_on(ServerId(id as u32)),
            });
        }
        let rotation = tier.balancer.rotation();
        let spread = metrics::spread(rotation.iter().map(|&s| served[s.index()]));
        let closed = self.rec.close_bucket();
        let row = BucketRow {
            start_us: start,
            len_us,
            counts: closed.counts,
            latency: closed.latency,
            servers_in_rotation: rotation.len() as u32,
            sessions_alive: tier.sessions.alive(),
            store_ops: closed.store_ops,
            imbalance: spread.map(|s| s.max_over_mean),
            least_loaded_share: spread.map(|s| s.min_over_mean),
            users_in_visit: Some(users_in_visit),
        };
        self.result.buckets.push(row);
    }

    /// The crash of `server` whose row is the next one closed waits for its detection: the
    /// users its detection remaps are counted on that row.
    pub fn await_detection(&mut self, server: ServerId) {
        let row = Some(self.event_rows.len());
        if self.detect_row.len() <= server.index() {
            self.detect_row.resize(server.index() + 1, None);
        }
        self.detect_row[server.index()] = row;
    }

    /// `server` left: no detection of its crash is pending any more.
    pub fn forget_detection(&mut self, server: ServerId) {
        if let Some(row) = self.detect_row.get_mut(server.index()) {
            *row = None;
        }
    }

    /// The balancer noticed `server`'s crash and `remapped` users moved: counted on the crash's
    /// row, if one waits for it.
    pub fn detected(&mut self, server: ServerId, remapped: Option<u64>) {
        let pending = self
            .detect_row
            .get_mut(server.index())
            .and_then(Option::take);
        if let Some(row) = pending {
            let row = &mut self.event_rows[row];
            row.users_remapped = row.users_remapped.map(|n| n + remapped.unwrap_or(0));
        }
    }

    /// A user failed authentication because the event of row `row` destroyed their session.
    pub fn forced_login_by(&mut self, row: u32) {
        let count = &mut self.event_rows[row as usize].users_forced_login;
        *count = count.map(|n| n + 1);
    }

    /// `lost` more sessions are counted on row `row` (a drain that ended after its scale-in).
    pub fn add_lost(&mut self, row: usize, lost: u64) {
        self.event_rows[row].sessions_lost += lost;
    }

    /// Opens the row of a change of membership at `now`: the state just before it.
    pub fn open_row(
        &mut self,
        action: EventAction,
        target: Option<u32>,
        now: Micros,
        tier: &mut Tier,
        users: &Users,
    ) -> EventRow {
        tier.sessions.advance(now);
        tier.sessions.set_cause(Some(self.event_rows.len() as u32));
        let logged_in = users.iter().filter(|(_, u)| u.session.is_some()).count();
        self.snapshot_targets(tier, users);
        EventRow {
            at_us: now,
            action,
            target,
            servers_before: tier.servers_up(),
            sessions_alive: tier.sessions.alive(),
            users_logged_in: logged_in as u64,
            users_forced_login: Some(0),
            ..EventRow::default()
        }
    }

    /// Closes the row of a change: the state just after it, and the users it remapped. Returns
    /// the row's index.
    pub fn close_row(&mut self, mut row: EventRow, tier: &mut Tier, users: &Users) -> usize {
        tier.sessions.set_cause(None);
        row.servers_after = tier.servers_up();
        row.users_remapped = self.count_remapped(tier, users);
        self.event_rows.push(row);
        self.event_rows.len() - 1
    }

    /// Remembers where each logged-in user would be routed now (policies that map users only).
    pub fn snapshot_targets(&mut self, tier: &Tier, users: &Users) {
        self.targets.clear();
        if !tier.balancer.policy().maps_users() {
            return;
        }
        for (slot, user) in users.iter() {
            if user.session.is_some() {
                let target = tier.balancer.target(user.id, user.pinned);
                self.targets.push((slot, user.id, target));
            }
        }
    }

    /// How many users of the last snapshot, still in their visit, would now be routed elsewhere.
    pub fn count_remapped(&self, tier: &Tier, users: &Users) -> Option<u64> {
        let balancer = &tier.balancer;
        if !balancer.policy().maps_users() {
            return None;
        }
        let moved = self.targets.iter().filter(|&&(slot, id, before)| {
            users
                .try_get(slot)
                // A user with no server before (a sticky user whose server had already left)
                // was counted when it left; nobody moves when a server comes back.
                .is_some_and(|u| {
                    u.id == id && before.is_some() && balancer.target(u.id, u.pinned) != before
                })
        });
        Some(moved.count() as u64)
    }
}

impl<M: Mode> Engine<'_, M> {
    /// A visit of user `u` started at `self.now`: counted if at or after warm-up.
    pub(super) fn count_visit(&mut self, u: UserSlot) {
        if self.measure.rec.measuring(self.now) {
            self.users.get_mut(u).marks.set(Marks::MEASURED_VISIT);
            self.measure.people.visits += 1;
        }
    }

    /// A bucket boundary at `self.now`. Returns true when it is the end of the run.
    pub(super) fn tick(&mut self) -> bool {
        self.tier.sessions.advance(self.now);
        self.finish_drains();
        let in_visit = self.users.active() as u64;
        let closed = self.measure.buckets_closed();
        let end = self
            .measure
            .boundary(self.now, self.sc, &mut self.tier, in_visit);
        if self.geo_on() && self.measure.buckets_closed() > closed {
            let start = self.measure.last_bucket_start();
            self.geo_bucket(start);
        }
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{ErrorCause, Outcome};
    use crate::model::ids::UserSlot;
    use crate::model::server::Occupant;

    /// `tiny`: warm-up 10 s, buckets of 10 s, 3 servers of 2 workers. Server 0 holds one worker
    /// from 12 s to 17 s: busy 5 s of 2 × 10 s = 0.25. One login served by server 0 (sent at
    /// 12 s, 1 ms latency: exact in the histogram) and one queue-full error end in the bucket [10 s, 20 s); a login sent
    /// at 9 s (warm-up) ends at 11 s and is not counted.
    #[test]
    fn a_bucket_closes_with_its_counts_and_server_rows() {
        const S: Micros = 1_000_000;
        let sc = super::super::tests::tiny(&[]);
        let mut tier = Tier::new(&sc);
        let mut m = Measurement::new(&sc);
        assert_eq!(m.next_tick_us(), 10 * S);
        assert!(!m.boundary(10 * S, &sc, &mut tier, 3));
        assert_eq!(m.next_tick_us(), 20 * S);
        tier.servers[0].admit(Occupant::User(UserSlot(1)), 12 * S);
        tier.servers[0].release(0, 17 * S);
        m.rec
            .request_ended(9 * S, 11 * S, Outcome::Ok, true, Some(1));
        m.rec
            .request_ended(12 * S, 12 * S + 1_000, Outcome::Ok, true, Some(0));
        let error = Outcome::Error(ErrorCause::QueueFull);
        m.rec.request_ended(15 * S, 16 * S, error, false, None);
        assert!(!m.boundary(20 * S, &sc, &mut tier, 7));
        let r = m.take_result();
        assert_eq!(r.buckets.len(), 1);
        let b = &r.buckets[0];
        assert_eq!(
            (b.start_us, b.len_us, b.servers_in_rotation),
            (10 * S, 10 * S, 3)
        );
        assert_eq!((b.counts.logins, b.counts.errors_queue_full), (1, 1));
        assert_eq!(b.counts.ended(), 2);
        assert_eq!(b.latency.p50_us, Some(1_000));
        assert_eq!(b.users_in_visit, Some(7));
        let requests: Vec<u64> = r.servers.iter().map(|s| s.requests).collect();
        assert_eq!(requests, vec![1, 0, 0]);
        let busy: Vec<f64> = r.servers.iter().map(|s| s.busy_fraction).collect();
        assert_eq!(busy, vec![0.25, 0.0, 0.0]);
        // The last boundary, at `duration` (60 s), ends the run.
        assert!(m.boundary(sc.duration_us, &sc, &mut tier, 0));
    }

    /// Sticky routing (`tiny`) maps users, so a crash's row closes with 0 users remapped; its
    /// detection, which moves 4, adds them to that row; a second detection of the same crash
    /// adds nothing.
    #[test]
    fn a_crash_row_counts_the_users_its_detection_remaps() {
        let sc = super::super::tests::tiny(&[]);
        let mut tier = Tier::new(&sc);
        let users = Users::new();
        let mut m = Measurement::new(&sc);
        let row = m.open_row(EventAction::Crash, Some(1), 5, &mut tier, &users);
        m.await_detection(ServerId(1));
        let i = m.close_row(row, &mut tier, &users);
        assert_eq!(m.event_rows[i].users_remapped, Some(0));
        m.detected(ServerId(1), Some(4));
        m.detected(ServerId(1), Some(3));
        assert_eq!(m.event_rows[i].users_remapped, Some(4));
    }
}
