//! Resource guards: what a command will cost before it runs, and the limits it may not pass.
//!
//! The estimates are rough (within a small factor) and pure; `cli` compares them with the memory
//! this machine has. They exist so that a typo (`visits_per_s = 2000000`, `bucket = "1ms"` over
//! a week, `failures.mtbf = "1us"`) gets a clear refusal naming the key to change, instead of an
//! hour of swapping or a run announced at years.
//!
//! A command is priced whole: every variant, point (of a sweep) and replication it will run,
//! the results of all of them kept at once, and at most one run per thread simulating at a
//! time. Each cost has its own function: the users and sessions alive ([`people_bytes`]), the
//! servers' and store machines' worker slots ([`machine_bytes`]), the consistent-hash ring
//! ([`ring_points`]), the results ([`result_bytes`]), and the events of requests and of the
//! living cluster ([`request_events`], [`living_events`]), and the retries of users while no
//! server is up ([`retry_events`]).

use crate::scenario::{Experiment, Policy, Scenario};

/// Most rows a command may keep of per-server time series (buckets × servers, over all its
/// runs).
pub const MAX_SERVER_ROWS: f64 = 20_000_000.0;

/// Most points of a consistent-hash ring (servers × `balancer.virtual_nodes`): 10,000,000 points
/// take 160 MB and about a second to sort, a pause that Ctrl-C cannot interrupt.
pub const MAX_RING_POINTS: f64 = 10_000_000.0;

/// Events per second of wall time assumed when pricing time.
pub const EVENTS_PER_S: f64 = 5_000_000.0;

/// A warning is printed for commands estimated to take longer than this, in seconds.
pub const WARN_AFTER_S: f64 = 60.0;

/// Commands estimated to take longer than this (one day of CPU time, in seconds) are refused.
pub const MAX_CPU_S: f64 = 86_400.0;

/// Bytes of one worker slot of a server (its occupant and its place in the free list).
const SERVER_SLOT_BYTES: f64 = 8.0;

/// Bytes of one worker slot of a store node (an operation in service and the free list).
const STORE_SLOT_BYTES: f64 = 40.0;

/// Bytes of one store machine (node × replica) and of one point of the ring.
const MACHINE_BYTES: f64 = 8.0;
const RING_POINT_BYTES: f64 = 16.0;

/// What one variant's run is expected to cost.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// Visits over the whole run.
    pub visits: f64,
    /// Requests over the whole run.
    pub requests: f64,
    /// Events the engine will process (requests and the living cluster).
    pub events: f64,
    /// Events of random failures and the autoscaler alone, and the key that sets their rate.
    pub living: (f64, &'static str),
    /// Events of the users' retries while no server is up, and the key that sets their rate.
    pub retries: (f64, &'static str),
    /// Users in a visit at once.
    pub users: f64,
    /// Sessions alive at once (including those of users who left, until they expire).
    pub sessions: f64,
    /// Rows of `servers.csv`.
    pub server_rows: f64,
    /// Points of the consistent-hash ring (0 for other policies).
    pub ring_points: f64,
    /// Registered users kept between visits (`users.population`, 0 without returning users).
    pub registered: f64,
    /// Memory of the simulation state at its peak, in bytes, by cost (largest first): bytes and
    /// the keys that set them.
    pub state: Vec<(f64, &'static str)>,
    /// Memory of the results kept after the run, in bytes.
    pub result_bytes: f64,
}

impl Estimate {
    /// Memory of the simulation state at its peak, in bytes.
    pub fn state_bytes(&self) -> f64 {
        self.state.iter().map(|(bytes, _)| bytes).sum()
    }
}

/// The cost of one variant.
pub fn estimate(sc: &Scenario) -> Estimate {
    let (users, sessions) = people(sc);
    let requests = requests(sc);
    let buckets = buckets(sc);
    let ring_points = ring_points(sc);
    let living = living_events(sc);
    let retries = retry_events(sc);
    let mut state = vec![
        (people_bytes(users, sessions), USERS_KEYS),
        machine_bytes(sc),
        (ring_points * RING_POINT_BYTES, "`balancer.virtual_nodes`"),
        (population_bytes(sc), "`users.population`"),
    ];
    state.sort_by(|a, b| b.0.total_cmp(&a.0));
    Estimate {
        visits: sc.users.visits_per_s * duration_s(sc),
        requests,
        events: request_events(sc, requests) + living.0 + retries.0,
        living,
        retries,
        users,
        sessions,
        server_rows: buckets * max_servers(sc) as f64,
        ring_points,
        registered: sc.users.population as f64,
        state,
        result_bytes: result_bytes(sc, buckets),
    }
}

/// The keys that set how many users and sessions are alive at once.
const USERS_KEYS: &str = "`users.visits_per_s` or `users.session_ttl`";

fn duration_s(sc: &Scenario) -> f64 {
    sc.duration_us as f64 / 1e6
}

/// Requests over the whole run.
fn requests(sc: &Scenario) -> f64 {
    sc.users.visits_per_s * duration_s(sc) * (1.0 + sc.users.requests_per_visit)
}

/// Measured buckets of the time series.
fn buckets(sc: &Scenario) -> f64 {
    ((sc.duration_us - sc.warmup_us) as f64 / sc.bucket_us as f64).ceil()
}

/// Events of the requests: two per request (arrival, completion), three with a store read.
fn request_events(sc: &Scenario, requests: f64) -> f64 {
    let per_request = if sc.storage.reads_store_every_request() {
        3.0
    } else {
        2.0
    };
    requests * per_request
}

/// (users in a visit at once, sessions alive at once).
fn people(sc: &Scenario) -> (f64, f64) {
    let duration_s = duration_s(sc);
    let k = sc.users.requests_per_visit;
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
    (users, sc.users.visits_per_s * per_visit * lifetime_s)
}

/// Bytes of the users and sessions alive at once.
fn people_bytes(users: f64, sessions: f64) -> f64 {
    users * 160.0 + sessions * 24.0
}

/// Bytes of the worker slots of every server that exists at once and of every store node, and
/// of the store's machines (nodes × replicas), with the keys to change: every server and node
/// holds a slot per worker from its start, busy or not.
pub fn machine_bytes(sc: &Scenario) -> (f64, &'static str) {
    let servers = max_servers(sc) as f64 * sc.servers.workers as f64 * SERVER_SLOT_BYTES;
    let st = &sc.store;
    let store = st.nodes as f64 * st.workers as f64 * STORE_SLOT_BYTES
        + st.nodes as f64 * st.replicas as f64 * MACHINE_BYTES;
    if servers >= store {
        (
            servers + store,
            "`servers.workers` or `servers.count` (or `autoscale.max`)",
        )
    } else {
        (servers + store, "`store.workers` or `store.nodes`")
    }
}

/// Points of the consistent-hash ring at its largest (0 for other policies).
pub fn ring_points(sc: &Scenario) -> f64 {
    if sc.balancer.policy == Policy::ConsistentHash {
        max_servers(sc) as f64 * sc.balancer.virtual_nodes as f64
    } else {
        0.0
    }
}

/// Bytes of the results kept after the run: the rows of the time series.
fn result_bytes(sc: &Scenario, buckets: f64) -> f64 {
    buckets * max_servers(sc) as f64 * 64.0 + buckets * 400.0
}

/// Events of random failures and of the autoscaler, with the key that sets the most of them:
/// each machine fails and is repaired about once per `mtbf + mttr` (two events, and the work of
/// a crash); the autoscaler looks at every server once per `autoscale.interval`.
pub fn living_events(sc: &Scenario) -> (f64, &'static str) {
    let duration_us = sc.duration_us as f64;
    let servers = max_servers(sc) as f64;
    let f = &sc.failures;
    let cycles = |mtbf: Option<u64>, mttr: u64| {
        mtbf.map_or(0.0, |mtbf| duration_us / (mtbf as f64 + mttr as f64) * 2.0)
    };
    let server = servers * cycles(f.server_mtbf_us, f.server_mttr_us);
    let machines = sc.store.nodes as f64 * sc.store.replicas as f64;
    let store = machines * cycles(f.store_mtbf_us, f.store_mttr_us);
    let autoscale = sc
        .autoscale
        .as_ref()
        .map_or(0.0, |a| duration_us / a.interval_us as f64 * servers);
    let sources = [
        (server, "`failures.mtbf` (or `failures.mttr`)"),
        (store, "`failures.store_mtbf` (or `failures.store_mttr`)"),
        (autoscale, "`autoscale.interval`"),
    ];
    let key = sources
        .iter()
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map_or("", |s| s.1);
    (server + store + autoscale, key)
}

/// The key named when retries while no server is up are most of a run's events.
const RETRY_KEY: &str = "`users.think_time` (the users retry at that pace, at least every 1 ms, \
                         while no server is up) or bring a server back sooner";

/// Events of the users' retries while no server is up, with the key that sets their pace. With
/// every server down (crashed or removed), a request fails at once and its user tries again
/// after a think time, at least [`crate::model::users::MIN_RETRY_US`]; a user waiting to log in
/// never leaves, so the users in a visit at the start of such a window (`u0`) are joined by
/// every arrival: over a window of `w` seconds, `(u0·w + λ·w²/2) / wait` retries, one event
/// each (the request fails when it is sent). The windows are those of the timed events ([`down_windows`]) and, with random server
/// failures, the share of time every server is down at once, `(mttr / (mtbf + mttr))^N`, in
/// windows of `mttr / N` (the mean length of such a spell). The autoscaler's new servers are not
/// counted (an overestimate).
pub fn retry_events(sc: &Scenario) -> (f64, &'static str) {
    let wait_s = sc
        .users
        .think_time_us
        .max(crate::model::users::MIN_RETRY_US) as f64
        / 1e6;
    let (u0, _) = people(sc);
    let rate = sc.users.visits_per_s;
    let retries = |w: f64| (u0 * w + rate * w * w / 2.0) / wait_s;
    let mut total: f64 = down_windows(sc).into_iter().map(retries).sum();
    let f = &sc.failures;
    if let Some(mtbf) = f.server_mtbf_us {
        let (mtbf, mttr) = (mtbf as f64 / 1e6, f.server_mttr_us as f64 / 1e6);
        let n = f64::from(sc.servers.count.max(1));
        let down_s = duration_s(sc) * (mttr / (mtbf + mttr)).powf(n);
        let spell_s = (mttr / n).min(duration_s(sc));
        if spell_s > 0.0 {
            total += down_s / spell_s * retries(spell_s);
        }
    }
    (total, RETRY_KEY)
}

/// The lengths (seconds) of the spells in which the timed events leave no server up: every
/// existing server crashed, or all removed.
pub fn down_windows(sc: &Scenario) -> Vec<f64> {
    use crate::scenario::Action;
    let mut up = vec![true; sc.servers.count as usize];
    let mut events: Vec<_> = sc.events.iter().collect();
    events.sort_by_key(|e| e.at_us);
    let (mut windows, mut down_since) = (Vec::new(), (sc.servers.count == 0).then_some(0));
    for e in events {
        match e.action {
            Action::Crash { server } | Action::Restart { server } => {
                if let Some(u) = up.get_mut(server as usize) {
                    *u = matches!(e.action, Action::Restart { .. });
                }
            }
            Action::AddServers { count } => up.extend((0..count).map(|_| true)),
            Action::RemoveServers { count } => up.truncate(up.len().saturating_sub(count as usize)),
            _ => {}
        }
        let none_up = !up.contains(&true);
        match (none_up, down_since) {
            (true, None) => down_since = Some(e.at_us),
            (false, Some(since)) => {
                windows.push((e.at_us - since) as f64 / 1e6);
                down_since = None;
            }
            _ => {}
        }
    }
    if let Some(since) = down_since {
        windows.push(sc.duration_us.saturating_sub(since) as f64 / 1e6);
    }
    windows
}

/// Bytes a population of registered users keeps between visits: 16 per user for their
/// cookies and marks, and up to one session slot each (16 bytes, its place in the expiry wheel,
/// its destroyer, its backup or cache server and its place in an LRU list: 40 at most), which a
/// cookie keeps until its user comes back, however long that takes.
fn population_bytes(sc: &Scenario) -> f64 {
    sc.users.population as f64 * (16.0 + 40.0)
}

/// The most servers that exist at once during the run (the autoscaler may reach `max`).
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
    sc.autoscale.as_ref().map_or(max, |a| max.max(a.max))
}

/// Every scenario a command of `experiments` runs once per replication: each variant of each.
fn scenarios<'a>(experiments: &[&'a Experiment]) -> Vec<&'a Scenario> {
    experiments
        .iter()
        .flat_map(|e| e.variants.iter().map(|v| &v.scenario))
        .collect()
}

/// Why a run of `replications` replications of `experiment` on `threads` threads is refused,
/// with the key to change.
pub fn refuse(
    experiment: &Experiment,
    replications: usize,
    threads: usize,
    available_bytes: Option<f64>,
) -> Option<String> {
    refuse_all(&[experiment], replications, threads, available_bytes)
}

/// Why a command running every variant of `experiments` (the points of a sweep, or one
/// experiment) `replications` times on `threads` threads is refused, with the key to change.
/// Results of every run are kept; at most `threads` runs simulate at once.
pub fn refuse_all(
    experiments: &[&Experiment],
    replications: usize,
    threads: usize,
    available_bytes: Option<f64>,
) -> Option<String> {
    let estimates: Vec<Estimate> = scenarios(experiments).into_iter().map(estimate).collect();
    refuse_estimates(&estimates, replications as f64, threads, available_bytes)
}

/// Why a command running exactly these runs (one scenario per run: a shard's share of a sweep
/// or of replications) on `threads` threads is refused, with the key to change.
pub fn refuse_runs(
    runs: &[&Scenario],
    threads: usize,
    available_bytes: Option<f64>,
) -> Option<String> {
    let estimates: Vec<Estimate> = runs.iter().map(|sc| estimate(sc)).collect();
    refuse_estimates(&estimates, 1.0, threads, available_bytes)
}

/// What [`refuse_all`] and [`refuse_runs`] share: `copies` runs of each estimate.
fn refuse_estimates(
    estimates: &[Estimate],
    copies: f64,
    threads: usize,
    available_bytes: Option<f64>,
) -> Option<String> {
    too_many_rows(estimates, copies)
        .or_else(|| too_large_a_ring(estimates))
        .or_else(|| too_much_memory(estimates, copies, threads, available_bytes?))
        .or_else(|| too_long(estimates, copies))
}

/// The rows of per-server time series over every run.
fn too_many_rows(estimates: &[Estimate], copies: f64) -> Option<String> {
    let rows: f64 = estimates.iter().map(|e| e.server_rows).sum::<f64>() * copies;
    (rows > MAX_SERVER_ROWS).then(|| {
        format!(
            "this run would keep {rows:.0} rows of per-server time series (buckets x servers x \
             variants x points x replications), more than the limit of {MAX_SERVER_ROWS:.0}: \
             make `bucket` longer or `duration` shorter"
        )
    })
}

/// A ring that would take long to build.
fn too_large_a_ring(estimates: &[Estimate]) -> Option<String> {
    let points = estimates.iter().map(|e| e.ring_points).fold(0.0, f64::max);
    (points > MAX_RING_POINTS).then(|| {
        format!(
            "the consistent-hash ring would have {points:.0} points (servers x \
             `balancer.virtual_nodes`), more than the limit of {MAX_RING_POINTS:.0}: lower \
             `balancer.virtual_nodes` (or the number of servers)"
        )
    })
}

/// The state of the runs simulating at once and the results of all, against what is available.
fn too_much_memory(
    estimates: &[Estimate],
    copies: f64,
    threads: usize,
    available: f64,
) -> Option<String> {
    let at_once = (estimates.len() as f64 * copies).min(threads.max(1) as f64);
    let largest = estimates
        .iter()
        .max_by(|a, b| a.state_bytes().total_cmp(&b.state_bytes()))?;
    let results = estimates.iter().map(|e| e.result_bytes).sum::<f64>() * copies;
    let memory = largest.state_bytes() * at_once + results;
    (memory > 0.8 * available).then(|| {
        let keys = if results > largest.state_bytes() * at_once {
            "make `bucket` longer or `duration` shorter"
        } else {
            &format!("lower {}", largest.state[0].1)
        };
        let registered = match largest.registered {
            0.0 => String::new(),
            n => format!(", {n:.0} registered users"),
        };
        format!(
            "this run would need about {:.1} GB of memory ({:.0} sessions and {:.0} users alive \
             at once{registered}, {:.2} GB of registered users, worker slots, rings and results), \
             more than the {:.1} GB this machine has available: {keys}",
            memory / 1e9,
            largest.sessions,
            largest.users,
            (memory - people_bytes(largest.users, largest.sessions) * at_once) / 1e9,
            available / 1e9
        )
    })
}

/// Every run's events against [`MAX_CPU_S`] of CPU time.
fn too_long(estimates: &[Estimate], copies: f64) -> Option<String> {
    let events = estimates.iter().map(|e| e.events).sum::<f64>() * copies;
    let seconds = events / EVENTS_PER_S;
    (seconds > MAX_CPU_S).then(|| {
        let worst = estimates
            .iter()
            .max_by(|a, b| a.events.total_cmp(&b.events))
            .expect("some run");
        let keys = if worst.living.0 > worst.events / 2.0 {
            format!("lengthen {}", worst.living.1)
        } else if worst.retries.0 > worst.events / 2.0 {
            format!("lengthen {}", worst.retries.1)
        } else {
            "lower `users.visits_per_s` or shorten `duration`".to_string()
        };
        format!(
            "this run would simulate about {events:.1e} events, {} of CPU time, more than the \
             limit of {}: {keys}",
            span(seconds),
            span(MAX_CPU_S)
        )
    })
}

/// Seconds in the largest unit that gives at least 2: `3 days`, `24 hours`, `12 minutes`.
fn span(seconds: f64) -> String {
    let (n, unit) = if seconds >= 2.0 * 86_400.0 {
        (seconds / 86_400.0, "days")
    } else if seconds >= 2.0 * 3600.0 {
        (seconds / 3600.0, "hours")
    } else if seconds >= 120.0 {
        (seconds / 60.0, "minutes")
    } else {
        (seconds, "seconds")
    };
    format!("{n:.0} {unit}")
}

/// A warning for runs of `replications` replications expected to take long (None for short ones).
pub fn warn_long(experiment: &Experiment, replications: usize) -> Option<String> {
    warn_long_all(&[experiment], replications)
}

/// One warning for a whole command (every variant of `experiments`, `replications` times)
/// expected to take long (None for a short one).
pub fn warn_long_all(experiments: &[&Experiment], replications: usize) -> Option<String> {
    warn_long_runs(&scenarios(experiments).repeat(replications))
}

/// One warning for a command running exactly these runs (one scenario per run), expected to
/// take long (None for a short one).
pub fn warn_long_runs(runs: &[&Scenario]) -> Option<String> {
    let events: f64 = runs.iter().map(|sc| estimate(sc).events).sum();
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

    #[test]
    fn worker_slots_of_every_server_are_priced_and_refused_naming_the_workers() {
        // 10,000 servers x 100,000 workers x 8 bytes: 8 GB of slots for a run of 4 visits/s
        // (the run that took 7.9 GB and aborted while its estimate was under 1 MB).
        let e = scenario(
            "name = \"a\"\nduration = \"10m\"\n[servers]\ncount = 10000\nworkers = 100000\n",
        );
        let sc = &e.variants[0].scenario;
        // And the default store: one node of 64 workers, one replica.
        assert_eq!(machine_bytes(sc).0, 8e9 + 64.0 * 40.0 + 8.0);
        assert!(estimate(sc).state_bytes() > 8e9);
        let why = refuse(&e, 1, 2, Some(9e9)).expect("refused");
        assert!(why.contains("8.0 GB of memory"), "{why}");
        assert!(
            why.contains("`servers.workers` or `servers.count`"),
            "{why}"
        );
        assert_eq!(
            refuse(&e, 1, 2, Some(24e9)),
            None,
            "it fits a larger machine"
        );
    }

    #[test]
    fn worker_slots_of_the_store_nodes_are_priced_and_refused_naming_the_store() {
        // 1,024 nodes x 3 replicas x 100,000 workers: 4.1 GB of operation slots.
        let e = scenario(
            "name = \"a\"\nduration = \"10m\"\n[sessions]\nstorage = \"shared_store\"\n\
             [store]\nnodes = 1024\nreplicas = 3\nworkers = 100000\n",
        );
        let (bytes, keys) = machine_bytes(&e.variants[0].scenario);
        assert_eq!(
            bytes,
            1024.0 * 100_000.0 * 40.0 + 1024.0 * 3.0 * 8.0 + 4.0 * 8.0 * 8.0
        );
        assert_eq!(keys, "`store.workers` or `store.nodes`");
        let why = refuse(&e, 1, 2, Some(4e9)).expect("refused");
        assert!(why.contains("`store.workers` or `store.nodes`"), "{why}");
    }

    #[test]
    fn the_servers_the_autoscaler_may_start_are_priced() {
        let e = scenario(
            "name = \"a\"\nduration = \"1h\"\n[servers]\ncount = 2\nworkers = 1000\n\
             [autoscale]\nmin = 1\nmax = 500\n",
        );
        let sc = &e.variants[0].scenario;
        assert_eq!(max_servers(sc), 500);
        assert_eq!(
            machine_bytes(sc).0,
            500.0 * 1000.0 * 8.0 + 64.0 * 40.0 + 8.0
        );
    }

    #[test]
    fn a_ring_too_large_to_build_at_once_is_refused_naming_the_virtual_nodes() {
        let ring = |nodes: u32| {
            scenario(&format!(
                "name = \"a\"\nduration = \"10m\"\n[servers]\ncount = 10000\n\
                 [balancer]\npolicy = \"consistent_hash\"\nvirtual_nodes = {nodes}\n"
            ))
        };
        // 10,000 x 128 = 1,280,000 points: built in about 0.1 s.
        assert_eq!(
            estimate(&ring(128).variants[0].scenario).ring_points,
            1.28e6
        );
        assert_eq!(refuse(&ring(128), 1, 2, Some(24e9)), None);
        let why = refuse(&ring(10_000), 1, 2, Some(24e9)).expect("refused");
        assert!(why.contains("100000000 points"), "{why}");
        assert!(why.contains("`balancer.virtual_nodes`"), "{why}");
    }

    /// The experiments of a sweep: `points` copies of one scenario.
    fn sweep_of(text: &str, points: usize) -> Vec<Experiment> {
        (0..points).map(|_| scenario(text)).collect()
    }

    #[test]
    fn a_sweep_is_priced_as_all_its_points_and_replications() {
        // 1,000 h less the 1 min warm-up in 10 s buckets: 359,994 buckets x 10 servers, 3.6 M
        // rows and 0.37 GB of results (64 bytes a row, 400 a bucket) per run.
        let text = "name = \"a\"\nduration = \"1000h\"\nbucket = \"10s\"\n[servers]\ncount = 10\n";
        let one = sweep_of(text, 1);
        let six = sweep_of(text, 6);
        let six: Vec<&Experiment> = six.iter().collect();
        assert_eq!(refuse_all(&[&one[0]], 1, 2, Some(1e9)), None);
        // Six points keep 21.6 M rows: more than the limit, as two replications of one do not.
        let why = refuse_all(&six, 1, 2, Some(24e9)).expect("refused");
        assert!(why.contains("21599640 rows"), "{why}");
        assert_eq!(refuse_all(&[&one[0]], 2, 2, Some(24e9)), None);
        // The results of four points (1.5 GB) do not fit in 80 % of 1 GB; one point's do.
        let why = refuse_all(&six[..4], 1, 2, Some(1e9)).expect("refused");
        assert!(why.contains("GB of memory"), "{why}");
    }

    #[test]
    fn a_sweep_gets_one_time_warning_for_all_its_points() {
        // Each point: 20 visits/s x 11 requests x 2 events x 1000 h = 1.6e9 events, 317 s.
        let points = sweep_of(
            "name = \"a\"\nduration = \"1000h\"\n[users]\nvisits_per_s = 20\n",
            50,
        );
        let all: Vec<&Experiment> = points.iter().collect();
        let warning = warn_long_all(&all, 1).expect("a warning");
        assert_eq!(warning.matches("warning").count(), 1);
        assert!(warning.contains("7.9e10 events"), "{warning}");
        assert!(warning.contains("264 minutes"), "{warning}");
    }

    #[test]
    fn random_failures_every_microsecond_are_refused_naming_the_mtbf() {
        // The store's machine fails every microsecond and is repaired in one, for 10,000 h.
        let e = scenario(
            "name = \"a\"\nduration = \"10000h\"\nbucket = \"1h\"\n\
             [failures]\nstore_mtbf = \"1us\"\nstore_mttr = \"1us\"\n",
        );
        let (events, key) = living_events(&e.variants[0].scenario);
        // 3.6e13 us / 2 us x 2 events = 3.6e13 events: 7.2e6 s, 83 days of CPU.
        assert_eq!(events, 3.6e13);
        assert_eq!(key, "`failures.store_mtbf` (or `failures.store_mttr`)");
        let why = refuse(&e, 1, 2, Some(24e9)).expect("refused");
        assert!(why.contains("83 days of CPU time"), "{why}");
        assert!(why.contains("limit of 24 hours"), "{why}");
        assert!(why.contains("lengthen `failures.store_mtbf`"), "{why}");
    }

    #[test]
    fn an_autoscaler_looking_every_microsecond_is_refused_naming_the_interval() {
        let e = scenario(
            "name = \"a\"\nduration = \"1000h\"\nbucket = \"1h\"\n[servers]\ncount = 2\n\
             [autoscale]\nmin = 1\nmax = 40\ninterval = \"1us\"\n",
        );
        // 3.6e12 looks at 40 servers: 1.44e14 events.
        assert_eq!(living_events(&e.variants[0].scenario).0, 1.44e14);
        let why = refuse(&e, 1, 2, Some(24e9)).expect("refused");
        assert!(why.contains("lengthen `autoscale.interval`"), "{why}");
    }

    #[test]
    fn a_run_of_a_year_of_cpu_time_is_refused_naming_the_rate() {
        // 1,000,000 visits/s x 11 requests x 2 events x 10,000 h: 7.9e14 events, 5 years.
        let e = scenario(
            "name = \"a\"\nduration = \"10000h\"\nbucket = \"1h\"\n[users]\n\
             visits_per_s = 1000000\nsession_ttl = \"1s\"\nthink_time = \"1ms\"\n",
        );
        let why = refuse(&e, 1, 2, None).expect("refused");
        assert!(why.contains("7.9e14 events, 1833 days"), "{why}");
        assert!(why.contains("`users.visits_per_s`"), "{why}");
    }

    /// Both servers crashed from `down_at` to `up_at` (seconds) of a 6-minute run.
    fn both_down(think: &str, down_at: u32, up_at: u32) -> Experiment {
        let events: String = [(down_at, "crash"), (up_at, "restart")]
            .iter()
            .flat_map(|&(at, action)| {
                (0..2).map(move |s| {
                    format!("[[events]]\nat = \"{at}s\"\naction = \"{action}\"\nserver = {s}\n")
                })
            })
            .collect();
        scenario(&format!(
            "name = \"a\"\nduration = \"6m\"\nbucket = \"1m\"\n[users]\nvisits_per_s = 10\n\
             think_time = \"{think}\"\n[servers]\ncount = 2\n{events}"
        ))
    }

    #[test]
    fn the_spells_without_a_server_up_are_found_in_the_timed_events() {
        assert_eq!(
            down_windows(&both_down("1s", 120, 240).variants[0].scenario),
            [120.0]
        );
        let e = scenario(
            "name = \"a\"\nduration = \"1h\"\n[servers]\ncount = 2\n\
             [[events]]\nat = \"10m\"\naction = \"crash\"\nserver = 0\n\
             [[events]]\nat = \"20m\"\naction = \"remove_servers\"\ncount = 1\n\
             [[events]]\nat = \"50m\"\naction = \"add_servers\"\ncount = 1\n",
        );
        // Server 0 crashed at 10 min; server 1 removed at 20: nobody up until the addition at 50.
        assert_eq!(down_windows(&e.variants[0].scenario), [1800.0]);
    }

    /// The engine's own count of events with two minutes and with one second of no server up:
    /// the retries priced by the guard are within a factor of two of the events they added.
    #[test]
    fn retries_while_no_server_is_up_are_priced_as_the_engine_runs_them() {
        let events = |e: &Experiment| {
            let variants: Vec<&crate::scenario::Variant> = e.variants.iter().collect();
            let runs = crate::runner::run(&variants, 1, &|_, _, _| true).expect("not interrupted");
            runs.by_replication[0][0].events_processed as f64
        };
        // The same crashes, with the servers back one second later.
        let (down, brief) = (both_down("100ms", 120, 240), both_down("100ms", 120, 121));
        let added = events(&down) - events(&brief);
        let priced = retry_events(&down.variants[0].scenario).0
            - retry_events(&brief.variants[0].scenario).0;
        // 10 visits/s for 120 s, each user retrying every 100 ms: about 0.7 million events.
        assert!(added > 5e5, "the engine added {added} events");
        assert!(
            (0.5..2.0).contains(&(priced / added)),
            "priced {priced} against {added} simulated"
        );
        let sc = &down.variants[0].scenario;
        assert_eq!(estimate(sc).retries, retry_events(sc));
    }

    #[test]
    fn a_long_spell_of_retries_every_millisecond_is_refused_naming_the_think_time() {
        // 1,000 h with both servers down from 1 h to 999 h, 20 visits/s retrying every 1 ms:
        // 20 x 3.59e6^2 / 2 / 0.001 = 1.3e17 events.
        let text = |think: &str| {
            format!(
                "name = \"a\"\nduration = \"1000h\"\nbucket = \"1h\"\n[users]\n\
                 visits_per_s = 20\nthink_time = \"{think}\"\n[servers]\ncount = 1\n\
                 [[events]]\nat = \"1h\"\naction = \"crash\"\nserver = 0\n\
                 [[events]]\nat = \"999h\"\naction = \"restart\"\nserver = 0\n"
            )
        };
        let e = scenario(&text("1ms"));
        let (events, key) = retry_events(&e.variants[0].scenario);
        assert!((1.25e17..1.35e17).contains(&events), "{events:e}");
        assert!(key.starts_with("`users.think_time`"), "{key}");
        let why = refuse(&e, 1, 2, Some(24e9)).expect("refused");
        assert!(why.contains("lengthen `users.think_time`"), "{why}");
        // The same run without the spell is accepted.
        let healthy = scenario(&text("1ms").replace("999h", "1h"));
        assert_eq!(retry_events(&healthy.variants[0].scenario).0, 0.0);
    }

    #[test]
    fn random_failures_of_a_lone_server_price_its_downtime_retries() {
        // One server down a tenth of the time (mtbf 9 min, mttr 1 min) over 10 h: 1 h without
        // a server in spells of 1 min, 60 spells of (u0 x 60 + 4 x 60^2 / 2) / 1 s retries.
        let e = scenario(
            "name = \"a\"\nduration = \"10h\"\nbucket = \"10m\"\n[servers]\ncount = 1\n\
             [failures]\nmtbf = \"9m\"\nmttr = \"1m\"\n",
        );
        let sc = &e.variants[0].scenario;
        let (u0, _) = people(sc);
        let think_s = sc.users.think_time_us as f64 / 1e6;
        let expected = 60.0 * (u0 * 60.0 + sc.users.visits_per_s * 1800.0) / think_s;
        let priced = retry_events(sc).0;
        assert!(
            (priced - expected).abs() < 1e-6 * expected,
            "{priced} against {expected}"
        );
    }
}
