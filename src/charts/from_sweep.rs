//! The adapter from a sweep's results to [`SweepChart`]s: one chart per main metric, its mean
//! over the replications against the first swept parameter, one line per variant.

use super::from_results::nested_width;
use super::model::{Chart, SweepChart, SweepSeries};
use super::palette;
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

/// One chart per metric of [`SWEEP_METRICS`] that has a value somewhere, named
/// `sweep-<metric>`. `results[p][v]` holds the replications of variant `v` at point `p`;
/// `points` are in the order of [`crate::sweep::points`] (first param slowest). With several
/// params, only the points where the others take their first value are drawn.
pub fn charts(
    params: &[Param],
    points: &[Vec<String>],
    results: &[Vec<Vec<RunResult>>],
) -> Vec<Chart> {
    let Some(first) = params.first() else {
        return Vec::new();
    };
    let n = first.values.len();
    if n == 0 || points.is_empty() || results.len() != points.len() {
        return Vec::new();
    }
    let stride = points.len() / n;
    let chosen: Vec<&Vec<Vec<RunResult>>> =
        (0..n).filter_map(|i| results.get(i * stride)).collect();
    let numbers: Option<Vec<f64>> = first
        .values
        .iter()
        .map(|v| v.parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect();
    let (xs, x_ticks): (Vec<f64>, Vec<(f64, String)>) = match numbers {
        Some(xs) => (xs, Vec::new()),
        None => (
            (0..n).map(|i| i as f64).collect(),
            first
                .values
                .iter()
                .enumerate()
                .map(|(i, v)| (i as f64, v.clone()))
                .collect(),
        ),
    };
    let others: Vec<String> = params[1..]
        .iter()
        .filter_map(|p| Some(format!("{}={}", p.key, p.values.first()?)))
        .collect();
    let replications = chosen
        .iter()
        .flat_map(|variants| variants.iter().map(Vec::len))
        .max()
        .unwrap_or(0);
    let x_label = if replications > 1 {
        format!(
            "{} (lines: mean of {replications} replications; bands: 95 % confidence interval)",
            first.key
        )
    } else {
        first.key.clone()
    };
    let variant_count = chosen.first().map_or(0, |v| v.len());

    SWEEP_METRICS
        .iter()
        .filter_map(|&metric| {
            let (name, y_label) = (metric.name(), metric.def().axis);
            let series: Vec<SweepSeries> = (0..variant_count)
                .map(|v| SweepSeries {
                    label: chosen
                        .iter()
                        .find_map(|variants| variants.get(v)?.first())
                        .map_or_else(String::new, |r| r.variant.clone()),
                    colour: palette::variant(v),
                    width: nested_width(v, variant_count),
                    points: chosen
                        .iter()
                        .zip(&xs)
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
                .collect();
            // A variant without the metric (remapped_pct of a shared store) gets no line and no
            // legend entry; the others keep their colours.
            let series: Vec<SweepSeries> = series
                .into_iter()
                .filter(|s| !s.points.is_empty())
                .collect();
            if series.is_empty() {
                return None;
            }
            let mut title = format!("{name} vs {}", first.key);
            if !others.is_empty() {
                title.push_str(&format!(", at {}", others.join(", ")));
            }
            Some(Chart::Sweep(SweepChart {
                name: format!("sweep-{name}"),
                title,
                x_label: x_label.clone(),
                y_label: y_label.to_string(),
                x_ticks: x_ticks.clone(),
                series,
            }))
        })
        .collect()
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
        let charts = charts(&params, &points, &results);
        let Some(Chart::Sweep(c)) = charts.iter().find(|c| c.name() == "sweep-errors") else {
            panic!("an errors chart");
        };
        assert_eq!(c.title, "errors vs balancer.policy, at servers.count=2");
        assert_eq!(c.x_ticks, [(0.0, "sticky".into()), (1.0, "random".into())]);
        assert_eq!(c.series.len(), 2);
        assert_eq!(c.series[0].label, "sticky");
        assert_eq!(c.series[0].points.len(), 2);
        // Identical replications: an interval of width zero.
        assert_eq!(c.series[0].points[0].2, Some(0.0));
    }
}
