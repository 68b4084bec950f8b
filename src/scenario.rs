//! The validated experiment: what one scenario file asks the simulator to run.
//!
//! These are domain types, built only by `config` (which owns every check) and read by the engine.
//! Every value here is already known to be valid: counts are at least one, times are in whole
//! microseconds of simulated time (`_us` fields), rates are finite and positive, and every timed
//! event targets a server that exists and is in the right state at that moment.

/// Simulated time and durations, in whole microseconds.
pub type Micros = u64;

/// Microseconds in one second.
pub const US_PER_S: Micros = 1_000_000;

/// One scenario file, validated: its name, and one fully resolved scenario per variant.
#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    /// `name` from the file: `[a-z0-9-]+`, names the output folder.
    pub name: String,
    /// One-line title for tables and reports.
    pub title: String,
    /// The lesson, in a few sentences.
    pub description: String,
    /// The variants to run, in file order; a file without `[[variants]]` has one named `base`.
    pub variants: Vec<Variant>,
}

/// One design to run against the shared users of an experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    /// `[a-z0-9-]+`, unique within the experiment.
    pub name: String,
    /// The scenario with the variant's `set` (and the command line's `--set`) applied.
    pub scenario: Scenario,
}

/// Everything one simulation run needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Root of every random stream of the run.
    pub seed: u64,
    /// The run stops at this simulated time.
    pub duration_us: Micros,
    /// Requests sent before this time are not counted.
    pub warmup_us: Micros,
    /// Resolution of the time series (buckets start at `warmup_us`).
    pub bucket_us: Micros,
    /// The hour of the day at which the run starts (`clock_start`): when set, charts, the story
    /// and the lesson read times as the time of day; it changes no number of the run.
    pub clock_start_hour: Option<u32>,
    /// How users arrive and behave.
    pub users: Users,
    /// The web tier.
    pub servers: Servers,
    /// The load balancer in front of the web tier.
    pub balancer: Balancer,
    /// Where sessions live.
    pub storage: Storage,
    /// What keeping sessions costs the web servers (copies, verification).
    pub session_costs: SessionCosts,
    /// The shared session store (used by `Storage::SharedStore` and `Storage::CachedStore`).
    pub store: Store,
    /// Timed events, sorted by time (ties keep file order).
    pub events: Vec<TimedEvent>,
    /// The autoscaler, if the tier has one.
    pub autoscale: Option<Autoscale>,
    /// Random failures, if any.
    pub failures: Failures,
    /// What a machine costs per hour (`[cost]`).
    pub cost: Cost,
    /// Several data centres (`[[datacenters]]`, `[geo]`); `None`: one data centre, and
    /// `servers.count` is its servers.
    pub geo: Option<Geo>,
}

/// Several data centres, each a tier of its own (balancer, servers, store), with geo routing
/// between them. `servers.count` is then the sum of their servers; server ids are numbered data
/// centre after data centre, and each data centre has `store.nodes` store nodes of its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Geo {
    /// The data centres, in file order (at least two).
    pub datacenters: Vec<Datacenter>,
    /// Round trip from a user to their nearest data centre, added to each request.
    pub rtt_local_us: Micros,
    /// Round trip from a user to another data centre, and between two data centres.
    pub rtt_remote_us: Micros,
    /// Time for the geo DNS to notice that a data centre went down or came back.
    pub detection_delay_us: Micros,
    /// Time a client keeps a DNS answer.
    pub dns_ttl_us: Micros,
    /// How sessions travel between data centres.
    pub replication: Replication,
    /// `async`: a written session reaches the other data centres this much later.
    pub replication_lag_us: Micros,
    /// `global`: the data centre (index) whose store holds every session.
    pub global_store: usize,
}

/// One data centre.
#[derive(Clone, Debug, PartialEq)]
pub struct Datacenter {
    /// `[a-z0-9-]+`, unique.
    pub name: String,
    /// Share of visits from users whose nearest data centre this is (the shares sum to 1).
    pub users_share: f64,
    /// Its web servers.
    pub servers: u32,
}

/// How sessions are replicated between data centres' stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replication {
    /// Each data centre's store holds the sessions written there only.
    None,
    /// Every session reaches the other data centres `replication_lag` after it was written.
    Async,
    /// Every session write waits for every other data centre up (one `rtt_remote` more).
    Sync,
    /// One store, in `global_store`, holds every session; other data centres reach it over
    /// `rtt_remote`.
    Global,
}

impl Replication {
    /// Every mode, in documentation order.
    pub const ALL: [Replication; 4] = [
        Replication::None,
        Replication::Async,
        Replication::Sync,
        Replication::Global,
    ];

    /// The spelling used in scenario files.
    pub fn as_str(self) -> &'static str {
        match self {
            Replication::None => "none",
            Replication::Async => "async",
            Replication::Sync => "sync",
            Replication::Global => "global",
        }
    }
}

impl Geo {
    /// The data centre of server `server` (ids are numbered data centre after data centre).
    pub fn dc_of_server(&self, server: u32) -> usize {
        let mut first = 0;
        for (d, dc) in self.datacenters.iter().enumerate() {
            first += dc.servers;
            if server < first {
                return d;
            }
        }
        self.datacenters.len() - 1
    }

    /// The first server id of data centre `dc`.
    pub fn first_server(&self, dc: usize) -> u32 {
        self.datacenters[..dc].iter().map(|d| d.servers).sum()
    }
}

/// The prices of the machines a run rents, per hour each (`[cost]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Cost {
    /// Price of one web server for one hour.
    pub server_per_hour: f64,
    /// Price of one store machine (a replica counts as one) for one hour.
    pub store_per_hour: f64,
    /// What the prices are counted in, as the report and docs show it (`USD`).
    pub currency: String,
}

impl Cost {
    /// What `server_hours` of web servers and `store_hours` of store machines cost.
    pub fn of(&self, server_hours: f64, store_hours: f64) -> f64 {
        server_hours * self.server_per_hour + store_hours * self.store_per_hour
    }
}

/// An autoscaler that tracks a target busy fraction of the workers.
#[derive(Clone, Debug, PartialEq)]
pub struct Autoscale {
    /// Fewest servers (running or booting).
    pub min: u32,
    /// Most servers (running or booting).
    pub max: u32,
    /// The mean busy fraction of the workers in rotation it aims at, in (0, 1).
    pub target_busy: f64,
    /// Time between two evaluations.
    pub interval_us: Micros,
    /// Time after a scaling action during which it does not act again.
    pub cooldown_us: Micros,
    /// Time from the decision to add a server until it joins the rotation.
    pub boot_time_us: Micros,
    /// How a server leaves.
    pub scale_in: ScaleIn,
    /// Longest a draining server keeps serving its sticky users before it stops.
    pub drain_timeout_us: Micros,
}

/// How the autoscaler removes a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScaleIn {
    /// At once, losing the sessions in its memory.
    Abrupt,
    /// It leaves the rotation for new users; sticky users keep reaching it until their sessions
    /// end or `drain_timeout` passes, then it stops.
    Drain,
}

impl ScaleIn {
    /// The spelling used in scenario files.
    pub fn as_str(self) -> &'static str {
        match self {
            ScaleIn::Abrupt => "abrupt",
            ScaleIn::Drain => "drain",
        }
    }
}

/// Random failures: exponential times between failures and to repair.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Failures {
    /// Mean time between failures of each server (`None`: servers do not fail at random).
    pub server_mtbf_us: Option<Micros>,
    /// Mean time to repair a failed server.
    pub server_mttr_us: Micros,
    /// Mean time between failures of the store (`None`: it does not fail at random).
    pub store_mtbf_us: Option<Micros>,
    /// Mean time to repair the store.
    pub store_mttr_us: Micros,
}

/// The user model: Poisson visits, each a login and then a geometric number of requests.
#[derive(Clone, Debug, PartialEq)]
pub struct Users {
    /// Mean rate of new visits (one visit is one user), per second of simulated time.
    pub visits_per_s: f64,
    /// Mean number of authenticated requests after the login (geometric on 0, 1, 2, ...).
    pub requests_per_visit: f64,
    /// Mean of the exponential think time between a response and the next request.
    pub think_time_us: Micros,
    /// A session expires this long after its last use (sliding expiry).
    pub session_ttl_us: Micros,
    /// Registered users who make the visits (0: every visit is made by a new user).
    pub population: u64,
    /// How a visit's registered user is drawn from the population.
    pub popularity: Popularity,
    /// Traffic over time: the visit rate at given times, linear in between, constant before the
    /// first and after the last point (a step is two points at the same time). Empty: the rate
    /// is `visits_per_s` all the time.
    pub profile: Vec<RatePoint>,
}

/// How the registered user who makes a visit is drawn (when `population` > 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Popularity {
    /// Every registered user equally likely.
    Uniform,
    /// User `k` (from 1) drawn with probability proportional to `1 / k^s`.
    Zipf {
        /// The exponent (`users.zipf_s`).
        s: f64,
    },
}

impl Popularity {
    /// The spellings of `users.popularity`, in documentation order.
    pub const NAMES: [&'static str; 2] = ["uniform", "zipf"];
}

/// The visit rate at one time of a traffic profile.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RatePoint {
    /// When.
    pub at_us: Micros,
    /// Visits per second at that time (finite, >= 0).
    pub visits_per_s: f64,
}

impl Users {
    /// The visit rate at time `t`.
    pub fn rate_at(&self, t: Micros) -> f64 {
        let p = &self.profile;
        let Some(first) = p.first() else {
            return self.visits_per_s;
        };
        let i = p.partition_point(|x| x.at_us <= t);
        if i == 0 {
            return first.visits_per_s;
        }
        let a = p[i - 1];
        match p.get(i) {
            None => a.visits_per_s,
            Some(b) => {
                let f = (t - a.at_us) as f64 / (b.at_us - a.at_us) as f64;
                a.visits_per_s + f * (b.visits_per_s - a.visits_per_s)
            }
        }
    }

    /// The highest visit rate at any time.
    pub fn peak_rate(&self) -> f64 {
        if self.profile.is_empty() {
            return self.visits_per_s;
        }
        self.profile
            .iter()
            .map(|p| p.visits_per_s)
            .fold(0.0, f64::max)
    }
}

/// The web servers.
#[derive(Clone, Debug, PartialEq)]
pub struct Servers {
    /// Servers at the start of the run (ids `0..count`).
    pub count: u32,
    /// Requests served at once by one server.
    pub workers: u32,
    /// Mean exponential service time of an authenticated request.
    pub service_time_us: Micros,
    /// Mean exponential service time of a login (and of a forced re-login).
    pub login_time_us: Micros,
    /// Most requests waiting in one server's queue; one more is rejected.
    pub queue_limit: u32,
}

/// The load balancer.
#[derive(Clone, Debug, PartialEq)]
pub struct Balancer {
    /// How a request picks a server among those in rotation.
    pub policy: Policy,
    /// Points per server on the consistent-hash ring.
    pub virtual_nodes: u32,
    /// Time from a crash until the health checks take the server out of rotation.
    pub detection_delay_us: Micros,
}

/// Routing policies of the load balancer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// A uniformly random server in rotation.
    Random,
    /// The servers in rotation in turn.
    RoundRobin,
    /// The server in rotation with the fewest requests queued or in service.
    LeastConnections,
    /// Cookie affinity: placed round robin once, then pinned until the server leaves rotation.
    Sticky,
    /// Hash of the user id modulo the number of servers in rotation.
    HashMod,
    /// A hash ring with `virtual_nodes` points per server in rotation.
    ConsistentHash,
}

impl Policy {
    /// Every policy, in documentation order.
    pub const ALL: [Policy; 6] = [
        Policy::Random,
        Policy::RoundRobin,
        Policy::LeastConnections,
        Policy::Sticky,
        Policy::HashMod,
        Policy::ConsistentHash,
    ];

    /// The spelling used in scenario files.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Random => "random",
            Policy::RoundRobin => "round_robin",
            Policy::LeastConnections => "least_connections",
            Policy::Sticky => "sticky",
            Policy::HashMod => "hash_mod",
            Policy::ConsistentHash => "consistent_hash",
        }
    }

    /// Whether a user's server is a function of the user (so a change of membership remaps users).
    pub fn maps_users(self) -> bool {
        matches!(
            self,
            Policy::Sticky | Policy::HashMod | Policy::ConsistentHash
        )
    }
}

/// Work a storage design adds to the service of every request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtraWork {
    /// `server_replicated`: the session is copied to the backup server.
    CopyToBackup,
    /// `signed_cookie`: the cookie's signature is checked (and the new cookie signed).
    CookieCheck,
}

impl ExtraWork {
    /// How the report names it.
    pub fn label(self) -> &'static str {
        match self {
            ExtraWork::CopyToBackup => "copy to backup",
            ExtraWork::CookieCheck => "cookie check",
        }
    }

    /// How long it takes.
    pub fn time_us(self, costs: &SessionCosts) -> Micros {
        match self {
            ExtraWork::CopyToBackup => costs.copy_time_us,
            ExtraWork::CookieCheck => costs.verify_time_us,
        }
    }
}

/// Where sessions live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// Stateful tier: in the memory of the server that handled the login.
    ServerMemory,
    /// Stateless tier: in the shared session store.
    SharedStore,
    /// In the memory of the server that handled the login, copied to one backup server.
    ServerReplicated,
    /// In the shared store, with a local cache in each server in front of it.
    CachedStore,
    /// In a signed cookie that the user sends with every request: no server-side state.
    SignedCookie,
}

impl Storage {
    /// Every storage, in documentation order.
    pub const ALL: [Storage; 5] = [
        Storage::ServerMemory,
        Storage::SharedStore,
        Storage::ServerReplicated,
        Storage::CachedStore,
        Storage::SignedCookie,
    ];

    /// The spelling used in scenario files.
    pub fn as_str(self) -> &'static str {
        match self {
            Storage::ServerMemory => "server_memory",
            Storage::SharedStore => "shared_store",
            Storage::ServerReplicated => "server_replicated",
            Storage::CachedStore => "cached_store",
            Storage::SignedCookie => "signed_cookie",
        }
    }

    /// Where a login writes the new session (and so where the session is held).
    pub fn home(self) -> SessionHome {
        match self {
            Storage::ServerMemory | Storage::ServerReplicated => SessionHome::Server,
            Storage::SharedStore | Storage::CachedStore => SessionHome::Store,
            Storage::SignedCookie => SessionHome::Cookie,
        }
    }

    /// The second server a session has besides where it is held, if the design keeps one.
    pub fn aux(self) -> Option<AuxServer> {
        match self {
            Storage::ServerReplicated => Some(AuxServer::Backup),
            Storage::CachedStore => Some(AuxServer::LocalCache),
            Storage::ServerMemory | Storage::SharedStore | Storage::SignedCookie => None,
        }
    }

    /// What the crash (or abrupt removal) of a web server does to sessions.
    pub fn crash_loses(self) -> CrashLoss {
        match self {
            Storage::ServerMemory => CrashLoss::Memory,
            Storage::ServerReplicated => CrashLoss::MemoryUnlessBackedUp,
            Storage::CachedStore => CrashLoss::LocalCache,
            Storage::SharedStore | Storage::SignedCookie => CrashLoss::Nothing,
        }
    }

    /// The work the design adds to every request's service, if any: the copy to the backup
    /// (`server_replicated`), the cookie's check and signature (`signed_cookie`).
    pub fn extra_work(self) -> Option<ExtraWork> {
        match self {
            Storage::ServerReplicated => Some(ExtraWork::CopyToBackup),
            Storage::SignedCookie => Some(ExtraWork::CookieCheck),
            Storage::ServerMemory | Storage::SharedStore | Storage::CachedStore => None,
        }
    }

    /// Time every request's service takes beyond `service_time` or `login_time`
    /// ([`Storage::extra_work`]).
    pub fn extra_service_us(self, costs: &SessionCosts) -> Micros {
        self.extra_work().map_or(0, |work| work.time_us(costs))
    }

    /// Whether every authenticated request reads its session from the store (no local copy
    /// can answer it).
    pub fn reads_store_every_request(self) -> bool {
        match self {
            Storage::SharedStore => true,
            Storage::ServerMemory
            | Storage::ServerReplicated
            | Storage::CachedStore
            | Storage::SignedCookie => false,
        }
    }

    /// Whether a request routed away from the one server holding its session must log in
    /// again (no backup, store or cookie can answer it there).
    pub fn one_server_per_session(self) -> bool {
        match self {
            Storage::ServerMemory => true,
            Storage::SharedStore
            | Storage::ServerReplicated
            | Storage::CachedStore
            | Storage::SignedCookie => false,
        }
    }

    /// The store machines the design rents: every machine of every node (`store.nodes` ×
    /// `store.replicas`) for a design that keeps sessions in the store, none for the others.
    pub fn store_machines(self, store: &Store) -> u32 {
        match self.home() {
            SessionHome::Store => store.nodes * store.replicas,
            SessionHome::Server | SessionHome::Cookie => 0,
        }
    }

    /// Whether requests read and write sessions in the shared store.
    pub fn uses_store(self) -> bool {
        match self.home() {
            SessionHome::Store => true,
            SessionHome::Server | SessionHome::Cookie => false,
        }
    }
}

/// Where a storage design holds a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionHome {
    /// In the memory of the web server that served the login.
    Server,
    /// In the node of the shared store the ring gives it.
    Store,
    /// In the user's signed cookie.
    Cookie,
}

/// The second server a session has besides where it is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuxServer {
    /// A backup server with a copy, which takes the session over when a request reaches it
    /// (`server_replicated`).
    Backup,
    /// The server whose local cache holds the session, which skips the store read
    /// (`cached_store`).
    LocalCache,
}

/// What a web server's crash does to the sessions of a design.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashLoss {
    /// The sessions in its memory are lost.
    Memory,
    /// Its sessions move to their backups where one is up; the others are lost. The sessions
    /// it backed up lose their backup.
    MemoryUnlessBackedUp,
    /// Only its local cache (the sessions stay in the store).
    LocalCache,
    /// Nothing: it held no session.
    Nothing,
}

/// What keeping sessions costs the web servers, beyond the service time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionCosts {
    /// `server_replicated`: time to copy a session to its backup, added to the request's service
    /// on the primary, and taken again by a worker of the backup.
    pub copy_time_us: Micros,
    /// `signed_cookie`: time to check (and re-sign) the cookie, added to every request's service.
    pub verify_time_us: Micros,
}

/// A store preset: which real system `[store]` stands for, before any field overrides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// No preset: every field is the scenario's or the built-in default.
    Custom,
    /// Redis: in memory, one thread per node, not durable unless persistence is turned on.
    Redis,
    /// Memcached: in memory, a few threads, never durable, small memory with LRU eviction.
    Memcached,
    /// A relational database: a connection pool, disk commits, durable.
    Sql,
    /// A replicated key-value database: high concurrency, millisecond operations, durable,
    /// three copies.
    Nosql,
}

impl StoreKind {
    /// Every kind, in documentation order.
    pub const ALL: [StoreKind; 5] = [
        StoreKind::Custom,
        StoreKind::Redis,
        StoreKind::Memcached,
        StoreKind::Sql,
        StoreKind::Nosql,
    ];

    /// The spelling used in scenario files.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Custom => "custom",
            StoreKind::Redis => "redis",
            StoreKind::Memcached => "memcached",
            StoreKind::Sql => "sql",
            StoreKind::Nosql => "nosql",
        }
    }
}

/// The shared session store: `nodes` partitions (sessions placed on them by consistent hashing
/// of the session), each kept on `replicas` machines; each node serves `workers` operations at
/// once and queues up to `queue_limit` more.
#[derive(Clone, Debug, PartialEq)]
pub struct Store {
    /// The preset the values came from.
    pub kind: StoreKind,
    /// Operations served at once by one node.
    pub workers: u32,
    /// Mean exponential time of a session read.
    pub read_time_us: Micros,
    /// Mean exponential time of a session write.
    pub write_time_us: Micros,
    /// Network round trip between a web server and the store, added to every operation (it holds
    /// the web server's worker but not a store worker).
    pub network_time_us: Micros,
    /// Whether sessions survive a crash of every copy of their node.
    pub durable: bool,
    /// Partitions of the session key space.
    pub nodes: u32,
    /// Machines holding a copy of each node's sessions.
    pub replicas: u32,
    /// Most live sessions one node keeps; one more evicts the least recently used (`None`: no
    /// limit).
    pub max_sessions: Option<u64>,
    /// Most operations waiting at one node; one more is rejected (`None`: no limit).
    pub queue_limit: Option<u32>,
}

/// A change of the world at a fixed simulated time.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedEvent {
    /// When it happens.
    pub at_us: Micros,
    /// What happens.
    pub action: Action,
}

/// The actions of timed events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Server `server` crashes: its queue, in-flight requests and sessions are lost.
    Crash {
        /// 0-based server id.
        server: u32,
    },
    /// Server `server` comes back empty and rejoins the rotation.
    Restart {
        /// 0-based server id.
        server: u32,
    },
    /// `count` new servers join, numbered after the highest existing one.
    AddServers {
        /// How many.
        count: u32,
    },
    /// The `count` highest-numbered servers leave at once, losing their sessions.
    RemoveServers {
        /// How many.
        count: u32,
    },
    /// One machine of store node `node` crashes; without a node, every machine of the store.
    StoreCrash {
        /// 0-based store node (`None`: the whole store).
        node: Option<u32>,
    },
    /// One crashed machine of store node `node` comes back; without a node, every crashed
    /// machine. A node whose last copy crashed comes back empty unless `store.durable`.
    StoreRestart {
        /// 0-based store node (`None`: the whole store).
        node: Option<u32>,
    },
    /// A whole data centre goes down: its servers stop (their requests and the sessions in
    /// their memory are lost) and its store stops (its sessions lost unless `store.durable`).
    DcDown {
        /// 0-based index of the data centre in `[[datacenters]]`.
        dc: u32,
    },
    /// A data centre that went down comes back, empty (its store as `store.durable` left it).
    DcUp {
        /// 0-based index of the data centre.
        dc: u32,
    },
}

impl Action {
    /// The spelling used in scenario files and in `events.csv`.
    pub fn name(self) -> &'static str {
        crate::events::EventAction::from(self).as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every design's answers, one row each: where a login writes, its second server, what a
    /// web server's crash loses, and the extra service time (copy 200 us, check 10 us).
    #[test]
    fn each_storage_design_answers_in_one_place() {
        use {AuxServer as A, CrashLoss as C, SessionHome as H};
        let costs = SessionCosts {
            copy_time_us: 200,
            verify_time_us: 10,
        };
        let rows: Vec<_> = Storage::ALL
            .iter()
            .map(|s| {
                let extra = s.extra_service_us(&costs);
                (s.as_str(), s.home(), s.aux(), s.crash_loses(), extra)
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                ("server_memory", H::Server, None, C::Memory, 0),
                ("shared_store", H::Store, None, C::Nothing, 0),
                (
                    "server_replicated",
                    H::Server,
                    Some(A::Backup),
                    C::MemoryUnlessBackedUp,
                    200
                ),
                (
                    "cached_store",
                    H::Store,
                    Some(A::LocalCache),
                    C::LocalCache,
                    0
                ),
                ("signed_cookie", H::Cookie, None, C::Nothing, 10),
            ]
        );
        let uses_store: Vec<bool> = Storage::ALL.iter().map(|s| s.uses_store()).collect();
        assert_eq!(uses_store, vec![false, true, false, true, false]);
    }
}
