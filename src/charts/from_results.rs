//! From a run's results to chart data: with `from_sweep`, the only parts of `charts` that know
//! the result rows; the summary chart's panels are metrics of the catalogue.
//!
//! Rates are per second of the bucket they were counted in, drawn as steps over the bucket (a
//! bucket's count belongs to all of it, not to its start); states measured at the end of a bucket
//! (sessions) are points at the bucket's end. Colours come from the variant's position in
//! `results`, so that a variant has the same colour on every chart of a run.

use super::format::{number, thousands};
use super::model::{
    Bar, BarChart, Bars, Chart, LegendItem, Marker, Panel, Series, Stroke, TimeChart,
};
use super::palette::{self, INK};
use crate::events::EventAction;
use crate::metrics::catalogue::{Metric, Unit};
use crate::metrics::{BucketRow, Counts, EventRow, RunResult};
use std::collections::{BTreeMap, BTreeSet};

const US_PER_S: f64 = 1e6;

/// Every chart of a run, in the order a report shows them: failed authentications, errors,
/// latency, then per variant its servers and its sessions, then the summary.
pub fn charts(results: &[RunResult]) -> Vec<Chart> {
    (0..count(results)).map(|i| nth(results, i)).collect()
}

/// How many charts [`charts`] gives.
pub fn count(results: &[RunResult]) -> usize {
    4 + 2 * results.len() + super::datacenters::count(results)
}

/// Chart `i` of [`charts`], built alone: a caller that draws them in turn holds one chart's data
/// at a time and can stop between two (Ctrl-C).
pub fn nth(results: &[RunResult], i: usize) -> Chart {
    let variants = results.len();
    match i {
        0 => Chart::Time(failed_auth(results)),
        1 => Chart::Time(errors(results)),
        2 => Chart::Time(latency(results)),
        i if i < 3 + variants => Chart::Time(servers(results, i - 3)),
        i if i < 3 + 2 * variants => Chart::Time(sessions(results, i - 3 - variants)),
        i if i < count(results) - 1 => super::datacenters::nth(results, i - 3 - 2 * variants),
        _ => Chart::Bars(summary(results)),
    }
}

/// Start and end of a bucket, in seconds.
fn bounds_s(b: &BucketRow) -> (f64, f64) {
    let start = b.start_us as f64 / US_PER_S;
    (start, start + b.len_us as f64 / US_PER_S)
}

/// `value` of each bucket as a step across the bucket.
pub fn steps(
    buckets: &[BucketRow],
    value: impl Fn(&BucketRow) -> Option<f64>,
) -> Vec<(f64, Option<f64>)> {
    buckets
        .iter()
        .flat_map(|b| {
            let (from, to) = bounds_s(b);
            let v = value(b);
            [(from, v), (to, v)]
        })
        .collect()
}

/// `count` per second of each bucket, as steps.
pub fn rate_steps(
    buckets: &[BucketRow],
    count: impl Fn(&Counts) -> u64,
) -> Vec<(f64, Option<f64>)> {
    steps(buckets, |b| per_second(count(&b.counts), b.len_us))
}

fn per_second(n: u64, len_us: u64) -> Option<f64> {
    (len_us > 0).then(|| n as f64 / (len_us as f64 / US_PER_S))
}

/// The time axis: from the first bucket's start to the last one's end over all variants.
pub fn time_range_s(results: &[RunResult]) -> (f64, f64) {
    let (lo, hi) = results
        .iter()
        .flat_map(|r| r.buckets.iter().map(bounds_s))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (a, b)| {
            (lo.min(a), hi.max(b))
        });
    if lo < hi { (lo, hi) } else { (0.0, 1.0) }
}

/// What an event's line is labelled: `crash s1`, `+1 server`, `store down`...
pub fn event_label(e: &EventRow) -> String {
    let n = e.target.unwrap_or(0);
    let servers = if n == 1 { "server" } else { "servers" };
    match e.action {
        EventAction::Crash => format!("crash s{n}"),
        EventAction::Restart => format!("restart s{n}"),
        EventAction::AddServers => format!("+{n} {servers}"),
        EventAction::RemoveServers => format!("−{n} {servers}"),
        EventAction::StoreCrash => match e.target {
            Some(node) => format!("store node {node} down"),
            None => "store down".into(),
        },
        EventAction::StoreRestart => match e.target {
            Some(node) => format!("store node {node} up"),
            None => "store up".into(),
        },
        EventAction::DcDown => format!("dc {n} down"),
        EventAction::DcUp => format!("dc {n} up"),
        other @ (EventAction::ScaleOut
        | EventAction::ScaleIn
        | EventAction::Failure
        | EventAction::Repair
        | EventAction::StoreFailure
        | EventAction::StoreRepair) => other.as_str().replace('_', " "),
    }
}

/// The timed events of `results`, each once, in time order.
pub fn markers<'a>(results: impl IntoIterator<Item = &'a RunResult>) -> Vec<Marker> {
    let set: BTreeSet<Marker> = results
        .into_iter()
        .flat_map(|r| r.events.iter())
        .map(|e| Marker {
            at_us: e.at_us,
            label: event_label(e),
        })
        .collect();
    set.into_iter().collect()
}

/// Line widths that decrease with the variant's position, so that where lines coincide (all at
/// zero, say) each still shows as a band around the ones drawn after it.
pub fn nested_width(index: usize, count: usize) -> u32 {
    let from_last = count.saturating_sub(index + 1).min(3) as u32;
    3 + 2 * from_last
}

fn variant_legend(results: &[RunResult]) -> Vec<LegendItem> {
    results
        .iter()
        .enumerate()
        .map(|(i, r)| LegendItem {
            label: r.variant.clone(),
            colour: palette::variant(i),
            stroke: Stroke::Solid,
        })
        .collect()
}

/// One line per variant of a per-bucket value.
fn per_variant(
    results: &[RunResult],
    stroke: Stroke,
    value: impl Fn(&BucketRow) -> Option<f64>,
) -> Vec<Series> {
    results
        .iter()
        .enumerate()
        .map(|(i, r)| Series {
            label: r.variant.clone(),
            colour: palette::variant(i),
            stroke,
            width: nested_width(i, results.len()),
            points: steps(&r.buckets, &value),
        })
        .collect()
}

fn time_chart(results: &[RunResult], name: &str, title: &str, main: Panel) -> TimeChart {
    TimeChart {
        name: name.into(),
        title: title.into(),
        x_range_s: time_range_s(results),
        main,
        lower: None,
        markers: markers(results),
        legend: variant_legend(results),
    }
}

/// Failed authentications per second, one line per variant.
pub fn failed_auth(results: &[RunResult]) -> TimeChart {
    let title = "Failed authentications per second (users forced to log in again)";
    let y_label = "failed authentications / s";
    rate_chart(results, "failed_auth", title, y_label, Counts::failed_auth)
}

/// Errors per second, one line per variant.
pub fn errors(results: &[RunResult]) -> TimeChart {
    let title = "Errors per second (requests not served)";
    rate_chart(results, "errors", title, "errors / s", Counts::errors)
}

/// A count per second of each bucket, one line per variant.
fn rate_chart(
    results: &[RunResult],
    name: &str,
    title: &str,
    y_label: &str,
    count: fn(&Counts) -> u64,
) -> TimeChart {
    let series = per_variant(results, Stroke::Solid, |b| {
        per_second(count(&b.counts), b.len_us)
    });
    let main = Panel {
        y_label: y_label.into(),
        series,
        whole_numbers: false,
        stacked: false,
        overlay: Vec::new(),
    };
    time_chart(results, name, title, main)
}

/// p50 (solid) and p99 (dashed) latency per variant, in milliseconds.
pub fn latency(results: &[RunResult]) -> TimeChart {
    let ms = |us: Option<u64>| us.map(|us| us as f64 / 1e3);
    let mut series = per_variant(results, Stroke::Solid, |b| ms(b.latency.p50_us));
    series.extend(per_variant(results, Stroke::Dashed, |b| {
        ms(b.latency.p99_us)
    }));
    for s in &mut series[results.len()..] {
        s.label += " p99";
    }
    let main = Panel {
        y_label: "latency (ms)".into(),
        series,
        whole_numbers: false,
        stacked: false,
        overlay: Vec::new(),
    };
    let mut chart = time_chart(
        results,
        "latency",
        "Latency of served requests: median (p50) and 99th percentile (p99)",
        main,
    );
    chart.legend.extend([
        LegendItem {
            label: "p50".into(),
            colour: INK,
            stroke: Stroke::Solid,
        },
        LegendItem {
            label: "p99".into(),
            colour: INK,
            stroke: Stroke::Dashed,
        },
    ]);
    chart
}

/// Bucket lengths by bucket start.
fn lengths(r: &RunResult) -> BTreeMap<u64, u64> {
    r.buckets.iter().map(|b| (b.start_us, b.len_us)).collect()
}

/// Per-server rows of a variant, by server id, with each row's bucket bounds in seconds. Stops
/// early on Ctrl-C (the chart is then discarded by `render`).
fn by_server(r: &RunResult) -> BTreeMap<u32, Vec<(f64, f64, &crate::metrics::ServerRow)>> {
    let lengths = lengths(r);
    let mut map: BTreeMap<u32, Vec<_>> = BTreeMap::new();
    let go_on = |_: &_| !crate::interrupt::requested();
    for row in r.servers.iter().take_while(go_on) {
        let Some(&len_us) = lengths.get(&row.start_us) else {
            continue;
        };
        let from = row.start_us as f64 / US_PER_S;
        map.entry(row.server)
            .or_default()
            .push((from, from + len_us as f64 / US_PER_S, row));
    }
    map
}

fn server_series(id: u32, points: Vec<(f64, Option<f64>)>) -> Series {
    Series {
        label: format!("s{id}"),
        colour: palette::server(id),
        stroke: if palette::server_is_dashed(id) {
            Stroke::Dashed
        } else {
            Stroke::Solid
        },
        width: 4,
        points,
    }
}

fn legend_of(series: &[Series]) -> Vec<LegendItem> {
    series
        .iter()
        .map(|s| LegendItem {
            label: s.label.clone(),
            colour: s.colour,
            stroke: s.stroke,
        })
        .collect()
}

/// Requests per second on each server of variant `index`, and below it the servers in rotation.
pub fn servers(results: &[RunResult], index: usize) -> TimeChart {
    let r = &results[index];
    let series: Vec<Series> = by_server(r)
        .into_iter()
        .map(|(id, rows)| {
            let points = rows
                .iter()
                .flat_map(|&(from, to, row)| {
                    let rate = row.requests as f64 / (to - from);
                    let v = (to > from).then_some(rate);
                    [(from, v), (to, v)]
                })
                .collect();
            server_series(id, points)
        })
        .collect();
    let rotation = Series {
        label: "in rotation".into(),
        colour: palette::variant(index),
        stroke: Stroke::Solid,
        width: 5,
        points: steps(&r.buckets, |b| Some(f64::from(b.servers_in_rotation))),
    };
    TimeChart {
        name: format!("servers-{}", r.variant),
        title: format!("Requests per second on each server: {}", r.variant),
        x_range_s: time_range_s(results),
        legend: legend_of(&series),
        main: Panel {
            y_label: "requests / s".into(),
            series,
            whole_numbers: false,
            stacked: false,
            overlay: Vec::new(),
        },
        lower: Some(Panel {
            y_label: "in rotation".into(),
            series: vec![rotation],
            whole_numbers: true,
            stacked: false,
            overlay: Vec::new(),
        }),
        markers: markers([r]),
    }
}

/// Live sessions of variant `index` over time: one line per server holding sessions in memory,
/// and one for the shared store (live sessions not in any server).
pub fn sessions(results: &[RunResult], index: usize) -> TimeChart {
    let r = &results[index];
    let servers = by_server(r);
    let mut in_servers: BTreeMap<u64, u64> = BTreeMap::new();
    for row in &r.servers {
        *in_servers.entry(row.start_us).or_default() += row.sessions;
    }
    let store: Vec<(f64, Option<f64>)> = r
        .buckets
        .iter()
        .map(|b| {
            let held = in_servers.get(&b.start_us).copied().unwrap_or(0);
            (
                bounds_s(b).1,
                Some(b.sessions_alive.saturating_sub(held) as f64),
            )
        })
        .collect();
    let store_used = store.iter().any(|p| p.1 > Some(0.0));
    let servers_used = r.servers.iter().any(|row| row.sessions > 0);
    let mut series = Vec::new();
    if servers_used || !store_used {
        series.extend(servers.into_iter().map(|(id, rows)| {
            let points = rows
                .iter()
                .map(|&(_, to, row)| (to, Some(row.sessions as f64)))
                .collect();
            server_series(id, points)
        }));
    }
    if store_used {
        series.push(Series {
            label: "session store".into(),
            colour: palette::variant(index),
            stroke: Stroke::Solid,
            width: 5,
            points: store,
        });
    }
    let place = match (servers_used, store_used) {
        (true, true) => "in servers and in the store",
        (false, true) => "in the shared session store",
        _ => "in each server's memory",
    };
    let overlay: Vec<Series> = users_in_visit(r).into_iter().collect();
    let mut legend = legend_of(&series);
    legend.extend(legend_of(&overlay));
    TimeChart {
        name: format!("sessions-{}", r.variant),
        title: format!("Live sessions {place}: {}", r.variant),
        x_range_s: time_range_s(results),
        legend,
        main: Panel {
            y_label: "live sessions, users in a visit".into(),
            series,
            whole_numbers: false,
            stacked: true,
            overlay,
        },
        lower: None,
        markers: markers([r]),
    }
}

/// Users in a visit at the end of each bucket, a dashed line over the session bands: live
/// sessions include those of users who have left (until they expire), so the bands are not the
/// users online. `None` when the run did not measure it (live mode).
fn users_in_visit(r: &RunResult) -> Option<Series> {
    let points: Vec<(f64, Option<f64>)> = r
        .buckets
        .iter()
        .map(|b| Some((bounds_s(b).1, Some(b.users_in_visit? as f64))))
        .collect::<Option<_>>()?;
    (!points.is_empty()).then(|| Series {
        label: "users in a visit".into(),
        colour: palette::INK,
        stroke: Stroke::Dashed,
        width: 4,
        points,
    })
}

/// The panels of the summary chart, by catalogue key: titles are the catalogue's axis titles,
/// bars start at the unit's floor.
const SUMMARY_PANELS: [Metric; 6] = [
    Metric::UsersForcedLoginPct,
    Metric::VisitsWithError,
    Metric::SessionsLost,
    Metric::LatencyP99Ms,
    Metric::Imbalance,
    Metric::Cost,
];

/// Panels shown only when some variant has a value other than zero.
const SUMMARY_IF_ANY: [Metric; 1] = [Metric::SessionsEvicted];

/// A metric's value on a bar and its text: counts with thousands separators, the max-over-mean
/// with two decimals, the others with about three significant digits.
fn bar_value(m: Metric, r: &RunResult) -> (Option<f64>, String) {
    let Some(x) = m.value(r) else {
        return (None, "–".to_string());
    };
    let text = match m.def().unit {
        Unit::Count => thousands(x as u64),
        Unit::MaxOverMean | Unit::MinOverMean => format!("{x:.2}"),
        Unit::Percent | Unit::Milliseconds | Unit::Hours | Unit::Money => number(x),
    };
    (Some(x), text)
}

/// One panel: a bar per variant.
fn bars(
    results: &[RunResult],
    title: &str,
    baseline: f64,
    whole_numbers: bool,
    value: impl Fn(&RunResult) -> (Option<f64>, String),
) -> Bars {
    Bars {
        title: title.into(),
        baseline,
        whole_numbers,
        bars: results
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let (value, text) = value(r);
                Bar {
                    label: r.variant.clone(),
                    colour: palette::variant(i),
                    value,
                    text,
                }
            })
            .collect(),
    }
}

/// The panel of one metric of the catalogue.
fn metric_bars(results: &[RunResult], m: Metric) -> Bars {
    let d = m.def();
    let whole_numbers = d.unit == Unit::Count;
    bars(results, d.axis, d.unit.floor(), whole_numbers, |r| {
        bar_value(m, r)
    })
}

/// The variants side by side: one panel per metric.
pub fn summary(results: &[RunResult]) -> BarChart {
    let mut chart = BarChart {
        name: "summary".into(),
        title: "Summary: the variants over the measured period".into(),
        panels: SUMMARY_PANELS
            .iter()
            .map(|&m| metric_bars(results, m))
            .collect(),
        legend: variant_legend(results),
    };
    // What keeping sessions cost, for the scenarios where some design pays it.
    if results
        .iter()
        .any(|r| r.summary.store_reads + r.summary.store_writes > 0)
    {
        let title = "store operations per request";
        chart.panels.push(bars(results, title, 0.0, false, |r| {
            let ops = r.summary.store_reads + r.summary.store_writes;
            let per = ops as f64 / r.summary.sent.max(1) as f64;
            (Some(per), format!("{per:.2}"))
        }));
    }
    for m in SUMMARY_IF_ANY {
        if results.iter().any(|r| m.value(r).is_some_and(|x| x > 0.0)) {
            chart.panels.push(metric_bars(results, m));
        }
    }
    chart
}
