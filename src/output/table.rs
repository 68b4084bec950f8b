//! The comparison table printed after a run: one row per variant, the numbers a class looks at,
//! with units in the headers and the best value of each column marked.

use crate::metrics::RunResult;
use crate::output::csv::failed_auth_pct;
use comfy_table::{CellAlignment, Table, presets};

/// Headers of the comparison table.
pub const HEADERS: [&str; 8] = [
    "variant",
    "requests",
    "failed auth (%)",
    "sessions lost",
    "errors",
    "p50 (ms)",
    "p99 (ms)",
    "imbalance (max/mean)",
];

/// The numbers of one row (`None`: does not exist); lower is better in every column but the first.
fn numbers(r: &RunResult) -> [Option<f64>; 6] {
    let s = &r.summary;
    let ms = |us: Option<u64>| us.map(|us| us as f64 / 1e3);
    [
        failed_auth_pct(r),
        Some(s.sessions_lost as f64),
        Some(s.counts.errors() as f64),
        ms(s.latency.p50_us),
        ms(s.latency.p99_us),
        s.imbalance,
    ]
}

/// The cells of the comparison table, with `*` after the best value of each column (none when
/// every variant has the same value).
pub fn comparison(results: &[RunResult]) -> Vec<Vec<String>> {
    let rows: Vec<[Option<f64>; 6]> = results.iter().map(numbers).collect();
    let decimals = [2, 0, 0, 1, 1, 3];
    let best: Vec<Option<f64>> = (0..6)
        .map(|c| {
            let values: Vec<f64> = rows.iter().filter_map(|r| r[c]).collect();
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let all_same = values.iter().all(|&v| v == min);
            (!values.is_empty() && !all_same).then_some(min)
        })
        .collect();
    results
        .iter()
        .zip(&rows)
        .map(|(r, row)| {
            let mut cells = vec![r.variant.clone(), r.summary.sent.to_string()];
            for c in 0..6 {
                cells.push(match row[c] {
                    None => "-".to_string(),
                    Some(v) => {
                        let mark = if Some(v) == best[c] { " *" } else { "" };
                        format!("{v:.prec$}{mark}", prec = decimals[c])
                    }
                });
            }
            cells
        })
        .collect()
}

/// The comparison table as text.
pub fn render(results: &[RunResult]) -> String {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_header(HEADERS);
    for row in comparison(results) {
        table.add_row(row);
    }
    for c in 1..HEADERS.len() {
        if let Some(column) = table.column_mut(c) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    format!("{table}\n* best in its column (lower is better)\n")
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
                ..Summary::default()
            },
            ..RunResult::default()
        }
    }

    #[test]
    fn the_best_value_is_marked_unless_all_are_equal() {
        let rows = comparison(&[result("a", 5, 1), result("b", 0, 1)]);
        assert_eq!(rows[0][3], "5");
        assert_eq!(rows[1][3], "0 *");
        assert_eq!(rows[0][4], "1", "equal errors: nobody is best");
        assert_eq!(rows[1][2], "0.00", "no failed auth anywhere: no mark");
        assert_eq!(rows[0][5], "-", "no latency without served requests");
    }
}
