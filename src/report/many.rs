//! Many untimed events in the story: when the autoscaler or random failures act more than
//! [`TELL_AT_MOST`] times in a variant's measured period, "What happened" tells them by kind
//! (how many, what they destroyed, who had to log in again because of them, as `events.csv`
//! attributes it), and only the [`LARGEST`] costliest one by one.

use crate::charts::format::thousands;
use crate::events::EventAction;
use crate::metrics::{EventRow, RunResult};
use crate::scenario::Micros;

/// Above this many untimed events in one variant's measured period, they are summarised.
pub const TELL_AT_MOST: usize = 10;

/// How many of the summarised events are still told one by one: the costliest, by users forced
/// to log in again (or sessions destroyed where logins are not attributed).
pub const LARGEST: usize = 3;

/// The untimed kinds, in the order a summary names them.
const KINDS: [EventAction; 6] = [
    EventAction::ScaleOut,
    EventAction::ScaleIn,
    EventAction::Failure,
    EventAction::Repair,
    EventAction::StoreFailure,
    EventAction::StoreRepair,
];

/// Whether `e` is untimed and in the measured period (from `from_us` on).
fn counted(e: &EventRow, from_us: Micros) -> bool {
    !e.action.is_timed() && e.at_us >= from_us
}

/// Whether some variant has more untimed events in its measured period than are told alone.
pub fn too_many(results: &[RunResult], from_us: Micros) -> bool {
    results
        .iter()
        .any(|r| r.events.iter().filter(|e| counted(e, from_us)).count() > TELL_AT_MOST)
}

/// What an event cost, to rank them: users forced to log in (or sessions destroyed), then
/// sessions destroyed.
fn weight(e: &EventRow) -> (u64, u64) {
    (
        e.users_forced_login.unwrap_or(e.sessions_lost),
        e.sessions_lost,
    )
}

/// The [`LARGEST`] costliest untimed events of the measured period, as (variant, event) indexes
/// into `results`; none that cost nothing.
pub fn largest(results: &[RunResult], from_us: Micros) -> Vec<(usize, usize)> {
    let mut all: Vec<((u64, u64), Micros, usize, usize)> = results
        .iter()
        .enumerate()
        .flat_map(|(v, r)| {
            r.events
                .iter()
                .enumerate()
                .filter(|(_, e)| counted(e, from_us) && weight(e).1 + weight(e).0 > 0)
                .map(move |(i, e)| (weight(e), e.at_us, v, i))
        })
        .collect();
    // Costliest first; ties by time, then variant order.
    all.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    all.into_iter()
        .take(LARGEST)
        .map(|(_, _, v, i)| (v, i))
        .collect()
}

/// The singular and plural of a kind.
fn noun(action: EventAction) -> (&'static str, &'static str) {
    match action {
        EventAction::ScaleOut => ("scale-out", "scale-outs"),
        EventAction::ScaleIn => ("scale-in", "scale-ins"),
        EventAction::Failure => ("server failure", "server failures"),
        EventAction::Repair => ("repair", "repairs"),
        EventAction::StoreFailure => ("store failure", "store failures"),
        EventAction::StoreRepair => ("store repair", "store repairs"),
        other => (other.as_str(), other.as_str()),
    }
}

/// The events of one kind in one variant, added up.
#[derive(Default)]
struct Tally {
    count: u64,
    sessions_lost: u64,
    /// `None` when some event does not attribute its logins (the live mode).
    users_forced_login: Option<u64>,
    users_remapped: u64,
}

fn tally(r: &RunResult, action: EventAction, from_us: Micros) -> Tally {
    let mut t = Tally {
        users_forced_login: Some(0),
        ..Tally::default()
    };
    for e in r
        .events
        .iter()
        .filter(|e| e.action == action && e.at_us >= from_us)
    {
        t.count += 1;
        t.sessions_lost += e.sessions_lost;
        t.users_forced_login = t
            .users_forced_login
            .zip(e.users_forced_login)
            .map(|(a, b)| a + b);
        t.users_remapped += e.users_remapped.unwrap_or(0);
    }
    t
}

/// One kind in words, e.g. `207 scale-ins destroyed 3,012 sessions and 2,900 users had to log
/// in again because of them`.
fn kind_text(action: EventAction, t: &Tally) -> String {
    let (one, many) = noun(action);
    let mut text = match t.count {
        1 => format!("1 {one}"),
        n => format!("{} {many}", thousands(n)),
    };
    let them = if t.count == 1 { "it" } else { "them" };
    if t.users_remapped > 0 {
        text += &format!(" moved {} to another server and", people(t.users_remapped));
    }
    match (t.sessions_lost, t.users_forced_login) {
        (0, Some(0) | None) => text += " destroyed no session",
        (lost, forced) => {
            text += &format!(" destroyed {} sessions", thousands(lost));
            text += &match forced {
                Some(0) => ", and none of their users needed them again".to_string(),
                Some(n) => format!(", and {} had to log in again because of {them}", people(n)),
                None => String::new(),
            };
        }
    }
    text
}

fn people(n: u64) -> String {
    if n == 1 {
        "1 user".into()
    } else {
        format!("{} users", thousands(n))
    }
}

/// The summary paragraph's lead and one sentence per variant: each kind with its count and
/// cost, and the server-hours the variant rented.
pub fn summary(results: &[RunResult], from_us: Micros, told_alone: usize) -> (String, Vec<String>) {
    let total: usize = results
        .iter()
        .map(|r| r.events.iter().filter(|e| counted(e, from_us)).count())
        .sum();
    let lead = format!(
        "The autoscaler and random failures changed the tier {} times in the measured period, \
         too many to tell one by one; here they are by kind, per variant{}",
        thousands(total as u64),
        match told_alone {
            0 => String::new(),
            1 => ", and the costliest is told after".to_string(),
            n => format!(", and the {n} costliest are told after, in time order"),
        }
    );
    let sentences = results
        .iter()
        .map(|r| {
            let kinds: Vec<String> = KINDS
                .iter()
                .map(|&k| (k, tally(r, k, from_us)))
                .filter(|(_, t)| t.count > 0)
                .map(|(k, t)| kind_text(k, &t))
                .collect();
            let hours = format!("{:.1} server-hours rented in all", r.summary.server_hours);
            match kinds.is_empty() {
                true => format!("the {} variant: none; {hours}", r.variant),
                false => format!("the {} variant: {}; {hours}", r.variant, kinds.join("; ")),
            }
        })
        .collect();
    (lead, sentences)
}
