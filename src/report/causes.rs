//! The "Where it came from" table: per variant, the failed authentications and errors by cause,
//! and what keeping sessions cost (store reads, cache hits, copies to backups, mean latency).
//!
//! A column appears only if some variant has a value in it other than zero, so a scenario about
//! crashes does not show eviction columns full of zeros.

use super::escape::html as escape;
use crate::charts::format::{number, thousands};
use crate::metrics::RunResult;
use crate::metrics::catalogue::Metric;
use std::fmt::Write;

/// The counts, in reading order, by catalogue key (headers are the catalogue's labels).
const COLUMNS: [Metric; 13] = [
    Metric::FailedAuthElsewhere,
    Metric::FailedAuthLost,
    Metric::FailedAuthExpired,
    Metric::FailedAuthEvicted,
    Metric::ErrorsServerDown,
    Metric::ErrorsQueueFull,
    Metric::ErrorsStoreDown,
    Metric::ErrorsStoreBusy,
    Metric::SessionsExpired,
    Metric::SessionsEvicted,
    Metric::StoreReads,
    Metric::CacheHits,
    Metric::SessionCopies,
];

/// The last column, shown for every variant.
const LATENCY: Metric = Metric::LatencyMeanMs;

/// A count of one run (every column is a count, which always exists).
fn count(m: Metric, r: &RunResult) -> u64 {
    m.value(r).map_or(0, |x| x as u64)
}

/// The section as HTML.
pub fn section(look: &crate::charts::look::Look, results: &[RunResult]) -> String {
    let shown: Vec<Metric> = COLUMNS
        .into_iter()
        .filter(|&m| results.iter().any(|r| count(m, r) > 0))
        .collect();
    let mut out = String::from(
        "<section id=\"causes\">\n<h2>Where it came from</h2>\n<table id=\"causes-table\">\n\
         <thead><tr><th scope=\"col\">variant</th>",
    );
    for m in &shown {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(m.def().label));
    }
    let _ = writeln!(
        out,
        "<th scope=\"col\">{}</th></tr></thead>\n<tbody>",
        escape(LATENCY.def().label)
    );
    for (i, r) in results.iter().enumerate() {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th>",
            super::variant_cell(look.colour(i), &r.variant)
        );
        for &m in &shown {
            let _ = write!(out, "<td>{}</td>", thousands(count(m, r)));
        }
        let mean = LATENCY.value(r).map_or_else(|| "–".to_string(), number);
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
        let results = [run("roomy", 0), run("small", 1_200)];
        let html = section(&crate::charts::look::Look::plain(&results), &results);
        let column = |name: &str| html.contains(&format!("<th scope=\"col\">{name}</th>"));
        assert!(column("failed auth: evicted"));
        assert!(column("sessions evicted"));
        assert!(column("failed auth: session lost"));
        assert!(!column("errors: store busy"));
        assert!(!column("local cache hits"));
        assert!(html.contains("<td>1,200</td><td>2,400</td>"), "{html}");
    }
}
