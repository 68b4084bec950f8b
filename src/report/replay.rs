//! The animated replay of `report.html` (and of `tiersim lab`, which serves the same script): the
//! balancer, the servers and the store of each variant, and the users of the replay trace
//! (`engine::Trace`) as dots coloured by the server that holds their session, side by side on
//! one clock.
//!
//! [`data`] turns the traces into compact JSON (times in milliseconds, one array per request);
//! [`section`] is the page's `<section id="replay">`: a note that reads without scripts, the JSON
//! in a `<script type="application/json">`, and the inline script (`replay.js`) that draws it.
//! The script uses no network and no external file.

use crate::charts::look::Look;
use crate::charts::model::Colour;
use crate::charts::palette;
use crate::engine::trace::{Ended, Held, Trace};
use crate::engine::{TraceSpec, simulate_traced};
use crate::metrics::RunResult;
use crate::scenario::{Experiment, Scenario, Variant};
use serde_json::{Value, json};

/// The script that draws a replay from [`data`]: `tiersimReplay(element, data)`.
pub const SCRIPT: &str = include_str!("replay.js");

/// The outcome codes of a request row, in the order of their code.
pub const OUTCOMES: [&str; 12] = [
    "ok",
    "login",
    "failed_auth_elsewhere",
    "failed_auth_lost",
    "failed_auth_expired",
    "failed_auth_evicted",
    "error_server_down",
    "error_queue_full",
    "error_store_down",
    "error_store_busy",
    "failed_auth_other_dc",
    "error_dc_down",
];

/// The replay's data: the run's length, its warm-up and the hour it starts at (`clock_start_ms`,
/// null for elapsed time); per variant (in the order of `results`) its name, colour, users, requests
/// `[user, sent_ms, end_ms, server (-1: none), outcome code, holder]` (holder: a server id, -1
/// unchanged, -2 the store, -3 the cookie) and tier states `[at_ms, ["up"|"down"|"absent"],
/// [store node up]]`.
pub fn data(
    look: &Look,
    results: &[RunResult],
    traces: &[Trace],
    duration_us: u64,
    warmup_us: u64,
) -> Value {
    let variants: Vec<Value> = results
        .iter()
        .zip(traces)
        .enumerate()
        .map(|(i, (r, t))| variant(look.colour(i), &r.variant, t))
        .collect();
    let fraction = traces.first().map_or(0.0, |t| t.fraction);
    // With `clock_start`, the replay's clock reads the time of day, as the charts do.
    let clock_start_ms = match look.time {
        crate::charts::format::TimeFormat::Clock { start_hour } => {
            Some(u64::from(start_hour) * 3_600_000)
        }
        crate::charts::format::TimeFormat::Elapsed => None,
    };
    json!({
        "duration_ms": duration_us / 1000,
        "clock_start_ms": clock_start_ms,
        "warmup_ms": warmup_us / 1000,
        "fraction": fraction,
        "outcomes": OUTCOMES,
        "server_colours": (0..6).map(|i| hex(palette::server(i))).collect::<Vec<_>>(),
        "variants": variants,
    })
}

/// One variant's replay.
fn variant(colour: Colour, name: &str, t: &Trace) -> Value {
    let requests: Vec<Value> = t
        .requests
        .iter()
        .map(|r| {
            json!([
                r.user,
                r.sent_us / 1000,
                r.end_us / 1000,
                r.server.map_or(-1, i64::from),
                code(r.ended),
                holder(r.holder),
            ])
        })
        .collect();
    let tier: Vec<Value> = t
        .tier
        .iter()
        .map(|s| json!([s.at_us / 1000, s.servers, s.stores_up]))
        .collect();
    json!({
        "name": name,
        "colour": hex(colour),
        "users": t.users.len(),
        "truncated": t.truncated,
        "requests": requests,
        "tier": tier,
    })
}

fn code(ended: Ended) -> usize {
    let name = match ended {
        Ended::Ok => "ok".to_string(),
        Ended::Login => "login".to_string(),
        Ended::FailedAuth(cause) => format!("failed_auth_{cause}"),
        Ended::Error(cause) => format!("error_{cause}"),
    };
    OUTCOMES
        .iter()
        .position(|o| *o == name)
        .expect("every outcome has a code")
}

fn holder(held: Option<Held>) -> i64 {
    match held {
        None => -1,
        Some(Held::Server(id)) => i64::from(id),
        Some(Held::Store(_)) => -2,
        Some(Held::Cookie) => -3,
    }
}

/// `#rrggbb`.
pub fn hex(c: crate::charts::model::Colour) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// Expected requests (warm-up included, every variant together) above which the report leaves
/// the replay out: the traced loop is a few per cent slower than the plain one, and runs that
/// did not record a trace (a merge, a live run) would be simulated again.
pub const MAX_REQUESTS_REPLAYED: f64 = 20e6;

/// The trace that the runs a report shows (replication 0 of each of `variants`) record for its
/// replay: the same users in every variant ([`TraceSpec::for_scenarios`]); `None` when the runs
/// are too long for a replay ([`MAX_REQUESTS_REPLAYED`]).
pub fn trace_spec(variants: &[&Variant]) -> Option<TraceSpec> {
    let requests: f64 = variants
        .iter()
        .map(|v| expected_requests(&v.scenario))
        .sum();
    (!variants.is_empty() && requests <= MAX_REQUESTS_REPLAYED)
        .then(|| TraceSpec::for_scenarios(variants.iter().map(|v| &v.scenario)))
}

/// The replay section of `report.html` for the variants of `experiment` that have a result, from
/// `traces` (one per result, recorded in the runs of `results`). Runs that recorded none (a
/// merge of shards, a live run) are simulated again with the trace on: a run is a pure function
/// of its scenario, so these are the runs of the results, on the scenario's own seed. A note
/// instead when the runs are too long; nothing if Ctrl-C stopped them.
pub fn section_for(experiment: &Experiment, results: &[RunResult], traces: &[Trace]) -> String {
    let ran: Vec<&Variant> = results
        .iter()
        .filter_map(|r| experiment.variants.iter().find(|v| v.name == r.variant))
        .collect();
    let Some(spec) = trace_spec(&ran) else {
        return "<section id=\"replay\" class=\"replay\">\n<h2>Replay</h2>\n<p class=\"note\">\
                Left out: these runs are too long for a replay; `tiersim lab` replays shorter \
                ones.</p>\n</section>\n"
            .to_string();
    };
    let simulated;
    let traces = match traces.len() == ran.len() {
        true => traces,
        false => match trace_again(&ran, spec) {
            Some(again) => {
                simulated = again;
                &simulated
            }
            None => return String::new(),
        },
    };
    let sc = &ran[0].scenario;
    let look = Look::of(experiment, results);
    section(&data(&look, results, traces, sc.duration_us, sc.warmup_us))
}

/// The traces of `ran`, simulated again in parallel; `None` if Ctrl-C stopped them.
fn trace_again(ran: &[&Variant], spec: TraceSpec) -> Option<Vec<Trace>> {
    use rayon::prelude::*;
    ran.par_iter()
        .map(|v| {
            let stop = &mut |_| !crate::interrupt::requested();
            simulate_traced(&v.name, &v.scenario, spec, stop).map(|(_, trace)| trace)
        })
        .collect()
}

/// Requests a run of `sc` simulates, about (warm-up included).
pub fn expected_requests(sc: &Scenario) -> f64 {
    sc.users.visits_per_s * sc.duration_us as f64 / 1e6 * (1.0 + sc.users.requests_per_visit)
}

/// The page's replay section for `data` (from [`data`]).
pub fn section(data: &Value) -> String {
    // `</` cannot end the script element early: JSON allows `<\/`.
    let json = data.to_string().replace("</", "<\\/");
    format!(
        "<section id=\"replay\" class=\"replay\">\n<h2>Replay</h2>\n<p class=\"note\">The \
         same sample of users in every variant, on one clock: each dot is a user, coloured by the \
         server that holds their session; a user whose session was not valid goes to \"log in \
         again\", an error flashes red. The replay needs scripts; everything else on this page \
         reads without them.</p>\n<div class=\"replay-root\"></div>\n<script \
         type=\"application/json\" class=\"replay-data\">{json}</script>\n<script>\n{SCRIPT}\n\
         tiersimReplay(document.querySelector('#replay .replay-root'), \
         JSON.parse(document.querySelector('#replay .replay-data').textContent));\n</script>\n\
         </section>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_has_a_code() {
        assert_eq!(code(Ended::Ok), 0);
        assert_eq!(code(Ended::FailedAuth("lost")), 3);
        assert_eq!(code(Ended::Error("store_busy")), 9);
        assert_eq!(code(Ended::FailedAuth("other_dc")), 10);
        assert_eq!(code(Ended::Error("dc_down")), 11);
    }

    #[test]
    fn the_replay_clock_starts_at_the_scenarios_clock_start() {
        let text = "name = \"t\"\nduration = \"2m\"\nclock_start = 6\n";
        let experiment = crate::config::parse("t.toml", text, &[], None).expect("valid");
        let look = Look::named(&experiment, &["base"]);
        assert_eq!(
            data(&look, &[], &[], 60_000_000, 0)["clock_start_ms"],
            21_600_000
        );
        let elapsed = Look::named(
            &crate::config::parse("t.toml", "name = \"t\"\n", &[], None).unwrap(),
            &[],
        );
        assert_eq!(
            data(&elapsed, &[], &[], 1, 0)["clock_start_ms"],
            Value::Null
        );
    }

    #[test]
    fn the_data_cannot_close_its_script_element() {
        let page = section(&json!({"variants": [{"name": "</script><b>"}]}));
        assert!(!page.contains("</script><b>"));
        assert!(page.contains("id=\"replay\""));
    }
}
