//! The tables printed after a run: the comparison (one row per variant, the numbers a class looks
//! at, units in the headers, the best value of each column marked) and, with replications, the
//! paired differences from the first variant with their confidence intervals. The columns after
//! `requests` are the catalogue's [`COMPARED`] metrics: headers from their labels, decimals from
//! their units, the best mark from their direction (lower is better in every one, as the note
//! says: a test keeps it true). And the short table of a sweep: one row per point and variant.

use crate::metrics::RunResult;
use crate::metrics::catalogue::{Better, COMPARED, Metric};
use crate::stats::{self, Interval};
use crate::sweep::Param;
use comfy_table::{CellAlignment, ContentArrangement, Table, presets};

/// Decimals of a column's values.
fn decimals(m: Metric) -> usize {
    m.def().unit.shown_decimals()
}

/// The best of `means` under `better` (`None`: no direction, or every variant has the same).
fn best(means: &[f64], better: Better) -> Option<f64> {
    let pick = match better {
        Better::Lower => f64::min,
        Better::Higher => f64::max,
        Better::Neither => return None,
    };
    let first = *means.first()?;
    let best = means.iter().copied().fold(first, pick);
    means.iter().any(|&m| m != best).then_some(best)
}

fn format(i: Option<Interval>, decimals: usize) -> String {
    match i {
        None => "-".to_string(),
        Some(Interval {
            mean,
            half_width: None,
        }) => format!("{mean:.decimals$}"),
        Some(Interval {
            mean,
            half_width: Some(h),
        }) => {
            let d = decimals.max(1);
            format!("{mean:.d$} ± {h:.d$}")
        }
    }
}

/// The cells of the comparison table: one row per variant (each with its replications), with `*`
/// after the best mean of each column (none when every variant has the same value).
pub fn comparison(variants: &[Vec<RunResult>]) -> Vec<Vec<String>> {
    let cells: Vec<Vec<Option<Interval>>> = variants
        .iter()
        .map(|runs| COMPARED.iter().map(|m| m.over(runs)).collect())
        .collect();
    let best: Vec<Option<f64>> = COMPARED
        .iter()
        .enumerate()
        .map(|(c, m)| {
            let means: Vec<f64> = cells
                .iter()
                .filter_map(|row| row[c].map(|i| i.mean))
                .collect();
            best(&means, m.def().better)
        })
        .collect();
    variants
        .iter()
        .zip(&cells)
        .map(|(runs, row)| {
            let requests = Metric::Requests.over(runs).map_or(0.0, |i| i.mean);
            let mut out = vec![runs[0].variant.clone(), format!("{requests:.0}")];
            for (c, cell) in row.iter().enumerate() {
                let mark = match (cell, best[c]) {
                    (Some(i), Some(b)) if i.mean == b => " *",
                    _ => "",
                };
                out.push(format(*cell, decimals(COMPARED[c])) + mark);
            }
            out
        })
        .collect()
}

/// A table with `headers`, wrapped to fit `width` columns if given (a terminal's width), else
/// as wide as its content (piped to a file, it stays complete).
fn new_table(headers: Vec<&str>, width: Option<u16>) -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .force_no_tty()
        .set_header(headers.clone());
    if let Some(width) = width {
        table
            .set_width(width)
            .set_content_arrangement(ContentArrangement::Dynamic);
    }
    for c in 1..headers.len() {
        if let Some(column) = table.column_mut(c) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

/// The headline a teacher can read out, one sentence per variant: how many users had to log in
/// again and their share of the users active in the measured period, and how many visits saw an
/// error (means over replications, rounded).
pub fn headline(variants: &[Vec<RunResult>]) -> String {
    use crate::charts::format::thousands;
    let mean = |m: Metric, runs: &[RunResult]| m.over(runs).map_or(0.0, |i| i.mean);
    let mut text = String::new();
    for runs in variants {
        let forced = mean(Metric::UsersForcedLogin, runs).round() as u64;
        let active = mean(Metric::UsersActive, runs).round() as u64;
        let pct = mean(Metric::UsersForcedLoginPct, runs);
        let (visits, errored) = (
            mean(Metric::Visits, runs).round() as u64,
            mean(Metric::VisitsWithError, runs).round() as u64,
        );
        let who = match forced {
            1 => "1 user".to_string(),
            n => format!("{} users", thousands(n)),
        };
        text += &format!(
            "{}: {who} of {} active ({pct:.1} %) had to log in again; {} of {} visits saw an \
             error.\n",
            runs[0].variant,
            thousands(active),
            thousands(errored),
            thousands(visits),
        );
    }
    text
}

/// The comparison table as text, with its note: the confidence intervals with replications, the
/// `*` marks only when some column has one.
/// `width`: the terminal's, to wrap the table to (see [`new_table`]).
pub fn render(variants: &[Vec<RunResult>], width: Option<u16>) -> String {
    // The requests column of the comparison is left to the CSV and the report: the terminal
    // leads with what the designs cost people, and fits 80 columns.
    let mut headers = vec!["variant"];
    headers.extend(COMPARED.iter().map(|m| m.def().label));
    let mut table = new_table(headers, width);
    let rows = comparison(variants);
    let marked = rows.iter().flatten().any(|cell| cell.ends_with(" *"));
    for mut row in rows {
        row.remove(1);
        table.add_row(row);
    }
    let mut notes = Vec::new();
    if let Some(n) = variants.first().map(Vec::len).filter(|&n| n > 1) {
        notes.push(format!(
            "mean ± half-width of the 95 % confidence interval over {n} replications"
        ));
    }
    if marked {
        notes.push("* best in its column (lower is better)".to_string());
    }
    format!("{table}\n{}", note_lines(&notes))
}

/// Notes under a table, joined by `; ` on one line (nothing without notes).
fn note_lines(notes: &[String]) -> String {
    if notes.is_empty() {
        String::new()
    } else {
        notes.join("; ") + "\n"
    }
}

/// The short table `sweep` prints: one row per point and variant, the swept values, then
/// `metrics` (the mean, ± its 95 % half-width with replications; `-` where none exists).
/// `results[p][v]` holds the replications of variant `v` at point `p`.
pub fn render_sweep(
    params: &[Param],
    points: &[Vec<String>],
    results: &[Vec<Vec<RunResult>>],
    metrics: &[Metric],
    width: Option<u16>,
) -> String {
    let mut headers: Vec<&str> = params.iter().map(|p| p.key.as_str()).collect();
    headers.push("variant");
    let variant_column = headers.len() - 1;
    headers.extend(metrics.iter().map(|m| m.def().label));
    let mut table = new_table(headers, width);
    for c in 0..=variant_column {
        if let Some(column) = table.column_mut(c) {
            // The swept values are numbers (right), the variant a name (left).
            let left = c == variant_column;
            column.set_cell_alignment(if left {
                CellAlignment::Left
            } else {
                CellAlignment::Right
            });
        }
    }
    for (point, variants) in points.iter().zip(results) {
        let values = point
            .iter()
            .map(|kv| kv.split_once('=').map_or("", |(_, v)| v).to_string());
        for runs in variants {
            let mut row: Vec<String> = values.clone().collect();
            row.push(runs[0].variant.clone());
            row.extend(metrics.iter().map(|&m| format(m.over(runs), decimals(m))));
            table.add_row(row);
        }
    }
    let mut notes = Vec::new();
    if let Some(n) = results
        .first()
        .and_then(|v| v.first())
        .map(Vec::len)
        .filter(|&n| n > 1)
    {
        notes.push(format!(
            "mean ± half-width of the 95 % confidence interval over {n} replications"
        ));
    }
    format!("{table}\n{}", note_lines(&notes))
}

/// The cells of the differences table: for every variant after the first, per column, the mean
/// paired difference (variant − first) ± its 95 % half-width, marked `(n.s.)` when the interval
/// contains 0.
pub fn differences(variants: &[Vec<RunResult>]) -> Vec<Vec<String>> {
    let Some(base) = variants.first() else {
        return Vec::new();
    };
    variants[1..]
        .iter()
        .map(|runs| {
            let mut row = vec![format!("{} − {}", runs[0].variant, base[0].variant)];
            for &m in &COMPARED {
                let a: Vec<Option<f64>> = runs.iter().map(|r| m.value(r)).collect();
                let b: Vec<Option<f64>> = base.iter().map(|r| m.value(r)).collect();
                row.push(difference(stats::paired(&a, &b), decimals(m)));
            }
            row
        })
        .collect()
}

/// One cell of the differences table: the mean difference ± its half-width, `(n.s.)` when the
/// interval contains 0.
fn difference(i: Option<Interval>, decimals: usize) -> String {
    let d = decimals.max(1);
    match i {
        None => "-".to_string(),
        Some(i) if i.excludes(0.0) => {
            format!("{:+.d$} ± {:.d$}", i.mean, i.half_width.unwrap_or(0.0))
        }
        Some(i) => format(Some(i), decimals) + " (n.s.)",
    }
}

/// The differences table as text (empty with fewer than two variants).
pub fn render_differences(variants: &[Vec<RunResult>], width: Option<u16>) -> String {
    if variants.len() < 2 {
        return String::new();
    }
    let mut headers = vec!["difference"];
    headers.extend(COMPARED.iter().map(|m| m.def().label));
    let mut table = new_table(headers, width);
    for row in differences(variants) {
        table.add_row(row);
    }
    format!(
        "{table}\npaired differences over the same replications (common random numbers); \
         (n.s.): not significant, the 95 % interval contains 0\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Counts, Summary};

    fn result(name: &str, lost: u64, errors: u64) -> RunResult {
        let counts = Counts {
            authenticated: 10,
            errors_server_down: errors,
            ..Counts::default()
        };
        RunResult {
            variant: name.into(),
            summary: Summary {
                counts,
                sessions_lost: lost,
                // As many visits with an error as errors, of 100 users of whom none was
                // forced to log in.
                people: crate::metrics::People {
                    users_active: 100,
                    visits: 100,
                    visits_with_error: errors,
                    ..Default::default()
                },
                ..Summary::default()
            },
            ..RunResult::default()
        }
    }

    #[test]
    fn a_table_fits_the_width_it_is_given_and_is_complete_without_one() {
        let variants = [
            vec![result("sticky", 3027, 277)],
            vec![result("store", 0, 286)],
        ];
        let wide = render(&variants, None);
        assert!(wide.lines().any(|l| l.chars().count() > 80), "{wide}");
        assert!(wide.contains("imbalance (max/mean)"), "{wide}");
        let narrow = render(&variants, Some(80));
        assert!(
            narrow.lines().all(|l| l.chars().count() <= 80),
            "every line fits 80 columns:\n{narrow}"
        );
        assert!(
            narrow.contains("3027") && narrow.contains("sticky"),
            "{narrow}"
        );
    }

    /// One sentence per variant: 3 of 100 active users (3.0 %) forced to log in, 2 of 100
    /// visits with an error.
    #[test]
    fn the_headline_tells_each_variant_in_people() {
        let mut a = result("sticky", 5, 2);
        a.summary.people.users_forced_login = 3;
        let text = headline(&[vec![a], vec![result("store", 0, 0)]]);
        assert_eq!(
            text,
            "sticky: 3 users of 100 active (3.0 %) had to log in again; 2 of 100 visits saw an \
             error.\nstore: 0 users of 100 active (0.0 %) had to log in again; 0 of 100 visits \
             saw an error.\n"
        );
    }

    #[test]
    fn lower_is_better_in_every_column_as_the_note_says() {
        assert!(COMPARED.iter().all(|m| m.def().better == Better::Lower));
        assert_eq!(best(&[3.0, 1.0, 2.0], Better::Higher), Some(3.0));
        assert_eq!(best(&[3.0, 1.0], Better::Neither), None);
        assert_eq!(best(&[1.0, 1.0], Better::Lower), None);
    }

    #[test]
    fn the_best_value_is_marked_unless_all_are_equal() {
        let rows = comparison(&[vec![result("a", 5, 1)], vec![result("b", 0, 1)]]);
        // Columns: variant, requests, forced, forced %, visits with error, sessions lost, p50.
        assert_eq!(rows[0][5], "5");
        assert_eq!(rows[1][5], "0 *");
        assert_eq!(rows[0][4], "1", "equal visits with error: nobody is best");
        assert_eq!(
            rows[1][3], "0.00",
            "nobody forced to log in anywhere: no mark"
        );
        assert_eq!(rows[0][6], "-", "no latency without served requests");
    }

    #[test]
    fn replications_show_intervals_and_paired_differences() {
        // Sessions lost: a = 10, 12, 14 (mean 12, s = 2, t(2) = 4.303, h = 4.303 * 2 / sqrt 3
        // = 4.97); b = a - 10 exactly, so the paired difference is -10 with no spread.
        let a = vec![result("a", 10, 0), result("a", 12, 0), result("a", 14, 0)];
        let b = vec![result("b", 0, 0), result("b", 2, 0), result("b", 4, 0)];
        let rows = comparison(&[a.clone(), b.clone()]);
        assert_eq!(rows[0][5], "12.0 ± 5.0");
        let diffs = differences(&[a, b]);
        assert_eq!(diffs[0][0], "b − a");
        assert_eq!(diffs[0][4], "-10.0 ± 0.0");
        assert_eq!(
            diffs[0][3], "0.0 ± 0.0 (n.s.)",
            "visits with error do not differ"
        );
    }
}
