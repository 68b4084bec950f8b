//! The story of several data centres: for each variant, what the failover and the failback
//! cost (users moved, users forced to log in, requests lost while the DNS caught up, sessions
//! lost, the latency paid), told from the rows of `events.csv` and the summary. Nothing for a
//! run of one data centre.

use super::escape::html as escape;
use crate::events::EventAction;
use crate::metrics::{EventRow, RunResult};
use std::fmt::Write;

/// The "Failover and failback" section, or nothing without data centres.
pub fn section(results: &[RunResult]) -> String {
    if results.iter().all(|r| r.datacenter_names.is_empty()) {
        return String::new();
    }
    let mut out = String::from(
        "<section class=\"events\" id=\"failover\">\n<h2>Failover and failback</h2>\n",
    );
    for r in results {
        let _ = writeln!(out, "<p>{}</p>", escape(&variant_story(r)));
    }
    out += "</section>\n";
    out
}

/// One variant's failover and failback in a few sentences.
pub fn variant_story(r: &RunResult) -> String {
    let c = &r.summary.counts;
    let mut s = format!("{}:", r.variant);
    for e in r.events.iter().filter(|e| is_dc(e.action)) {
        s += " ";
        s += &event_sentence(r, e);
    }
    let mean = r.summary.latency.mean_us.map_or(0.0, |us| us / 1000.0);
    let _ = write!(
        s,
        " In all, {} requests failed on a data centre that was down, {} authentications failed \
         because the session was in the other data centre, and a served request took {mean:.1} ms \
         on average.",
        c.errors_dc_down, c.failed_other_dc
    );
    s
}

fn is_dc(action: EventAction) -> bool {
    matches!(action, EventAction::DcDown | EventAction::DcUp)
}

fn event_sentence(r: &RunResult, e: &EventRow) -> String {
    let name = e
        .target
        .and_then(|d| r.datacenter_names.get(d as usize))
        .map_or("a data centre", String::as_str);
    let at = crate::output::csv::secs(e.at_us);
    let moved = e.users_remapped.unwrap_or(0);
    let forced = e.users_forced_login.unwrap_or(0);
    match e.action {
        EventAction::DcDown => format!(
            "{name} went down at {at} s, losing {} sessions; {moved} logged-in users moved to \
             another data centre and {forced} of them had to log in again there.",
            e.sessions_lost
        ),
        _ => format!(
            "{name} came back at {at} s; {moved} users moved back to it and {forced} of them had \
             to log in again."
        ),
    }
}
