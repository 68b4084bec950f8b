//! The "What happened" section: one paragraph per timed event, in words, from the results.
//!
//! For each event it says what changed and, per variant, what it cost: sessions destroyed (and
//! their share of the live ones), the users who had to log in again because this event destroyed
//! their session (counted to the end of the run, however late they came back: `events.csv`'s
//! `users_forced_login`), requests not served in the buckets that start within two minutes of
//! the event (or before the next event, if that comes sooner; nothing is said of an empty
//! window), and for changes of membership the users moved to another server. A run that does not
//! attribute logins to events (the live mode) counts the failed authentications of that window
//! instead.
//!
//! Events inside the warm-up (before the first measured bucket) are not told, only counted in a
//! closing sentence. When the autoscaler or random failures act many times, `many` tells them by
//! kind and only the costliest one by one. Every time the section prints goes through [`when`].

use super::capitalised;
use super::many;
use crate::charts::format::{TimeFormat, percent, span, thousands};
use crate::charts::from_results::datacenter_name;
use crate::events::EventAction;
use crate::metrics::{EventRow, RunResult};
use crate::scenario::Micros;
use std::collections::BTreeMap;

/// How long after an event its cost is counted.
pub const WINDOW_US: Micros = 120_000_000;

/// One timed event as the section tells it: when, what, and one row per variant that had it.
struct Happening<'a> {
    at_us: Micros,
    rows: Vec<(&'a RunResult, &'a EventRow)>,
}

/// One paragraph of the section: a lead (`At 10:00 server 1 crashed`) and its sentences, one
/// per variant (or one for all), as plain text (not yet escaped), without final stops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Told {
    /// What happened and when.
    pub lead: String,
    /// What it cost, one sentence per variant; the first starts in lower case.
    pub sentences: Vec<String>,
}

impl Told {
    /// The paragraph as prose: `Lead: first sentence. Second sentence.`
    pub fn text(&self) -> String {
        let mut text = self.lead.clone();
        if !self.sentences.is_empty() {
            text.push(':');
        }
        for (i, s) in self.sentences.iter().enumerate() {
            text.push(' ');
            text += &if i == 0 { s.clone() } else { capitalised(s) };
            text.push('.');
        }
        text
    }

    /// The sentences as printed on lines of their own: capitalised, with their stops.
    pub fn lines(&self) -> Vec<String> {
        self.sentences
            .iter()
            .map(|s| format!("{}.", capitalised(s)))
            .collect()
    }
}

/// A time of the run as the section writes it, in the scenario's convention (the axes' own):
/// simulated time since the start, or the time of day with `clock_start`.
pub fn when(time: TimeFormat, at_us: Micros) -> String {
    time.moment(at_us as f64 / 1e6)
}

/// Where the measured period starts: the first bucket of any run (0 without buckets).
fn measured_from(results: &[RunResult]) -> Micros {
    results
        .iter()
        .filter_map(|r| r.buckets.first().map(|b| b.start_us))
        .min()
        .unwrap_or(0)
}

/// The paragraphs of the section.
pub fn paragraphs(results: &[RunResult], time: TimeFormat) -> Vec<Told> {
    let from_us = measured_from(results);
    let many = many::too_many(results, from_us);
    let largest = if many {
        many::largest(results, from_us)
    } else {
        Vec::new()
    };
    let happenings = group(results, |v, i, e| {
        e.at_us >= from_us && (!many || e.action.is_timed() || largest.contains(&(v, i)))
    });
    let mut told = Vec::new();
    if many {
        let (lead, sentences) = many::summary(results, from_us, largest.len());
        told.push(Told { lead, sentences });
    } else if happenings.is_empty() {
        told.push(Told {
            lead: without_events(results),
            sentences: Vec::new(),
        });
    }
    told.extend(one_by_one(results, &happenings, time));
    told.extend(warmup_note(results, from_us, time));
    told
}

/// One paragraph per happening, each costed until the next one (at most [`WINDOW_US`]).
fn one_by_one(results: &[RunResult], happenings: &[Happening<'_>], time: TimeFormat) -> Vec<Told> {
    let end_us = results
        .iter()
        .filter_map(|r| r.buckets.last().map(|b| b.start_us + b.len_us))
        .max()
        .unwrap_or(0);
    happenings
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let next = happenings
                .get(i + 1)
                .map_or(end_us, |n| n.at_us)
                .min(end_us.max(h.at_us));
            paragraph(h, (h.at_us + WINDOW_US).min(next.max(h.at_us)), time)
        })
        .collect()
}

/// The closing sentence on the events inside the warm-up, if any: how many, not told.
fn warmup_note(results: &[RunResult], from_us: Micros, time: TimeFormat) -> Option<Told> {
    let keys: std::collections::BTreeSet<(Micros, EventAction, Option<u32>)> = results
        .iter()
        .flat_map(|r| r.events.iter())
        .filter(|e| e.at_us < from_us)
        .map(|e| (e.at_us, e.action, e.target))
        .collect();
    let lead = match keys.len() {
        0 => return None,
        1 => format!(
            "1 event happened during the warm-up (before {}), which is not measured, and is not \
             told here",
            when(time, from_us)
        ),
        n => format!(
            "{} events happened during the warm-up (before {}), which is not measured, and are \
             not told here",
            thousands(n as u64),
            when(time, from_us)
        ),
    };
    Some(Told {
        lead,
        sentences: Vec::new(),
    })
}

/// The events of every variant for which `keep(variant, index, event)` holds, grouped by (time,
/// action, target), in time order (ties keep the order of the first variant's rows).
fn group<'r>(
    results: &'r [RunResult],
    keep: impl Fn(usize, usize, &EventRow) -> bool,
) -> Vec<Happening<'r>> {
    let mut by_key: BTreeMap<(Micros, usize), Happening<'_>> = BTreeMap::new();
    let mut keys: Vec<(Micros, EventAction, Option<u32>)> = Vec::new();
    for (v, r) in results.iter().enumerate() {
        for (_, e) in r.events.iter().enumerate().filter(|(i, e)| keep(v, *i, e)) {
            let key = (e.at_us, e.action, e.target);
            let index = keys.iter().position(|k| *k == key).unwrap_or_else(|| {
                keys.push(key);
                keys.len() - 1
            });
            by_key
                .entry((e.at_us, index))
                .or_insert_with(|| Happening {
                    at_us: e.at_us,
                    rows: Vec::new(),
                })
                .rows
                .push((r, e));
        }
    }
    by_key.into_values().collect()
}

/// What the event did to the tier, e.g. `server 1 crashed` (`names`: the run's data centres).
pub fn describe(e: &EventRow, names: &[String]) -> String {
    let n = e.target.unwrap_or(0);
    let servers = |n: u32| {
        if n == 1 {
            "1 server".to_string()
        } else {
            format!("{n} servers")
        }
    };
    let change = format!("{} → {} running", e.servers_before, e.servers_after);
    match e.action {
        EventAction::Crash => format!("server {n} crashed"),
        EventAction::Restart => format!("server {n} came back, empty"),
        EventAction::AddServers => format!("{} joined the tier ({change})", servers(n)),
        EventAction::RemoveServers => format!("{} left the tier ({change})", servers(n)),
        EventAction::StoreCrash | EventAction::StoreFailure => match e.target {
            Some(node) => format!("a machine of store node {node} went down"),
            None => "the session store went down".into(),
        },
        EventAction::StoreRestart | EventAction::StoreRepair => match e.target {
            Some(node) => format!("a machine of store node {node} came back"),
            None => "the session store came back".into(),
        },
        EventAction::ScaleOut => format!("the autoscaler scaled out ({change})"),
        EventAction::ScaleIn => format!("the autoscaler scaled in ({change})"),
        EventAction::Failure => format!("server {n} failed ({change})"),
        EventAction::Repair => format!("server {n} was repaired and came back, empty"),
        EventAction::DcDown => format!("{} went down", datacenter_name(names, n)),
        EventAction::DcUp => format!("{} came back, empty", datacenter_name(names, n)),
    }
}

fn paragraph(h: &Happening<'_>, until_us: Micros, time: TimeFormat) -> Told {
    let first = h.rows[0].1;
    let within = match span((until_us - h.at_us) as f64 / 1e6) {
        one if one == "1 minute" => "minute".to_string(),
        other => other,
    };
    let lead = format!(
        "At {} {}",
        when(time, h.at_us),
        describe(first, &h.rows[0].0.datacenter_names)
    );
    let costless = h.rows.iter().all(|(r, e)| {
        let (window_relogins, errors) = cost_in_window(r, h.at_us, until_us);
        e.sessions_lost == 0
            && e.users_remapped.unwrap_or(0) == 0
            && e.users_forced_login.unwrap_or(window_relogins) == 0
            && errors == 0
    });
    let sentences = if costless && until_us > h.at_us {
        vec![format!(
            "nothing was lost in the next {within}, in any variant: no session destroyed, \
             nobody forced to log in again, no request failed"
        )]
    } else if costless {
        vec![
            "nothing was lost, in any variant: no session destroyed, nobody forced to log in \
              again"
                .to_string(),
        ]
    } else {
        h.rows
            .iter()
            .map(|(r, e)| cost(r, e, h.at_us, until_us, &within))
            .collect()
    };
    Told { lead, sentences }
}

/// Sums of failed authentications and errors over the buckets starting in `[from, until)`.
pub fn cost_in_window(r: &RunResult, from_us: Micros, until_us: Micros) -> (u64, u64) {
    r.buckets
        .iter()
        .filter(|b| b.start_us >= from_us && b.start_us < until_us)
        .fold((0, 0), |(f, e), b| {
            (f + b.counts.failed_auth(), e + b.counts.errors())
        })
}

fn cost(r: &RunResult, e: &EventRow, from_us: Micros, until_us: Micros, within: &str) -> String {
    let (relogins, errors) = cost_in_window(r, from_us, until_us);
    let mut text = format!("the {} variant", r.variant);
    let membership = matches!(
        e.action,
        EventAction::AddServers | EventAction::RemoveServers
    );
    if let Some(moved) = e.users_remapped.filter(|&m| membership && m > 0) {
        text += &format!(" moved {} to another server and", users(moved));
    }
    if e.sessions_lost == 0 {
        text += " lost no sessions";
    } else {
        let share = 100.0 * e.sessions_lost as f64 / e.sessions_alive.max(1) as f64;
        text += &format!(
            " lost {} sessions ({} of live sessions)",
            thousands(e.sessions_lost),
            percent(share)
        );
    }
    let window = until_us > from_us;
    text += &forced_logins(e, relogins, window, within);
    match errors {
        _ if !window => {}
        0 => {}
        1 => text += &format!("; 1 request was not served in the next {within}"),
        n => {
            text += &format!(
                "; {} requests were not served in the next {within}",
                thousands(n)
            )
        }
    }
    text
}

/// The users event `e` forced to log in again: its own count when the run attributes them
/// (`users_forced_login`), else the failed authentications of its window (`relogins`, said only
/// when the window is not empty).
fn forced_logins(e: &EventRow, relogins: u64, window: bool, within: &str) -> String {
    match (e.users_forced_login, e.sessions_lost) {
        (Some(0), 0) | (None, 0) if relogins == 0 || e.users_forced_login.is_some() => {
            " and nobody had to log in again".into()
        }
        (Some(0), _) => "; none of their users needed them again".into(),
        (Some(n), _) => format!(
            "; {} had to log in again because of it (by the end of the run)",
            users(n)
        ),
        (None, _) if !window || relogins == 0 => String::new(),
        (None, _) => format!(
            "; {} had to log in again in the next {within}",
            users(relogins)
        ),
    }
}

fn users(n: u64) -> String {
    if n == 1 {
        "1 user".into()
    } else {
        format!("{} users", thousands(n))
    }
}

/// For a scenario without timed events: what each variant's design cost over the whole run.
fn without_events(results: &[RunResult]) -> String {
    let parts: Vec<String> = results
        .iter()
        .map(|r| {
            let c = &r.summary.counts;
            match (c.failed_auth(), c.failed_auth_pct()) {
                (0, _) | (_, None) => format!("{}: none", r.variant),
                (n, Some(pct)) => format!(
                    "{}: {} ({} of authenticated requests)",
                    r.variant,
                    thousands(n),
                    percent(pct)
                ),
            }
        })
        .collect();
    format!(
        "No timed events: the variants differ only in their design, under the same users. \
         Forced logins (failed authentications) over the measured period: {}.",
        parts.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{BucketRow, Counts};

    fn bucket(start_s: u64, failed: u64, errors: u64) -> BucketRow {
        BucketRow {
            start_us: start_s * 1_000_000,
            len_us: 10_000_000,
            counts: Counts {
                failed_lost: failed,
                errors_server_down: errors,
                ..Counts::default()
            },
            ..BucketRow::default()
        }
    }

    fn crash(lost: u64) -> EventRow {
        EventRow {
            at_us: 600_000_000,
            action: EventAction::Crash,
            target: Some(1),
            servers_before: 4,
            servers_after: 3,
            sessions_alive: 12_000,
            sessions_lost: lost,
            ..EventRow::default()
        }
    }

    fn run(variant: &str, lost: u64, failed: u64) -> RunResult {
        RunResult {
            variant: variant.into(),
            // 590 s is before the crash; 600..720 s is the window; 720 s is after it.
            buckets: vec![
                bucket(590, 5, 0),
                bucket(600, failed, 7),
                bucket(710, failed.min(1), 0),
                bucket(720, 50, 0),
            ],
            events: vec![crash(lost)],
            ..RunResult::default()
        }
    }

    #[test]
    fn a_crash_is_told_with_its_cost_per_variant() {
        let text: Vec<String> = paragraphs(
            &[run("sticky", 3_000, 87), run("shared-store", 0, 0)],
            TimeFormat::Elapsed,
        )
        .iter()
        .map(Told::text)
        .collect();
        // Re-logins: 87 + 1 in the buckets starting at 600 and 710 s; errors: 7.
        assert_eq!(
            text,
            vec![
                "At 10:00 server 1 crashed: the sticky variant lost 3,000 sessions (25 % of \
                 live sessions); 88 users had to log in again in the next 2 minutes; 7 requests \
                 were not served in the next 2 minutes. The shared-store variant lost no \
                 sessions and nobody had to log in again; 7 requests were not served in the next \
                 2 minutes."
            ]
        );
    }

    /// A run that attributes logins to events tells the crash's own count (40 users, however
    /// late they came back), not the 88 failed authentications of its window, which may have
    /// other causes.
    #[test]
    fn an_attributed_crash_is_told_with_the_users_it_forced_to_log_in() {
        let mut r = run("sticky", 3_000, 87);
        r.events[0].users_forced_login = Some(40);
        let text = paragraphs(&[r], TimeFormat::Elapsed)[0].text();
        assert!(
            text.contains("; 40 users had to log in again because of it (by the end of the run);"),
            "{text}"
        );
        assert!(!text.contains("88"), "{text}");
    }

    /// Two events at the same time: the first one's window is empty, and its paragraph says
    /// nothing of "the next 0 seconds".
    #[test]
    fn an_event_followed_at_once_by_another_has_no_zero_second_window() {
        let mut r = run("sticky", 10, 3);
        r.events[0].users_forced_login = Some(2);
        let mut restart = crash(0);
        restart.action = EventAction::Restart;
        restart.users_forced_login = Some(0);
        r.events.push(restart);
        let text: Vec<String> = paragraphs(&[r], TimeFormat::Elapsed)
            .iter()
            .map(Told::text)
            .collect();
        assert!(text.iter().all(|t| !t.contains("0 seconds")), "{text:?}");
        assert!(
            text[0].contains("2 users had to log in again because of it"),
            "{text:?}"
        );
    }

    /// A scale-in at `at_s` that destroyed `lost` sessions and forced `forced` users to log in.
    fn scale_in(at_s: u64, lost: u64, forced: u64) -> EventRow {
        EventRow {
            at_us: at_s * 1_000_000,
            action: EventAction::ScaleIn,
            target: Some(2),
            servers_before: 3,
            servers_after: 2,
            sessions_alive: 1_000,
            sessions_lost: lost,
            users_forced_login: Some(forced),
            ..EventRow::default()
        }
    }

    /// Twelve scale-ins in the measured period (from 590 s), and one at 100 s in the warm-up:
    /// 10 + 11 + ... + 21 = 186 sessions, 5 + 6 + ... + 16 = 126 users; the three costliest
    /// (16, 15, 14 users) are told alone, in time order; the warm-up one is only counted.
    #[test]
    fn many_scale_ins_are_summarised_and_the_costliest_told_alone() {
        let mut r = run("abrupt", 0, 0);
        r.summary.server_hours = 12.5;
        r.events = (0..12)
            .map(|k| scale_in(600 + 60 * k, 10 + k, 5 + k))
            .collect();
        r.events.insert(0, scale_in(100, 99, 99));
        let told = paragraphs(&[r], TimeFormat::Elapsed);
        let text: Vec<String> = told.iter().map(Told::text).collect();
        assert_eq!(text.len(), 1 + 3 + 1, "{text:#?}");
        assert_eq!(
            text[0],
            "The autoscaler and random failures changed the tier 12 times in the measured \
             period, too many to tell one by one; here they are by kind, per variant, and the 3 \
             costliest are told after, in time order: the abrupt variant: 12 scale-ins destroyed \
             186 sessions, and 126 users had to log in again because of them; 12.5 server-hours \
             rented in all."
        );
        assert!(text[1].starts_with("At 19:00 the autoscaler scaled in (3 → 2 running)"));
        assert!(
            text[1].contains("14 users had to log in again because of it"),
            "{}",
            text[1]
        );
        assert!(text[3].starts_with("At 21:00 "), "{}", text[3]);
        assert_eq!(
            text[4],
            "1 event happened during the warm-up (before 9:50), which is not measured, and is \
             not told here"
        );
        assert!(
            text.iter()
                .all(|t| !t.contains(" 0 seconds") && !t.contains("99"))
        );
    }

    /// A few untimed events are told one by one, as timed ones are.
    #[test]
    fn a_few_scale_ins_are_each_told() {
        let mut r = run("abrupt", 0, 0);
        r.events = (0..3).map(|k| scale_in(600 + 60 * k, 1, 1)).collect();
        let text: Vec<String> = paragraphs(&[r], TimeFormat::Elapsed)
            .iter()
            .map(Told::text)
            .collect();
        assert_eq!(text.len(), 3, "{text:#?}");
        assert!(
            text[2].starts_with("At 12:00 the autoscaler scaled in"),
            "{}",
            text[2]
        );
    }

    #[test]
    fn the_window_stops_at_the_next_event() {
        let mut r = run("sticky", 10, 3);
        let mut restart = crash(0);
        restart.at_us = 620_000_000;
        restart.action = EventAction::Restart;
        r.events.push(restart);
        let text: Vec<String> = paragraphs(&[r], TimeFormat::Elapsed)
            .iter()
            .map(Told::text)
            .collect();
        assert!(text[0].contains("in the next 20 seconds"), "{}", text[0]);
        assert!(
            text[1].starts_with("At 10:20 server 1 came back, empty:"),
            "{}",
            text[1]
        );
    }
}
