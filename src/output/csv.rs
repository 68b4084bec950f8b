//! The CSV files of a run, as bytes: tidy tables with one row per observation and a `variant`
//! column in each.
//!
//! Columns are only ever appended, never renamed or reordered: `docs/outputs.md` documents each
//! one with its formula. Numbers are formatted with a fixed number of decimals so that the same
//! results always give the same bytes; a value that does not exist (a percentile of nothing, the
//! rebalance time of an imbalance that never settled) is an empty field.

use crate::metrics::{Latency, RunResult};
use crate::scenario::Micros;
use crate::{stats, warmup};

/// A numeric column of `summary.csv`: its name, how to read it from one run, and its decimals.
pub struct Metric {
    /// Column name.
    pub name: &'static str,
    /// The value of one run (`None`: it does not exist, e.g. a percentile of nothing).
    pub value: fn(&RunResult) -> Option<f64>,
    /// Decimals printed for one run (0: an integer).
    pub decimals: usize,
}

const fn metric(
    name: &'static str,
    value: fn(&RunResult) -> Option<f64>,
    decimals: usize,
) -> Metric {
    Metric {
        name,
        value,
        decimals,
    }
}

fn ms(us: Option<u64>) -> Option<f64> {
    us.map(|us| us as f64 / 1e3)
}

/// The numeric columns of `summary.csv` that follow `variant`, in order.
pub const METRICS: &[Metric] = &[
    metric("requests", |r| Some(r.summary.sent as f64), 0),
    metric("ok", |r| Some(r.summary.counts.ok() as f64), 0),
    metric(
        "failed_auth",
        |r| Some(r.summary.counts.failed_auth() as f64),
        0,
    ),
    metric("errors", |r| Some(r.summary.counts.errors() as f64), 0),
    metric("unfinished", |r| Some(r.summary.unfinished as f64), 0),
    metric("logins", |r| Some(r.summary.counts.logins as f64), 0),
    metric("auth_requests", |r| Some(auth_requests(r) as f64), 0),
    metric("failed_auth_pct", failed_auth_pct, 3),
    metric(
        "failed_auth_elsewhere",
        |r| Some(r.summary.counts.failed_elsewhere as f64),
        0,
    ),
    metric(
        "failed_auth_lost",
        |r| Some(r.summary.counts.failed_lost as f64),
        0,
    ),
    metric(
        "sessions_created",
        |r| Some(r.summary.sessions_created as f64),
        0,
    ),
    metric("sessions_lost", |r| Some(r.summary.sessions_lost as f64), 0),
    metric(
        "errors_server_down",
        |r| Some(r.summary.counts.errors_server_down as f64),
        0,
    ),
    metric(
        "errors_queue_full",
        |r| Some(r.summary.counts.errors_queue_full as f64),
        0,
    ),
    metric(
        "errors_store_down",
        |r| Some(r.summary.counts.errors_store_down as f64),
        0,
    ),
    metric(
        "latency_mean_ms",
        |r| r.summary.latency.mean_us.map(|us| us / 1e3),
        3,
    ),
    metric("latency_p50_ms", |r| ms(r.summary.latency.p50_us), 3),
    metric("latency_p95_ms", |r| ms(r.summary.latency.p95_us), 3),
    metric("latency_p99_ms", |r| ms(r.summary.latency.p99_us), 3),
    metric("imbalance", |r| r.summary.imbalance, 4),
    metric("store_reads", |r| Some(r.summary.store_reads as f64), 0),
    metric("store_writes", |r| Some(r.summary.store_writes as f64), 0),
    metric(
        "users_remapped",
        |r| r.summary.users_remapped.map(|n| n as f64),
        0,
    ),
    metric(
        "failed_auth_expired",
        |r| Some(r.summary.counts.failed_expired as f64),
        0,
    ),
    metric(
        "sessions_expired",
        |r| Some(r.summary.sessions_expired as f64),
        0,
    ),
    metric("warmup_drift_pct", |r| warmup::drift(r).map(|d| d.pct), 2),
    metric("remapped_pct", remapped_pct, 3),
    // Appended after `replications` and the intervals in `summary.csv` (see FIRST_METRICS).
    metric(
        "failed_auth_evicted",
        |r| Some(r.summary.counts.failed_evicted as f64),
        0,
    ),
    metric(
        "sessions_evicted",
        |r| Some(r.summary.sessions_evicted as f64),
        0,
    ),
    metric(
        "errors_store_busy",
        |r| Some(r.summary.counts.errors_store_busy as f64),
        0,
    ),
    metric("cache_hits", |r| Some(r.summary.cache_hits as f64), 0),
    metric(
        "session_copies",
        |r| Some(r.summary.session_copies as f64),
        0,
    ),
];

/// How many of [`METRICS`] come before `replications` in `summary.csv`; the others were added
/// later and follow the `_ci95` columns (columns are only ever appended).
pub const FIRST_METRICS: usize = 27;

/// The metrics whose 95 % confidence half-width `summary.csv` reports as `<name>_ci95`.
pub const CI_METRICS: &[&str] = &[
    "failed_auth_pct",
    "sessions_lost",
    "errors",
    "latency_mean_ms",
    "latency_p99_ms",
    "imbalance",
    "users_remapped",
];

/// Columns of `summary.csv`: `variant`, the first [`FIRST_METRICS`] of [`METRICS`],
/// `replications`, the `_ci95` of [`CI_METRICS`], then the rest of [`METRICS`].
pub const SUMMARY_COLUMNS: &[&str] = &[
    "variant",
    "requests",
    "ok",
    "failed_auth",
    "errors",
    "unfinished",
    "logins",
    "auth_requests",
    "failed_auth_pct",
    "failed_auth_elsewhere",
    "failed_auth_lost",
    "sessions_created",
    "sessions_lost",
    "errors_server_down",
    "errors_queue_full",
    "errors_store_down",
    "latency_mean_ms",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "imbalance",
    "store_reads",
    "store_writes",
    "users_remapped",
    "failed_auth_expired",
    "sessions_expired",
    "warmup_drift_pct",
    "remapped_pct",
    "replications",
    "failed_auth_pct_ci95",
    "sessions_lost_ci95",
    "errors_ci95",
    "latency_mean_ms_ci95",
    "latency_p99_ms_ci95",
    "imbalance_ci95",
    "users_remapped_ci95",
    "failed_auth_evicted",
    "sessions_evicted",
    "errors_store_busy",
    "cache_hits",
    "session_copies",
];

/// Columns of `timeseries.csv`.
pub const TIMESERIES_COLUMNS: &[&str] = &[
    "variant",
    "time_s",
    "requests",
    "ok",
    "failed_auth",
    "errors",
    "latency_p50_ms",
    "latency_p99_ms",
    "servers_in_rotation",
    "sessions_alive",
    "store_ops",
    "imbalance",
    "bucket_s",
];

/// Columns of `servers.csv`.
pub const SERVERS_COLUMNS: &[&str] = &[
    "variant",
    "time_s",
    "server",
    "up",
    "requests",
    "busy_fraction",
    "sessions",
];

/// Columns of `events.csv`.
pub const EVENTS_COLUMNS: &[&str] = &[
    "variant",
    "time_s",
    "action",
    "target",
    "servers_before",
    "servers_after",
    "sessions_alive",
    "sessions_lost",
    "users_remapped",
    "rebalance_s",
    "users_logged_in",
];

/// Authenticated requests that were served (ok or failed authentication).
pub fn auth_requests(r: &RunResult) -> u64 {
    r.summary.counts.authenticated + r.summary.counts.failed_auth()
}

/// The percentage of logged-in users that changes of membership moved to another server:
/// `100 * users_remapped / users_logged_in`, summed over the timed events (`None` for policies
/// that do not map users, and for runs without a user logged in at any event).
pub fn remapped_pct(r: &RunResult) -> Option<f64> {
    let remapped: u64 = r
        .events
        .iter()
        .map(|e| e.users_remapped)
        .sum::<Option<u64>>()?;
    let logged_in: u64 = r.events.iter().map(|e| e.users_logged_in).sum();
    (logged_in > 0).then(|| 100.0 * remapped as f64 / logged_in as f64)
}

/// The percentage of failed authentications among served authenticated requests.
pub fn failed_auth_pct(r: &RunResult) -> Option<f64> {
    let auth = auth_requests(r);
    (auth > 0).then(|| 100.0 * r.summary.counts.failed_auth() as f64 / auth as f64)
}

/// `summary.csv`: one row per variant. Each element of `variants` holds one variant's runs, one
/// per replication (all of the same variant); with several, every metric is their mean and the
/// `_ci95` columns hold the half-width of its Student-t 95 % interval.
pub fn summary(variants: &[Vec<RunResult>]) -> Vec<u8> {
    table(
        SUMMARY_COLUMNS,
        variants.iter().map(|runs| summary_row(runs)),
    )
}

/// One metric over the replications of one variant, as CSV text: the mean (with the metric's
/// decimals for one run, at least one decimal for several) and the 95 % half-width (empty with
/// one run).
pub struct MetricCells {
    /// The metric's column name.
    pub name: &'static str,
    /// Mean over the runs where it exists (empty if none).
    pub mean: String,
    /// Half-width of the Student-t 95 % interval (empty with fewer than two values).
    pub ci95: String,
}

/// Every metric of [`METRICS`] over `runs` (the replications of one variant).
pub fn metric_cells(runs: &[RunResult]) -> Vec<MetricCells> {
    assert!(!runs.is_empty(), "a variant has at least one run");
    let replicated = runs.len() > 1;
    METRICS
        .iter()
        .map(|m| {
            let values: Vec<f64> = runs.iter().filter_map(|r| (m.value)(r)).collect();
            let interval = stats::interval(&values);
            let decimals = if replicated {
                m.decimals.max(1)
            } else {
                m.decimals
            };
            MetricCells {
                name: m.name,
                mean: opt(interval.map(|i| i.mean), decimals),
                ci95: opt(interval.and_then(|i| i.half_width), m.decimals.max(1)),
            }
        })
        .collect()
}

fn summary_row(runs: &[RunResult]) -> Vec<String> {
    let cells = metric_cells(runs);
    let mut row = vec![runs[0].variant.clone()];
    let (first, later) = cells.split_at(FIRST_METRICS);
    row.extend(first.iter().map(|c| c.mean.clone()));
    row.push(runs.len().to_string());
    for name in CI_METRICS {
        let cell = cells
            .iter()
            .find(|c| c.name == *name)
            .expect("a CI metric is a metric");
        row.push(cell.ci95.clone());
    }
    row.extend(later.iter().map(|c| c.mean.clone()));
    row
}

/// Columns of `replications.csv`.
pub fn replications_columns() -> Vec<&'static str> {
    let mut columns = vec!["variant", "replication", "seed"];
    columns.extend(METRICS.iter().map(|m| m.name));
    columns
}

/// `replications.csv`: one row per variant and replication, with the seed that replication ran
/// on. `runs[i]` holds replication `i` of every variant, and `seeds[i]` its seed.
pub fn replications(runs: &[Vec<RunResult>], seeds: &[u64]) -> Vec<u8> {
    let rows = runs
        .iter()
        .zip(seeds)
        .enumerate()
        .flat_map(|(i, (variants, seed))| {
            variants.iter().map(move |r| {
                let mut row = vec![r.variant.clone(), i.to_string(), seed.to_string()];
                row.extend(METRICS.iter().map(|m| opt((m.value)(r), m.decimals)));
                row
            })
        });
    table(&replications_columns(), rows)
}

/// `timeseries.csv`: one row per variant and bucket.
pub fn timeseries(results: &[RunResult]) -> Vec<u8> {
    let rows = results.iter().flat_map(|r| {
        r.buckets.iter().map(|b| {
            let Latency { p50_us, p99_us, .. } = b.latency;
            vec![
                r.variant.clone(),
                secs(b.start_us),
                b.counts.ended().to_string(),
                b.counts.ok().to_string(),
                b.counts.failed_auth().to_string(),
                b.counts.errors().to_string(),
                ms3(p50_us),
                ms3(p99_us),
                b.servers_in_rotation.to_string(),
                b.sessions_alive.to_string(),
                b.store_ops.to_string(),
                opt(b.imbalance, 4),
                secs(b.len_us),
            ]
        })
    });
    table(TIMESERIES_COLUMNS, rows)
}

/// `servers.csv`: one row per variant, bucket and server.
pub fn servers(results: &[RunResult]) -> Vec<u8> {
    let rows = results.iter().flat_map(|r| {
        r.servers.iter().map(|s| {
            vec![
                r.variant.clone(),
                secs(s.start_us),
                s.server.to_string(),
                u8::from(s.up).to_string(),
                s.requests.to_string(),
                format!("{:.4}", s.busy_fraction),
                s.sessions.to_string(),
            ]
        })
    });
    table(SERVERS_COLUMNS, rows)
}

/// `events.csv`: one row per variant and timed event.
pub fn events(results: &[RunResult]) -> Vec<u8> {
    let rows = results.iter().flat_map(|r| {
        r.events.iter().map(|e| {
            vec![
                r.variant.clone(),
                secs(e.at_us),
                e.action.to_string(),
                opt_int(e.target),
                e.servers_before.to_string(),
                e.servers_after.to_string(),
                e.sessions_alive.to_string(),
                e.sessions_lost.to_string(),
                opt_int(e.users_remapped),
                opt(e.rebalance_s, 3),
                e.users_logged_in.to_string(),
            ]
        })
    });
    table(EVENTS_COLUMNS, rows)
}

fn table(columns: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(columns)
        .expect("writing to memory cannot fail");
    for row in rows {
        debug_assert_eq!(row.len(), columns.len());
        w.write_record(&row).expect("writing to memory cannot fail");
    }
    w.into_inner().expect("flushing to memory cannot fail")
}

/// Seconds with as many decimals as the microseconds need (none for whole seconds).
pub fn secs(us: Micros) -> String {
    let (s, frac) = (us / 1_000_000, us % 1_000_000);
    if frac == 0 {
        return s.to_string();
    }
    let digits = format!("{frac:06}");
    format!("{s}.{}", digits.trim_end_matches('0'))
}

fn ms3(us: Option<u64>) -> String {
    opt(ms(us), 3)
}

fn opt(x: Option<f64>, decimals: usize) -> String {
    x.map(|x| format!("{x:.decimals$}")).unwrap_or_default()
}

fn opt_int<T: ToString>(x: Option<T>) -> String {
    x.map(|x| x.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Counts, EventRow, Summary};

    #[test]
    fn the_summary_columns_are_the_metrics_then_the_intervals_then_later_metrics() {
        let mut expected = vec!["variant"];
        expected.extend(METRICS[..FIRST_METRICS].iter().map(|m| m.name));
        expected.push("replications");
        let ci: Vec<String> = CI_METRICS.iter().map(|m| format!("{m}_ci95")).collect();
        expected.extend(ci.iter().map(String::as_str));
        expected.extend(METRICS[FIRST_METRICS..].iter().map(|m| m.name));
        assert_eq!(SUMMARY_COLUMNS, expected.as_slice());
        assert_eq!(METRICS[FIRST_METRICS - 1].name, "remapped_pct");
    }

    #[test]
    fn seconds_keep_only_the_decimals_they_need() {
        assert_eq!(secs(10_000_000), "10");
        assert_eq!(secs(10_500_000), "10.5");
        assert_eq!(secs(1), "0.000001");
    }

    #[test]
    fn summary_row_follows_the_identities() {
        let counts = Counts {
            logins: 10,
            authenticated: 60,
            failed_elsewhere: 20,
            failed_lost: 5,
            failed_expired: 5,
            errors_server_down: 3,
            errors_queue_full: 2,
            errors_store_down: 1,
            ..Counts::default()
        };
        let r = RunResult {
            variant: "v".into(),
            summary: Summary {
                counts,
                sent: 110,
                unfinished: 4,
                ..Summary::default()
            },
            ..RunResult::default()
        };
        let text = String::from_utf8(summary(&[vec![r]])).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next().unwrap(), SUMMARY_COLUMNS.join(","));
        let row: Vec<&str> = lines.next().unwrap().split(',').collect();
        // requests = ok 70 + failed 30 + errors 6 + unfinished 4 = 110;
        // auth_requests = 60 + 30 = 90; failed_auth_pct = 100 * 30 / 90 = 33.333.
        assert_eq!(
            &row[..9],
            &["v", "110", "70", "30", "6", "4", "10", "90", "33.333"]
        );
        assert_eq!(row[16], "", "no latency without served requests");
    }

    #[test]
    fn events_leave_unknown_values_empty() {
        let r = RunResult {
            variant: "v".into(),
            events: vec![EventRow {
                at_us: 600_000_000,
                action: "store_crash",
                ..EventRow::default()
            }],
            ..RunResult::default()
        };
        let text = String::from_utf8(events(&[r])).unwrap();
        assert_eq!(
            text.lines().nth(1).unwrap(),
            "v,600,store_crash,,0,0,0,0,,,0"
        );
    }
}
