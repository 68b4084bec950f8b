//! The adapter from a sweep's results to [`SweepChart`]s: one chart per main metric, its mean
//! over the replications against the first swept parameter, one line per variant, titled and
//! labelled in words (the catalogue's axis titles), with theory's curves where it has one.

use super::from_results::nested_width;
use super::look::Look;
use super::model::{Chart, SweepChart, SweepSeries, TheoryCurve};
use super::palette::Design;
use crate::metrics::RunResult;
use crate::metrics::catalogue::Metric;
use crate::stats;
use crate::sweep::Param;

/// The metrics drawn, by catalogue key; each chart's y axis is the metric's axis title.
pub const SWEEP_METRICS: [Metric; 5] = [
    Metric::FailedAuthPct,
    Metric::SessionsLost,
    Metric::Errors,
    Metric::LatencyP99Ms,
    Metric::RemappedPct,
];

/// The replications of each variant at one point: `[variant][replication]`.
type Point = Vec<Vec<RunResult>>;

/// One chart per metric of [`SWEEP_METRICS`] that has a value somewhere, named
/// `sweep-<metric>`. `results[p][v]` holds the replications of variant `v` at point `p`;
/// `points` are in the order of [`crate::sweep::points`] (first param slowest). With several
/// params, only the points where the others take their first value are drawn.
pub fn charts(
    look: &Look,
    params: &[Param],
    points: &[Vec<String>],
    results: &[Point],
) -> Vec<Chart> {
    let Some(first) = params.first() else {
        return Vec::new();
    };
    let n = first.values.len();
    if n == 0 || points.is_empty() || results.len() != points.len() {
        return Vec::new();
    }
    let stride = points.len() / n;
    let chosen: Vec<&Point> = (0..n).filter_map(|i| results.get(i * stride)).collect();
    let (xs, x_ticks) = x_axis(first);
    let others: Vec<String> = params[1..]
        .iter()
        .filter_map(|p| Some(format!("{}={}", p.key, p.values.first()?)))
        .collect();
    let x_label = x_label(&first.key, &chosen);
    SWEEP_METRICS
        .iter()
        .filter_map(|&metric| {
            let series = series(look, metric, &chosen, &xs);
            if series.is_empty() {
                return None;
            }
            let name = metric.name();
            let mut title = format!(
                "{} by {}",
                capitalised(metric.def().axis),
                param_name(&first.key)
            );
            if !others.is_empty() {
                title.push_str(&format!(", at {}", others.join(", ")));
            }
            let theory = match x_ticks.is_empty() {
                true => theory(look, metric, &first.key, &series),
                false => Vec::new(),
            };
            Some(Chart::Sweep(SweepChart {
                name: format!("sweep-{name}"),
                title,
                x_label: x_label.clone(),
                y_label: metric.def().axis.to_string(),
                x_ticks: x_ticks.clone(),
                series,
                theory,
            }))
        })
        .collect()
}

/// `text` with its first letter in capitals.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// A swept key in words: `servers.count` → `number of servers`; other keys as they are.
pub fn param_name(key: &str) -> String {
    let words = match key {
        "servers.count" => "number of servers",
        "servers.workers" => "workers per server",
        "users.visits_per_s" => "visits per second",
        "users.session_ttl" => "session lifetime",
        "balancer.policy" => "routing policy",
        "balancer.virtual_nodes" => "virtual nodes per server",
        "sessions.storage" => "where sessions live",
        "store.replicas" => "store replicas",
        "store.nodes" => "store nodes",
        _ => return key.to_string(),
    };
    words.to_string()
}

/// Theory's curves for `metric` over the swept `key`: the share of logged-in users remapped when
/// one server joins N, N/(N+1) for hash mod N and 1/(N+1) for consistent hashing.
fn theory(look: &Look, metric: Metric, key: &str, series: &[SweepSeries]) -> Vec<TheoryCurve> {
    if metric != Metric::RemappedPct || key != "servers.count" {
        return Vec::new();
    }
    series
        .iter()
        .filter_map(|s| {
            let v = look.variants.iter().find(|v| v.name == s.label)?;
            let (label, share): (&str, fn(f64) -> f64) = match v.design? {
                Design::HashMod => ("theory N/(N+1)", |n| n / (n + 1.0)),
                Design::ConsistentHash => ("theory 1/(N+1)", |n| 1.0 / (n + 1.0)),
                _ => return None,
            };
            Some(TheoryCurve {
                label: format!("{}: {label}", s.label),
                colour: s.colour,
                points: s.points.iter().map(|p| (p.0, 100.0 * share(p.0))).collect(),
            })
        })
        .collect()
}

/// The x of each value of the first param: the value itself when all are numbers, else its
/// position, with the values as tick labels.
fn x_axis(first: &Param) -> (Vec<f64>, Vec<(f64, String)>) {
    let numbers: Option<Vec<f64>> = first
        .values
        .iter()
        .map(|v| v.parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect();
    match numbers {
        Some(xs) => (xs, Vec::new()),
        None => first
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64, (i as f64, v.clone())))
            .unzip(),
    }
}

/// The x axis's description: the key, and how to read lines and bands with replications.
fn x_label(key: &str, chosen: &[&Point]) -> String {
    let words = param_name(key);
    let key = match words == key {
        true => key.to_string(),
        false => format!("{words} ({key})"),
    };
    let replications = chosen
        .iter()
        .flat_map(|variants| variants.iter().map(Vec::len))
        .max()
        .unwrap_or(0);
    if replications > 1 {
        format!(
            "{key} (lines: mean of {replications} replications; bands: 95 % confidence interval)"
        )
    } else {
        key.to_string()
    }
}

/// One line per variant through the means of `metric` at the `chosen` points. A variant without
/// the metric (remapped_pct of a shared store) gets no line and no legend entry; the others keep
/// their colours.
fn series(look: &Look, metric: Metric, chosen: &[&Point], xs: &[f64]) -> Vec<SweepSeries> {
    let variant_count = chosen.first().map_or(0, |v| v.len());
    (0..variant_count)
        .map(|v| SweepSeries {
            label: chosen
                .iter()
                .find_map(|variants| variants.get(v)?.first())
                .map_or_else(String::new, |r| r.variant.clone()),
            colour: look.colour(v),
            width: nested_width(v, variant_count),
            points: chosen
                .iter()
                .zip(xs)
                .filter_map(|(variants, &x)| {
                    let values: Vec<f64> = variants
                        .get(v)?
                        .iter()
                        .filter_map(|r| metric.value(r))
                        .filter(|y| y.is_finite())
                        .collect();
                    let i = stats::interval(&values)?;
                    Some((x, i.mean, i.half_width))
                })
                .collect(),
        })
        .filter(|s| !s.points.is_empty())
        .collect()
}

/// The variants of a sweep's results, in their order.
pub fn variant_names(results: &[Vec<Vec<RunResult>>]) -> Vec<&str> {
    results
        .first()
        .map(|variants| {
            variants
                .iter()
                .filter_map(|runs| runs.first().map(|r| r.variant.as_str()))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::tests::sample;
    use crate::sweep::{parse_param, points};

    #[test]
    fn only_the_first_values_of_the_other_params_are_drawn() {
        let params = [
            parse_param("balancer.policy=sticky,random").unwrap(),
            parse_param("servers.count=2,4").unwrap(),
        ];
        let points = points(&params).unwrap();
        let results: Vec<Vec<Vec<RunResult>>> = (0..points.len())
            .map(|_| sample().into_iter().map(|r| vec![r.clone(), r]).collect())
            .collect();
        let look = Look::plain(&sample());
        let charts = charts(&look, &params, &points, &results);
        let Some(Chart::Sweep(c)) = charts.iter().find(|c| c.name() == "sweep-errors") else {
            panic!("an errors chart");
        };
        assert_eq!(
            c.title,
            "Errors (requests) by routing policy, at servers.count=2"
        );
        assert_eq!(
            c.x_label,
            "routing policy (balancer.policy) (lines: mean of 2 replications; bands: 95 % confidence interval)"
        );
        assert_eq!(c.x_ticks, [(0.0, "sticky".into()), (1.0, "random".into())]);
        assert_eq!(c.series.len(), 2);
        assert_eq!(c.series[0].label, "sticky");
        assert_eq!(c.series[0].points.len(), 2);
        // Identical replications: an interval of width zero.
        assert_eq!(c.series[0].points[0].2, Some(0.0));
    }
}
