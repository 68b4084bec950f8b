//! From a run's results to chart data: with `from_sweep`, the only parts of `charts` that know
//! the result rows; the summary chart's panels are metrics of the catalogue.
//!
//! Rates are per second of the bucket they were counted in, drawn as steps over the bucket (a
//! bucket's count belongs to all of it, not to its start); states measured at the end of a bucket
//! (sessions) are points at the bucket's end. Colours come from the variant's design ([`Look`]),
//! so that a design has the same colour on every chart of every scenario.
//!
//! Beyond [`MAX_LABELLED`] events in view, the autoscaler's and random failures' actions become
//! an event strip under the plot; beyond [`MAX_SERVER_LINES`] servers, per-server charts become
//! heatmaps. Events inside the warm-up are not drawn.

use super::format::{number, thousands};
use super::look::Look;
use super::model::{
    Bar, BarChart, Bars, Chart, Colour, Heat, LegendItem, Marker, Panel, Series, Strip, Stroke,
    TimeChart,
};
use super::palette::{self, INK};
use crate::events::EventAction;
use crate::metrics::catalogue::{Metric, Unit};
use crate::metrics::{BucketRow, Counts, EventRow, RunResult};
use std::collections::{BTreeMap, BTreeSet};

const US_PER_S: f64 = 1e6;

/// Every chart of a run, in the order a report shows them: failed authentications, errors,
/// latency, then per variant its servers and its sessions, then the summary.
pub fn charts(look: &Look, results: &[RunResult]) -> Vec<Chart> {
    (0..count(results)).map(|i| nth(look, results, i)).collect()
}

/// How many charts [`charts`] gives.
pub fn count(results: &[RunResult]) -> usize {
    4 + 2 * results.len() + super::datacenters::count(results)
}

/// Chart `i` of [`charts`], built alone: a caller that draws them in turn holds one chart's data
/// at a time and can stop between two (Ctrl-C).
pub fn nth(look: &Look, results: &[RunResult], i: usize) -> Chart {
    let variants = results.len();
    match i {
        0 => Chart::Time(failed_auth(look, results)),
        1 => Chart::Time(errors(look, results)),
        2 => Chart::Time(latency(look, results)),
        i if i < 3 + variants => Chart::Time(servers(look, results, i - 3)),
        i if i < 3 + 2 * variants => Chart::Time(sessions(look, results, i - 3 - variants)),
        i if i < count(results) - 1 => super::datacenters::nth(look, results, i - 3 - 2 * variants),
        _ => Chart::Bars(summary(look, results)),
    }
}

/// Most events drawn as labelled lines; beyond, the autoscaler's and failures' actions go to
/// the event strip (and the scenario's own events too if they alone are more).
pub const MAX_LABELLED: usize = 10;

/// Most servers drawn as lines with a legend entry each; beyond, a heatmap.
pub const MAX_SERVER_LINES: usize = 12;

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

/// The name of data centre `n` among `names` (its index if the names are missing).
pub fn datacenter_name(names: &[String], n: u32) -> String {
    names
        .get(n as usize)
        .cloned()
        .unwrap_or_else(|| format!("data centre {n}"))
}

/// What an event's line is labelled: `crash s1`, `+1 server`, `store down`, `us-east down`...
/// (`names`: the run's data centres).
pub fn event_label(e: &EventRow, names: &[String]) -> String {
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
        EventAction::DcDown => format!("{} down", datacenter_name(names, n)),
        EventAction::DcUp => format!("{} up", datacenter_name(names, n)),
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
    markers_of(results.into_iter().flat_map(|r| {
        let names = &r.datacenter_names[..];
        r.events.iter().map(move |e| (names, e))
    }))
}

/// `events` (each with its run's data centres), each once, in time order.
fn markers_of<'a>(events: impl Iterator<Item = (&'a [String], &'a EventRow)>) -> Vec<Marker> {
    let set: BTreeSet<Marker> = events
        .map(|(names, e)| Marker {
            at_us: e.at_us,
            label: event_label(e, names),
        })
        .collect();
    set.into_iter().collect()
}

/// Whether an event is one of the scenario's own (`[[events]]`), not an action of the
/// autoscaler or of random failures.
fn is_planned(action: EventAction) -> bool {
    matches!(
        action,
        EventAction::Crash
            | EventAction::Restart
            | EventAction::AddServers
            | EventAction::RemoveServers
            | EventAction::StoreCrash
            | EventAction::StoreRestart
            | EventAction::DcDown
            | EventAction::DcUp
    )
}

/// The colour of an event kind's ticks in the strip.
fn kind_colour(action: EventAction) -> Colour {
    match action {
        EventAction::ScaleOut | EventAction::AddServers => Colour(0x22, 0x88, 0x33),
        EventAction::ScaleIn | EventAction::RemoveServers => Colour(0xEE, 0x66, 0x77),
        EventAction::Failure | EventAction::Crash => Colour(0xAA, 0x33, 0x77),
        EventAction::Repair | EventAction::Restart => Colour(0x44, 0x77, 0xAA),
        EventAction::StoreFailure | EventAction::StoreCrash => Colour(0xCC, 0xBB, 0x44),
        EventAction::StoreRepair | EventAction::StoreRestart => Colour(0x66, 0xCC, 0xEE),
        EventAction::DcDown => Colour(0x99, 0x22, 0x22),
        EventAction::DcUp => Colour(0x22, 0x55, 0x99),
    }
}

/// The events of the variants `rows` (after the warm-up): as labelled lines when few, else the
/// autoscaler's and failures' actions (or all, if the scenario's own are many too) as a strip
/// with one row per variant.
pub fn events(look: &Look, rows: &[&RunResult]) -> (Vec<Marker>, Option<Box<Strip>>) {
    let shown = |e: &&EventRow| e.at_us >= look.warmup_us;
    let in_view = || {
        rows.iter().flat_map(|r| {
            let names = &r.datacenter_names[..];
            r.events.iter().filter(shown).map(move |e| (names, e))
        })
    };
    let all = markers_of(in_view());
    if all.len() <= MAX_LABELLED {
        return (all, None);
    }
    let planned_markers = markers_of(in_view().filter(|(_, e)| is_planned(e.action)));
    let label_planned = planned_markers.len() <= MAX_LABELLED;
    let mut kinds: Vec<EventAction> = Vec::new();
    let mut ticks = Vec::new();
    for (row, r) in rows.iter().enumerate() {
        for e in r.events.iter().filter(shown) {
            if label_planned && is_planned(e.action) {
                continue;
            }
            let kind = kinds
                .iter()
                .position(|&k| k == e.action)
                .unwrap_or_else(|| {
                    kinds.push(e.action);
                    kinds.len() - 1
                });
            ticks.push((e.at_us, row, kind));
        }
    }
    let strip = Strip {
        rows: rows.iter().map(|r| r.variant.clone()).collect(),
        kinds: kinds
            .iter()
            .map(|&k| (k.as_str().replace('_', " "), kind_colour(k)))
            .collect(),
        ticks,
    };
    let markers = if label_planned {
        planned_markers
    } else {
        Vec::new()
    };
    (markers, Some(Box::new(strip)))
}

/// The legend entries of a strip: each kind with its count, e.g. `scale in ×203`.
fn strip_legend(strip: &Option<Box<Strip>>) -> Vec<LegendItem> {
    let Some(strip) = strip else {
        return Vec::new();
    };
    strip
        .kinds
        .iter()
        .enumerate()
        .map(|(k, (label, colour))| {
            let n = strip.ticks.iter().filter(|t| t.2 == k).count();
            LegendItem {
                label: format!("{label} ×{}", thousands(n as u64)),
                colour: *colour,
                stroke: Stroke::Solid,
            }
        })
        .collect()
}

/// Line widths that decrease with the variant's position, so that where lines coincide (all at
/// zero, say) each still shows as a band around the ones drawn after it.
pub fn nested_width(index: usize, count: usize) -> u32 {
    let from_last = count.saturating_sub(index + 1).min(3) as u32;
    3 + 2 * from_last
}

fn variant_legend(look: &Look, results: &[RunResult]) -> Vec<LegendItem> {
    results
        .iter()
        .enumerate()
        .map(|(i, r)| LegendItem {
            label: r.variant.clone(),
            colour: look.colour(i),
            stroke: Stroke::Solid,
        })
        .collect()
}

/// One line per variant of a per-bucket value, drawn tallest peak first with the widest line,
/// so that a lower line drawn over a taller one never hides its spike, and where lines coincide
/// each still shows as a band around the ones drawn after it.
fn per_variant(
    look: &Look,
    results: &[RunResult],
    stroke: Stroke,
    value: impl Fn(&BucketRow) -> Option<f64>,
) -> Vec<Series> {
    let mut lines: Vec<Series> = results
        .iter()
        .enumerate()
        .map(|(i, r)| Series {
            label: r.variant.clone(),
            colour: look.colour(i),
            stroke,
            width: 0,
            points: steps(&r.buckets, &value),
        })
        .collect();
    let peak = |s: &Series| {
        s.points
            .iter()
            .filter_map(|p| p.1)
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max)
    };
    // Stable: equal peaks keep the variant order.
    lines.sort_by(|a, b| peak(b).total_cmp(&peak(a)));
    let n = lines.len();
    for (rank, s) in lines.iter_mut().enumerate() {
        s.width = nested_width(rank, n);
    }
    lines
}

fn time_chart(
    look: &Look,
    results: &[RunResult],
    name: &str,
    title: &str,
    main: Panel,
) -> TimeChart {
    let rows: Vec<&RunResult> = results.iter().collect();
    let (markers, strip) = events(look, &rows);
    let mut legend = variant_legend(look, results);
    legend.extend(strip_legend(&strip));
    TimeChart {
        name: name.into(),
        title: title.into(),
        x_range_s: time_range_s(results),
        main,
        lower: None,
        markers,
        strip,
        legend,
        time: look.time,
    }
}

fn lines_panel(y_label: &str, series: Vec<Series>) -> Panel {
    Panel {
        y_label: y_label.into(),
        series,
        whole_numbers: false,
        stacked: false,
        overlay: Vec::new(),
        heat: None,
    }
}

/// Failed authentications per second, one line per variant, with what theory expects of random
/// routing over server memory: (N-1)/N of the authenticated requests fail, N the servers in
/// rotation.
pub fn failed_auth(look: &Look, results: &[RunResult]) -> TimeChart {
    let title = "Failed authentications per second (users forced to log in again)";
    let y_label = "failed authentications / s";
    let mut chart = rate_chart(
        look,
        results,
        "failed_auth",
        title,
        y_label,
        Counts::failed_auth,
    );
    for (i, r) in results.iter().enumerate() {
        let random_memory = look
            .variants
            .get(i)
            .is_some_and(|v| v.design == Some(super::palette::Design::RandomMemory));
        if !random_memory {
            continue;
        }
        let theory = Series {
            label: format!("{}: theory (N-1)/N of authenticated requests", r.variant),
            colour: INK,
            stroke: Stroke::Dashed,
            width: 3,
            points: steps(&r.buckets, |b| {
                let n = f64::from(b.servers_in_rotation);
                let share = if n > 0.0 { (n - 1.0) / n } else { 0.0 };
                per_second(b.counts.auth_requests(), b.len_us).map(|rate| rate * share)
            }),
        };
        chart
            .legend
            .extend(legend_of(std::slice::from_ref(&theory)));
        chart.main.overlay.push(theory);
    }
    chart
}

/// Errors per second, one line per variant.
pub fn errors(look: &Look, results: &[RunResult]) -> TimeChart {
    let title = "Errors per second (requests not served)";
    rate_chart(look, results, "errors", title, "errors / s", Counts::errors)
}

/// A count per second of each bucket, one line per variant.
fn rate_chart(
    look: &Look,
    results: &[RunResult],
    name: &str,
    title: &str,
    y_label: &str,
    count: fn(&Counts) -> u64,
) -> TimeChart {
    let series = per_variant(look, results, Stroke::Solid, |b| {
        per_second(count(&b.counts), b.len_us)
    });
    time_chart(look, results, name, title, lines_panel(y_label, series))
}

/// p50 (solid) and p99 (dashed) latency per variant, in milliseconds.
pub fn latency(look: &Look, results: &[RunResult]) -> TimeChart {
    let ms = |us: Option<u64>| us.map(|us| us as f64 / 1e3);
    let mut series = per_variant(look, results, Stroke::Dashed, |b| ms(b.latency.p99_us));
    for s in &mut series {
        s.label += " p99";
    }
    series.extend(per_variant(look, results, Stroke::Solid, |b| {
        ms(b.latency.p50_us)
    }));
    let mut chart = time_chart(
        look,
        results,
        "latency",
        "Latency of served requests: median (p50) and 99th percentile (p99)",
        lines_panel("latency (ms)", series),
    );
    erlang_c_lines(look, results, &mut chart);
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

/// For each variant that is a plain M/M/c queue, Erlang C's mean time in the system as a
/// dashed line across the run, named in the legend.
fn erlang_c_lines(look: &Look, results: &[RunResult], chart: &mut TimeChart) {
    for (i, r) in results.iter().enumerate() {
        let Some(mean_ms) = look.variants.get(i).and_then(|v| v.mmc?.mean_ms()) else {
            continue;
        };
        let (from, to) = chart.x_range_s;
        let line = Series {
            label: format!("{}: Erlang C mean ({} ms)", r.variant, number(mean_ms)),
            colour: INK,
            stroke: Stroke::Dashed,
            width: 3,
            points: vec![(from, Some(mean_ms)), (to, Some(mean_ms))],
        };
        chart.legend.extend(legend_of(std::slice::from_ref(&line)));
        chart.main.overlay.push(line);
    }
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

/// A heatmap of `value` per server and bucket, in `colour`.
fn heat(
    servers: &BTreeMap<u32, Vec<(f64, f64, &crate::metrics::ServerRow)>>,
    colour: Colour,
    value: impl Fn(f64, f64, &crate::metrics::ServerRow) -> Option<f64>,
) -> Heat {
    let rows: Vec<super::model::HeatRow> = servers
        .iter()
        .map(|(&id, rows)| {
            let cells = rows
                .iter()
                .filter_map(|&(from, to, row)| Some((from, to, value(from, to, row)?)))
                .collect();
            (id, cells)
        })
        .collect();
    let max = rows
        .iter()
        .flat_map(|(_, cells)| cells.iter().map(|c| c.2))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    Heat { rows, max, colour }
}

/// The legend of a heatmap: three shades with their values (white is zero).
fn heat_legend(heat: &Heat, unit: &str) -> Vec<LegendItem> {
    [0.25, 0.5, 1.0]
        .into_iter()
        .map(|share| LegendItem {
            label: format!("{} {unit}", number(heat.max * share)),
            colour: shade(heat.colour, share),
            stroke: Stroke::Solid,
        })
        .collect()
}

/// `colour` at `share` of its strength over white (0: white, 1: the colour).
pub fn shade(colour: Colour, share: f64) -> Colour {
    let share = share.clamp(0.0, 1.0);
    let mix = |c: u8| (255.0 - (255.0 - f64::from(c)) * share).round() as u8;
    Colour(mix(colour.0), mix(colour.1), mix(colour.2))
}

/// The servers-in-rotation panel of variant `index`.
fn rotation_panel(look: &Look, r: &RunResult, index: usize) -> Panel {
    Panel {
        y_label: "in rotation".into(),
        series: vec![Series {
            label: "in rotation".into(),
            colour: look.colour(index),
            stroke: Stroke::Solid,
            width: 5,
            points: steps(&r.buckets, |b| Some(f64::from(b.servers_in_rotation))),
        }],
        whole_numbers: true,
        stacked: false,
        overlay: Vec::new(),
        heat: None,
    }
}

/// A time chart of variant `index` alone.
fn variant_chart(
    look: &Look,
    results: &[RunResult],
    index: usize,
    (name, title): (String, String),
    main: Panel,
    legend: Vec<LegendItem>,
) -> TimeChart {
    let r = &results[index];
    let (markers, strip) = events(look, &[r]);
    let mut legend = legend;
    legend.extend(strip_legend(&strip));
    TimeChart {
        name,
        title,
        x_range_s: time_range_s(results),
        legend,
        main,
        lower: None,
        markers,
        strip,
        time: look.time,
    }
}

/// Requests per second on each server of variant `index` (a line each, or a heatmap beyond
/// [`MAX_SERVER_LINES`] servers), and below it the servers in rotation.
pub fn servers(look: &Look, results: &[RunResult], index: usize) -> TimeChart {
    let r = &results[index];
    let servers = by_server(r);
    let rate = |from: f64, to: f64, row: &crate::metrics::ServerRow| {
        (to > from).then(|| row.requests as f64 / (to - from))
    };
    let names = (
        format!("servers-{}", r.variant),
        format!("Requests per second on each server: {}", r.variant),
    );
    let (main, legend) = if servers.len() > MAX_SERVER_LINES {
        let heat = heat(&servers, look.colour(index), rate);
        let legend = heat_legend(&heat, "requests / s");
        let mut panel = lines_panel("server", Vec::new());
        panel.heat = Some(Box::new(heat));
        (panel, legend)
    } else {
        let series: Vec<Series> = servers
            .into_iter()
            .map(|(id, rows)| {
                let points = rows
                    .iter()
                    .flat_map(|&(from, to, row)| {
                        let v = rate(from, to, row);
                        [(from, v), (to, v)]
                    })
                    .collect();
                server_series(id, points)
            })
            .collect();
        let legend = legend_of(&series);
        (lines_panel("requests / s", series), legend)
    };
    let mut chart = variant_chart(look, results, index, names, main, legend);
    chart.lower = Some(rotation_panel(look, r, index));
    chart
}

/// Live sessions of variant `index` over time: one band per server holding sessions in memory
/// (a heatmap beyond [`MAX_SERVER_LINES`] servers, with the total and the users in a visit
/// below it), and one for the shared store (live sessions not in any server).
pub fn sessions(look: &Look, results: &[RunResult], index: usize) -> TimeChart {
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
    let place = match (servers_used, store_used) {
        (true, true) => "in servers and in the store",
        (false, true) => "in the shared session store",
        _ => "in each server's memory",
    };
    let names = (
        format!("sessions-{}", r.variant),
        format!("Live sessions {place}: {}", r.variant),
    );
    let store_series = Series {
        label: "session store".into(),
        colour: look.colour(index),
        stroke: Stroke::Solid,
        width: 5,
        points: store,
    };
    let overlay: Vec<Series> = users_in_visit(r).into_iter().collect();
    if servers_used && servers.len() > MAX_SERVER_LINES {
        let heat = heat(&servers, look.colour(index), |_, _, row| {
            Some(row.sessions as f64)
        });
        let mut legend = heat_legend(&heat, "sessions");
        let total = Series {
            label: "live sessions, all".into(),
            colour: look.colour(index),
            stroke: Stroke::Solid,
            width: 4,
            points: r
                .buckets
                .iter()
                .map(|b| (bounds_s(b).1, Some(b.sessions_alive as f64)))
                .collect(),
        };
        let mut lower = lines_panel("sessions, users", vec![total]);
        lower.overlay = overlay;
        legend.extend(legend_of(&lower.series));
        legend.extend(legend_of(&lower.overlay));
        let mut main = lines_panel("server", Vec::new());
        main.heat = Some(Box::new(heat));
        let mut chart = variant_chart(look, results, index, names, main, legend);
        chart.lower = Some(lower);
        return chart;
    }
    let mut series = Vec::new();
    if (servers_used || !store_used) && servers.len() <= MAX_SERVER_LINES {
        series.extend(servers.into_iter().map(|(id, rows)| {
            let points = rows
                .iter()
                .map(|&(_, to, row)| (to, Some(row.sessions as f64)))
                .collect();
            server_series(id, points)
        }));
    }
    if store_used {
        series.push(store_series);
    }
    let mut legend = legend_of(&series);
    legend.extend(legend_of(&overlay));
    let main = Panel {
        y_label: "live sessions, users in a visit".into(),
        series,
        whole_numbers: false,
        stacked: true,
        overlay,
        heat: None,
    };
    variant_chart(look, results, index, names, main, legend)
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

/// A bar's height, the half-width of its whisker and its text.
pub(super) type BarValue = (Option<f64>, Option<f64>, String);

/// A metric over the replications of one variant: one run as [`bar_value`] writes it; several
/// as their mean with the decimals of `summary.csv` (thousands separated), and its 95 % interval.
fn replicated_value(m: Metric, runs: &[RunResult]) -> BarValue {
    if let [one] = runs {
        let (value, text) = bar_value(m, one);
        return (value, None, text);
    }
    match m.over(runs) {
        None => (None, None, "–".to_string()),
        Some(i) => {
            let decimals = m.def().mean_decimals(runs.len());
            let text = super::format::grouped(&format!("{:.decimals$}", i.mean));
            (Some(i.mean), i.half_width, text)
        }
    }
}

/// One panel: a bar per variant (`variants[v]`: the replications of variant `v`).
pub(super) fn bars(
    look: &Look,
    variants: &[&[RunResult]],
    title: &str,
    baseline: f64,
    whole_numbers: bool,
    value: impl Fn(usize, &[RunResult]) -> BarValue,
) -> Bars {
    Bars {
        title: title.into(),
        baseline,
        whole_numbers,
        bars: variants
            .iter()
            .enumerate()
            .map(|(i, runs)| {
                let (value, half_width, text) = value(i, runs);
                Bar {
                    label: runs[0].variant.clone(),
                    colour: look.colour(i),
                    value,
                    half_width,
                    text,
                }
            })
            .collect(),
    }
}

/// The panel of one metric of the catalogue.
fn metric_bars(look: &Look, variants: &[&[RunResult]], m: Metric) -> Bars {
    let d = m.def();
    let whole_numbers = d.unit == Unit::Count && variants.iter().all(|runs| runs.len() == 1);
    bars(
        look,
        variants,
        d.axis,
        d.unit.floor(),
        whole_numbers,
        |_, runs| replicated_value(m, runs),
    )
}

/// The variants side by side: one panel per metric, of one run per variant.
pub fn summary(look: &Look, results: &[RunResult]) -> BarChart {
    let one_each: Vec<&[RunResult]> = results.iter().map(std::slice::from_ref).collect();
    summary_replicated(look, &one_each)
}

/// The variants side by side, `variants[v]` holding the replications of variant `v`: with one
/// run each, what [`summary`] draws; with several, each bar is the mean (written with the
/// decimals of `summary.csv`) with a whisker for its 95 % confidence interval.
pub fn summary_replicated(look: &Look, variants: &[&[RunResult]]) -> BarChart {
    let first: Vec<RunResult> = variants.iter().map(|runs| runs[0].clone()).collect();
    let mut chart = BarChart {
        name: "summary".into(),
        title: match variants.first().map_or(1, |runs| runs.len()) {
            1 => "Summary: the variants over the measured period".into(),
            n => format!("Summary: means of {n} replications with 95 % intervals"),
        },
        panels: SUMMARY_PANELS
            .iter()
            .map(|&m| metric_bars(look, variants, m))
            .collect(),
        legend: variant_legend(look, &first),
    };
    // What keeping sessions costs each request, for the scenarios where some design pays it.
    chart.panels.extend(super::cost::panel(look, variants));
    for m in SUMMARY_IF_ANY {
        let any = variants.iter().flat_map(|runs| runs.iter());
        if any.clone().any(|r| m.value(r).is_some_and(|x| x > 0.0)) {
            chart.panels.push(metric_bars(look, variants, m));
        }
    }
    chart
}
