//! The CSV files of a run, as bytes: tidy tables with one row per observation and a `variant`
//! column in each.
//!
//! Columns are only ever appended, never renamed or reordered: `docs/outputs.md` documents each
//! one with its formula. Numbers are formatted with a fixed number of decimals so that the same
//! results always give the same bytes; a value that does not exist (a percentile of nothing, the
//! rebalance time of an imbalance that never settled) is an empty field.

use crate::metrics::{Latency, RunResult};
use crate::scenario::Micros;

/// Columns of `summary.csv`.
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
];

/// The percentage of failed authentications among served authenticated requests.
pub fn failed_auth_pct(r: &RunResult) -> Option<f64> {
    let c = &r.summary.counts;
    let auth = c.authenticated + c.failed_auth();
    (auth > 0).then(|| 100.0 * c.failed_auth() as f64 / auth as f64)
}

/// `summary.csv`: one row per variant.
pub fn summary(results: &[RunResult]) -> Vec<u8> {
    table(SUMMARY_COLUMNS, results.iter().map(summary_row))
}

fn summary_row(r: &RunResult) -> Vec<String> {
    let s = &r.summary;
    let c = &s.counts;
    vec![
        r.variant.clone(),
        s.sent.to_string(),
        c.ok().to_string(),
        c.failed_auth().to_string(),
        c.errors().to_string(),
        s.unfinished.to_string(),
        c.logins.to_string(),
        (c.authenticated + c.failed_auth()).to_string(),
        opt(failed_auth_pct(r), 3),
        c.failed_elsewhere.to_string(),
        c.failed_lost.to_string(),
        s.sessions_created.to_string(),
        s.sessions_lost.to_string(),
        c.errors_server_down.to_string(),
        c.errors_queue_full.to_string(),
        c.errors_store_down.to_string(),
        opt(s.latency.mean_us.map(|us| us / 1e3), 3),
        ms(s.latency.p50_us),
        ms(s.latency.p95_us),
        ms(s.latency.p99_us),
        opt(s.imbalance, 4),
        s.store_reads.to_string(),
        s.store_writes.to_string(),
        opt_int(s.users_remapped),
        c.failed_expired.to_string(),
        s.sessions_expired.to_string(),
    ]
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
                ms(p50_us),
                ms(p99_us),
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

fn ms(us: Option<u64>) -> String {
    opt(us.map(|us| us as f64 / 1e3), 3)
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
        let text = String::from_utf8(summary(&[r])).unwrap();
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
        assert_eq!(text.lines().nth(1).unwrap(), "v,600,store_crash,,0,0,0,0,,");
    }
}
