//! The "predict, then run" questions of a worksheet, each chosen only when the scenario has what
//! it asks about, with its answer from the run and, where a closed form gives one, the theory
//! computed from the scenario (never typed in).
//!
//! Theory used: random routing over sessions kept in one server's memory fails an authenticated
//! request whenever it lands elsewhere, (N-1)/N of the time with N servers; a crash of one of N
//! servers holding evenly spread sessions destroys 1/N of them; growing from N to N+1 servers
//! moves N/(N+1) of the users under hash mod N and 1/(N+1) under consistent hashing.

use crate::charts::format::{number, thousands};
use crate::events::EventAction;
use crate::metrics::catalogue::Metric;
use crate::metrics::{EventRow, RunResult};
use crate::scenario::{Experiment, Policy, Storage, Variant};
use crate::theory;

/// Most questions on a sheet.
pub const MOST: usize = 5;

/// One question with its answers.
#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    /// What to predict.
    pub ask: String,
    /// What the run gave.
    pub run: String,
    /// What theory says, where it applies.
    pub theory: Option<String>,
}

/// The questions for `experiment` and the results of its variants (in the same order), at
/// least three, at most [`MOST`]: the ones theory can answer first.
pub fn all(experiment: &Experiment, results: &[RunResult]) -> Vec<Question> {
    let pairs: Vec<(&Variant, &RunResult)> = experiment
        .variants
        .iter()
        .filter_map(|v| Some((v, results.iter().find(|r| r.variant == v.name)?)))
        .collect();
    let mut out: Vec<Question> = Vec::new();
    out.extend(random_routing(&pairs));
    out.extend(crash_share(&pairs));
    out.extend(remapping(&pairs));
    out.push(most(
        results,
        Metric::UsersForcedLoginPct,
        "force the largest share of its users to log in again",
        "%",
    ));
    out.extend(autoscaler(&pairs));
    out.push(most(
        results,
        Metric::VisitsWithError,
        "have the most visits that saw an error",
        "visits",
    ));
    let currency = experiment
        .variants
        .first()
        .map_or("", |v| v.scenario.cost.currency.as_str());
    out.push(most(
        results,
        Metric::Cost,
        "cost the most in machines",
        currency,
    ));
    out.truncate(MOST);
    out
}

/// A percentage with about three significant digits.
fn pct(x: f64) -> String {
    format!("{} %", number(x))
}

/// Which variant has the largest value of `m`; every variant's value in the answer.
fn most(results: &[RunResult], m: Metric, what: &str, unit: &str) -> Question {
    let values: Vec<(String, Option<f64>)> = results
        .iter()
        .map(|r| (r.variant.clone(), m.value(r)))
        .collect();
    let top = values
        .iter()
        .filter_map(|(v, x)| Some((v, (*x)?)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let listed: Vec<String> = values
        .iter()
        .map(|(v, x)| match x {
            Some(x) => format!(
                "{v} {}{}",
                number(*x),
                if unit.is_empty() {
                    String::new()
                } else {
                    format!(" {unit}")
                }
            ),
            None => format!("{v} –"),
        })
        .collect();
    let run = match top {
        Some((v, x)) if x > 0.0 => format!("{v}. Every variant: {}.", listed.join("; ")),
        _ => format!("none: every variant has 0 ({}).", listed.join("; ")),
    };
    Question {
        ask: format!("Which variant will {what} ({})?", m.def().label),
        run,
        theory: None,
    }
}

/// The first variant that routes at random over sessions in server memory.
fn random_routing(pairs: &[(&Variant, &RunResult)]) -> Option<Question> {
    let (v, r) = pairs.iter().find(|(v, _)| {
        v.scenario.balancer.policy == Policy::Random
            && v.scenario.storage == Storage::ServerMemory
            && v.scenario.events.is_empty()
            && v.scenario.autoscale.is_none()
    })?;
    let n = v.scenario.servers.count;
    let measured = Metric::FailedAuthPct.value(r)?;
    let theory = 100.0 * theory::unrouted_share(n);
    Some(Question {
        ask: format!(
            "In the {} variant, requests go to one of {n} servers at random, and a session lives \
             only in the memory of the server that handled the login. What share of \
             authenticated requests will find no session (a failed authentication)?",
            v.name
        ),
        run: format!("{} of authenticated requests failed.", pct(measured)),
        theory: Some(format!(
            "(N − 1)/N with N = {n}: a request lands on the login's server 1 time in {n}, so \
             {} fail.",
            pct(theory)
        )),
    })
}

/// The first crash in a variant that keeps sessions in server memory.
fn crash_share(pairs: &[(&Variant, &RunResult)]) -> Option<Question> {
    let (v, e) = pairs.iter().find_map(|(v, r)| {
        let memory = v.scenario.storage == Storage::ServerMemory;
        let e = r
            .events
            .iter()
            .find(|e| e.action == EventAction::Crash && e.sessions_alive > 0)?;
        memory.then_some((v, e))
    })?;
    let n = e.servers_before;
    let server = e.target.unwrap_or(0);
    let share = 100.0 * e.sessions_lost as f64 / e.sessions_alive.max(1) as f64;
    Some(Question {
        ask: format!(
            "In the {} variant, sessions live in the memory of the web servers. When server \
             {server} of {n} crashes, what share of the live sessions is lost, and how many users \
             will have to log in again?",
            v.name
        ),
        run: format!(
            "{} of {} live sessions were lost ({}); {} users had to log in again because of it.",
            thousands(e.sessions_lost),
            thousands(e.sessions_alive),
            pct(share),
            e.users_forced_login.map_or("–".to_string(), thousands)
        ),
        theory: Some(format!(
            "1/N with N = {n} servers holding sessions evenly: {} (fewer users than sessions \
             log in again: some never come back).",
            pct(100.0 / n as f64)
        )),
    })
}

/// The first change of membership in a variant with hash mod N or consistent hashing.
fn remapping(pairs: &[(&Variant, &RunResult)]) -> Option<Question> {
    let grows = |e: &&EventRow| {
        e.action == EventAction::AddServers
            && e.servers_after == e.servers_before + 1
            && e.users_logged_in > 0
            && e.users_remapped.is_some()
    };
    let hashed: Vec<(&Variant, &EventRow)> = pairs
        .iter()
        .filter(|(v, _)| {
            matches!(
                v.scenario.balancer.policy,
                Policy::HashMod | Policy::ConsistentHash
            )
        })
        .filter_map(|(v, r)| Some((*v, r.events.iter().find(grows)?)))
        .collect();
    let (_, first) = hashed.first()?;
    let n = first.servers_before;
    let run: Vec<String> = hashed
        .iter()
        .map(|(v, e)| {
            let moved = e.users_remapped.unwrap_or(0);
            format!(
                "{}: {} of {} logged-in users moved ({})",
                v.name,
                thousands(moved),
                thousands(e.users_logged_in),
                pct(100.0 * moved as f64 / e.users_logged_in as f64)
            )
        })
        .collect();
    Some(Question {
        ask: format!(
            "The tier grows from {n} to {} servers. What share of the logged-in users will be \
             sent to another server (and lose a session kept in memory) under each hashing \
             policy?",
            n + 1
        ),
        run: format!("{}.", run.join("; ")),
        theory: Some(format!(
            "hash mod N: N/(N + 1) = {} move; consistent hashing: 1/(N + 1) = {} move.",
            pct(100.0 * theory::hash_mod_remapped_share(n, n + 1)),
            pct(100.0 * theory::ring_remapped_share(n, n + 1))
        )),
    })
}

/// How often the autoscaler acts, where there is one.
fn autoscaler(pairs: &[(&Variant, &RunResult)]) -> Option<Question> {
    if !pairs.iter().any(|(v, _)| v.scenario.autoscale.is_some()) {
        return None;
    }
    let run: Vec<String> = pairs
        .iter()
        .map(|(v, r)| {
            let of = |a: EventAction| r.events.iter().filter(|e| e.action == a).count() as u64;
            format!(
                "{}: {} scale-outs, {} scale-ins, {} server-hours",
                v.name,
                thousands(of(EventAction::ScaleOut)),
                thousands(of(EventAction::ScaleIn)),
                number(r.summary.server_hours)
            )
        })
        .collect();
    Some(Question {
        ask: "How many times will the autoscaler add and remove a server over the run, and how \
              many server-hours will each variant rent?"
            .to_string(),
        run: format!("{}.", run.join("; ")),
        theory: None,
    })
}
