//! Live mode: the same scenario on a real cluster on this machine, measured from the clients.
//!
//! Every component listens on 127.0.0.1 on an ephemeral port and nothing else is contacted:
//! `server` (N HTTP servers), `balancer` (a reverse proxy with the model's routing; or
//! `haproxy`, Debian's HAProxy configured from the scenario, with `--balancer haproxy`; `child`
//! starts it and a managed Redis so that they die with tiersim), `store` (an
//! embedded store over loopback TCP, or a real Redis, chosen in `store_choice`), `loadgen` (the
//! scenario's users, drawing from the model's own streams and draws). They speak the HTTP
//! protocol of `protocol` over the plumbing of `net`. Simulated time maps onto wall time divided
//! by the time scale; this module starts a run and stops everything at its end (dropping a run
//! aborts every task and kills a managed Redis), `timeline` runs the timed events and the bucket
//! snapshots, `result` turns what the clients saw into the same result rows the engine produces
//! (`metrics::RunResult`), so `output` writes the same CSV files. `limits` says what the live
//! mode refuses to run; `validate` judges a live run against the simulation.
//!
//! Leaves out: the autoscaler, random failures, and the model's store service times (see `docs/live.md`). The live mode is not deterministic: scheduling
//! jitter moves every time a little.

pub mod balancer;
pub mod calibrate;
mod child;
pub mod haproxy;
mod limits;
pub mod loadgen;
mod net;
mod pool;
pub mod protocol;
mod resp;
mod result;
pub mod server;
pub mod store;
mod store_choice;
mod timeline;
pub mod timer;
pub mod validate;

pub use calibrate::{Capacity, calibrate, on_time_requests_per_s};
pub use limits::{
    CPU_PER_REQUEST_S, DEFAULT_MAX_WALL_S, LONGEST_MAX_WALL_S, MAX_CLIENT_CONNECTIONS,
    MAX_CONCURRENT_USERS, MAX_SERVERS, MAX_WALL_REQUESTS_PER_S, ON_TIME_CORE_SHARE,
    VALIDATE_MAX_WALL_S, client_connections, cores, open_files_needed, raise_open_files_limit,
    refuse, server_slots, too_many_files, unsupported, wall_requests_per_s,
};
pub use store_choice::StoreChoice;

use crate::events::Outcome;
use crate::metrics::{Latency, RunResult};
use crate::scenario::{Micros, Scenario, SessionHome};
use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store_choice::SessionStore;

/// The shortest wait for a request head ([`Cluster::header_timeout`]).
pub const MIN_HEADER_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest wait for a request head ([`Cluster::header_timeout`]).
pub const MAX_HEADER_TIMEOUT: Duration = Duration::from_secs(60);

/// The state every live component shares.
pub struct Cluster {
    /// The scenario the cluster runs.
    pub sc: Scenario,
    /// Simulated microseconds per wall microsecond.
    pub time_scale: f64,
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
    /// What went wrong during the run without ending it (a server that could not restart).
    pub warnings: Mutex<Vec<String>>,
    /// Requests whose user waited for one of the shared connections to the balancer (all were
    /// in use: the machine did not keep up).
    pub connection_waits: AtomicU64,
}

impl Cluster {
    /// The shared state of a cluster running `sc` at `time_scale`.
    fn new(sc: &Scenario, time_scale: f64) -> Result<Self> {
        let n = server_slots(sc) as usize;
        Ok(Cluster {
            sc: sc.clone(),
            time_scale,
            server_gen: (0..n).map(|_| AtomicU64::new(0)).collect(),
            store_gen: AtomicU64::new(0),
            busy_us: (0..n).map(|_| AtomicU64::new(0)).collect(),
            sent: AtomicU64::new(0),
            logged_in: AtomicI64::new(0),
            records: Mutex::new(Vec::new()),
            timer: timer::Timer::start().context("cannot start the live timer")?,
            warnings: Mutex::new(Vec::new()),
            connection_waits: AtomicU64::new(0),
        })
    }

    /// The wall duration of `us` simulated microseconds.
    pub fn wall(&self, us: Micros) -> Duration {
        Duration::from_secs_f64(us as f64 / 1e6 / self.time_scale)
    }

    /// How long the balancer and the servers wait for a request head on a connection, idle
    /// ones included: 20 mean think times in wall time (a user thinks longer with probability
    /// e^-20), at least [`MIN_HEADER_TIMEOUT`] and at most [`MAX_HEADER_TIMEOUT`]. A client
    /// that sends its head slowly, or holds a connection open without a request, is cut then.
    pub fn header_timeout(&self) -> Duration {
        header_timeout(&self.sc, self.time_scale)
    }

    /// The simulated microseconds of `wall_us` wall microseconds.
    pub fn simulated(&self, wall_us: f64) -> Micros {
        (wall_us * self.time_scale).round() as Micros
    }
}

/// [`Cluster::header_timeout`] of scenario `sc` at `time_scale`.
pub fn header_timeout(sc: &Scenario, time_scale: f64) -> Duration {
    let think = Duration::from_secs_f64(sc.users.think_time_us as f64 / 1e6 / time_scale);
    (20 * think).clamp(MIN_HEADER_TIMEOUT, MAX_HEADER_TIMEOUT)
}

/// The `haproxy.cfg` of scenario `sc` at `time_scale` as `--print-config` shows it: ports and
/// the stats socket's folder are placeholders, chosen when the run starts.
pub fn haproxy_config(sc: &Scenario, time_scale: f64) -> String {
    let at = haproxy::Addresses::placeholders(server_slots(sc));
    haproxy::config(sc, time_scale, &at, header_timeout(sc, time_scale))
}

/// One request as its client saw it.
#[derive(Clone, Copy, Debug)]
pub struct Record {
    /// The user who sent it (the id the balancer hashes).
    pub user: u64,
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
    /// What went wrong around the run without touching its measurements (a clean-up that
    /// failed), for the command to print as warnings.
    pub warnings: Vec<String>,
    /// The `haproxy.cfg` HAProxy ran with (`--balancer haproxy`).
    pub haproxy_config: Option<String>,
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

/// Which balancer a live run puts in front of its servers (`--balancer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BalancerChoice {
    /// The built-in reverse proxy with the model's own routing (`balancer.rs`).
    #[default]
    Builtin,
    /// Debian's `haproxy`, configured from the scenario (`haproxy.rs`).
    Haproxy,
}

/// The running balancer of a live cluster.
enum Front {
    Builtin(balancer::Balancer),
    Haproxy(Box<haproxy::Haproxy>),
}

impl Front {
    /// Starts the chosen balancer in front of `backends`, the first `servers.count` in rotation.
    async fn start(
        choice: BalancerChoice,
        cluster: &Arc<Cluster>,
        backends: Vec<SocketAddr>,
    ) -> Result<Self> {
        Ok(match choice {
            BalancerChoice::Builtin => {
                Front::Builtin(balancer::Balancer::start(cluster.clone(), backends).await?)
            }
            BalancerChoice::Haproxy => {
                Front::Haproxy(Box::new(haproxy::Haproxy::start(cluster, &backends).await?))
            }
        })
    }

    fn addr(&self) -> SocketAddr {
        match self {
            Front::Builtin(b) => b.addr(),
            Front::Haproxy(h) => h.addr(),
        }
    }

    /// Servers in rotation now.
    async fn rotation(&self) -> Vec<u32> {
        match self {
            Front::Builtin(b) => b.rotation(),
            Front::Haproxy(h) => h.rotation().await,
        }
    }

    /// How `tiersim live` announces it.
    fn describe(&self) -> String {
        match self {
            Front::Builtin(b) => format!("balancer {}", b.addr()),
            Front::Haproxy(h) => {
                format!("balancer {} haproxy pid {}", h.addr(), h.pid().unwrap_or(0))
            }
        }
    }

    /// Puts server `id` in rotation at once (an `add_servers` event: the operator tells the
    /// balancer).
    async fn add(&self, id: u32) -> Result<()> {
        match self {
            Front::Builtin(b) => b.join(id),
            Front::Haproxy(h) => h.set_state(id, "ready").await?,
        }
        Ok(())
    }

    /// Takes server `id` out of rotation at once (a `remove_servers` event).
    async fn remove(&self, id: u32) -> Result<()> {
        match self {
            Front::Builtin(b) => b.leave(id),
            Front::Haproxy(h) => h.set_state(id, "maint").await?,
        }
        Ok(())
    }

    /// Stops it (HAProxy's process is killed and waited for).
    async fn stop(self) {
        match self {
            Front::Builtin(b) => drop(b),
            Front::Haproxy(mut h) => h.stop().await,
        }
    }
}

/// The running components of a live cluster.
struct Tier {
    /// Every server slot of the run (`server_slots`), in service or not.
    servers: Vec<server::Server>,
    balancer: Front,
    store: Option<SessionStore>,
    /// Servers in service: slots `0..count` (the model's numbering).
    count: u32,
}

impl Tier {
    /// Starts the store (when the variant keeps sessions in one), the servers and the balancer.
    async fn start(
        cluster: &Arc<Cluster>,
        choice: &StoreChoice,
        front: BalancerChoice,
        name: &str,
    ) -> Result<Self> {
        let home = limits::live_home(cluster.sc.storage).context("unsupported storage")?;
        let shared = home == SessionHome::Store;
        let store = if shared {
            Some(SessionStore::start(choice, name).await?)
        } else {
            None
        };
        let sessions = match &store {
            Some(s) => server::Sessions::Store(s.client.clone()),
            None => server::Sessions::Memory,
        };
        // A slot for every server the run ever has; those beyond `servers.count` wait down (their
        // port kept) until an `add_servers` event starts them.
        let count = cluster.sc.servers.count;
        let slots = server_slots(&cluster.sc);
        let mut servers = Vec::with_capacity(slots as usize);
        for id in 0..slots {
            let mut s = server::Server::start(id, sessions.clone(), cluster.clone()).await?;
            if id >= count {
                s.crash();
            }
            servers.push(s);
        }
        let backends = servers.iter().map(|s| s.addr()).collect();
        let balancer = Front::start(front, cluster, backends).await?;
        Ok(Tier {
            servers,
            balancer,
            store,
            count,
        })
    }

    /// Where the cluster listens (and the managed Redis's process id), for `tiersim live` to
    /// print: everything it names is gone when the command ends.
    fn endpoints(&self) -> String {
        let servers: Vec<String> = self.servers.iter().map(|s| s.addr().to_string()).collect();
        let mut out = format!(
            "live: {} servers {}",
            self.balancer.describe(),
            servers.join(" ")
        );
        if let Some(s) = &self.store {
            out += &format!(" {}", s.describe());
        }
        out
    }

    /// Stops the balancer and the servers (dropping them aborts their tasks), so that no request
    /// writes a session after the store's clean-up, then cleans the store up; returns a warning
    /// if the clean-up failed.
    async fn stop(self, timer: &timer::Timer) -> Option<String> {
        let Tier {
            servers,
            balancer,
            store,
            ..
        } = self;
        balancer.stop().await;
        drop(servers);
        match store {
            Some(mut s) => s.finish(timer).await,
            None => None,
        }
    }
}

/// How a command watches a live run.
pub struct Watch<'a> {
    /// Hears where the cluster listens (and the pids of the processes it manages), one line,
    /// once it has started: the command prints it above its progress bars.
    pub announce: Option<&'a dyn Fn(&str)>,
    /// Stops the run (Ctrl-C): it cleans up as at its end.
    pub stop: &'a tokio::sync::Notify,
    /// Hears the simulated time at each bucket boundary.
    pub progress: &'a dyn Fn(Micros),
}

/// Runs one variant on a live cluster and returns what its clients observed.
pub async fn run_variant(
    name: &str,
    sc: &Scenario,
    time_scale: f64,
    choice: &StoreChoice,
    front: BalancerChoice,
    watch: Watch<'_>,
) -> Result<LiveRun> {
    let Watch {
        announce,
        stop,
        progress,
    } = watch;
    let cluster = Arc::new(Cluster::new(sc, time_scale)?);
    let failed_accepts = net::FAILED_ACCEPTS.load(std::sync::atomic::Ordering::Relaxed);
    let mut tier = Tier::start(&cluster, choice, front, name).await?;
    let haproxy_config = match &tier.balancer {
        Front::Haproxy(h) => Some(h.config().to_string()),
        Front::Builtin(_) => None,
    };
    if let Some(announce) = announce {
        announce(&tier.endpoints());
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
        cluster.clone(),
        tier.balancer.addr(),
        clock,
    ));
    let observed = timeline::run(&cluster, &clock, &mut tier, stop, progress).await;
    load.abort();
    let _ = load.await;
    drop(clients);
    let mut warnings = std::mem::take(&mut *cluster.warnings.lock().expect("warnings lock"));
    warnings.extend(tier.stop(&cluster.timer).await);
    let failed = net::FAILED_ACCEPTS.load(std::sync::atomic::Ordering::Relaxed) - failed_accepts;
    if failed > 0 {
        warnings.push(format!(
            "the cluster failed to accept a connection {failed} times (out of file descriptors?); \
             it waited and accepted again, but some errors and latency may be the harness's, \
             not the scenario's"
        ));
    }
    let waits = cluster
        .connection_waits
        .load(std::sync::atomic::Ordering::Relaxed);
    if waits > 0 {
        warnings.push(format!(
            "{waits} requests waited for one of the users' {} connections to the balancer (all \
             were in use: the machine did not keep up); their wait is in the clients' latency",
            limits::client_connections(sc)
        ));
    }
    let (snapshots, events) = observed?;
    let result = result::build(name, &cluster, &snapshots, events);
    let (at_server, hops, late) = result::split_latency(&cluster);
    Ok(LiveRun {
        result,
        at_server,
        hops,
        late,
        warnings,
        haproxy_config,
    })
}
