//! What the live mode can run on this machine, and why it refuses the rest, naming the key.
//!
//! The live cluster implements crashes and restarts of servers and of one store node, servers
//! added and removed, with
//! sessions in server memory or in a shared store; it runs for at most [`MAX_WALL_S`] of wall
//! time, carries at most [`MAX_WALL_REQUESTS_PER_S`] and [`MAX_CONCURRENT_USERS`], with at most
//! [`MAX_SERVERS`] servers, and within the process's limit of open files (raised to the hard
//! limit at start-up: [`raise_open_files_limit`], [`too_many_files`]).
//!
//! Leaves out: measuring the machine beyond its cores; the cost per request and the hard limits
//! were measured on a 2-core machine.

use crate::scenario::{Action, Scenario, SessionHome, Storage};

/// Most users the live mode runs at once (the expected number in a visit at the peak rate).
pub const MAX_CONCURRENT_USERS: f64 = 2_000.0;
/// Longest wall time of one `live` command, all variants together, in seconds.
pub const MAX_WALL_S: f64 = 600.0;
/// Most requests per second of wall time (simulated rate × time scale) the live cluster is asked
/// to carry. Each request costs the cluster and its clients about 0.2 to 0.3 ms of CPU (mostly
/// the kernel's loopback TCP: four writes and four reads over two hops), so this is about all
/// of a 2-core machine.
pub const MAX_WALL_REQUESTS_PER_S: f64 = 5_000.0;
/// CPU time one request costs the cluster and its clients, in seconds: 0.2 to 0.3 ms measured
/// with `perf` on the 2-core development machine, most of it the kernel's loopback TCP.
pub const CPU_PER_REQUEST_S: f64 = 0.000_25;
/// Share of each core the cluster may keep busy and still run on time (its latency measures the
/// scenario, not the machine): 2,500 requests per wall second ran on time on 2 cores, 2,500 ×
/// 0.25 ms / 2 = 0.3125.
pub const ON_TIME_CORE_SHARE: f64 = 0.3125;

/// This machine's cores (1 when unknown).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Requests per wall second up to which `cores` cores run the cluster on time: `live` warns
/// above it, and the default time scale of `live` and `validate` stays under it (2,500 on 2
/// cores).
pub fn on_time_requests_per_s(cores: usize) -> f64 {
    cores as f64 * ON_TIME_CORE_SHARE / CPU_PER_REQUEST_S
}
/// Most web servers of a live cluster.
pub const MAX_SERVERS: u32 = 32;

/// Why the live mode cannot run this variant at this time scale, naming the key (or `None`).
pub fn refuse(name: &str, sc: &Scenario, time_scale: f64) -> Option<String> {
    let why = unsupported_feature(sc)
        .or_else(|| unsupported_store(sc))
        .or_else(|| over_limits(sc, time_scale))?;
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
fn over_limits(sc: &Scenario, time_scale: f64) -> Option<String> {
    let wall_s = sc.duration_us as f64 / 1e6 / time_scale;
    if wall_s > MAX_WALL_S {
        return Some(format!(
            "`duration` at --time-scale {time_scale} takes {wall_s:.0} s of wall time, above \
             the live mode's limit of {MAX_WALL_S:.0} s; raise --time-scale or shorten `duration`"
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

/// Open files one user in a visit can hold in the live mode's process: both ends of its
/// connection to the balancer, of the balancer's connection to a server, and of the server's
/// connection to the store.
pub const FILES_PER_USER: u64 = 6;
/// Open files of the live mode's process whatever its users: standard streams, listeners, the
/// runtimes' polls and timers, health checks, a managed Redis's pipes.
pub const FILES_BASE: u64 = 256;

/// About how many files the live cluster of `sc` opens at its peak: [`FILES_BASE`] and
/// [`FILES_PER_USER`] per user at once, with room for twice the expected users.
pub fn open_files_needed(sc: &Scenario) -> u64 {
    FILES_BASE + FILES_PER_USER * (2.0 * users_at_once(sc)).ceil() as u64
}

/// Why the live cluster of `sc` would run out of file descriptors under a limit of `limit` open
/// files (or `None`): a run that did would measure the harness's errors, not the scenario's.
pub fn too_many_files(name: &str, sc: &Scenario, limit: u64) -> Option<String> {
    let needed = open_files_needed(sc);
    (needed > limit).then(|| {
        format!(
            "variant {name}: about {users:.0} users at once (`users.visits_per_s` × visit \
             length) need about {needed} open files ({FILES_BASE} + {FILES_PER_USER} per user, \
             twice the expected users), above this process's limit of {limit} (`ulimit -n`, \
             already raised to the hard limit); raise the hard limit or lower \
             `users.visits_per_s`",
            users = users_at_once(sc)
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
