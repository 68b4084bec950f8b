//! `sweep-report.html`, the page of `tiersim sweep`: one self-contained page with what was swept, how to
//! read it, every sweep chart, the numbers behind them, and the parameters of the variants.
//!
//! Like the run report, a pure function of its inputs: no network, no script, no clock; every
//! text from the scenario or the command line is escaped. The table (`<table id="sweep">`) has
//! one row per point and variant, with the main metrics as mean ± half-width of the 95 %
//! interval when there are replications.

use super::{close_page, escape, figures, lesson, open_page, parameters_section, variant_cell};
use crate::charts::ChartFile;
use crate::charts::from_sweep::SWEEP_METRICS;
use crate::metrics::RunResult;
use crate::metrics::catalogue::Metric;
use crate::scenario::{Experiment, Variant};
use crate::stats::Interval;
use crate::sweep::Param;
use std::fmt::Write;

/// The page. `experiment` is the scenario at the first point (its title, lesson and variants);
/// `results[p][v]` holds the replications of variant `v` at point `p`, in the order of
/// `points`; `charts` are the sweep charts (their SVGs are embedded).
pub fn html(
    experiment: &Experiment,
    params: &[Param],
    points: &[Vec<String>],
    results: &[Vec<Vec<RunResult>>],
    charts: &[ChartFile],
) -> String {
    let extra: usize = charts.iter().map(|c| c.bytes.len()).sum();
    let mut page = open_page(&format!("Sweep: {}", experiment.title), extra);
    page += &header(experiment, params, points, results);
    page += &lesson(&experiment.description);
    page += HOW_TO_READ;
    page += &figures(charts, super::caption);
    let names = crate::charts::from_sweep::variant_names(results);
    let look = crate::charts::look::Look::named(experiment, &names);
    page += &table(&look, params, points, results);
    let ran: Vec<&Variant> = experiment
        .variants
        .iter()
        .filter(|v| {
            results
                .iter()
                .flatten()
                .any(|runs| runs[0].variant == v.name)
        })
        .collect();
    page += &parameters_section(&ran);
    page += &close_page(&experiment.name);
    page
}

const HOW_TO_READ: &str = "<section id=\"how-to-read\">\n<h2>How to read a sweep</h2>\n<p>Each \
    point of the sweep is the same scenario with the swept keys set to one combination of values; \
    every variant runs at every point on the same seed, so the variants meet the same users. Each \
    chart draws one metric against the first swept key, one line per variant; with replications \
    the line is the mean and the shaded band its 95 % confidence interval, so where two bands do \
    not overlap the difference is not chance. The table under the charts holds every number \
    drawn.</p>\n</section>\n";

fn header(
    experiment: &Experiment,
    params: &[Param],
    points: &[Vec<String>],
    results: &[Vec<Vec<RunResult>>],
) -> String {
    let replications = results.first().and_then(|p| p.first()).map_or(0, Vec::len);
    let variants = results.first().map_or(0, Vec::len);
    let swept: Vec<String> = params
        .iter()
        .map(|p| {
            format!(
                "<code>{}</code> = {}",
                escape(&p.key),
                escape(&p.values.join(", "))
            )
        })
        .collect();
    let mut out = String::from("<header>\n");
    let _ = writeln!(out, "<h1>Sweep: {}</h1>", escape(&experiment.title));
    let _ = writeln!(
        out,
        "<p class=\"meta\">Scenario <code>{}</code>; swept: {}; {} point{} × {} variant{} × {} \
         replication{}.</p>",
        escape(&experiment.name),
        swept.join("; "),
        points.len(),
        plural(points.len()),
        variants,
        plural(variants),
        replications,
        plural(replications)
    );
    out += "</header>\n";
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A metric over the replications of one variant, written as in `sweep.csv`: the mean, ± the
/// half-width of its 95 % interval when there are several; `–` where it does not exist.
fn mean_text(m: Metric, runs: &[RunResult]) -> String {
    let d = m.def();
    match m.over(runs) {
        None => "–".to_string(),
        Some(Interval {
            mean,
            half_width: None,
        }) => format!("{mean:.p$}", p = d.mean_decimals(runs.len())),
        Some(Interval {
            mean,
            half_width: Some(h),
        }) => format!(
            "{mean:.p$} ± {h:.q$}",
            p = d.mean_decimals(runs.len()),
            q = d.ci95_decimals()
        ),
    }
}

/// One row per point and variant: the swept values, the variant, and each main metric.
fn table(
    look: &crate::charts::look::Look,
    params: &[Param],
    points: &[Vec<String>],
    results: &[Vec<Vec<RunResult>>],
) -> String {
    let mut out = String::from(
        "<section id=\"numbers\">\n<h2>The numbers</h2>\n<table id=\"sweep\">\n<thead><tr>",
    );
    for p in params {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(&p.key));
    }
    out += "<th scope=\"col\">variant</th>";
    for m in SWEEP_METRICS {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(m.def().axis));
    }
    out += "</tr></thead>\n<tbody>\n";
    for (point, variants) in points.iter().zip(results) {
        for (i, runs) in variants.iter().enumerate() {
            out += "<tr>";
            for set in point {
                let value = set.split_once('=').map_or(set.as_str(), |(_, v)| v);
                let _ = write!(out, "<td>{}</td>", escape(value));
            }
            let _ = write!(
                out,
                "<th scope=\"row\">{}</th>",
                variant_cell(look.colour(i), &runs[0].variant)
            );
            for m in SWEEP_METRICS {
                let _ = write!(out, "<td>{}</td>", escape(&mean_text(m, runs)));
            }
            out += "</tr>\n";
        }
    }
    out += "</tbody>\n</table>\n<p class=\"note\">Means over the replications, ± the half-width \
            of the Student-t 95 % interval when there are several; – where the metric does not \
            exist (e.g. users remapped under a policy that does not pin users). The same numbers, \
            with every metric, are in <code>sweep.csv</code>.</p>\n</section>\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::simulate;

    const SCENARIO: &str = r#"
name = "grow"
title = "Adding <one> server"
description = "What one more server costs each policy."
duration = "3m"
warmup = "1m"
bucket = "30s"
[users]
visits_per_s = 5
requests_per_visit = 5
[[events]]
at = "2m"
action = "add_servers"
count = 1
[[variants]]
name = "hash"
set = { "balancer.policy" = "hash_mod" }
[[variants]]
name = "ring"
set = { "balancer.policy" = "consistent_hash" }
"#;

    fn sweep(replications: u64) -> (Experiment, Vec<Param>, Vec<Vec<String>>, String) {
        let params = vec![crate::sweep::parse_param("servers.count=2,4").unwrap()];
        let points = crate::sweep::points(&params).unwrap();
        let experiments: Vec<Experiment> = points
            .iter()
            .map(|p| crate::config::parse("grow.toml", SCENARIO, p, None).unwrap())
            .collect();
        let results: Vec<Vec<Vec<RunResult>>> = experiments
            .iter()
            .map(|e| {
                e.variants
                    .iter()
                    .map(|v| {
                        (0..replications)
                            .map(|i| {
                                let mut sc = v.scenario.clone();
                                sc.seed += i;
                                simulate(&v.name, &sc)
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let names = crate::charts::from_sweep::variant_names(&results);
        let look = crate::charts::look::Look::named(&experiments[0], &names);
        let charts: Vec<ChartFile> =
            crate::charts::from_sweep::charts(&look, &params, &points, &results)
                .iter()
                .flat_map(|c| crate::charts::render(c).unwrap())
                .collect();
        let page = html(&experiments[0], &params, &points, &results, &charts);
        (experiments[0].clone(), params, points, page)
    }

    #[test]
    fn the_page_has_every_chart_and_a_row_per_point_and_variant() {
        let (_, _, points, page) = sweep(2);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<h1>Sweep: Adding &lt;one&gt; server</h1>"));
        assert!(page.contains("2 points × 2 variants × 2 replications"));
        let figures = page
            .matches("<figure class=\"chart\" id=\"chart-sweep-")
            .count();
        assert!(figures >= 3, "{figures} sweep charts");
        let table = &page[page.find("<table id=\"sweep\">").unwrap()..];
        let body = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
        assert_eq!(body.matches("<tr>").count(), points.len() * 2);
        assert!(body.contains("<tr><td>2</td><th scope=\"row\">"), "{body}");
        assert!(body.contains(" ± "), "intervals with replications");
    }

    #[test]
    fn the_page_needs_nothing_from_outside() {
        let (_, _, _, page) = sweep(1);
        for needle in [
            "<script", "<link", "<img", " src=", " href=", "@import", "url(",
        ] {
            assert!(!page.contains(needle), "{needle}");
        }
        let body = &page[page.find("<tbody>").unwrap()..page.find("</tbody>").unwrap()];
        assert!(!body.contains(" ± "), "no interval with one replication");
    }
}
