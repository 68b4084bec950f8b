//! What the live mode can run on this machine, and why it refuses the rest, naming the key.
//!
//! The live cluster implements crashes and restarts of servers and of one store node, servers
//! added and removed, with sessions in server memory or in a shared store; it runs for at most
//! `--max-wall` of wall time (by default [`DEFAULT_MAX_WALL_S`], [`VALIDATE_MAX_WALL_S`] for
//! `validate`, at most
//! [`LONGEST_MAX_WALL_S`]), carries at most [`MAX_WALL_REQUESTS_PER_S`] and
//! [`MAX_CONCURRENT_USERS`], with at most [`MAX_SERVERS`] servers, and within the process's limit of open files (raised to the hard
//! limit at start-up: [`raise_open_files_limit`], [`too_many_files`]).
//!
//! Leaves out: measuring the machine beyond its cores and the cost of a request
//! (`super::calibrate`); the hard limits were measured on a 2-core machine.

use crate::scenario::{Action, Scenario, SessionHome, Storage};

/// Most users the live mode runs at once (the expected number in a visit at the peak rate).
pub const MAX_CONCURRENT_USERS: f64 = 2_000.0;
/// Longest wall time of one `live` command, all variants together, in seconds, unless
/// `--max-wall` says otherwise: a run that would take longer is refused before it starts.
pub const DEFAULT_MAX_WALL_S: f64 = 600.0;
/// The same for `validate`, whose purpose is the long check: 03's four variants of 22 minutes,
/// on time at `--time-scale` 4 or 5 on 2 cores, take 18 to 22 minutes.
pub const VALIDATE_MAX_WALL_S: f64 = 1_800.0;
/// The most `--max-wall` accepts, in seconds (a day).
pub const LONGEST_MAX_WALL_S: f64 = 86_400.0;
/// Most requests per second of wall time (simulated rate × time scale) the live cluster is asked
/// to carry. Each request costs the cluster and its clients about 0.2 to 0.3 ms of CPU (mostly
/// the kernel's loopback TCP: four writes and four reads over two hops), so this is about all
/// of a 2-core machine.
pub const MAX_WALL_REQUESTS_PER_S: f64 = 5_000.0;
/// CPU time one request of the calibration burst (`super::calibrate`) costs, in seconds, when it
/// is not measured (`--time-scale` given, or the burst failed): 0.16 to 0.19 ms on the 2-core
/// development machine doing nothing else (2026-11-30, release build; 0.12 to 0.17 ms earlier
/// the same day while other work ran). A whole run costs about as much per request (0.15 ms for
/// 03's shared-store variant at `--time-scale 5`, its process's CPU time over its requests: its
/// users' timers and tasks, the servers' service sleeps), and `perf` put it at 0.2 to 0.3 ms,
/// most of it the kernel's loopback TCP.
pub const CPU_PER_REQUEST_S: f64 = 0.000_17;
/// Share of each core the cluster may keep busy, counted in the calibration burst's CPU time per
/// request, and still run on time (its latency measures the scenario, not the machine). On the
/// 2-core development machine doing nothing else (2026-11-30), 03's shared-store variant was on
/// time at 2,520, 3,150 and 4,410 requests per wall second (every judged latency agreed), where
/// the burst measured 0.16 to 0.19 ms: 4,410 × 0.16 ms / 2 = 0.35 of each core. Four fifths of
/// that, 0.28, leaves room for the burst's spread and a machine not quite idle: 3,500 requests
/// per wall second on 2 cores at 0.16 ms. The cluster runs on one thread and its users on
/// another, so a run on time keeps each well under a whole core.
pub const ON_TIME_CORE_SHARE: f64 = 0.28;

/// This machine's cores (1 when unknown).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Most web servers of a live cluster.
pub const MAX_SERVERS: u32 = 32;

/// Why the live mode cannot run this variant at this time scale within `max_wall_s` seconds of
/// wall time, naming the key (or `None`).
pub fn refuse(name: &str, sc: &Scenario, time_scale: f64, max_wall_s: f64) -> Option<String> {
    unsupported(name, sc).or_else(|| {
        let why = over_limits(sc, time_scale, max_wall_s)?;
        Some(format!("variant {name}: {why}"))
    })
}

/// Why the live mode cannot run this variant at any time scale, naming the key (or `None`): a
/// feature or a store it does not build.
pub fn unsupported(name: &str, sc: &Scenario) -> Option<String> {
    let why = unsupported_feature(sc).or_else(|| unsupported_store(sc))?;
    Some(format!("variant {name}: {why}"))
}

/// About how many requests per wall second a scenario asks of the live cluster at its peak.
pub fn wall_requests_per_s(sc: &Scenario, time_scale: f64) -> f64 {
    sc.users.peak_rate() * (1.0 + sc.users.requests_per_visit) * time_scale
}

/// Where sessions live under a storage the live mode implements (server memory, or the shared
/// store), `None` for the others.
pub(super) fn live_home(s: Storage) -> Option<SessionHome> {
    match s {
        Storage::ServerMemory | Storage::SharedStore => Some(s.home()),
        Storage::ServerReplicated | Storage::CachedStore | Storage::SignedCookie => None,
    }
}

/// Several data centres, returning users, the autoscaler and random failures.
fn unsupported_feature(sc: &Scenario) -> Option<String> {
    if sc.geo.is_some() {
        return Some(
            "several data centres (`datacenters`) are not supported by the live mode: it runs \
             one cluster on loopback; remove `[[datacenters]]` (and `[geo]`) to run one data \
             centre live"
                .into(),
        );
    }
    if sc.users.population > 0 {
        return Some(
            "returning users (`users.population` > 0) are not supported by the live mode: its \
             load generator makes every visit a new user; set `users.population = 0`"
                .into(),
        );
    }
    if sc.autoscale.is_some() {
        return Some("`autoscale` is not supported by the live mode".into());
    }
    if sc.failures.server_mtbf_us.is_some() || sc.failures.store_mtbf_us.is_some() {
        return Some(
            "random failures (`failures.*_mtbf`) are not supported by the live mode".into(),
        );
    }
    None
}

/// How many server slots a live cluster of `sc` needs: the most servers it ever has, counting
/// `add_servers` and `remove_servers` in time order (the model's servers are numbered the same
/// way: an addition takes the next numbers, a removal the highest).
pub fn server_slots(sc: &Scenario) -> u32 {
    let mut events: Vec<_> = sc.events.iter().collect();
    events.sort_by_key(|e| e.at_us);
    let (mut now, mut most) = (sc.servers.count, sc.servers.count);
    for e in events {
        match e.action {
            Action::AddServers { count } => now += count,
            Action::RemoveServers { count } => now = now.saturating_sub(count),
            _ => {}
        }
        most = most.max(now);
    }
    most
}

/// More than one plain store node, a store event naming a node other than 0 (the one node the
/// live store is), or a storage design the live mode does not build.
fn unsupported_store(sc: &Scenario) -> Option<String> {
    let st = &sc.store;
    let limited =
        st.nodes > 1 || st.replicas > 1 || st.max_sessions.is_some() || st.queue_limit.is_some();
    if sc.storage.uses_store() && limited {
        return Some(
            "the live mode runs one store node with one copy, no memory limit and no queue limit \
             (`store.nodes`, `store.replicas`, `store.max_sessions` and `store.queue_limit` are \
             for the simulation; `store.network_time` is replaced by the real loopback round \
             trip)"
                .into(),
        );
    }
    if let Some(e) = sc.events.iter().find(|e| {
        matches!(
            e.action,
            Action::StoreCrash { node: Some(1..) } | Action::StoreRestart { node: Some(1..) }
        )
    }) {
        return Some(format!(
            "`events` action `{}` with a `node` other than 0 is not supported by the live mode \
             (it runs one store node: leave `node` out, or name node 0)",
            e.action.name()
        ));
    }
    live_home(sc.storage).is_none().then(|| {
        format!(
            "`sessions.storage` = \"{}\" is not supported by the live mode (server_memory and \
             shared_store are)",
            sc.storage.as_str()
        )
    })
}

/// Wall time, servers, requests per wall second and users at once above the machine's limits.
fn over_limits(sc: &Scenario, time_scale: f64, max_wall_s: f64) -> Option<String> {
    let wall_s = sc.duration_us as f64 / 1e6 / time_scale;
    if wall_s > max_wall_s {
        return Some(format!(
            "`duration` at --time-scale {time_scale} takes {wall_s:.0} s of wall time, above \
             the limit of {max_wall_s:.0} s (--max-wall); raise --time-scale or --max-wall, or \
             shorten `duration`"
        ));
    }
    let slots = server_slots(sc);
    if slots > MAX_SERVERS {
        return Some(format!(
            "{slots} servers at once (`servers.count` and `add_servers` events) is above the \
             live mode's limit of {MAX_SERVERS}"
        ));
    }
    let wall_rate = wall_requests_per_s(sc, time_scale);
    if wall_rate > MAX_WALL_REQUESTS_PER_S {
        return Some(format!(
            "about {wall_rate:.0} requests per wall second (`users.visits_per_s` × requests \
             per visit × --time-scale {time_scale}) is above the live mode's limit of \
             {MAX_WALL_REQUESTS_PER_S:.0}; lower --time-scale or `users.visits_per_s`"
        ));
    }
    let concurrent = users_at_once(sc);
    (concurrent > MAX_CONCURRENT_USERS).then(|| {
        format!(
            "about {concurrent:.0} users at once (`users.visits_per_s` × visit length) is above \
             the live mode's limit of {MAX_CONCURRENT_USERS:.0}"
        )
    })
}

/// About how many users are in a visit at once at the peak rate (the rate × a visit's length).
fn users_at_once(sc: &Scenario) -> f64 {
    let u = &sc.users;
    let visit_s = (1.0 + u.requests_per_visit)
        * (u.think_time_us as f64 + sc.servers.service_time_us as f64)
        / 1e6;
    u.peak_rate() * visit_s
}

/// Most connections the load generator's users share ([`client_connections`]).
pub const MAX_CLIENT_CONNECTIONS: u64 = 1_024;

/// How many keep-alive connections to the balancer the users of `sc` share: twice the users
/// expected at once (each has at most one request in flight), at least 4 and at most
/// [`MAX_CLIENT_CONNECTIONS`]. A run on time has far fewer requests in flight (the rate times
/// the latency: tens), so users wait for a connection only when the machine is overloaded.
pub fn client_connections(sc: &Scenario) -> u64 {
    ((2.0 * users_at_once(sc)).ceil() as u64).clamp(4, MAX_CLIENT_CONNECTIONS)
}

/// Open files the live mode's process may hold per connection of the load generator: its own
/// end and the balancer's accepted end; the built-in balancer's connections to the servers (at
/// most one in use per client connection and as many idle), both ends; a server's connection to
/// the store while it serves that request, both ends.
pub const FILES_PER_CONNECTION: u64 = 8;
/// Idle connections the servers keep to the store (`store::Client`), both ends counted below.
pub const STORE_IDLE: u64 = 64;
/// Open files of the live mode's process whatever its users: standard streams, listeners, the
/// runtimes' polls and timers, health checks, a managed Redis's pipes.
pub const FILES_BASE: u64 = 256;

/// About how many files the live cluster of `sc` opens at its peak, an upper bound:
/// [`FILES_BASE`], [`FILES_PER_CONNECTION`] per connection of the load generator
/// ([`client_connections`]), and both ends of the idle connections to the store and of the
/// balancer's idle connections beyond an even share (one per server). Behind HAProxy this
/// process holds fewer: HAProxy's ends are its own.
pub fn open_files_needed(sc: &Scenario) -> u64 {
    let store_idle = if sc.storage.uses_store() {
        STORE_IDLE
    } else {
        0
    };
    let idle = 2 * (store_idle + u64::from(server_slots(sc)));
    FILES_BASE + FILES_PER_CONNECTION * client_connections(sc) + idle
}

/// Why the live cluster of `sc` would run out of file descriptors under a limit of `limit` open
/// files (or `None`): a run that did would measure the harness's errors, not the scenario's.
pub fn too_many_files(name: &str, sc: &Scenario, limit: u64) -> Option<String> {
    let needed = open_files_needed(sc);
    (needed > limit).then(|| {
        format!(
            "variant {name}: about {users:.0} users at once (`users.visits_per_s` × visit \
             length) share {connections} connections to the balancer and need about {needed} \
             open files ({FILES_BASE} + {FILES_PER_CONNECTION} per connection and the idle \
             ones), above this process's limit of {limit} (`ulimit -n`, already raised to the \
             hard limit); raise the hard limit or lower `users.visits_per_s`",
            users = users_at_once(sc),
            connections = client_connections(sc)
        )
    })
}

/// Raises this process's soft limit of open files to its hard limit, and returns the limit now
/// in force (`None`: unlimited, or not known on this system).
pub fn raise_open_files_limit() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Resource, getrlimit, setrlimit};
        let limit = getrlimit(Resource::Nofile);
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        // Refused (a hard limit above what the kernel allows): the soft limit stays.
        let _ = setrlimit(Resource::Nofile, raised);
        getrlimit(Resource::Nofile).current
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}
