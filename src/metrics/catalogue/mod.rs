//! The catalogue of metrics: every number reported about a whole run, defined once.
//!
//! Each entry says what the metric is called in `summary.csv`, how a person reads it (a column
//! header and a chart title), its unit, what it means, its formula as `docs/outputs.md` shows it,
//! which way is better, how it aggregates over replications, how many decimals it is written
//! with, and how it is computed from a [`RunResult`]. The CSV writer, the terminal table, the
//! report, the charts and sweeps choose metrics from here by [`Metric`] and read everything else
//! from the entry, so the same metric reads the same everywhere and adding one is one entry here
//! plus its computation (and its column appended to the output contract in `output::columns`).
//!
//! Every metric aggregates over replications the same way: the mean over the runs where it
//! exists, with the half-width of its Student-t 95 % interval ([`Metric::over`]). Per-bucket,
//! per-server and per-event values (`timeseries.csv`, `servers.csv`, `events.csv`) are not here:
//! they are rows of the run, not numbers about it.

use super::RunResult;
use crate::stats::{self, Interval};

/// A metric of a run: the key by which every table, chart and check names it.
///
/// The variants are in the order of [`CATALOGUE`] (the order of the metric columns of
/// `summary.csv`); each is documented by its entry there, named by its column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// `requests`.
    Requests,
    /// `ok`.
    Ok,
    /// `failed_auth`.
    FailedAuth,
    /// `errors`.
    Errors,
    /// `unfinished`.
    Unfinished,
    /// `logins`.
    Logins,
    /// `auth_requests`.
    AuthRequests,
    /// `failed_auth_pct`.
    FailedAuthPct,
    /// `failed_auth_elsewhere`.
    FailedAuthElsewhere,
    /// `failed_auth_lost`.
    FailedAuthLost,
    /// `sessions_created`.
    SessionsCreated,
    /// `sessions_lost`.
    SessionsLost,
    /// `errors_server_down`.
    ErrorsServerDown,
    /// `errors_queue_full`.
    ErrorsQueueFull,
    /// `errors_store_down`.
    ErrorsStoreDown,
    /// `latency_mean_ms`.
    LatencyMeanMs,
    /// `latency_p50_ms`.
    LatencyP50Ms,
    /// `latency_p95_ms`.
    LatencyP95Ms,
    /// `latency_p99_ms`.
    LatencyP99Ms,
    /// `imbalance`.
    Imbalance,
    /// `store_reads`.
    StoreReads,
    /// `store_writes`.
    StoreWrites,
    /// `users_remapped`.
    UsersRemapped,
    /// `failed_auth_expired`.
    FailedAuthExpired,
    /// `sessions_expired`.
    SessionsExpired,
    /// `warmup_drift_pct`.
    WarmupDriftPct,
    /// `remapped_pct`.
    RemappedPct,
    /// `failed_auth_evicted`.
    FailedAuthEvicted,
    /// `sessions_evicted`.
    SessionsEvicted,
    /// `errors_store_busy`.
    ErrorsStoreBusy,
    /// `cache_hits`.
    CacheHits,
    /// `session_copies`.
    SessionCopies,
    /// `users_active`.
    UsersActive,
    /// `users_forced_login`.
    UsersForcedLogin,
    /// `users_forced_login_pct`.
    UsersForcedLoginPct,
    /// `sessions_lost_active`.
    SessionsLostActive,
    /// `sessions_lost_idle`.
    SessionsLostIdle,
    /// `visits`.
    Visits,
    /// `visits_with_error`.
    VisitsWithError,
    /// `server_hours`.
    ServerHours,
    /// `store_hours`.
    StoreHours,
    /// `cost`.
    Cost,
    /// `least_loaded_share`.
    LeastLoadedShare,
    /// `failed_auth_other_dc`.
    FailedAuthOtherDc,
    /// `errors_dc_down`.
    ErrorsDcDown,
}

/// What a metric's number counts or measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A whole number of requests, sessions, users or operations (in one run).
    Count,
    /// A percentage, 0 to 100.
    Percent,
    /// Milliseconds of simulated time.
    Milliseconds,
    /// The busiest server's share over the mean share: 1 for an even spread, N for all traffic on
    /// one of N servers.
    MaxOverMean,
    /// Machine-hours: machines rented times hours.
    Hours,
    /// Money, in the currency of the scenario's `[cost]`.
    Money,
    /// The least busy server's share over the mean share: 1 for an even spread, 0 for a server
    /// doing nothing.
    MinOverMean,
}

impl Unit {
    /// The smallest value a metric in this unit can take (where a bar chart's bars start).
    pub fn floor(self) -> f64 {
        match self {
            Unit::MaxOverMean => 1.0,
            Unit::Count
            | Unit::Percent
            | Unit::Milliseconds
            | Unit::Hours
            | Unit::Money
            | Unit::MinOverMean => 0.0,
        }
    }

    /// Decimals a person reads in a table of one run's values (the terminal table, the report).
    pub fn shown_decimals(self) -> usize {
        match self {
            Unit::Count => 0,
            Unit::Milliseconds => 1,
            Unit::Percent | Unit::Hours => 2,
            Unit::MaxOverMean | Unit::MinOverMean | Unit::Money => 3,
        }
    }
}

/// Which way a metric is better, when comparing variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// A cost: failures, losses, latency, imbalance, work done to keep sessions.
    Lower,
    /// A benefit: requests served, store reads saved.
    Higher,
    /// Neither: a description of the load or of the run (requests sent, logins, expiries).
    Neither,
}

/// One metric, defined once.
pub struct Definition {
    /// Its key.
    pub metric: Metric,
    /// Its column in `summary.csv`, `replications.csv` and the `metric` column of `sweep.csv`.
    pub name: &'static str,
    /// Its column header in tables (the terminal table, the report), with its unit.
    pub label: &'static str,
    /// Its title on a chart's axis or panel, read alone, with its unit (also the header of the
    /// sweep page's table, which holds the numbers its charts draw).
    pub axis: &'static str,
    /// Its unit.
    pub unit: Unit,
    /// What it means, in one sentence.
    pub meaning: &'static str,
    /// Its formula or definition, as `docs/outputs.md` shows it in the metric's row.
    pub formula: &'static str,
    /// Which way is better.
    pub better: Better,
    /// Whether `summary.csv` has a `<name>_ci95` column with its 95 % half-width.
    pub ci95_column: bool,
    /// Decimals written for one run (0: an integer).
    pub decimals: usize,
    /// Its value for one run (`None`: it does not exist, e.g. a percentile of nothing).
    pub value: fn(&RunResult) -> Option<f64>,
}

impl Metric {
    /// Every metric, in the order of the catalogue.
    pub fn all() -> impl Iterator<Item = Metric> {
        CATALOGUE.iter().map(|d| d.metric)
    }

    /// The metric whose `summary.csv` column is `name` (`None` if there is none).
    pub fn from_name(name: &str) -> Option<Metric> {
        CATALOGUE.iter().find(|d| d.name == name).map(|d| d.metric)
    }

    /// Its entry in the catalogue.
    pub fn def(self) -> &'static Definition {
        &CATALOGUE[self as usize]
    }

    /// Its `summary.csv` column name.
    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// Its value for one run.
    pub fn value(self, r: &RunResult) -> Option<f64> {
        (self.def().value)(r)
    }

    /// Its mean over `runs` (the replications of one variant, where it exists) and the
    /// half-width of its Student-t 95 % interval (`None` if it exists in no run).
    pub fn over(self, runs: &[RunResult]) -> Option<Interval> {
        let values: Vec<f64> = runs.iter().filter_map(|r| self.value(r)).collect();
        stats::interval(&values)
    }
}

impl Definition {
    /// Decimals of its mean over `runs` runs: its own for one run, at least one for several (a
    /// mean of counts is not a count).
    pub fn mean_decimals(&self, runs: usize) -> usize {
        if runs > 1 {
            self.decimals.max(1)
        } else {
            self.decimals
        }
    }

    /// Decimals of the half-width of its 95 % interval: at least one.
    pub fn ci95_decimals(&self) -> usize {
        self.decimals.max(1)
    }
}

/// The metrics a comparison of variants shows first, in reading order: what each design cost
/// its users, counted in people first (users forced to log in, visits that saw an error), then
/// sessions, latency, balance and what the machines cost (the terminal table's columns, the core
/// of the report's comparison). The per-request rates (`failed_auth_pct`, `errors`) follow in
/// the report's detail and stay in `summary.csv`.
pub const COMPARED: [Metric; 8] = [
    Metric::UsersForcedLogin,
    Metric::UsersForcedLoginPct,
    Metric::VisitsWithError,
    Metric::SessionsLost,
    Metric::LatencyP50Ms,
    Metric::LatencyP99Ms,
    Metric::Imbalance,
    Metric::Cost,
];

/// The entry whose `summary.csv` column is `name` (`None` if there is none).
pub fn get(name: &str) -> Option<&'static Definition> {
    Metric::from_name(name).map(Metric::def)
}

fn count(n: u64) -> Option<f64> {
    Some(n as f64)
}

fn ms(us: Option<u64>) -> Option<f64> {
    us.map(|us| us as f64 / 1e3)
}

mod entries;
pub use entries::CATALOGUE;

#[cfg(test)]
mod tests;
