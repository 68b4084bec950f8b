//! What `tiersim validate` judges: a live run against the simulation of the same variant, metric
//! by metric, each with its tolerance and the reason the two may differ, and the time scale at
//! which this machine carries the cluster on time.
//!
//! The model has no network between client, balancer and server, so latency is judged inside
//! the servers ([`Side`]); what the clients saw is shown beside it but not judged. Tolerances
//! allow for sampling noise, the health checks' detection window, and the machine's own measured
//! delay (how late the service sleeps and store calls ended).
//!
//! Leaves out: running anything (`cli` runs both sides and prints the verdicts).

use super::{LiveRun, MAX_WALL_REQUESTS_PER_S, wall_requests_per_s};
use crate::events::EventAction;
use crate::metrics::catalogue::Metric as Catalogued;
use crate::metrics::{Latency, RunResult};
use crate::scenario::{Policy, Variant};

/// One side of a comparison: the result rows, and the latency the model has. The model has no
/// network between client, balancer and server, so its latency is the time inside the server;
/// for a live run that is measured by the servers (`LiveRun::at_server`).
pub struct Side<'a> {
    /// The result rows.
    pub result: &'a RunResult,
    /// Latency inside the servers.
    pub at_server: Latency,
}

impl<'a> Side<'a> {
    /// A simulated run: all of its latency is inside the servers.
    pub fn simulated(result: &'a RunResult) -> Self {
        Side {
            result,
            at_server: result.summary.latency,
        }
    }

    /// A live run.
    pub fn live(run: &'a LiveRun) -> Self {
        Side {
            result: &run.result,
            at_server: run.at_server,
        }
    }
}

/// What a compared metric reads: a metric of the catalogue (its label and value, as every
/// other table shows it), or one of validate's own (a share of all requests, latency measured
/// inside the servers).
enum Reading {
    Catalogue(Catalogued),
    Own(&'static str, fn(&Side) -> Option<f64>),
}

impl Reading {
    fn name(&self) -> &'static str {
        match self {
            Reading::Catalogue(m) => m.def().label,
            Reading::Own(name, _) => name,
        }
    }

    fn value(&self, side: &Side) -> Option<f64> {
        match self {
            Reading::Catalogue(m) => m.value(side.result),
            Reading::Own(_, value) => value(side),
        }
    }
}

/// One compared metric: what it reads, and its tolerance.
struct Metric {
    reading: Reading,
    /// Largest absolute difference that still agrees, given the simulated value, the time scale
    /// and the live run (whose measured delays of its own are allowed for); `None` for a metric
    /// shown beside the model's but not judged against it.
    tolerance: Option<fn(f64, f64, &LiveRun) -> f64>,
    why: &'static str,
}

fn pct(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| 100.0 * n as f64 / d as f64)
}

fn ms(us: Option<u64>) -> Option<f64> {
    us.map(|u| u as f64 / 1000.0)
}

/// Tolerance of the median inside the servers: 15 % of it or a tenth of a wall millisecond,
/// plus the measured median of how late the service sleeps ended (the machine's own delay).
fn p50_tolerance(sim: f64, scale: f64, live: &LiveRun) -> f64 {
    (0.15 * sim).max(0.1 * scale) + ms(live.late.p50_us).unwrap_or(0.0)
}

/// Tolerance of the 99th percentile inside the servers: 25 % of it or half a wall millisecond,
/// plus the measured 99th percentile of how late the service sleeps ended.
fn p99_tolerance(sim: f64, scale: f64, live: &LiveRun) -> f64 {
    (0.25 * sim).max(0.5 * scale) + ms(live.late.p99_us).unwrap_or(0.0)
}

const METRICS: [Metric; 8] = [
    Metric {
        reading: Reading::Catalogue(Catalogued::FailedAuthPct),
        tolerance: Some(|_, _, _| 3.0),
        why: "sampling noise and a few requests shifted across events by scheduling jitter",
    },
    Metric {
        reading: Reading::Own("errors (%)", |s| {
            pct(
                s.result.summary.counts.errors(),
                s.result.summary.counts.ended(),
            )
        }),
        tolerance: Some(|_, _, _| 1.0),
        why: "the health checks detect a crash within 3/4..1 of detection_delay, not exactly at it",
    },
    Metric {
        reading: Reading::Catalogue(Catalogued::SessionsLost),
        tolerance: Some(|sim, _, _| (0.25 * sim).max(20.0)),
        why: "the users in a visit at the crash differ by timing; sessions are counted live",
    },
    Metric {
        reading: Reading::Catalogue(Catalogued::RemappedPct),
        tolerance: Some(|_, _, _| 8.0),
        why: "which users are in a visit on both sides of a change depends on timing; HAProxy \
              hashes with its own function, so its ring gives each server a different share",
    },
    Metric {
        reading: Reading::Own("p50 at the server ms", |s| ms(s.at_server.p50_us)),
        tolerance: Some(p50_tolerance),
        why: "queueing that differs from the model's, or a machine too busy to run the cluster \
              on time (lower --time-scale)",
    },
    Metric {
        reading: Reading::Own("p99 at the server ms", |s| ms(s.at_server.p99_us)),
        tolerance: Some(p99_tolerance),
        why: "scheduling delays on a busy machine weigh most in the tail, times the time scale",
    },
    Metric {
        reading: Reading::Own("p50 seen by clients ms", |s| {
            ms(s.result.summary.latency.p50_us)
        }),
        tolerance: None,
        why: "the HTTP hops, which the model does not have (their measured spread is printed \
              below); not judged, since a median of a sum is not the sum of medians",
    },
    Metric {
        reading: Reading::Own("p99 seen by clients ms", |s| {
            ms(s.result.summary.latency.p99_us)
        }),
        tolerance: None,
        why: "the HTTP hops' tail, which the model does not have; not judged",
    },
];

/// One line of the validate table.
pub struct Comparison {
    /// Variant.
    pub variant: String,
    /// Metric name.
    pub metric: &'static str,
    /// Simulated value.
    pub sim: Option<f64>,
    /// Live value.
    pub live: Option<f64>,
    /// Tolerance on the absolute difference.
    pub tolerance: Option<f64>,
    /// Whether they agree within it.
    pub agrees: Option<bool>,
    /// Why they may differ.
    pub why: &'static str,
}

/// Compares simulation and live results, variant by variant.
pub fn compare(sim: &[RunResult], live: &[LiveRun], time_scale: f64) -> Vec<Comparison> {
    let mut rows = Vec::new();
    for (s, l) in sim.iter().zip(live) {
        let (s, run) = (Side::simulated(s), l);
        let l = Side::live(run);
        let membership = s.result.events.iter().any(|e| {
            matches!(
                e.action,
                EventAction::AddServers | EventAction::RemoveServers
            )
        });
        for m in &METRICS {
            // Remapping is judged where servers are added or removed (a crash remaps users
            // too, but the live health checks see it later than the model).
            if matches!(m.reading, Reading::Catalogue(Catalogued::RemappedPct)) && !membership {
                continue;
            }
            let (a, b) = (m.reading.value(&s), m.reading.value(&l));
            let tolerance = m.tolerance.map(|t| t(a.unwrap_or(0.0), time_scale, run));
            let agrees = tolerance.map(|tolerance| match (a, b) {
                (Some(a), Some(b)) => (a - b).abs() <= tolerance,
                (None, None) => true,
                _ => false,
            });
            rows.push(Comparison {
                variant: s.result.variant.clone(),
                metric: m.reading.name(),
                sim: a,
                live: b,
                tolerance,
                agrees,
                why: m.why,
            });
        }
    }
    rows
}

/// The validate table as Markdown-friendly text.
pub fn render(rows: &[Comparison]) -> String {
    let f = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.1}"));
    let mut out = String::from(
        "| variant | metric | simulated | live | difference | tolerance | agrees |\n|---|---|---:|---:|---:|---:|---|\n",
    );
    for r in rows {
        let diff = match (r.sim, r.live) {
            (Some(a), Some(b)) => format!("{:+.1}", b - a),
            _ => "-".into(),
        };
        out += &format!(
            "| {} | {} | {} | {} | {diff} | {} | {} |\n",
            r.variant,
            r.metric,
            f(r.sim),
            f(r.live),
            r.tolerance.map_or("-".into(), |t| format!("±{t:.1}")),
            match r.agrees {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "not judged",
            }
        );
    }
    out
}

/// The time scales `live` and `validate` choose from when none is given, largest first.
pub const TIME_SCALES: [f64; 7] = [20.0, 10.0, 5.0, 4.0, 3.0, 2.0, 1.0];

/// [`TIME_SCALES`] as messages list them: "20, 10, 5, 4, 3, 2 and 1".
pub fn time_scales_text() -> String {
    let all: Vec<String> = TIME_SCALES.iter().map(|s| s.to_string()).collect();
    let (last, rest) = all.split_last().expect("scales");
    format!("{} and {last}", rest.join(", "))
}

/// Wall time, in seconds, of all `variants` one after the other at `scale`.
pub fn wall_s(variants: &[&Variant], scale: f64) -> f64 {
    variants
        .iter()
        .map(|v| v.scenario.duration_us as f64 / 1e6 / scale)
        .sum()
}

/// Whether every variant asks for at most `on_time` requests per wall second at `scale`, and no
/// more than the live mode carries at all ([`MAX_WALL_REQUESTS_PER_S`]).
fn on_time_at(variants: &[&Variant], scale: f64, on_time: f64) -> bool {
    let most = on_time.min(MAX_WALL_REQUESTS_PER_S);
    variants
        .iter()
        .all(|v| wall_requests_per_s(&v.scenario, scale) <= most)
}

/// The largest of [`TIME_SCALES`] at which every variant asks for at most `on_time` requests per
/// wall second, whatever the wall time (`None` when even 1 asks for more).
pub fn on_time_scale(variants: &[&Variant], on_time: f64) -> Option<f64> {
    TIME_SCALES
        .into_iter()
        .find(|&s| on_time_at(variants, s, on_time))
}

/// The time scale `live` and `validate` use when none is given: the largest of [`TIME_SCALES`]
/// at which every chosen variant asks for at most `on_time` requests per wall second (what this
/// machine carries on time, `live::on_time_requests_per_s`) and all of them fit `max_wall_s`
/// seconds of wall time. When none does both, the smallest that fits the wall time and the live
/// mode's limit of requests (the run then warns that the machine will not keep up); when none
/// fits those either, the scale that keeps them on time, or 20 (the command then refuses the
/// wall time or the rate, and says what would run).
pub fn time_scale(variants: &[&Variant], on_time: f64, max_wall_s: f64) -> f64 {
    let within_wall = |scale: f64| wall_s(variants, scale) <= max_wall_s;
    let on_time_and_within = TIME_SCALES
        .into_iter()
        .find(|&s| within_wall(s) && on_time_at(variants, s, on_time));
    let runnable = |&s: &f64| within_wall(s) && on_time_at(variants, s, MAX_WALL_REQUESTS_PER_S);
    on_time_and_within
        .or_else(|| TIME_SCALES.into_iter().rev().find(runnable))
        .or_else(|| on_time_scale(variants, on_time))
        .unwrap_or(20.0)
}

/// The share of users in a visit on both sides of a change from `before` to `after` servers
/// that theory says the policy moves (`None` for policies that do not map users): hash mod N
/// keeps a user when its hash gives the same remainder for both counts (N/(N+1) move when one
/// server joins N), consistent hashing moves the changed servers' share of the ring, sticky
/// routing moves only the users of removed servers.
pub fn remap_theory(policy: Policy, before: u32, after: u32) -> Option<f64> {
    let (lo, hi) = (before.min(after), before.max(after));
    if hi == 0 {
        return None;
    }
    match policy {
        Policy::HashMod => {
            let lcm = u64::from(lo) * u64::from(hi) / gcd(u64::from(lo), u64::from(hi)).max(1);
            let kept = (0..lcm.max(1))
                .filter(|x| x % u64::from(lo.max(1)) == x % u64::from(hi))
                .count();
            Some(1.0 - kept as f64 / lcm.max(1) as f64)
        }
        Policy::ConsistentHash => Some(f64::from(hi - lo) / f64::from(hi)),
        Policy::Sticky if after < before => Some(f64::from(before - after) / f64::from(before)),
        Policy::Sticky => Some(0.0),
        _ => None,
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The lines under the table for variants whose servers are added or removed: each change's
/// users remapped, as a share of the users logged in, simulated and live, beside theory's share
/// of the users in a visit on both sides (about 5 % of the logged-in users end their visit
/// before their next request, so the measured shares sit a little under theory's).
pub fn remapping(variants: &[&Variant], sim: &[RunResult], live: &[LiveRun]) -> String {
    let mut out = String::new();
    for ((v, s), l) in variants.iter().zip(sim).zip(live) {
        let policy = v.scenario.balancer.policy;
        let membership = |e: &&crate::metrics::EventRow| {
            matches!(
                e.action,
                EventAction::AddServers | EventAction::RemoveServers
            )
        };
        for (a, b) in s
            .events
            .iter()
            .filter(membership)
            .zip(l.result.events.iter().filter(membership))
        {
            let Some(theory) = remap_theory(policy, a.servers_before, a.servers_after) else {
                continue;
            };
            let share = |e: &crate::metrics::EventRow| {
                e.users_remapped
                    .filter(|_| e.users_logged_in > 0)
                    .map_or("-".into(), |r| {
                        format!("{:.1}", 100.0 * r as f64 / e.users_logged_in as f64)
                    })
            };
            out += &format!(
                "  {} at {:.0} s, {} → {} servers: simulated {} %, live {} %, theory {:.1} %\n",
                v.name,
                a.at_us as f64 / 1e6,
                a.servers_before,
                a.servers_after,
                share(a),
                share(b),
                100.0 * theory
            );
        }
    }
    if out.is_empty() {
        return out;
    }
    format!(
        "users remapped by each change, % of the users logged in (theory: of those in a visit on both sides):\n{out}"
    )
}

/// The line about the machine under the table: its cores and its one-minute load average before
/// and after the live runs, noting when either exceeds the cores (other work competed with the
/// cluster).
pub fn machine_note(cores: usize, before: &str, after: &str) -> String {
    let busy = [before, after]
        .iter()
        .any(|l| l.parse::<f64>().is_ok_and(|l| l > cores as f64));
    format!(
        "machine: {cores} cores, load average {before} before the live runs and {after} after{}",
        if busy {
            " (above the number of cores: other work competed with the cluster)"
        } else {
            ""
        }
    )
}

/// How many judged metrics disagree (`validate` exits with status 1 when any does).
pub fn disagreements(rows: &[Comparison]) -> usize {
    rows.iter().filter(|r| r.agrees == Some(false)).count()
}

/// The verdict under the table: every judged metric agrees, or one line per disagreement with
/// what it may be.
pub fn verdict(rows: &[Comparison]) -> String {
    let disagree: Vec<&Comparison> = rows.iter().filter(|r| r.agrees == Some(false)).collect();
    if disagree.is_empty() {
        return "\nevery judged metric agrees within its tolerance\n".into();
    }
    let mut out = String::from("\n");
    for r in disagree {
        out += &format!(
            "disagrees: {} {}: beyond ±{:.1}; this may be: {}\n",
            r.variant,
            r.metric,
            r.tolerance.unwrap_or(0.0),
            r.why
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Counts;

    fn latency(p50_ms: f64, p99_ms: f64) -> Latency {
        Latency {
            mean_us: None,
            p50_us: Some((p50_ms * 1000.0) as u64),
            p95_us: None,
            p99_us: Some((p99_ms * 1000.0) as u64),
        }
    }

    fn result(client: Latency) -> RunResult {
        let mut r = RunResult {
            variant: "v".into(),
            ..RunResult::default()
        };
        r.summary.counts = Counts {
            authenticated: 900,
            failed_elsewhere: 100,
            ..Counts::default()
        };
        r.summary.latency = client;
        r
    }

    /// A live run whose clients saw `client` and whose servers held requests `at_server`, with
    /// hops of 4 ms (p50) and 20 ms (p99) and the machine's own delay 0.25 ms and 2.5 ms.
    fn live_run(client: Latency, at_server: Latency) -> [LiveRun; 1] {
        [LiveRun {
            result: result(client),
            at_server,
            hops: latency(4.0, 20.0),
            late: latency(0.25, 2.5),
            warnings: Vec::new(),
            haproxy_config: None,
        }]
    }

    fn row<'a>(rows: &'a [Comparison], metric: &str) -> &'a Comparison {
        rows.iter().find(|r| r.metric == metric).expect(metric)
    }

    #[test]
    fn server_latency_is_judged_against_the_model_and_client_latency_only_shown() {
        let sim = [result(latency(15.0, 110.0))];
        // At --time-scale 10: p50 tolerance max(15 % of 15, 1) + 0.25 late = 2.5 ms; p99
        // max(27.5, 5) + 2.5 late = 30.
        let live = live_run(latency(22.0, 150.0), latency(17.0, 125.0));
        let rows = compare(&sim, &live, 10.0);
        let p50 = row(&rows, "p50 at the server ms");
        assert_eq!((p50.sim, p50.live), (Some(15.0), Some(17.0)));
        assert_eq!(p50.agrees, Some(true));
        assert!((p50.tolerance.unwrap() - 2.5).abs() < 1e-9);
        assert_eq!(row(&rows, "p99 at the server ms").agrees, Some(true));
        // The clients' latency is shown beside the model's, not judged: the model has no hops.
        let client = row(&rows, "p50 seen by clients ms");
        assert_eq!((client.tolerance, client.agrees), (None, None));
        assert_eq!(row(&rows, "failed auth (%)").agrees, Some(true));
        // A server that holds requests too long disagrees.
        let slow = live_run(latency(30.0, 150.0), latency(26.0, 125.0));
        let rows_slow = compare(&sim, &slow, 10.0);
        assert_eq!(row(&rows_slow, "p50 at the server ms").agrees, Some(false));
        // 125 - 110 = 15 <= 30; at 160 it is not.
        let tail = live_run(latency(22.0, 150.0), latency(17.0, 160.0));
        assert_eq!(
            row(&compare(&sim, &tail, 10.0), "p99 at the server ms").agrees,
            Some(false)
        );
        let table = render(&rows);
        assert!(table.contains("| v | p50 at the server ms | 15.0 | 17.0 | +2.0 | ±2.5 | yes |"));
        assert!(
            table.contains("| v | p50 seen by clients ms | 15.0 | 22.0 | +7.0 | - | not judged |")
        );
    }

    #[test]
    fn theory_moves_n_over_n_plus_1_for_hash_mod_1_over_n_plus_1_for_consistent_and_0_for_sticky() {
        let close = |x: Option<f64>, y: f64| x.is_some_and(|x| (x - y).abs() < 1e-9);
        assert!(close(remap_theory(Policy::HashMod, 4, 5), 4.0 / 5.0));
        assert!(close(remap_theory(Policy::HashMod, 5, 4), 4.0 / 5.0));
        // 4 → 6: a hash keeps its server when h mod 12 is 0..3: 4 of 12.
        assert!(close(remap_theory(Policy::HashMod, 4, 6), 2.0 / 3.0));
        assert!(close(remap_theory(Policy::ConsistentHash, 4, 5), 1.0 / 5.0));
        assert!(close(remap_theory(Policy::ConsistentHash, 6, 4), 2.0 / 6.0));
        assert!(close(remap_theory(Policy::Sticky, 4, 5), 0.0));
        assert!(close(remap_theory(Policy::Sticky, 6, 4), 2.0 / 6.0));
        assert_eq!(remap_theory(Policy::RoundRobin, 4, 5), None);
    }

    #[test]
    fn validate_picks_the_largest_time_scale_the_machine_carries_on_time() {
        const TEN_MINUTES: f64 = crate::live::DEFAULT_MAX_WALL_S;
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/live-server-crash.toml"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let experiment = crate::config::parse(path, &text, &[], None).unwrap();
        let all: Vec<&Variant> = experiment.variants.iter().collect();
        // 20 visits/s × 11 requests = 220 per simulated second: 4,400 at 20, 2,200 at 10.
        let on_time = crate::live::on_time_requests_per_s;
        assert!((on_time(2, 0.000_16) - 3_500.0).abs() < 1e-6);
        assert_eq!(time_scale(&all, on_time(2, 0.000_16), TEN_MINUTES), 10.0);
        // On 4 cores (7,000 on time), 4,400 at 20 is on time; so it is on 2 cores at 0.06 ms
        // a request (9,333), and at 0.26 ms (2,154) only 5 is (1,100).
        assert_eq!(time_scale(&all, on_time(4, 0.000_16), TEN_MINUTES), 20.0);
        assert_eq!(time_scale(&all, on_time(2, 0.000_06), TEN_MINUTES), 20.0);
        assert_eq!(time_scale(&all, on_time(2, 0.000_26), TEN_MINUTES), 5.0);
        let quiet =
            crate::config::parse(path, &text, &["users.visits_per_s=5".into()], None).unwrap();
        let all: Vec<&Variant> = quiet.variants.iter().collect();
        assert_eq!(time_scale(&all, 2_500.0, TEN_MINUTES), 20.0);
        // 200 visits/s: 2,200 requests per simulated second, on time at 1 only, where the two
        // variants take 2 × 20 minutes; within 10 minutes only 4 (2 × 300 s) and faster fit,
        // and they ask for 8,800 requests per wall second or more, above the live mode's 5,000:
        // so 1, which the command refuses, naming the --max-wall that 1 needs.
        let busy =
            crate::config::parse(path, &text, &["users.visits_per_s=200".into()], None).unwrap();
        let all: Vec<&Variant> = busy.variants.iter().collect();
        assert_eq!(time_scale(&all, 2_500.0, TEN_MINUTES), 1.0);
        assert_eq!(on_time_scale(&all, 2_500.0), Some(1.0));
        assert_eq!(wall_s(&all, 1.0), 2_400.0);
        // With 40 minutes allowed, 1 keeps them on time.
        assert_eq!(time_scale(&all, 2_500.0, 2_400.0), 1.0);
        // 100 visits/s: on time at 2 (2,200), where they take 2 × 600 s; so 4 within 10
        // minutes, and 2 within 20.
        let half =
            crate::config::parse(path, &text, &["users.visits_per_s=100".into()], None).unwrap();
        let all: Vec<&Variant> = half.variants.iter().collect();
        assert_eq!(time_scale(&all, 2_500.0, TEN_MINUTES), 4.0);
        assert_eq!(time_scale(&all, 2_500.0, 1_200.0), 2.0);
        // Asked for more than 1 carries: no scale is on time.
        assert_eq!(on_time_scale(&all, 1_000.0), None);
        // 03: 30 visits/s × 21 requests = 630 per simulated second; its four variants of 22
        // minutes are on time at 5 (3,150) on 3,500 requests/s, where they take 1,056 s; within
        // 10 minutes only 10 (528 s) and 20 fit, and both ask for more than the live mode's
        // 5,000: so 5, which the command refuses, naming the --max-wall that 5 needs.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/03-scale-out.toml");
        let text = std::fs::read_to_string(path).unwrap();
        let scale_out = crate::config::parse(path, &text, &[], None).unwrap();
        let all: Vec<&Variant> = scale_out.variants.iter().collect();
        assert_eq!(time_scale(&all, 3_500.0, TEN_MINUTES), 5.0);
        assert_eq!(wall_s(&all, 5.0), 1_056.0);
        assert_eq!(time_scale(&all, 3_500.0, 1_056.0), 5.0);
        assert_eq!(time_scale(&all, 2_000.0, 1_800.0), 3.0);
        // A faster machine is held to the live mode's 5,000: 5 still, not 10 (6,300).
        assert_eq!(time_scale(&all, 9_000.0, 1_800.0), 5.0);
    }

    #[test]
    fn the_verdict_names_each_disagreement_and_the_note_a_busy_machine() {
        let sim = [result(latency(15.0, 110.0))];
        let slow = live_run(latency(30.0, 150.0), latency(26.0, 125.0));
        // p50 inside the servers: 26 - 15 = 11 ms beyond ±2.5 (see above); the rest agrees.
        assert_eq!(disagreements(&compare(&sim, &slow, 10.0)), 1);
        assert_eq!(
            disagreements(&compare(&sim, &sim.clone().map(live_of), 10.0)),
            0
        );
        assert_eq!(
            verdict(&compare(&sim, &slow, 10.0)),
            "\ndisagrees: v p50 at the server ms: beyond ±2.5; this may be: queueing that differs \
             from the model's, or a machine too busy to run the cluster on time (lower \
             --time-scale)\n"
        );
        assert_eq!(
            verdict(&compare(&sim, &sim.clone().map(live_of), 10.0)),
            "\nevery judged metric agrees within its tolerance\n"
        );
        assert_eq!(
            machine_note(2, "0.50", "2.10"),
            "machine: 2 cores, load average 0.50 before the live runs and 2.10 after (above the \
             number of cores: other work competed with the cluster)"
        );
        assert_eq!(
            machine_note(2, "0.50", "2.00"),
            "machine: 2 cores, load average 0.50 before the live runs and 2.00 after"
        );
    }

    /// A live run that saw exactly what the simulation did, with no delay of its own.
    fn live_of(r: RunResult) -> LiveRun {
        let at_server = r.summary.latency;
        LiveRun {
            result: r,
            at_server,
            hops: Latency::default(),
            late: Latency::default(),
            warnings: Vec::new(),
            haproxy_config: None,
        }
    }
}
