//! Resource guards: what a scenario will cost before it runs, and the limits a run may not pass.
//!
//! The estimates are rough (within a small factor) and pure; `cli` compares them with the memory
//! this machine has. They exist so that a typo (`visits_per_s = 2000000`, `bucket = "1ms"` over
//! a week) gets a clear refusal naming the key to change, instead of an hour of swapping.

use crate::scenario::{Experiment, Policy, Scenario};

/// Most rows a run may put in `servers.csv` (buckets × servers, over all variants).
pub const MAX_SERVER_ROWS: f64 = 20_000_000.0;

/// Events per second of wall time assumed when warning about long runs.
pub const EVENTS_PER_S: f64 = 5_000_000.0;

/// A warning is printed for runs estimated to take longer than this, in seconds.
pub const WARN_AFTER_S: f64 = 60.0;

/// What one variant's run is expected to cost.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// Visits over the whole run.
    pub visits: f64,
    /// Requests over the whole run.
    pub requests: f64,
    /// Events the engine will process.
    pub events: f64,
    /// Users in a visit at once.
    pub users: f64,
    /// Sessions alive at once (including those of users who left, until they expire).
    pub sessions: f64,
    /// Rows of `servers.csv`.
    pub server_rows: f64,
    /// Memory of the simulation state (users, sessions) at its peak, in bytes.
    pub state_bytes: f64,
    /// Memory of the results kept after the run, in bytes.
    pub result_bytes: f64,
}

/// The cost of one variant.
pub fn estimate(sc: &Scenario) -> Estimate {
    let duration_s = sc.duration_us as f64 / 1e6;
    let k = sc.users.requests_per_visit;
    let visits = sc.users.visits_per_s * duration_s;
    let requests = visits * (1.0 + k);
    let per_request = if sc.storage.reads_store_every_request() {
        3.0
    } else {
        2.0
    };
    let events = requests * per_request;
    let service_s = sc.servers.service_time_us.max(sc.servers.login_time_us) as f64 / 1e6;
    let visit_s = k * sc.users.think_time_us as f64 / 1e6 + (1.0 + k) * service_s;
    let users = sc.users.visits_per_s * visit_s.min(duration_s);
    // Policies that ignore the user spread one visit's sessions over several servers.
    let scatters = matches!(
        sc.balancer.policy,
        Policy::Random | Policy::RoundRobin | Policy::LeastConnections
    ) && sc.storage.one_server_per_session();
    let per_visit = if scatters { 1.0 + k } else { 1.0 };
    let lifetime_s = (visit_s + sc.users.session_ttl_us as f64 / 1e6).min(duration_s);
    let sessions = sc.users.visits_per_s * per_visit * lifetime_s;
    let buckets = ((sc.duration_us - sc.warmup_us) as f64 / sc.bucket_us as f64).ceil();
    let max_servers = max_servers(sc) as f64;
    let server_rows = buckets * max_servers;
    let state_bytes = users * 160.0 + sessions * 24.0 + population_bytes(sc);
    let result_bytes = server_rows * 64.0 + buckets * 400.0;
    Estimate {
        visits,
        requests,
        events,
        users,
        sessions,
        server_rows,
        state_bytes,
        result_bytes,
    }
}

/// Bytes a population of registered users keeps between visits: 16 per user for their
/// cookies and marks, and up to one session slot each (16 bytes, its place in the expiry wheel,
/// its destroyer, its backup or cache server and its place in an LRU list: 40 at most), which a
/// cookie keeps until its user comes back, however long that takes.
fn population_bytes(sc: &Scenario) -> f64 {
    sc.users.population as f64 * (16.0 + 40.0)
}

/// The most servers that exist at once during the run.
fn max_servers(sc: &Scenario) -> u32 {
    use crate::scenario::Action;
    let (mut now, mut max) = (sc.servers.count, sc.servers.count);
    for e in &sc.events {
        match e.action {
            Action::AddServers { count } => now += count,
            Action::RemoveServers { count } => now -= count,
            _ => {}
        }
        max = max.max(now);
    }
    max
}

/// Why a run of `replications` replications on `threads` threads is refused, with the key to
/// change. Results of every run are kept; at most `threads` runs simulate at once.
pub fn refuse(
    experiment: &Experiment,
    replications: usize,
    threads: usize,
    available_bytes: Option<f64>,
) -> Option<String> {
    let estimates: Vec<Estimate> = experiment
        .variants
        .iter()
        .map(|v| estimate(&v.scenario))
        .collect();
    let copies = replications as f64;
    let rows: f64 = estimates.iter().map(|e| e.server_rows).sum::<f64>() * copies;
    if rows > MAX_SERVER_ROWS {
        return Some(format!(
            "this run would keep {rows:.0} rows of per-server time series (buckets x servers x \
             variants x replications), more than the limit of {MAX_SERVER_ROWS:.0}: make \
             `bucket` longer or `duration` shorter"
        ));
    }
    let at_once = (estimates.len() * replications).min(threads.max(1)) as f64;
    let state = estimates.iter().map(|e| e.state_bytes).fold(0.0, f64::max);
    let memory = state * at_once + estimates.iter().map(|e| e.result_bytes).sum::<f64>() * copies;
    let available = available_bytes?;
    (memory > 0.8 * available).then(|| {
        let sessions = estimates.iter().map(|e| e.sessions).fold(0.0, f64::max);
        let users = estimates.iter().map(|e| e.users).fold(0.0, f64::max);
        let population = experiment
            .variants
            .iter()
            .map(|v| v.scenario.users.population)
            .max()
            .unwrap_or(0);
        let (registered, key) = match population {
            0 => (String::new(), ""),
            n => (format!(", {n} registered users"), ", `users.population`"),
        };
        format!(
            "this run would need about {:.1} GB of memory ({sessions:.0} sessions and {users:.0} \
             users alive at once{registered}), more than the {:.1} GB this machine has available: \
             lower `users.visits_per_s` or `users.session_ttl`{key}",
            memory / 1e9,
            available / 1e9
        )
    })
}

/// A warning for runs of `replications` replications expected to take long (None for short ones).
pub fn warn_long(experiment: &Experiment, replications: usize) -> Option<String> {
    let one: f64 = experiment
        .variants
        .iter()
        .map(|v| estimate(&v.scenario).events)
        .sum();
    let events = one * replications as f64;
    let seconds = events / EVENTS_PER_S;
    (seconds > WARN_AFTER_S).then(|| {
        let minutes = (seconds / 60.0).round();
        let unit = if minutes == 1.0 { "minute" } else { "minutes" };
        format!(
            "warning: about {events:.1e} events to simulate; this may take {minutes:.0} {unit} or more of CPU time"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(text: &str) -> Experiment {
        crate::config::parse("t.toml", text, &[], None).unwrap()
    }

    #[test]
    fn the_main_scenario_is_cheap_and_accepted() {
        let e = scenario("name = \"a\"\nduration = \"20m\"\n[users]\nvisits_per_s = 20\n");
        let est = estimate(&e.variants[0].scenario);
        // 20 visits/s x 1200 s = 24,000 visits of 1 + 10 requests.
        assert_eq!(est.visits, 24_000.0);
        assert_eq!(est.requests, 264_000.0);
        // Sticky: one session per visit, alive for the visit (~20 s) and the 30 min TTL, which
        // is longer than the run: every session of the run is alive at the end.
        assert_eq!(est.sessions, 24_000.0);
        assert_eq!(refuse(&e, 1, 2, Some(24e9)), None);
        assert_eq!(warn_long(&e, 1), None);
    }

    #[test]
    fn a_flood_of_users_is_refused_naming_the_rate() {
        let e = scenario("name = \"a\"\nduration = \"1h\"\n[users]\nvisits_per_s = 900000\n");
        let why = refuse(&e, 1, 2, Some(24e9)).expect("refused");
        assert!(why.contains("users.visits_per_s"), "{why}");
    }

    /// A billion registered users keep 56 bytes each between visits (56 GB), more than 80 % of
    /// 24 GB: refused, naming the population; ten million (560 MB) fit.
    #[test]
    fn a_population_that_cannot_fit_is_refused_naming_it() {
        let text = |n: u64| format!("name = \"a\"\n[users]\npopulation = {n}\n");
        let e = scenario(&text(1_000_000_000));
        let why = refuse(&e, 1, 2, Some(24e9)).expect("refused");
        assert!(why.contains("users.population"), "{why}");
        assert!(why.contains("1000000000 registered users"), "{why}");
        assert_eq!(refuse(&scenario(&text(10_000_000)), 1, 2, Some(24e9)), None);
    }

    #[test]
    fn tiny_buckets_over_a_long_run_are_refused_naming_the_bucket() {
        let e = scenario("name = \"a\"\nduration = \"1000h\"\nbucket = \"10ms\"\n");
        let why = refuse(&e, 1, 2, None).expect("refused");
        assert!(why.contains("`bucket`"), "{why}");
    }
}
