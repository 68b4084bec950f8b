//! The CSV files of a run and of a sweep, as bytes: tidy tables with one row per observation and
//! a `variant` column in each.
//!
//! Only serialization lives here: the metrics and their computation are in
//! [`crate::metrics::catalogue`], the column lists in [`super::columns`] (the public contract,
//! documented in `docs/outputs.md`). Numbers are formatted with a fixed number of decimals so that
//! the same results always give the same bytes; a value that does not exist (a percentile of
//! nothing, the rebalance time of an imbalance that never settled) is an empty field.

use super::columns::{
    DATACENTERS_COLUMNS, EVENTS_COLUMNS, EVENTS_DATACENTER_COLUMNS, SERVERS_COLUMNS,
    SUMMARY_COLUMNS, SWEEP_COLUMNS, SummaryColumn, TIMESERIES_COLUMNS, replications_columns,
    summary_column,
};
use crate::metrics::catalogue::{CATALOGUE, Metric};
use crate::metrics::{Latency, RunResult};
use crate::scenario::Micros;
use crate::sweep::Param;

/// `summary.csv`: one row per variant. Each element of `variants` holds one variant's runs, one
/// per replication (all of the same variant); with several, every metric is their mean and the
/// `_ci95` columns hold the half-width of its Student-t 95 % interval.
pub fn summary(variants: &[Vec<RunResult>]) -> Vec<u8> {
    table(
        SUMMARY_COLUMNS,
        variants.iter().map(|runs| summary_cells(runs)),
    )
}

/// One metric over the replications of one variant, as CSV text: the mean (with the metric's
/// decimals for one run, at least one decimal for several) and the 95 % half-width (empty with
/// one run).
pub struct MetricCells {
    /// The metric.
    pub metric: Metric,
    /// Mean over the runs where it exists (empty if none).
    pub mean: String,
    /// Half-width of the Student-t 95 % interval (empty with fewer than two values).
    pub ci95: String,
}

/// Every metric of the catalogue over `runs` (the replications of one variant), in order.
pub fn metric_cells(runs: &[RunResult]) -> Vec<MetricCells> {
    assert!(!runs.is_empty(), "a variant has at least one run");
    CATALOGUE
        .iter()
        .map(|d| {
            let interval = d.metric.over(runs);
            MetricCells {
                metric: d.metric,
                mean: opt(interval.map(|i| i.mean), d.mean_decimals(runs.len())),
                ci95: opt(interval.and_then(|i| i.half_width), d.ci95_decimals()),
            }
        })
        .collect()
}

/// One variant's `summary.csv` row: a field per column of [`SUMMARY_COLUMNS`], in order
/// (empty where a value does not exist).
pub fn summary_cells(runs: &[RunResult]) -> Vec<String> {
    let cells = metric_cells(runs);
    let cell = |m: Metric| &cells[m as usize];
    SUMMARY_COLUMNS
        .iter()
        .map(|name| match summary_column(name) {
            Some(SummaryColumn::Variant) => runs[0].variant.clone(),
            Some(SummaryColumn::Replications) => runs.len().to_string(),
            Some(SummaryColumn::Mean(m)) => cell(m).mean.clone(),
            Some(SummaryColumn::Ci95(m)) => cell(m).ci95.clone(),
            None => unreachable!("{name}: every summary column is in the catalogue"),
        })
        .collect()
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
                row.extend(CATALOGUE.iter().map(|d| opt((d.value)(r), d.decimals)));
                row
            })
        });
    table(&replications_columns(), rows)
}

/// `timeseries.csv`: one row per variant and bucket.
pub fn timeseries(results: &[RunResult]) -> Vec<u8> {
    let rows = results.iter().flat_map(|r| {
        until_interrupted(&r.buckets).map(|b| {
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
                opt(b.least_loaded_share, 4),
            ]
        })
    });
    table(TIMESERIES_COLUMNS, rows)
}

/// `servers.csv`: one row per variant, bucket and server.
pub fn servers(results: &[RunResult]) -> Vec<u8> {
    let rows = results.iter().flat_map(|r| {
        until_interrupted(&r.servers).map(|s| {
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

/// `events.csv`: one row per variant and timed event; with several data centres, their columns
/// after the others.
pub fn events(results: &[RunResult]) -> Vec<u8> {
    let several = results.iter().any(|r| !r.datacenter_names.is_empty());
    let rows = results.iter().flat_map(|r| {
        r.events.iter().map(move |e| {
            let mut row = vec![
                r.variant.clone(),
                secs(e.at_us),
                e.action.as_str().to_string(),
                opt_int(e.target),
                e.servers_before.to_string(),
                e.servers_after.to_string(),
                e.sessions_alive.to_string(),
                e.sessions_lost.to_string(),
                opt_int(e.users_remapped),
                opt(e.rebalance_s, 3),
                e.users_logged_in.to_string(),
                opt_int(e.users_forced_login),
            ];
            if several {
                row.push(opt(e.latency_penalty_s, 3));
            }
            row
        })
    });
    match several {
        false => table(EVENTS_COLUMNS, rows),
        true => table(&[EVENTS_COLUMNS, EVENTS_DATACENTER_COLUMNS].concat(), rows),
    }
}

/// `datacenters.csv`: one row per variant, bucket and data centre (scenarios with several data
/// centres only).
pub fn datacenters(results: &[RunResult]) -> Vec<u8> {
    let rows = results.iter().flat_map(|r| {
        until_interrupted(&r.datacenters).map(|d| {
            vec![
                r.variant.clone(),
                secs(d.start_us),
                r.datacenter_names[d.datacenter as usize].clone(),
                u8::from(d.up).to_string(),
                d.requests.to_string(),
                d.failed_auth.to_string(),
                d.errors.to_string(),
                d.users_in_visit.to_string(),
                d.sessions.to_string(),
                d.servers_up.to_string(),
            ]
        })
    });
    table(DATACENTERS_COLUMNS, rows)
}

/// `sweep.csv`: one row per point, variant and metric, with the mean over replications and the
/// half-width of its 95 % interval. `results[p][v]` holds the replications of variant `v` at
/// point `p`; `points[p]` its `KEY=VALUE` overrides (in the order of `params`).
pub fn sweep(params: &[Param], points: &[Vec<String>], results: &[Vec<Vec<RunResult>>]) -> Vec<u8> {
    let mut header: Vec<&str> = params.iter().map(|p| p.key.as_str()).collect();
    header.extend(SWEEP_COLUMNS);
    let rows = points.iter().zip(results).flat_map(|(point, variants)| {
        let values: Vec<&str> = point
            .iter()
            .map(|kv| kv.split_once('=').map_or("", |(_, v)| v))
            .collect();
        variants.iter().flat_map(move |runs| {
            let values = values.clone();
            metric_cells(runs).into_iter().map(move |cell| {
                let mut row: Vec<String> = values.iter().map(|v| v.to_string()).collect();
                row.extend([
                    runs[0].variant.clone(),
                    cell.metric.name().to_string(),
                    cell.mean,
                    cell.ci95,
                    runs.len().to_string(),
                ]);
                row
            })
        })
    });
    table(&header, rows)
}

/// The items of `items` until Ctrl-C (`crate::interrupt`): the two long tables (`servers.csv`,
/// `timeseries.csv`) stop early then, and the command, which checks the flag after them, writes
/// nothing.
fn until_interrupted<T>(items: &[T]) -> impl Iterator<Item = &T> {
    items.iter().take_while(|_| !crate::interrupt::requested())
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
    use crate::events::EventAction;
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
    fn sweep_rows_are_points_by_variants_by_metrics() {
        let run = |variant: &str, lost| RunResult {
            variant: variant.into(),
            summary: Summary {
                sessions_lost: lost,
                ..Summary::default()
            },
            ..RunResult::default()
        };
        let params = [crate::sweep::parse_param("servers.count=2,4").unwrap()];
        let points = crate::sweep::points(&params).unwrap();
        let results = vec![
            vec![vec![run("a", 10), run("a", 14)]],
            vec![vec![run("a", 0), run("a", 0)]],
        ];
        let text = String::from_utf8(sweep(&params, &points, &results)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "servers.count,variant,metric,mean,ci95,replications"
        );
        assert_eq!(lines.len(), 1 + 2 * CATALOGUE.len());
        // 10 and 14: mean 12, s = 2.83, t(0.975, 1) = 12.706: half-width 12.706 * 2 = 25.4.
        assert!(lines.contains(&"2,a,sessions_lost,12.0,25.4,2"), "{text}");
        assert!(lines.contains(&"4,a,sessions_lost,0.0,0.0,2"), "{text}");
    }

    #[test]
    fn events_leave_unknown_values_empty() {
        let r = RunResult {
            variant: "v".into(),
            events: vec![EventRow {
                at_us: 600_000_000,
                action: EventAction::StoreCrash,
                ..EventRow::default()
            }],
            ..RunResult::default()
        };
        let text = String::from_utf8(events(&[r])).unwrap();
        assert_eq!(
            text.lines().nth(1).unwrap(),
            "v,600,store_crash,,0,0,0,0,,,0,"
        );
    }
}
