//! The "Where it came from" table: per variant, the failed authentications and errors by cause,
//! and what keeping sessions cost (store reads, cache hits, copies to backups, mean latency).
//!
//! A column appears only if some variant has a value in it other than zero, so a scenario about
//! crashes does not show eviction columns full of zeros.

use super::escape::html as escape;
use crate::charts::format::{number, thousands};
use crate::metrics::RunResult;
use std::fmt::Write;

/// A column: header, and the count of one run.
type Column = (&'static str, fn(&RunResult) -> u64);

/// Every column, in reading order.
const COLUMNS: [Column; 13] = [
    ("failed auth: on another server", |r| {
        r.summary.counts.failed_elsewhere
    }),
    ("failed auth: session lost", |r| {
        r.summary.counts.failed_lost
    }),
    ("failed auth: expired", |r| r.summary.counts.failed_expired),
    ("failed auth: evicted", |r| r.summary.counts.failed_evicted),
    ("errors: server down", |r| {
        r.summary.counts.errors_server_down
    }),
    ("errors: server queue full", |r| {
        r.summary.counts.errors_queue_full
    }),
    ("errors: store down", |r| r.summary.counts.errors_store_down),
    ("errors: store busy", |r| r.summary.counts.errors_store_busy),
    ("sessions expired", |r| r.summary.sessions_expired),
    ("sessions evicted", |r| r.summary.sessions_evicted),
    ("store reads", |r| r.summary.store_reads),
    ("local cache hits", |r| r.summary.cache_hits),
    ("copies to backups", |r| r.summary.session_copies),
];

/// The section as HTML.
pub fn section(results: &[RunResult]) -> String {
    let shown: Vec<&Column> = COLUMNS
        .iter()
        .filter(|(_, value)| results.iter().any(|r| value(r) > 0))
        .collect();
    let mut out = String::from(
        "<section id=\"causes\">\n<h2>Where it came from</h2>\n<table id=\"causes-table\">\n\
         <thead><tr><th scope=\"col\">variant</th>",
    );
    for (header, _) in &shown {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(header));
    }
    out += "<th scope=\"col\">mean latency ms</th></tr></thead>\n<tbody>\n";
    for (i, r) in results.iter().enumerate() {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th>",
            super::variant_cell(i, &r.variant)
        );
        for (_, value) in &shown {
            let _ = write!(out, "<td>{}</td>", thousands(value(r)));
        }
        let mean = r.summary.latency.mean_us;
        let mean = mean.map_or_else(|| "–".to_string(), |us| number(us / 1e3));
        let _ = writeln!(out, "<td>{}</td></tr>", escape(&mean));
    }
    out += "</tbody>\n</table>\n<p class=\"note\">Counts over the measured period; a column \
            appears when some variant has one. Failed authentications by why the session was \
            not valid where the request was served; errors by why the request was not served. \
            Store reads, local cache hits and copies to backups are what keeping sessions cost \
            each design.</p>\n</section>\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Counts, Summary};

    fn run(variant: &str, evicted: u64) -> RunResult {
        RunResult {
            variant: variant.into(),
            summary: Summary {
                counts: Counts {
                    failed_evicted: evicted,
                    failed_lost: 3,
                    ..Counts::default()
                },
                sessions_evicted: evicted * 2,
                ..Summary::default()
            },
            ..RunResult::default()
        }
    }

    #[test]
    fn only_the_columns_with_a_count_appear() {
        let html = section(&[run("roomy", 0), run("small", 1_200)]);
        let column = |name: &str| html.contains(&format!("<th scope=\"col\">{name}</th>"));
        assert!(column("failed auth: evicted"));
        assert!(column("sessions evicted"));
        assert!(column("failed auth: session lost"));
        assert!(!column("errors: store busy"));
        assert!(!column("local cache hits"));
        assert!(html.contains("<td>1,200</td><td>2,400</td>"), "{html}");
    }
}
