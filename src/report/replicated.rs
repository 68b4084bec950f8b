//! The comparison of a run with replications: each variant's mean over its replications ± the
//! half-width of the 95 % confidence interval, written with the decimals of `summary.csv` (so
//! the page, the file and the summary chart show the same means), and the paired differences
//! from the first variant, the table the terminal prints under its comparison.

use super::{compared, escape, variant_cell};
use crate::charts::format::grouped;
use crate::metrics::RunResult;
use crate::metrics::catalogue::{COMPARED, Metric};
use crate::output::table;
use std::fmt::Write;

/// One metric over the replications of a variant: `mean ± half-width`, `–` where it does not
/// exist.
pub(crate) fn mean_text(m: Metric, runs: &[RunResult]) -> String {
    let d = m.def();
    match m.over(runs) {
        None => "–".to_string(),
        Some(i) => {
            let decimals = d.mean_decimals(runs.len());
            let mean = grouped(&format!("{:.decimals$}", i.mean));
            match i.half_width {
                None => mean,
                Some(h) => {
                    let hd = d.ci95_decimals();
                    format!("{mean} ± {}", grouped(&format!("{h:.hd$}")))
                }
            }
        }
    }
}

/// The comparison table: one row per variant, its means ± half-widths.
pub fn comparison(look: &crate::charts::look::Look, variants: &[Vec<RunResult>]) -> String {
    let n = variants.first().map_or(0, Vec::len);
    let mut out = String::from(
        "<section id=\"results\">\n<h2>Comparison</h2>\n<table id=\"comparison\">\n<thead><tr>\
         <th scope=\"col\">variant</th>",
    );
    for m in compared() {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(m.def().label));
    }
    out += "</tr></thead>\n<tbody>\n";
    for (i, runs) in variants.iter().enumerate() {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th>",
            variant_cell(look.colour(i), &runs[0].variant)
        );
        for m in compared() {
            let _ = write!(out, "<td>{}</td>", escape(&mean_text(m, runs)));
        }
        out += "</tr>\n";
    }
    let _ = write!(
        out,
        "</tbody>\n</table>\n<p class=\"note\">Means over {n} replications ± the half-width of \
         their 95 % confidence interval, as in <code>summary.csv</code> (its <code>_ci95</code> \
         columns) and the terminal. Requests sent after the warm-up. Failed auth (%): \
         authenticated requests that found no valid session. Errors: requests not served. Users \
         remapped: users moved to another server by changes of membership.</p>\n</section>\n"
    );
    out
}

/// The paired differences from the first variant (nothing with fewer than two variants).
pub fn differences(variants: &[Vec<RunResult>]) -> String {
    if variants.len() < 2 {
        return String::new();
    }
    let mut out = String::from(
        "<section id=\"differences\">\n<h2>Paired differences</h2>\n<table id=\"differences\">\n\
         <thead><tr><th scope=\"col\">difference</th>",
    );
    for m in COMPARED {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(m.def().label));
    }
    out += "</tr></thead>\n<tbody>\n";
    for row in table::differences(variants) {
        let mut cells = row.into_iter();
        let head = cells.next().unwrap_or_default();
        let _ = write!(out, "<tr><th scope=\"row\">{}</th>", escape(&head));
        for cell in cells {
            let _ = write!(out, "<td>{}</td>", escape(&cell));
        }
        out += "</tr>\n";
    }
    out += "</tbody>\n</table>\n<p class=\"note\">Each variant minus the first, replication by \
            replication (the variants of a replication share their users and random numbers), \
            then the mean ± the half-width of its 95 % interval; (n.s.): not significant, the \
            interval contains 0. The same table as the terminal's.</p>\n</section>\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Counts, Summary};

    fn run(name: &str, errors: u64) -> RunResult {
        RunResult {
            variant: name.into(),
            summary: Summary {
                counts: Counts {
                    authenticated: 1_000,
                    errors_server_down: errors,
                    ..Counts::default()
                },
                sent: 1_000,
                ..Summary::default()
            },
            ..RunResult::default()
        }
    }

    /// Errors 1,000, 1,002, 1,004: mean 1,002; s = 2, s/√3 = 1.1547, t(2) = 4.3027: 4.968.
    #[test]
    fn a_replicated_cell_is_the_mean_with_thousands_and_its_half_width() {
        let runs = [run("a", 1_000), run("a", 1_002), run("a", 1_004)];
        assert_eq!(mean_text(Metric::Errors, &runs), "1,002.0 ± 5.0");
    }

    #[test]
    fn the_differences_table_has_a_row_per_variant_after_the_first() {
        let variants = vec![
            vec![run("a", 10), run("a", 12), run("a", 11)],
            vec![run("b", 20), run("b", 23), run("b", 21)],
        ];
        let html = differences(&variants);
        assert_eq!(html.matches("<tr><th scope=\"row\">").count(), 1);
        assert!(html.contains("b − a"), "{html}");
    }
}
