//! Live mode: the same scenario on a real cluster on this machine, measured from the clients.
//!
//! Every component listens on 127.0.0.1 on an ephemeral port and nothing else is contacted:
//! `server` (N HTTP servers), `balancer` (a reverse proxy with the model's routing), `store` (an
//! embedded store over loopback TCP, or a real Redis), `loadgen` (the scenario's users, replayed
//! from the same random streams). Simulated time maps onto wall time divided by the time scale;
//! this module runs the timeline (timed events, bucket snapshots), stops everything at the end
//! (dropping a run aborts every task and kills a managed Redis), and turns what the clients saw
//! into the same result rows the engine produces (`metrics::RunResult`), so `output` writes the
//! same CSV files.
//!
//! Leaves out: the autoscaler, random failures, adding and removing servers, and the model's
//! store service times (see `docs/live.md`). The live mode is not deterministic: scheduling
//! jitter moves every time a little.

pub mod balancer;
pub mod loadgen;
pub mod server;
pub mod store;
pub mod timer;

use crate::events::Outcome;
use crate::metrics::{self, BucketRow, EventRow, Latency, Recorder, RunResult, ServerRow, Summary};
use crate::scenario::{Action, Micros, Policy, Scenario, Storage};
use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Most users the live mode runs at once (the expected number in a visit at the peak rate).
pub const MAX_CONCURRENT_USERS: f64 = 2_000.0;
/// Longest wall time of one `live` command, all variants together, in seconds.
pub const MAX_WALL_S: f64 = 600.0;
/// Most requests per second of wall time (simulated rate × time scale) the live cluster is asked
/// to carry. Each request costs the cluster and its clients about 0.2 to 0.3 ms of CPU (mostly
/// the kernel's loopback TCP: four writes and four reads over two hops), so this is about all
/// of a 2-core machine.
pub const MAX_WALL_REQUESTS_PER_S: f64 = 5_000.0;
/// Requests per wall second up to which a 2-core machine runs the cluster on time (its latency
/// measures the scenario, not the machine): `live` warns above it, and `validate` picks a time
/// scale that stays under it.
pub const ON_TIME_REQUESTS_PER_S: f64 = 2_500.0;
/// Most web servers of a live cluster.
pub const MAX_SERVERS: u32 = 32;

/// Which session store a live run uses (when a variant keeps sessions in a shared store).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreChoice {
    /// The in-process store over loopback TCP.
    Embedded,
    /// A Redis the user runs, on a loopback address; store events are not applicable.
    Redis(SocketAddr),
    /// A `redis-server` that tiersim starts on a free loopback port and stops at the end.
    RedisManaged,
}

impl StoreChoice {
    /// Parses `--store`: `embedded`, `redis-managed` or `redis://HOST:PORT` on a loopback host.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        match text {
            "embedded" => return Ok(StoreChoice::Embedded),
            "redis-managed" => return Ok(StoreChoice::RedisManaged),
            _ => {}
        }
        let bad = || {
            format!(
                "--store {text}: expected `embedded`, `redis-managed` or `redis://HOST:PORT` \
                 with a loopback HOST (127.0.0.1, localhost or ::1)"
            )
        };
        let rest = text.strip_prefix("redis://").ok_or_else(bad)?;
        let rest = rest.trim_end_matches('/');
        let rest = rest.replacen("localhost", "127.0.0.1", 1);
        let addr: SocketAddr = rest.parse().map_err(|_| bad())?;
        if !addr.ip().is_loopback() {
            return Err(bad());
        }
        Ok(StoreChoice::Redis(addr))
    }

    /// How it is spelled in messages.
    pub fn label(&self) -> String {
        match self {
            StoreChoice::Embedded => "embedded".into(),
            StoreChoice::Redis(a) => format!("redis://{a}"),
            StoreChoice::RedisManaged => "redis-managed".into(),
        }
    }
}

/// What every live component needs to know of the scenario.
#[derive(Clone, Debug)]
pub struct Config {
    /// Seed of the random streams.
    pub seed: u64,
    /// Simulated microseconds per wall microsecond.
    pub time_scale: f64,
    /// Run length (simulated).
    pub duration_us: Micros,
    /// Warm-up (simulated).
    pub warmup_us: Micros,
    /// Permits per server.
    pub workers: u32,
    /// Queue limit per server.
    pub queue_limit: u32,
    /// Mean service time of an authenticated request.
    pub service_time_us: Micros,
    /// Mean service time of a login.
    pub login_time_us: Micros,
    /// Mean think time.
    pub think_time_us: Micros,
    /// Session time to live.
    pub session_ttl_us: Micros,
    /// Routing policy.
    pub policy: Policy,
    /// Consistent-hash points per server.
    pub virtual_nodes: u32,
    /// Health-check detection delay.
    pub detection_delay_us: Micros,
    /// The model's mean store read time (what a store call is held to in `x-late-us`).
    pub store_read_us: Micros,
    /// The model's mean store write time.
    pub store_write_us: Micros,
}

impl Config {
    /// The wall duration of `us` simulated microseconds.
    pub fn wall(&self, us: Micros) -> Duration {
        Duration::from_secs_f64(us as f64 / 1e6 / self.time_scale)
    }
}

/// The state every live component shares.
pub struct Cluster {
    /// The scenario, as the components need it.
    pub config: Config,
    /// Incarnation of each server (incremented at each crash).
    pub server_gen: Vec<AtomicU64>,
    /// Incarnation of the store (incremented when a crash loses its sessions).
    pub store_gen: AtomicU64,
    /// Busy worker-time of each server, simulated microseconds.
    pub busy_us: Vec<AtomicU64>,
    /// Requests sent at or after warm-up.
    pub sent: AtomicU64,
    /// Users in a visit who have a session.
    pub logged_in: AtomicI64,
    /// Every request that ended before the end of the run.
    pub records: Mutex<Vec<Record>>,
    /// Precise sleeps of the cluster's runtime (service times, the timeline).
    pub timer: timer::Timer,
}

/// One request as its client saw it.
#[derive(Clone, Copy, Debug)]
pub struct Record {
    /// When it was sent (simulated time).
    pub sent_us: Micros,
    /// When the answer (or the error) came.
    pub end_us: Micros,
    /// What it was.
    pub outcome: Outcome,
    /// Whether it was sent as a login.
    pub login: bool,
    /// The server that answered, if one did.
    pub server: Option<u32>,
    /// How long the request was inside that server (queue, store, service; simulated time).
    pub inside_us: Option<Micros>,
    /// How much longer than the model's times its service sleep and store calls took
    /// (simulated time).
    pub late_us: Option<Micros>,
}

/// What one live run observed: the result rows, and its latency split into the part the model
/// has and the part it leaves out.
pub struct LiveRun {
    /// The same rows as a simulated run (latency as the clients saw it).
    pub result: RunResult,
    /// Latency inside the servers (arrival at the server to its answer): what the model calls
    /// latency, since the model has no network between client, balancer and server.
    pub at_server: Latency,
    /// The clients' latency minus the time inside the server, request by request: the two
    /// loopback HTTP hops and the scheduling around them (the mean is not filled in).
    pub hops: Latency,
    /// How much longer than the model's times the service sleeps and store calls took, request
    /// by request: the machine's own delay inside the servers (timer precision, the loopback
    /// round trip, waiting for the thread), which the model does not have.
    pub late: Latency,
}

/// Simulated time of a live run: wall time since the start times the scale.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: std::time::Instant,
    scale: f64,
}

impl Clock {
    /// Simulated time now.
    pub fn now_us(&self) -> Micros {
        (self.start.elapsed().as_secs_f64() * 1e6 * self.scale) as Micros
    }

    /// The wall instant of simulated time `us`.
    pub fn at(&self, us: Micros) -> std::time::Instant {
        self.start + Duration::from_secs_f64(us as f64 / 1e6 / self.scale)
    }
}

/// The runtime of the cluster (balancer, servers, store, timeline): one thread, so that handing
/// a request from one component to the next never wakes another thread.
pub fn cluster_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// A runtime that a task of another runtime owns: dropped without waiting for its tasks (a
/// runtime dropped the ordinary way from inside a task would have to block).
struct Background(Option<tokio::runtime::Runtime>);

impl Background {
    fn handle(&self) -> &tokio::runtime::Handle {
        self.0.as_ref().expect("a running runtime").handle()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// The runtime of the load generator: one worker thread of its own.
fn clients_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("tiersim-clients")
        .enable_all()
        .build()
}

/// Turns off Nagle's algorithm on a loopback connection: every message of the live cluster is
/// one write that must leave at once.
pub(crate) fn no_delay(stream: &tokio::net::TcpStream) {
    // A socket that refuses the option still works, only slower.
    let _ = stream.set_nodelay(true);
}

/// Why the live mode cannot run this variant at this time scale, naming the key (or `None`).
pub fn refuse(name: &str, sc: &Scenario, time_scale: f64) -> Option<String> {
    let v = format!("variant {name}");
    if sc.autoscale.is_some() {
        return Some(format!(
            "{v}: `autoscale` is not supported by the live mode"
        ));
    }
    if sc.failures.server_mtbf_us.is_some() || sc.failures.store_mtbf_us.is_some() {
        return Some(format!(
            "{v}: random failures (`failures.*_mtbf`) are not supported by the live mode"
        ));
    }
    for e in &sc.events {
        if matches!(
            e.action,
            Action::AddServers { .. } | Action::RemoveServers { .. }
        ) {
            return Some(format!(
                "{v}: `events` action `{}` is not supported by the live mode (crash, restart, \
                 store_crash and store_restart are)",
                e.action.name()
            ));
        }
    }
    if sc.storage.uses_store() {
        let st = &sc.store;
        if st.nodes > 1 || st.replicas > 1 || st.max_sessions.is_some() || st.queue_limit.is_some()
        {
            return Some(format!(
                "{v}: the live mode runs one store node with one copy, no memory limit and no \
                 queue limit (`store.nodes`, `store.replicas`, `store.max_sessions` and \
                 `store.queue_limit` are for the simulation; `store.network_time` is replaced by \
                 the real loopback round trip)"
            ));
        }
    }
    if let Some(e) = sc.events.iter().find(|e| {
        matches!(
            e.action,
            Action::StoreCrash { node: Some(_) } | Action::StoreRestart { node: Some(_) }
        )
    }) {
        return Some(format!(
            "{v}: `events` action `{}` with a `node` is not supported by the live mode (it runs \
             one store node: leave `node` out)",
            e.action.name()
        ));
    }
    if storage_kind(sc.storage).is_none() {
        return Some(format!(
            "{v}: `sessions.storage` = \"{}\" is not supported by the live mode (server_memory \
             and shared_store are)",
            sc.storage.as_str()
        ));
    }
    let wall_s = sc.duration_us as f64 / 1e6 / time_scale;
    if wall_s > MAX_WALL_S {
        return Some(format!(
            "{v}: `duration` at --time-scale {time_scale} takes {wall_s:.0} s of wall time, above \
             the live mode's limit of {MAX_WALL_S:.0} s; raise --time-scale or shorten `duration`"
        ));
    }
    if sc.servers.count > MAX_SERVERS {
        return Some(format!(
            "{v}: `servers.count` = {} is above the live mode's limit of {MAX_SERVERS}",
            sc.servers.count
        ));
    }
    let u = &sc.users;
    let visit_s = (1.0 + u.requests_per_visit)
        * (u.think_time_us as f64 + sc.servers.service_time_us as f64)
        / 1e6;
    let wall_rate = wall_requests_per_s(sc, time_scale);
    if wall_rate > MAX_WALL_REQUESTS_PER_S {
        return Some(format!(
            "{v}: about {wall_rate:.0} requests per wall second (`users.visits_per_s` × requests \
             per visit × --time-scale {time_scale}) is above the live mode's limit of \
             {MAX_WALL_REQUESTS_PER_S:.0}; lower --time-scale or `users.visits_per_s`"
        ));
    }
    let concurrent = u.peak_rate() * visit_s;
    if concurrent > MAX_CONCURRENT_USERS {
        return Some(format!(
            "{v}: about {concurrent:.0} users at once (`users.visits_per_s` × visit length) is \
             above the live mode's limit of {MAX_CONCURRENT_USERS:.0}"
        ));
    }
    None
}

/// About how many requests per wall second a scenario asks of the live cluster at its peak.
pub fn wall_requests_per_s(sc: &Scenario, time_scale: f64) -> f64 {
    sc.users.peak_rate() * (1.0 + sc.users.requests_per_visit) * time_scale
}

/// Whether a storage keeps sessions in server memory (`Some(false)`) or in the shared store
/// (`Some(true)`); `None` for a storage the live mode does not implement.
#[allow(unreachable_patterns)]
fn storage_kind(s: Storage) -> Option<bool> {
    match s {
        Storage::ServerMemory => Some(false),
        Storage::SharedStore => Some(true),
        _ => None,
    }
}

/// The running store of a live run.
enum LiveStore {
    Embedded(store::Embedded),
    External,
    Managed(store::ManagedRedis),
}

/// Runs one variant on a live cluster and returns what its clients observed.
pub async fn run_variant(
    name: &str,
    sc: &Scenario,
    time_scale: f64,
    choice: &StoreChoice,
    announce: bool,
    stop: &tokio::sync::Notify,
) -> Result<LiveRun> {
    let config = Config {
        seed: sc.seed,
        time_scale,
        duration_us: sc.duration_us,
        warmup_us: sc.warmup_us,
        workers: sc.servers.workers,
        queue_limit: sc.servers.queue_limit,
        service_time_us: sc.servers.service_time_us,
        login_time_us: sc.servers.login_time_us,
        think_time_us: sc.users.think_time_us,
        session_ttl_us: sc.users.session_ttl_us,
        policy: sc.balancer.policy,
        virtual_nodes: sc.balancer.virtual_nodes,
        detection_delay_us: sc.balancer.detection_delay_us,
        store_read_us: sc.store.read_time_us + sc.store.network_time_us,
        store_write_us: sc.store.write_time_us + sc.store.network_time_us,
    };
    let n = sc.servers.count as usize;
    let cluster = Arc::new(Cluster {
        config,
        server_gen: (0..n).map(|_| AtomicU64::new(0)).collect(),
        store_gen: AtomicU64::new(0),
        busy_us: (0..n).map(|_| AtomicU64::new(0)).collect(),
        sent: AtomicU64::new(0),
        logged_in: AtomicI64::new(0),
        records: Mutex::new(Vec::new()),
        timer: timer::Timer::start().context("cannot start the live timer")?,
    });
    let shared = storage_kind(sc.storage).context("unsupported storage")?;
    let (mut live_store, client) = if shared {
        let (s, addr) = match choice {
            StoreChoice::Embedded => {
                let e = store::Embedded::start().await?;
                let a = e.addr();
                (LiveStore::Embedded(e), a)
            }
            StoreChoice::Redis(a) => (LiveStore::External, *a),
            StoreChoice::RedisManaged => {
                let m = store::ManagedRedis::start().await?;
                let a = m.addr();
                (LiveStore::Managed(m), a)
            }
        };
        let client = Arc::new(match choice {
            // Someone else's Redis: the run's keys carry a prefix and are removed at the end.
            StoreChoice::Redis(_) => {
                store::Client::with_prefix(addr, format!("tiersim:{}:{name}:", std::process::id()))
            }
            _ => store::Client::new(addr),
        });
        client
            .call(&[b"PING"])
            .await
            .with_context(|| format!("the session store at {addr} does not answer"))?;
        (Some(s), Some(client))
    } else {
        (None, None)
    };
    let sessions = match &client {
        Some(c) => server::Sessions::Store(c.clone()),
        None => server::Sessions::Memory,
    };
    let mut servers = Vec::with_capacity(n);
    for id in 0..n as u32 {
        servers.push(server::Server::start(id, sessions.clone(), cluster.clone()).await?);
    }
    let balancer =
        balancer::Balancer::start(cluster.clone(), servers.iter().map(|s| s.addr()).collect())
            .await?;
    if announce {
        eprintln!(
            "{}",
            endpoints(&balancer, &servers, live_store.as_ref(), client.as_deref())
        );
    }
    let clock = Clock {
        start: std::time::Instant::now(),
        scale: time_scale,
    };
    // The users run on their own thread, as clients on another machine would: the cluster and
    // its clients then share nothing but loopback sockets, and neither waits for the other's
    // tasks to be scheduled.
    let clients = Background(Some(
        clients_runtime().context("cannot start the clients' runtime")?,
    ));
    let load = clients.handle().spawn(loadgen::replay(
        sc.clone(),
        cluster.clone(),
        balancer.addr(),
        clock,
    ));
    let result = timeline(
        sc,
        &cluster,
        &clock,
        &mut servers,
        &balancer,
        (&mut live_store, client.as_deref()),
        stop,
    )
    .await;
    load.abort();
    let _ = load.await;
    drop(clients);
    // Stop the balancer and the servers (dropping them aborts their tasks), so that no request
    // writes a session after the clean-up below.
    drop(balancer);
    drop(servers);
    if let Some(c) = &client {
        // A command already on its way to the store lands within this pause.
        cluster.timer.sleep(Duration::from_millis(50)).await;
        // A key left behind in someone else's Redis would be counted by the next run.
        c.remove_own()
            .await
            .context("cannot remove the run's sessions from the store")?;
    }
    if let Some(LiveStore::Managed(m)) = live_store.as_mut() {
        m.stop().await;
    }
    let (snapshots, events) = result?;
    let result = build_result(name, sc, &cluster, &snapshots, events);
    let (at_server, hops, late) = split_latency(sc, &cluster);
    Ok(LiveRun {
        result,
        at_server,
        hops,
        late,
    })
}

/// Nearest-rank percentiles of latencies in simulated microseconds (sorted in place).
fn percentiles(values: &mut [Micros], mean: bool) -> Latency {
    if values.is_empty() {
        return Latency::default();
    }
    values.sort_unstable();
    let rank =
        |q: f64| values[((q * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1];
    Latency {
        mean_us: mean.then(|| values.iter().map(|&v| v as f64).sum::<f64>() / values.len() as f64),
        p50_us: Some(rank(0.50)),
        p95_us: Some(rank(0.95)),
        p99_us: Some(rank(0.99)),
    }
}

/// Latency inside the servers, the clients' latency beyond it, and how late the service sleeps
/// ended, over the requests the result's latency counts (sent after warm-up, ended before the
/// end, answered by a server).
fn split_latency(sc: &Scenario, cluster: &Cluster) -> (Latency, Latency, Latency) {
    let records = cluster.records.lock().expect("records lock");
    let (mut inside, mut hops, mut late) = (Vec::new(), Vec::new(), Vec::new());
    for r in records.iter() {
        if r.sent_us < sc.warmup_us || r.end_us >= sc.duration_us || r.server.is_none() {
            continue;
        }
        if let Some(i) = r.inside_us {
            inside.push(i);
            hops.push((r.end_us - r.sent_us).saturating_sub(i));
            late.push(r.late_us.unwrap_or(0));
        }
    }
    (
        percentiles(&mut inside, true),
        percentiles(&mut hops, false),
        percentiles(&mut late, false),
    )
}

/// Where the cluster listens (and the managed Redis's process id), for `tiersim live` to print:
/// everything it names is gone when the command ends.
fn endpoints(
    balancer: &balancer::Balancer,
    servers: &[server::Server],
    store: Option<&LiveStore>,
    client: Option<&store::Client>,
) -> String {
    let servers: Vec<String> = servers.iter().map(|s| s.addr().to_string()).collect();
    let mut out = format!(
        "live: balancer {} servers {}",
        balancer.addr(),
        servers.join(" ")
    );
    match (store, client) {
        (Some(LiveStore::Managed(m)), _) => {
            out += &format!(
                " store {} redis-server pid {}",
                m.addr(),
                m.pid().unwrap_or(0)
            );
        }
        (Some(LiveStore::External), Some(c)) => out += &format!(" store redis://{}", c.addr()),
        (Some(_), Some(c)) => out += &format!(" store {}", c.addr()),
        _ => {}
    }
    out
}

/// The state of the cluster at one bucket boundary.
struct Snapshot {
    at_us: Micros,
    rotation: Vec<u32>,
    up: Vec<bool>,
    sessions: Vec<u64>,
    busy_us: Vec<u64>,
    store_sessions: u64,
}

async fn snapshot(
    at_us: Micros,
    servers: &[server::Server],
    balancer: &balancer::Balancer,
    client: Option<&store::Client>,
) -> Snapshot {
    let store_sessions = match client {
        Some(c) => c.size().await.unwrap_or(0),
        None => 0,
    };
    Snapshot {
        at_us,
        rotation: balancer.rotation(),
        up: servers.iter().map(|s| s.up()).collect(),
        sessions: servers.iter().map(|s| s.sessions()).collect(),
        busy_us: servers.iter().map(|s| s.busy_us()).collect(),
        store_sessions,
    }
}

fn alive(servers: &[server::Server]) -> (u32, u64) {
    let up = servers.iter().filter(|s| s.up()).count() as u32;
    (up, servers.iter().map(|s| s.sessions()).sum())
}

async fn timeline(
    sc: &Scenario,
    cluster: &Cluster,
    clock: &Clock,
    servers: &mut [server::Server],
    balancer: &balancer::Balancer,
    (store, client): (&mut Option<LiveStore>, Option<&store::Client>),
    stop: &tokio::sync::Notify,
) -> Result<(Vec<Snapshot>, Vec<EventRow>)> {
    // Bucket boundaries and timed events, in time order (a boundary before an event at the same
    // time, as in the engine).
    let mut marks: Vec<(Micros, Option<usize>)> = Vec::new();
    let mut t = sc.warmup_us;
    while t < sc.duration_us {
        marks.push((t, None));
        t += sc.bucket_us;
    }
    marks.push((sc.duration_us, None));
    for (i, e) in sc.events.iter().enumerate() {
        if e.at_us < sc.duration_us {
            marks.push((e.at_us, Some(i)));
        }
    }
    marks.sort_by_key(|&(t, e)| (t, e.is_some(), e));
    let mut snapshots = Vec::new();
    let mut rows = Vec::new();
    for (at, event) in marks {
        tokio::select! {
            _ = cluster.timer.sleep_until(clock.at(at)) => {}
            _ = stop.notified() => anyhow::bail!("the live run was stopped"),
        }
        let Some(i) = event else {
            snapshots.push(snapshot(at, servers, balancer, client).await);
            continue;
        };
        let action = sc.events[i].action;
        let (before, mut alive_before) = alive(servers);
        if let Some(c) = client {
            alive_before += c.size().await.unwrap_or(0);
        }
        let logged_in = cluster.logged_in.load(Ordering::Relaxed).max(0) as u64;
        let (lost, target) = match action {
            Action::Crash { server } => (servers[server as usize].crash(), Some(server)),
            Action::Restart { server } => {
                servers[server as usize].restart().await?;
                (0, Some(server))
            }
            Action::StoreCrash { .. } => {
                let lost = match store.as_mut() {
                    Some(LiveStore::Embedded(e)) => e.crash(sc.store.durable),
                    Some(LiveStore::Managed(m)) => m.crash().await,
                    _ => 0,
                };
                if lost > 0 || !sc.store.durable {
                    cluster.store_gen.fetch_add(1, Ordering::SeqCst);
                }
                if let Some(c) = client {
                    c.reset();
                }
                (lost, None)
            }
            Action::StoreRestart { .. } => {
                match store.as_mut() {
                    Some(LiveStore::Embedded(e)) => e.restart().await?,
                    Some(LiveStore::Managed(m)) => m.restart().await?,
                    _ => {}
                }
                (0, None)
            }
            other => anyhow::bail!("the live mode does not run `{}` events", other.name()),
        };
        let (after, _) = alive(servers);
        rows.push(EventRow {
            at_us: at,
            action: action.into(),
            target,
            servers_before: before,
            servers_after: after,
            sessions_alive: alive_before,
            sessions_lost: lost,
            users_remapped: None,
            rebalance_s: None,
            users_logged_in: logged_in,
        });
    }
    Ok((snapshots, rows))
}

/// The result rows from what the clients observed and the bucket snapshots.
fn build_result(
    name: &str,
    sc: &Scenario,
    cluster: &Cluster,
    snapshots: &[Snapshot],
    mut events: Vec<EventRow>,
) -> RunResult {
    let mut records = cluster.records.lock().expect("records lock").clone();
    records.sort_by_key(|r| (r.end_us, r.sent_us));
    let mut rec = Recorder::new(sc.warmup_us);
    let mut buckets = Vec::new();
    let mut servers = Vec::new();
    let mut next = 0;
    let n = sc.servers.count as usize;
    // Requests that ended before the first boundary (warm-up) are not counted anyway.
    while next < records.len() && records[next].end_us < sc.warmup_us {
        next += 1;
    }
    let mut latency_sum_us = 0u128;
    for w in snapshots.windows(2) {
        let (start, end) = (&w[0], &w[1]);
        rec.served_in_bucket = vec![0; n];
        while next < records.len() && records[next].end_us < end.at_us {
            let r = records[next];
            rec.request_ended(r.sent_us, r.end_us, r.outcome, r.login, r.server);
            if r.server.is_some() && r.sent_us >= sc.warmup_us {
                latency_sum_us += u128::from(r.end_us - r.sent_us);
            }
            next += 1;
        }
        let len_us = end.at_us - start.at_us;
        let served = rec.served_in_bucket.clone();
        for (id, &requests) in served.iter().enumerate() {
            let busy = end.busy_us[id].saturating_sub(start.busy_us[id]);
            let capacity = u64::from(sc.servers.workers) * len_us;
            servers.push(ServerRow {
                start_us: start.at_us,
                server: id as u32,
                up: end.up[id],
                requests,
                busy_fraction: if capacity == 0 {
                    0.0
                } else {
                    busy as f64 / capacity as f64
                },
                sessions: end.sessions[id],
            });
        }
        buckets.push(BucketRow {
            start_us: start.at_us,
            len_us,
            counts: std::mem::take(&mut rec.bucket),
            latency: rec.take_bucket_latency(),
            servers_in_rotation: end.rotation.len() as u32,
            sessions_alive: end.sessions.iter().sum::<u64>() + end.store_sessions,
            store_ops: 0,
            imbalance: metrics::imbalance(end.rotation.iter().map(|&s| served[s as usize])),
        });
    }
    let counts = rec.total;
    let measured: Vec<&Record> = records
        .iter()
        .filter(|r| r.sent_us >= sc.warmup_us && r.end_us < sc.duration_us)
        .collect();
    let created = measured
        .iter()
        .filter(|r| {
            matches!(r.outcome, Outcome::FailedAuth(_)) || (r.login && r.outcome == Outcome::Ok)
        })
        .count() as u64;
    let shared = storage_kind(sc.storage) == Some(true);
    let reads = measured
        .iter()
        .filter(|r| !r.login && r.server.is_some())
        .count() as u64;
    for e in &mut events {
        e.rebalance_s = metrics::rebalance_s(e.at_us, &buckets);
    }
    let imbalances: Vec<f64> = buckets.iter().filter_map(|b| b.imbalance).collect();
    let measured_s = (sc.duration_us - sc.warmup_us) as f64 / 1e6;
    let sent = cluster.sent.load(Ordering::Relaxed);
    let summary = Summary {
        counts,
        sent,
        unfinished: sent.saturating_sub(counts.ended()),
        sessions_created: created,
        sessions_lost: events
            .iter()
            .filter(|e| e.at_us >= sc.warmup_us)
            .map(|e| e.sessions_lost)
            .sum(),
        sessions_expired: counts.failed_expired,
        latency: rec.total_latency(),
        imbalance: (!imbalances.is_empty())
            .then(|| imbalances.iter().sum::<f64>() / imbalances.len() as f64),
        store_reads: if shared { reads } else { 0 },
        store_writes: if shared { created } else { 0 },
        users_remapped: None,
        sessions_evicted: 0,
        cache_hits: 0,
        session_copies: 0,
        mean_in_tier: latency_sum_us as f64 / 1e6 / measured_s.max(1e-9),
        measured_s,
    };
    RunResult {
        variant: name.to_string(),
        summary,
        buckets,
        servers,
        events,
        events_processed: 0,
        requests_simulated: 0,
        audit: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut v: Vec<Micros> = (1..=200).rev().collect();
        let l = percentiles(&mut v, true);
        assert_eq!(
            (l.p50_us, l.p95_us, l.p99_us),
            (Some(100), Some(190), Some(198))
        );
        assert_eq!(l.mean_us, Some(100.5));
        assert_eq!(percentiles(&mut [7], false).p99_us, Some(7));
        assert_eq!(percentiles(&mut [], true), Latency::default());
    }
}
