//! What a run measured: the recorder the engine feeds, the plain result rows it produces, and
//! the [`catalogue`] of the metrics reported about a run (each defined once, with its
//! computation).
//!
//! Only requests sent at or after `warmup` count, in every table. Latency is from sending to the
//! response, for requests that were served (ok or failed authentication); percentiles come from
//! an HDR histogram with 3 significant digits (the value reported is the highest value
//! equivalent to the recorded ones at that quantile, so within 0.1 % of the exact order
//! statistic; latencies above a day are clamped to a day). Result rows are plain data with times in microseconds: the serializers in
//! `output` turn them into files.

pub mod catalogue;
pub mod hours;
mod recorder;
pub mod summary;

use crate::events::{AuthFailure, ErrorCause, EventAction, Outcome};
use crate::scenario::{Cost, Micros};
use serde::{Deserialize, Serialize};

pub use recorder::{ClosedBucket, MAX_LATENCY_US, Recorder, latency_of_values};

/// Outcome counts of requests sent at or after warm-up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Logins served normally.
    pub logins: u64,
    /// Authenticated requests served with a valid session.
    pub authenticated: u64,
    /// Failed authentications: session alive on another server.
    pub failed_elsewhere: u64,
    /// Failed authentications: session lost with a crash, removal or store restart.
    pub failed_lost: u64,
    /// Failed authentications: session expired.
    pub failed_expired: u64,
    /// Errors: server down.
    pub errors_server_down: u64,
    /// Errors: queue full.
    pub errors_queue_full: u64,
    /// Errors: store down.
    pub errors_store_down: u64,
    /// Failed authentications: session evicted by its store node.
    pub failed_evicted: u64,
    /// Errors: the store node's queue was full.
    pub errors_store_busy: u64,
    /// Failed authentications: session not in the data centre that served the request.
    #[serde(default)]
    pub failed_other_dc: u64,
    /// Errors: sent to a data centre that was down.
    #[serde(default)]
    pub errors_dc_down: u64,
}

impl Counts {
    /// Requests served normally.
    pub fn ok(&self) -> u64 {
        self.logins + self.authenticated
    }

    /// Failed authentications, all causes.
    pub fn failed_auth(&self) -> u64 {
        self.failed_elsewhere
            + self.failed_lost
            + self.failed_expired
            + self.failed_evicted
            + self.failed_other_dc
    }

    /// Errors, all causes.
    pub fn errors(&self) -> u64 {
        self.errors_server_down
            + self.errors_queue_full
            + self.errors_store_down
            + self.errors_store_busy
            + self.errors_dc_down
    }

    /// Requests that ended.
    pub fn ended(&self) -> u64 {
        self.ok() + self.failed_auth() + self.errors()
    }

    /// Authenticated (non-login) requests that were served: ok or failed authentication.
    pub fn auth_requests(&self) -> u64 {
        self.authenticated + self.failed_auth()
    }

    /// Failed authentications as a percentage of [`Counts::auth_requests`] (`None` when no
    /// authenticated request was served).
    pub fn failed_auth_pct(&self) -> Option<f64> {
        let auth = self.auth_requests();
        (auth > 0).then(|| 100.0 * self.failed_auth() as f64 / auth as f64)
    }

    pub(crate) fn add(&mut self, outcome: Outcome, was_login: bool) {
        let counter = match outcome {
            Outcome::Ok if was_login => &mut self.logins,
            Outcome::Ok => &mut self.authenticated,
            Outcome::FailedAuth(AuthFailure::Elsewhere) => &mut self.failed_elsewhere,
            Outcome::FailedAuth(AuthFailure::Lost) => &mut self.failed_lost,
            Outcome::FailedAuth(AuthFailure::Expired) => &mut self.failed_expired,
            Outcome::Error(ErrorCause::ServerDown) => &mut self.errors_server_down,
            Outcome::Error(ErrorCause::QueueFull) => &mut self.errors_queue_full,
            Outcome::Error(ErrorCause::StoreDown) => &mut self.errors_store_down,
            Outcome::FailedAuth(AuthFailure::Evicted) => &mut self.failed_evicted,
            Outcome::Error(ErrorCause::StoreBusy) => &mut self.errors_store_busy,
            Outcome::FailedAuth(AuthFailure::OtherDc) => &mut self.failed_other_dc,
            Outcome::Error(ErrorCause::DcDown) => &mut self.errors_dc_down,
        };
        *counter += 1;
    }
}

/// Latency percentiles in microseconds (`None` when nothing was served).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Mean, exact.
    pub mean_us: Option<f64>,
    /// Median.
    pub p50_us: Option<u64>,
    /// 95th percentile.
    pub p95_us: Option<u64>,
    /// 99th percentile.
    pub p99_us: Option<u64>,
}

/// One variant's totals over the measured period.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Outcomes of requests sent at or after warm-up.
    pub counts: Counts,
    /// Requests sent at or after warm-up (counted when sent).
    pub sent: u64,
    /// Requests sent at or after warm-up still in flight at the end.
    pub unfinished: u64,
    /// Sessions created at or after warm-up.
    pub sessions_created: u64,
    /// Sessions lost (crash, removal, store restart) at or after warm-up.
    pub sessions_lost: u64,
    /// Sessions expired at or after warm-up.
    pub sessions_expired: u64,
    /// Latency of served requests.
    pub latency: Latency,
    /// Mean over buckets of the busiest server's share relative to the mean (`None`: no bucket
    /// had any request).
    pub imbalance: Option<f64>,
    /// Mean over buckets of the least busy server's share relative to the mean (`None`: no
    /// bucket had any request).
    pub least_loaded_share: Option<f64>,
    /// Store reads completed at or after warm-up.
    pub store_reads: u64,
    /// Store writes completed at or after warm-up.
    pub store_writes: u64,
    /// Sum of `users_remapped` over the event rows (`None` when the policy does not map users).
    pub users_remapped: Option<u64>,
    /// Sessions evicted by store nodes at or after warm-up.
    pub sessions_evicted: u64,
    /// `cached_store`: authenticated requests served from the local cache (no store read).
    pub cache_hits: u64,
    /// `server_replicated`: session copies sent to backup servers.
    pub session_copies: u64,
    /// Time-average number of requests inside the web tier (queued or holding a worker) over the
    /// measured period.
    pub mean_in_tier: f64,
    /// Length of the measured period in seconds.
    pub measured_s: f64,
    /// Users and visits at or after warm-up.
    pub people: People,
    /// Sessions lost at or after warm-up while their user was in a visit.
    pub sessions_lost_active: u64,
    /// Sessions lost at or after warm-up while no user in a visit held them.
    pub sessions_lost_idle: u64,
    /// Web servers rented over the measured period, in machine-hours (see [`hours`]).
    pub server_hours: f64,
    /// Store machines rented over the measured period, in machine-hours.
    pub store_hours: f64,
    /// What the machines cost: `server_hours` and `store_hours` at the scenario's prices.
    pub cost: f64,
}

impl Summary {
    /// The summary with `server_hours` and `store_hours` of machines, and what they cost at
    /// `prices`.
    pub fn with_cost(self, server_hours: f64, store_hours: f64, prices: &Cost) -> Summary {
        Summary {
            server_hours,
            store_hours,
            cost: prices.of(server_hours, store_hours),
            ..self
        }
    }
}

/// Users and visits counted at or after warm-up: what the run cost people, not requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct People {
    /// Distinct users who sent a request at or after warm-up (with no population, a user is a
    /// visit).
    pub users_active: u64,
    /// Distinct users with at least one failed authentication, sent at or after warm-up, for a
    /// cause other than expiry.
    pub users_forced_login: u64,
    /// Visits that started at or after warm-up.
    pub visits: u64,
    /// Visits that started at or after warm-up with at least one error.
    pub visits_with_error: u64,
}

impl People {
    /// `100 * users_forced_login / users_active` (`None` with no active user).
    pub fn forced_login_pct(&self) -> Option<f64> {
        let active = self.users_active;
        (active > 0).then(|| 100.0 * self.users_forced_login as f64 / active as f64)
    }
}

/// One time bucket of a variant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BucketRow {
    /// Start of the bucket.
    pub start_us: Micros,
    /// Length of the bucket (the last one may be shorter).
    pub len_us: Micros,
    /// Outcomes of requests that ended in the bucket.
    pub counts: Counts,
    /// Latency of requests served in the bucket.
    pub latency: Latency,
    /// Servers in the balancer's rotation at the end of the bucket.
    pub servers_in_rotation: u32,
    /// Live sessions at the end of the bucket (servers and store).
    pub sessions_alive: u64,
    /// Store operations completed in the bucket.
    pub store_ops: u64,
    /// Requests served by the busiest server in rotation / mean over the servers in rotation.
    pub imbalance: Option<f64>,
    /// Requests served by the least busy server in rotation / mean over the servers in rotation.
    pub least_loaded_share: Option<f64>,
    /// Users in a visit at the end of the bucket, logged in or not (`None`: not measured, as in
    /// the live mode). Drawn over the sessions charts, not written to `timeseries.csv`.
    pub users_in_visit: Option<u64>,
}

/// One server in one time bucket.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerRow {
    /// Start of the bucket.
    pub start_us: Micros,
    /// Server id.
    pub server: u32,
    /// Whether it was running at the end of the bucket.
    pub up: bool,
    /// Requests it served (ok or failed authentication) in the bucket.
    pub requests: u64,
    /// Busy worker-time / (workers × bucket length).
    pub busy_fraction: f64,
    /// Live sessions in its memory at the end of the bucket.
    pub sessions: u64,
}

/// One timed event of a variant and what it cost.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    /// When it happened.
    pub at_us: Micros,
    /// What happened.
    pub action: EventAction,
    /// The server (crash, restart) or the count (add, remove); `None` for store events.
    pub target: Option<u32>,
    /// Servers running just before.
    pub servers_before: u32,
    /// Servers running just after.
    pub servers_after: u32,
    /// Live sessions just before.
    pub sessions_alive: u64,
    /// Sessions it destroyed.
    pub sessions_lost: u64,
    /// Users whose server under the policy changed (`None` when the policy does not map users).
    pub users_remapped: Option<u64>,
    /// Seconds until the spread settled: [`SETTLED_IMBALANCE`] and [`SETTLED_LEAST_SHARE`] met
    /// for [`SETTLED_BUCKETS`] buckets (`None`: never).
    pub rebalance_s: Option<f64>,
    /// Users in a visit who had logged in, just before.
    pub users_logged_in: u64,
    /// Users who later failed authentication because this event destroyed their session,
    /// however late they came back (`None` where it is not attributed: the live mode).
    pub users_forced_login: Option<u64>,
    /// `dc_down` and `dc_up`: the round trip the moved users paid beyond their nearest data
    /// centre's, summed over the requests sent to another one while this was the latest data
    /// centre event, in seconds (`None` for other events).
    pub latency_penalty_s: Option<f64>,
}

/// Everything one variant's run produced.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// Variant name.
    pub variant: String,
    /// Totals.
    pub summary: Summary,
    /// Time series, one row per bucket.
    pub buckets: Vec<BucketRow>,
    /// Per-server time series, one row per bucket and server id.
    pub servers: Vec<ServerRow>,
    /// One row per timed event.
    pub events: Vec<EventRow>,
    /// Events the engine processed (for `--stats`).
    pub events_processed: u64,
    /// Requests the engine simulated, warm-up included (for `--stats`).
    pub requests_simulated: u64,
    /// Invariants of the program that this run broke (empty unless tiersim has a bug).
    pub audit: Vec<String>,
    /// Several data centres: one row per bucket and data centre (empty for one).
    #[serde(default)]
    pub datacenters: Vec<DcRow>,
    /// The data centres' names, by index (empty for one data centre).
    #[serde(default)]
    pub datacenter_names: Vec<String>,
}

/// One data centre over one bucket (`datacenters.csv`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DcRow {
    /// Start of the bucket.
    pub start_us: Micros,
    /// Index of the data centre in `[[datacenters]]`.
    pub datacenter: u32,
    /// Whether it was up at the end of the bucket.
    pub up: bool,
    /// Requests it served (ok or failed authentication), sent at or after warm-up.
    pub requests: u64,
    /// Of those, failed authentications.
    pub failed_auth: u64,
    /// Requests sent to it that ended with an error.
    pub errors: u64,
    /// Users in a visit whose last request went there, at the end of the bucket.
    pub users_in_visit: u64,
    /// Live sessions held by its servers and store nodes, at the end of the bucket.
    pub sessions: u64,
    /// Its servers up, at the end of the bucket.
    pub servers_up: u32,
}

impl RunResult {
    /// The percentage of logged-in users that changes of membership moved to another server:
    /// `100 * users_remapped / users_logged_in`, summed over the timed events (`None` for
    /// policies that do not map users, and for runs without a user logged in at any event).
    pub fn remapped_pct(&self) -> Option<f64> {
        let remapped: u64 = self
            .events
            .iter()
            .map(|e| e.users_remapped)
            .sum::<Option<u64>>()?;
        let logged_in: u64 = self.events.iter().map(|e| e.users_logged_in).sum();
        (logged_in > 0).then(|| 100.0 * remapped as f64 / logged_in as f64)
    }
}

/// A bucket whose imbalance is at or below this (and whose least loaded share is at or above
/// [`SETTLED_LEAST_SHARE`]) is balanced.
pub const SETTLED_IMBALANCE: f64 = 1.25;
/// A bucket whose least loaded share is at or above this (and whose imbalance is at or below
/// [`SETTLED_IMBALANCE`]) is balanced.
pub const SETTLED_LEAST_SHARE: f64 = 0.75;
/// Consecutive balanced buckets that mean the imbalance has settled.
pub const SETTLED_BUCKETS: usize = 3;

/// The busiest server's count over the mean count (`None` if nothing was served).
pub fn imbalance(served: impl Iterator<Item = u64>) -> Option<f64> {
    spread(served).map(|s| s.max_over_mean)
}

/// How requests spread over servers: the busiest and the least busy one's count, each over the
/// mean count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    /// The busiest server's count over the mean: 1 for an even spread, N for all on one of N.
    pub max_over_mean: f64,
    /// The least busy server's count over the mean: 1 for an even spread, 0 for a server that
    /// served nothing.
    pub min_over_mean: f64,
}

/// The spread of the counts `served` (`None` if nothing was served).
pub fn spread(served: impl Iterator<Item = u64>) -> Option<Spread> {
    let (mut n, mut sum, mut max, mut min) = (0u64, 0u64, 0u64, u64::MAX);
    for x in served {
        n += 1;
        sum += x;
        max = max.max(x);
        min = min.min(x);
    }
    let mean = sum as f64 / n as f64;
    (sum > 0).then(|| Spread {
        max_over_mean: max as f64 / mean,
        min_over_mean: min as f64 / mean,
    })
}

/// Seconds from `at_us` until the start of the first bucket (starting at or after it) that
/// begins [`SETTLED_BUCKETS`] consecutive balanced buckets: imbalance at or below
/// [`SETTLED_IMBALANCE`] and least loaded share at or above [`SETTLED_LEAST_SHARE`], so that
/// neither an overloaded nor an idle server is left; buckets without traffic do not break a run.
/// `None` if that never happens.
pub fn rebalance_s(at_us: Micros, buckets: &[BucketRow]) -> Option<f64> {
    let first = buckets.partition_point(|b| b.start_us < at_us);
    let later = &buckets[first..];
    let balanced = |b: &BucketRow| {
        b.imbalance.is_none_or(|x| x <= SETTLED_IMBALANCE)
            && b.least_loaded_share
                .is_none_or(|x| x >= SETTLED_LEAST_SHARE)
    };
    (0..later.len())
        .find(|&i| {
            later.len() - i >= SETTLED_BUCKETS && later[i..i + SETTLED_BUCKETS].iter().all(balanced)
        })
        .map(|i| (later[i].start_us - at_us) as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(start_s: u64, imbalance: f64) -> BucketRow {
        BucketRow {
            start_us: start_s * 1_000_000,
            imbalance: Some(imbalance),
            ..Default::default()
        }
    }

    #[test]
    fn imbalance_is_max_over_mean() {
        assert_eq!(imbalance([10, 10, 10, 10].into_iter()), Some(1.0));
        // mean 10, max 25
        assert_eq!(imbalance([25, 5, 5, 5].into_iter()), Some(2.5));
        assert_eq!(imbalance([0, 0].into_iter()), None);
    }

    #[test]
    fn the_least_loaded_share_sees_an_idle_server() {
        // 3-scale-out's bucket: four servers at about 1,170, the new one at 111. Mean 958.2:
        // max/mean 1.221 (balanced by the old rule), min/mean 0.116.
        let s = spread([1170, 1170, 1170, 1170, 111].into_iter()).unwrap();
        assert!((s.max_over_mean - 1170.0 / 958.2).abs() < 1e-12);
        assert!((s.min_over_mean - 111.0 / 958.2).abs() < 1e-12);
        let even = spread([7, 7, 7].into_iter()).unwrap();
        assert_eq!((even.max_over_mean, even.min_over_mean), (1.0, 1.0));
        assert_eq!(spread([0, 5].into_iter()).unwrap().min_over_mean, 0.0);
        assert_eq!(spread(std::iter::empty()), None);
    }

    #[test]
    fn rebalance_waits_for_the_least_loaded_server_too() {
        // Imbalance 1.2 throughout; least loaded share 0.1, 0.5, 0.8, 0.9, 0.95, 1.0 from 0 s:
        // the first three balanced buckets in a row start at 20 s.
        let b: Vec<BucketRow> = [0.1, 0.5, 0.8, 0.9, 0.95, 1.0]
            .iter()
            .enumerate()
            .map(|(i, &least)| BucketRow {
                least_loaded_share: Some(least),
                ..bucket(10 * i as u64, 1.2)
            })
            .collect();
        assert_eq!(rebalance_s(0, &b), Some(20.0));
    }

    #[test]
    fn rebalance_waits_for_three_balanced_buckets_after_the_event() {
        let b: Vec<BucketRow> = [1.0, 1.0, 2.0, 1.5, 1.1, 1.3, 1.1, 1.2, 1.0]
            .iter()
            .enumerate()
            .map(|(i, &x)| bucket(10 * i as u64, x))
            .collect();
        // Event at 15 s: buckets from 20 s are 2.0 1.5 1.1 1.3 1.1 1.2 1.0; the first run of three
        // balanced ones starts at 60 s.
        assert_eq!(rebalance_s(15_000_000, &b), Some(45.0));
        // Event at 0 s: already balanced at 0 s? 1.0 1.0 2.0: no; first run starts at 60 s too.
        assert_eq!(rebalance_s(0, &b), Some(60.0));
        assert_eq!(rebalance_s(90_000_000, &b), None);
    }
}
