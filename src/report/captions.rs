//! The captions of a run's charts: what each chart shows of this scenario (its events, when,
//! which variant had the most), from the results, never advice about something the chart does
//! not draw. A sweep's charts keep the general captions of [`general`].

use super::what_happened::when;
use super::{Shown, capitalised};
use crate::charts::format::TimeFormat;
use crate::charts::format::{number, thousands};
use crate::charts::from_results::event_label;
use crate::charts::look::Look;
use crate::metrics::catalogue::Metric;
use crate::metrics::{BucketRow, RunResult};
use crate::scenario::{Experiment, Micros};
use std::collections::BTreeSet;

/// How many timed events a caption lists by name before it counts the rest.
const LISTED: usize = 4;

/// The caption of the chart `stem` of a run of `experiment`.
pub fn for_run(stem: &str, experiment: &Experiment, shown: &Shown<'_>) -> String {
    let results = shown.first;
    let look = Look::of(experiment, results);
    let time = look.time;
    if let Some(variant) = stem.strip_prefix("servers-") {
        return servers(find(results, variant), variant);
    }
    if let Some(variant) = stem.strip_prefix("sessions-") {
        return sessions(find(results, variant), variant, time);
    }
    let events = events_sentence(results, time);
    match stem {
        "failed_auth" => rates(
            results,
            "Failed authentications per second, one line per variant: each is a user sent back \
             to the login page",
            "failed authentications",
            |b| b.counts.failed_auth(),
            &events,
            time,
        ),
        "errors" => rates(
            results,
            "Requests not served per second (server down, queue full, store down), one line per \
             variant",
            "requests not served",
            |b| b.counts.errors(),
            &events,
            time,
        ),
        "latency" => latency(results, &events),
        "summary" => summary(shown) + &extra_work(&look, shown.first),
        other => general(other),
    }
}

/// The run of `variant` (none if the chart names an unknown one).
fn find<'r>(results: &'r [RunResult], variant: &str) -> Option<&'r RunResult> {
    results.iter().find(|r| r.variant == variant)
}

/// Where the measured period starts (the first bucket).
fn measured_from(results: &[RunResult]) -> Micros {
    results
        .iter()
        .filter_map(|r| r.buckets.first().map(|b| b.start_us))
        .min()
        .unwrap_or(0)
}

/// The events of the measured period in a sentence: the timed ones by name and time (the first
/// few), the autoscaler's and random failures' actions counted.
fn events_sentence(results: &[RunResult], time: TimeFormat) -> String {
    let from = measured_from(results);
    let timed: BTreeSet<(Micros, String)> = results
        .iter()
        .flat_map(|r| r.events.iter().map(move |e| (r, e)))
        .filter(|(_, e)| e.action.is_timed() && e.at_us >= from)
        .map(|(r, e)| (e.at_us, event_label(e, &r.datacenter_names)))
        .collect();
    let untimed = results
        .iter()
        .map(|r| {
            let measured = r.events.iter().filter(|e| e.at_us >= from);
            measured.filter(|e| !e.action.is_timed()).count()
        })
        .max()
        .unwrap_or(0);
    let mut parts: Vec<String> = timed
        .iter()
        .take(LISTED)
        .map(|(at, label)| format!("{label} at {}", when(time, *at)))
        .collect();
    if timed.len() > LISTED {
        parts.push(format!("{} more timed events", timed.len() - LISTED));
    }
    if untimed > 0 {
        parts.push(format!(
            "up to {} actions of the autoscaler or random failures per variant",
            thousands(untimed as u64)
        ));
    }
    match parts.is_empty() {
        true => "This scenario has no events in its measured period: what the lines show comes \
                 from the designs alone."
            .to_string(),
        false => format!("Events: {}.", parts.join("; ")),
    }
}

/// A rate chart's caption: what it draws, the events, each variant's total and the worst bucket.
fn rates(
    results: &[RunResult],
    what: &str,
    noun: &str,
    count: fn(&BucketRow) -> u64,
    events: &str,
    time: TimeFormat,
) -> String {
    let totals: Vec<String> = results
        .iter()
        .map(|r| {
            let total: u64 = r.buckets.iter().map(count).sum();
            let worst = r
                .buckets
                .iter()
                .max_by_key(|b| (count(b), std::cmp::Reverse(b.start_us)));
            match (total, worst) {
                (0, _) | (_, None) => format!("{} none", r.variant),
                (n, Some(b)) => format!(
                    "{} {} (most in the bucket from {}: {})",
                    r.variant,
                    thousands(n),
                    when(time, b.start_us),
                    thousands(count(b))
                ),
            }
        })
        .collect();
    if totals.iter().all(|t| t.ends_with(" none")) {
        return format!("{what}. {events} No variant had any {noun}: every line lies on zero.");
    }
    format!(
        "{what}. {events} {} over the measured period: {}.",
        capitalised(noun),
        totals.join("; ")
    )
}

fn latency(results: &[RunResult], events: &str) -> String {
    let p99: Vec<String> = results
        .iter()
        .map(|r| {
            let v = Metric::LatencyP99Ms
                .value(r)
                .map_or("–".into(), |x| format!("{} ms", number(x)));
            format!("{} {v}", r.variant)
        })
        .collect();
    let gaps: Vec<&str> = results
        .iter()
        .filter(|r| r.buckets.iter().any(|b| b.counts.ok() == 0))
        .map(|r| r.variant.as_str())
        .collect();
    let mut text = format!(
        "Median (solid) and 99th percentile (dashed) response time of served requests, per \
         variant. {events} The 99th percentile over the measured period: {}.",
        p99.join("; ")
    );
    if !gaps.is_empty() {
        text += &format!(
            " A gap in a line is a bucket where that variant served nothing ({}).",
            gaps.join(", ")
        );
    }
    text
}

/// The per-server chart of one variant.
fn servers(r: Option<&RunResult>, variant: &str) -> String {
    let mut text = format!(
        "Requests per second served by each server of the {variant} variant (s1 is server 1), \
         and below, how many servers were in the balancer's rotation"
    );
    if let Some(r) = r {
        let counts = r.buckets.iter().map(|b| b.servers_in_rotation);
        if let (Some(lo), Some(hi)) = (counts.clone().min(), counts.max()) {
            text += &match lo == hi {
                true => format!(": {lo} all along"),
                false => format!(": from {lo} to {hi}"),
            };
        }
    }
    text + "."
}

/// The sessions chart of one variant: the events that destroyed its sessions, the largest first.
fn sessions(r: Option<&RunResult>, variant: &str, time: TimeFormat) -> String {
    let mut text = format!(
        "Live sessions of the {variant} variant, stacked by where they are kept (a band that \
         drops at once is sessions destroyed, each a user who must log in again if they come \
         back)."
    );
    let Some(r) = r else {
        return text;
    };
    if r.buckets.iter().any(|b| b.users_in_visit.is_some()) {
        text += " The dashed line is the users in a visit: sessions outlive their visits, so the \
                 bands are not the users online.";
    }
    let from = measured_from(std::slice::from_ref(r));
    let mut losses: Vec<_> = r
        .events
        .iter()
        .filter(|e| e.at_us >= from && e.sessions_lost > 0)
        .collect();
    losses.sort_by_key(|e| (std::cmp::Reverse(e.sessions_lost), e.at_us));
    let total: u64 = losses.iter().map(|e| e.sessions_lost).sum();
    let listed: Vec<String> = losses
        .iter()
        .take(3)
        .map(|e| {
            format!(
                "{} at {} ({})",
                thousands(e.sessions_lost),
                when(time, e.at_us),
                event_label(e, &r.datacenter_names)
            )
        })
        .collect();
    text += &match losses.len() {
        0 => format!(" No event destroyed a session of {variant}."),
        1 => format!(" Destroyed by an event: {}.", listed[0]),
        n => format!(
            " Events destroyed {} sessions, in {n} events; the largest: {}.",
            thousands(total),
            listed.join(", ")
        ),
    };
    text
}

/// The summary chart: what a bar is, and who fared worst and best on the first panel.
fn summary(shown: &Shown<'_>) -> String {
    let n = shown.replications();
    let bars = match n {
        1 => "one bar per variant".to_string(),
        n => format!(
            "one bar per variant, the mean of {n} replications with a whisker for its 95 % \
             confidence interval"
        ),
    };
    let m = Metric::UsersForcedLoginPct;
    let means: Vec<(String, f64)> = match n {
        1 => shown
            .first
            .iter()
            .filter_map(|r| Some((r.variant.clone(), m.value(r)?)))
            .collect(),
        _ => shown
            .replicated
            .iter()
            .filter_map(|runs| Some((runs[0].variant.clone(), m.over(runs)?.mean)))
            .collect(),
    };
    let mut text = format!(
        "The whole measured period, one panel per metric with its own scale, {bars}: lower is \
         better in every panel (imbalance starts at 1, an even spread)."
    );
    let worst = means.iter().max_by(|a, b| a.1.total_cmp(&b.1));
    let best = means.iter().min_by(|a, b| a.1.total_cmp(&b.1));
    if let (Some(w), Some(b)) = (worst, best)
        && w.1 > b.1
    {
        text += &format!(
            " Users forced to log in: most in {} ({} %), fewest in {} ({} %).",
            w.0,
            number(w.1),
            b.0,
            number(b.1)
        );
    }
    text
}

/// The caption of a chart outside a run's report (a sweep's), by its file name.
pub fn general(stem: &str) -> String {
    if stem == "datacenters-causes" {
        return "Failed authentications and errors by cause, one bar per variant: the session in \
                the other data centre (a user moved without it), a data centre down (the DNS and \
                the clients' cached answers had not caught up), the store down (under one global \
                store, when its data centre fails)."
            .into();
    }
    if let Some(variant) = stem.strip_prefix("datacenters-") {
        return format!(
            "Requests per second served by each data centre of the {variant} variant (dashed: \
             errors), and below, the users in a visit in each: look at the errors while the DNS \
             catches up after the failure, the users moving to the other data centre, and \
             moving back after it returns."
        );
    }
    if let Some(metric) = stem.strip_prefix("sweep-") {
        let label = crate::metrics::catalogue::get(metric).map_or(metric, |d| d.axis);
        return format!(
            "{} against the swept parameter, one line per variant, with its 95 % \
             confidence band when there are replications: look at how each design's cost grows \
             with the parameter, and where the lines part.",
            capitalised(label)
        );
    }
    format!("Chart {stem}.")
}

/// Each design's extra work per request as the summary's panel counts it, and what the model does
/// not count of it, so that a design that looks cheapest is not read as free of drawbacks.
fn extra_work(look: &Look, results: &[RunResult]) -> String {
    format!(
        " Extra work per request and what the model leaves out: {}",
        crate::charts::cost::caption(look, results)
    )
}
