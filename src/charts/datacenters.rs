//! The charts of several data centres, as plain data: for each variant the requests each data
//! centre served over time (the failover and the failback visible), and the failed
//! authentications and errors of every variant by cause. None for a run of one data centre.

use super::from_results::{events, time_range_s};
use super::look::Look;
use super::model::{Bar, BarChart, Bars, Chart, LegendItem, Panel, Series, Stroke, TimeChart};
use super::palette;
use crate::metrics::{Counts, DcRow, RunResult};

/// How many data-centre charts a run has: one per variant and the causes, or none.
pub fn count(results: &[RunResult]) -> usize {
    match results.iter().any(|r| !r.datacenters.is_empty()) {
        true => results.len() + 1,
        false => 0,
    }
}

/// Chart `i` of [`count`].
pub fn nth(look: &Look, results: &[RunResult], i: usize) -> Chart {
    match i < results.len() {
        true => Chart::Time(requests_per_dc(look, results, i)),
        false => Chart::Bars(causes(look, results)),
    }
}

/// `value` of data centre `dc`'s rows of `r` as steps over each bucket: per second of the
/// bucket if `rate`, else as it is (a state at the bucket's end).
fn dc_steps(
    r: &RunResult,
    dc: u32,
    rate: bool,
    value: impl Fn(&DcRow) -> f64,
) -> Vec<(f64, Option<f64>)> {
    let rows: Vec<&DcRow> = r
        .datacenters
        .iter()
        .filter(|d| d.datacenter == dc)
        .collect();
    rows.iter()
        .zip(r.buckets.iter())
        .flat_map(|(row, b)| {
            let from = b.start_us as f64 / 1e6;
            let to = from + b.len_us as f64 / 1e6;
            let per = if rate { to - from } else { 1.0 };
            let v = (to > from).then(|| value(row) / per);
            [(from, v), (to, v)]
        })
        .collect()
}

/// Variant `index`: requests served per second by each data centre (solid) and errors (dashed),
/// and below, the users in a visit in each.
pub fn requests_per_dc(look: &Look, results: &[RunResult], index: usize) -> TimeChart {
    let r = &results[index];
    let mut served = Vec::new();
    let mut users = Vec::new();
    for (d, name) in r.datacenter_names.iter().enumerate() {
        let (dc, colour) = (d as u32, palette::server(d as u32));
        let line = |label: String, stroke, points| Series {
            label,
            colour,
            stroke,
            width: 3,
            points,
        };
        served.push(line(
            format!("{name} served"),
            Stroke::Solid,
            dc_steps(r, dc, true, |x| x.requests as f64),
        ));
        served.push(line(
            format!("{name} errors"),
            Stroke::Dashed,
            dc_steps(r, dc, true, |x| x.errors as f64),
        ));
        let points = dc_steps(r, dc, false, |x| x.users_in_visit as f64);
        users.push(line(name.clone(), Stroke::Solid, points));
    }
    let (markers, strip) = events(look, &[r]);
    let legend = served
        .iter()
        .map(|s| LegendItem {
            label: s.label.clone(),
            colour: s.colour,
            stroke: s.stroke,
        })
        .collect();
    TimeChart {
        name: format!("datacenters-{}", r.variant),
        title: format!("Requests per second in each data centre: {}", r.variant),
        x_range_s: time_range_s(results),
        main: panel("requests / s", served),
        lower: Some(panel("users in a visit", users)),
        markers,
        strip,
        legend,
        time: look.time,
    }
}

fn panel(y_label: &str, series: Vec<Series>) -> Panel {
    Panel {
        y_label: y_label.into(),
        series,
        whole_numbers: false,
        stacked: false,
        overlay: Vec::new(),
        heat: None,
    }
}

/// A cause's count in a run's totals.
type Cause = fn(&Counts) -> u64;

/// The causes compared, one panel each (one bar per variant); the first two always, the
/// others when some variant has any.
const CAUSES: [(&str, Cause); 6] = [
    ("auth failed: other DC", |c| c.failed_other_dc),
    ("errors: DC down", |c| c.errors_dc_down),
    ("auth failed: session lost", |c| c.failed_lost),
    ("auth failed: expired", |c| c.failed_expired),
    ("errors: store down", |c| c.errors_store_down),
    ("errors: server down", |c| c.errors_server_down),
];

/// Failed authentications and errors by cause, every variant side by side.
pub fn causes(look: &Look, results: &[RunResult]) -> BarChart {
    let panels = CAUSES
        .iter()
        .enumerate()
        .filter(|&(k, (_, value))| k < 2 || results.iter().any(|r| value(&r.summary.counts) > 0))
        .map(|(_, &(title, value))| Bars {
            title: title.into(),
            baseline: 0.0,
            whole_numbers: true,
            bars: results
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let n = value(&r.summary.counts);
                    Bar {
                        label: r.variant.clone(),
                        colour: look.colour(i),
                        value: Some(n as f64),
                        half_width: None,
                        text: super::format::thousands(n),
                    }
                })
                .collect(),
        })
        .collect();
    BarChart {
        name: "datacenters-causes".into(),
        title: "Failed authentications and errors by cause, over the measured period".into(),
        panels,
        legend: results
            .iter()
            .enumerate()
            .map(|(i, r)| LegendItem {
                label: r.variant.clone(),
                colour: look.colour(i),
                stroke: Stroke::Solid,
            })
            .collect(),
    }
}
