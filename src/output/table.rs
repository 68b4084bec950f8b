//! The comparison table printed after a run: one row per variant, the numbers a class looks at.

use crate::metrics::RunResult;
use crate::output::csv::failed_auth_pct;

/// The header and rows of the comparison table, as text cells.
pub fn comparison(results: &[RunResult]) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let header = vec![
        "variant",
        "failed auth %",
        "sessions lost",
        "errors",
        "p50 ms",
        "p99 ms",
        "imbalance",
    ];
    let ms = |us: Option<u64>| us.map_or("-".to_string(), |us| format!("{:.1}", us as f64 / 1e3));
    let rows = results
        .iter()
        .map(|r| {
            let s = &r.summary;
            vec![
                r.variant.clone(),
                failed_auth_pct(r).map_or("-".into(), |p| format!("{p:.2}")),
                s.sessions_lost.to_string(),
                s.counts.errors().to_string(),
                ms(s.latency.p50_us),
                ms(s.latency.p99_us),
                s.imbalance.map_or("-".into(), |x| format!("{x:.3}")),
            ]
        })
        .collect();
    (header, rows)
}

/// The comparison table as aligned plain text (text left, numbers right).
pub fn render(results: &[RunResult]) -> String {
    let (header, rows) = comparison(results);
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, &w))| {
                if i == 0 {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    out += &line(widths.iter().map(|&w| "-".repeat(w)).collect());
    for row in rows {
        out += &line(row);
    }
    out
}
