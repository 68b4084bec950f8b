//! The output contracts: the columns of every CSV file, in order.
//!
//! Columns are only ever appended, never renamed or reordered; `docs/outputs.md` documents each
//! one. The metric columns of `summary.csv`, `replications.csv` and the `metric` rows of
//! `sweep.csv` are the entries of [`crate::metrics::catalogue`]: a new metric is appended to
//! [`SUMMARY_COLUMNS`] (a test checks that the list and the catalogue agree).

use crate::metrics::catalogue::{CATALOGUE, Metric};

/// Columns of `summary.csv`: `variant`, the first 27 metrics of the catalogue, `replications`,
/// the `_ci95` columns of the metrics that have one, then the metrics added after them.
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
    "users_active",
    "users_forced_login",
    "users_forced_login_pct",
    "sessions_lost_active",
    "sessions_lost_idle",
    "visits",
    "visits_with_error",
    "server_hours",
    "store_hours",
    "cost",
    "least_loaded_share",
    "failed_auth_other_dc",
    "errors_dc_down",
];

/// Suffix of the column holding a metric's 95 % half-width in `summary.csv`.
pub const CI95_SUFFIX: &str = "_ci95";

/// What a column of `summary.csv` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SummaryColumn {
    /// The variant's name.
    Variant,
    /// The number of runs the row summarises.
    Replications,
    /// A metric's mean over the runs.
    Mean(Metric),
    /// The half-width of a metric's 95 % interval.
    Ci95(Metric),
}

/// What the column `name` of `summary.csv` holds (`None`: not a column of it).
pub fn summary_column(name: &str) -> Option<SummaryColumn> {
    match name {
        "variant" => Some(SummaryColumn::Variant),
        "replications" => Some(SummaryColumn::Replications),
        _ => match name.strip_suffix(CI95_SUFFIX) {
            Some(metric) => Metric::from_name(metric)
                .filter(|m| m.def().ci95_column)
                .map(SummaryColumn::Ci95),
            None => Metric::from_name(name).map(SummaryColumn::Mean),
        },
    }
}

/// Columns of `replications.csv`: `variant`, `replication`, `seed`, then every metric.
pub fn replications_columns() -> Vec<&'static str> {
    let mut columns = vec!["variant", "replication", "seed"];
    columns.extend(CATALOGUE.iter().map(|d| d.name));
    columns
}

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
    "least_loaded_share",
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
    "users_forced_login",
];

/// Columns appended to `events.csv` when the scenario has several data centres.
pub const EVENTS_DATACENTER_COLUMNS: &[&str] = &["latency_penalty_s"];

/// Columns of `datacenters.csv` (written only for scenarios with several data centres).
pub const DATACENTERS_COLUMNS: &[&str] = &[
    "variant",
    "time_s",
    "datacenter",
    "up",
    "requests",
    "failed_auth",
    "errors",
    "users_in_visit",
    "sessions",
    "servers_up",
];

/// Columns of `sweep.csv` after one column per `--param` (named by its key).
pub const SWEEP_COLUMNS: &[&str] = &["variant", "metric", "mean", "ci95", "replications"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_columns_are_what_the_catalogue_produces() {
        let columns: Vec<SummaryColumn> = SUMMARY_COLUMNS
            .iter()
            .map(|c| summary_column(c).unwrap_or_else(|| panic!("{c}: not in the catalogue")))
            .collect();
        // Every metric once, in the catalogue's order.
        let means: Vec<Metric> = columns
            .iter()
            .filter_map(|c| match c {
                SummaryColumn::Mean(m) => Some(*m),
                _ => None,
            })
            .collect();
        assert_eq!(
            means,
            Metric::all().collect::<Vec<_>>(),
            "append new metrics"
        );
        // An interval column for each metric that has one, and for no other.
        let mut intervals: Vec<Metric> = columns
            .iter()
            .filter_map(|c| match c {
                SummaryColumn::Ci95(m) => Some(*m),
                _ => None,
            })
            .collect();
        intervals.sort();
        let with_ci: Vec<Metric> = Metric::all().filter(|m| m.def().ci95_column).collect();
        assert_eq!(intervals, with_ci);
        // The layout: variant, 27 metrics, replications, the 7 intervals, the later metrics.
        assert_eq!(columns[0], SummaryColumn::Variant);
        assert_eq!(columns[28], SummaryColumn::Replications);
        assert_eq!(columns[27], SummaryColumn::Mean(Metric::RemappedPct));
        assert!(
            columns[29..36]
                .iter()
                .all(|c| matches!(c, SummaryColumn::Ci95(_)))
        );
    }

    #[test]
    fn replications_hold_every_metric_of_the_summary() {
        let summary: Vec<&str> = SUMMARY_COLUMNS
            .iter()
            .copied()
            .filter(|c| matches!(summary_column(c), Some(SummaryColumn::Mean(_))))
            .collect();
        assert_eq!(replications_columns()[3..], summary[..]);
    }
}
