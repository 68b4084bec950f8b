//! `tiersim worksheet`: a printable "predict, then run" page for a class, a pure function of the
//! experiment and its results (no script, no network, no clock; text escaped).
//!
//! The first printed page has the scenario in words (from its parameters, not its lesson, which
//! may give the answers away), and 3 to 5 questions, each with an empty box for the prediction.
//! The answers start a new printed page (`break-before: page`): per question, what the run gave
//! beside what theory says where a closed form applies (computed from the scenario).

pub mod questions;

use crate::charts::format::{clock, number};
use crate::metrics::{EventRow, RunResult};
use crate::report::escape;
use crate::scenario::{Experiment, Variant};
use questions::Question;
use std::fmt::Write;

const STYLE: &str = "\
body { margin: 0 auto; padding: 2rem 1.5rem; max-width: 48rem; line-height: 1.5; color: #222;
  font-family: \"DejaVu Sans\", Verdana, sans-serif; }
h1 { font-size: 1.7rem; margin: 0 0 .5rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #222; margin: 1.6rem 0 .6rem; }
.question { break-inside: avoid; page-break-inside: avoid; margin: 0 0 1rem; }
.prediction { border: 1.5px solid #444; border-radius: 4px; min-height: 5.5rem; margin: .4rem 0 0; }
.answers { break-before: page; page-break-before: always; }
.answer { break-inside: avoid; page-break-inside: avoid; margin: 0 0 1rem; }
.theory { color: #333; }
.note { color: #555; font-size: .9rem; }
@media print { body { max-width: none; padding: 0; font-size: 11pt; } }
";

/// The whole page.
pub fn html(experiment: &Experiment, results: &[RunResult]) -> String {
    let questions = questions::all(experiment, results);
    let mut page =
        String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(
        page,
        "<title>Worksheet: {}</title>",
        escape(&experiment.title)
    );
    let _ = writeln!(page, "<style>\n{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(page, "<h1>Worksheet: {}</h1>", escape(&experiment.title));
    page += "<p class=\"note\">Name: ______________________ &nbsp; Date: ____________</p>\n";
    page += &scenario_in_words(experiment, results);
    page += &asked(&questions);
    page += &answered(&questions);
    let _ = writeln!(
        page,
        "<footer class=\"note\">Made with tiersim {} from the scenario <code>{}</code>; the \
         answers come from <code>tiersim run</code> of the same file and seed.</footer>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION"),
        escape(&experiment.name)
    );
    page
}

/// The variants that ran, in file order.
fn ran<'e>(experiment: &'e Experiment, results: &[RunResult]) -> Vec<&'e Variant> {
    experiment
        .variants
        .iter()
        .filter(|v| results.iter().any(|r| r.variant == v.name))
        .collect()
}

/// The setting in words: the users, the servers, each variant's design, the events.
fn scenario_in_words(experiment: &Experiment, results: &[RunResult]) -> String {
    let variants = ran(experiment, results);
    let mut out = String::from("<section id=\"scenario\">\n<h2>The scenario</h2>\n");
    if let Some(v) = variants.first() {
        let s = &v.scenario;
        let _ = writeln!(
            out,
            "<p>Users arrive at about {} new visits per second; each visit logs in once, then \
             makes about {} authenticated requests. {} web servers (at the start) sit behind a \
             load balancer. The run lasts {} of simulated time; the first {} are a warm-up and \
             are not measured.</p>",
            number(s.users.visits_per_s),
            number(s.users.requests_per_visit),
            s.servers.count,
            clock(s.duration_us as f64 / 1e6),
            clock(s.warmup_us as f64 / 1e6)
        );
    }
    out += "<p>The variants, each with the same users:</p>\n<ul>\n";
    for v in &variants {
        let s = &v.scenario;
        let _ = writeln!(
            out,
            "<li><strong>{}</strong>: routing <code>{}</code>, sessions kept in <code>{}</code>{}.</li>",
            escape(&v.name),
            s.balancer.policy.as_str(),
            s.storage.as_str(),
            match &s.autoscale {
                Some(a) => format!(
                    ", an autoscaler between {} and {} servers ({} scale-in)",
                    a.min,
                    a.max,
                    a.scale_in.as_str()
                ),
                None => String::new(),
            }
        );
    }
    out += "</ul>\n";
    let events: Vec<String> = results
        .first()
        .map(|r| {
            r.events
                .iter()
                .filter(|e| e.action.is_timed())
                .map(planned)
                .collect()
        })
        .unwrap_or_default();
    if !events.is_empty() {
        let _ = writeln!(
            out,
            "<p>What will happen: {}.</p>",
            escape(&events.join("; "))
        );
    }
    out += "</section>\n";
    out
}

/// A timed event as planned, in the present tense.
fn planned(e: &EventRow) -> String {
    use crate::events::EventAction as A;
    let n = e.target.unwrap_or(0);
    let what = match e.action {
        A::Crash => format!("server {n} crashes"),
        A::Restart => format!("server {n} comes back, empty"),
        A::AddServers => format!(
            "{n} server(s) join ({} → {})",
            e.servers_before, e.servers_after
        ),
        A::RemoveServers => format!(
            "{n} server(s) leave ({} → {})",
            e.servers_before, e.servers_after
        ),
        A::StoreCrash => "the session store goes down".into(),
        A::StoreRestart => "the session store comes back".into(),
        other => other.as_str().replace('_', " "),
    };
    format!("at {} {what}", clock(e.at_us as f64 / 1e6))
}

/// The questions, each with its box.
fn asked(questions: &[Question]) -> String {
    let mut out = String::from(
        "<section id=\"questions\">\n<h2>Predict, then run</h2>\n<p class=\"note\">Write your \
         prediction in each box before running the scenario.</p>\n",
    );
    for (i, q) in questions.iter().enumerate() {
        let _ = writeln!(
            out,
            "<div class=\"question\"><p><strong>{}.</strong> {}</p><div class=\"prediction\"></div></div>",
            i + 1,
            escape(&q.ask)
        );
    }
    out += "</section>\n";
    out
}

/// The answers, on a page of their own.
fn answered(questions: &[Question]) -> String {
    let mut out = String::from("<section class=\"answers\" id=\"answers\">\n<h2>Answers</h2>\n");
    for (i, q) in questions.iter().enumerate() {
        let _ = write!(
            out,
            "<div class=\"answer\"><p><strong>{}.</strong> {}</p><p>From the run: {}</p>",
            i + 1,
            escape(&q.ask),
            escape(&q.run)
        );
        if let Some(t) = &q.theory {
            let _ = write!(out, "<p class=\"theory\">Theory: {}</p>", escape(t));
        }
        out += "</div>\n";
    }
    out += "</section>\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RANDOM: &str = r#"
name = "random-demo"
title = "Random routing"
duration = "20m"
warmup = "5m"
[users]
visits_per_s = 4
[servers]
count = 4
[[variants]]
name = "random"
set = { "balancer.policy" = "random" }
[[variants]]
name = "sticky"
set = { "balancer.policy" = "sticky" }
"#;

    fn sheet() -> (Vec<Question>, String) {
        let experiment = crate::config::parse("demo.toml", RANDOM, &[], None).unwrap();
        let results: Vec<RunResult> = experiment
            .variants
            .iter()
            .map(|v| crate::engine::simulate(&v.name, &v.scenario))
            .collect();
        (
            questions::all(&experiment, &results),
            html(&experiment, &results),
        )
    }

    /// Random routing over 4 servers: theory (4 − 1)/4 = 75 %, computed, beside the run's share.
    #[test]
    fn a_random_routing_question_has_its_theory_computed() {
        let (questions, page) = sheet();
        assert!(
            (3..=questions::MOST).contains(&questions.len()),
            "{questions:#?}"
        );
        let q = &questions[0];
        assert!(q.ask.contains("one of 4 servers at random"), "{}", q.ask);
        assert_eq!(
            q.theory.as_deref(),
            Some(
                "(N − 1)/N with N = 4: a request lands on the login's server 1 time in 4, so 75 % fail."
            )
        );
        assert_eq!(
            page.matches("<div class=\"prediction\">").count(),
            questions.len()
        );
        assert_eq!(
            page.matches("<div class=\"answer\">").count(),
            questions.len()
        );
        assert!(page.find("id=\"questions\"").unwrap() < page.find("id=\"answers\"").unwrap());
        assert!(STYLE.contains(".answers { break-before: page;"));
        assert!(!page.contains("<script"));
    }
}
