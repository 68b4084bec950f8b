//! The event loop: one variant's run, from an empty cluster at time 0 to `duration`.
//!
//! The engine owns the simulated clock and the parts of the model (`model::*`) and moves requests
//! between them: `requests.rs` is the life of a request, `membership.rs` the timed events that
//! change the cluster, `living.rs` random failures and the autoscaler, `buckets.rs` the periodic
//! measurements, `audit.rs` the books checked at the end of every run. It never reads the wall
//! clock, never touches a file, and draws randomness only from the run's seeded streams.
//!
//! Sources of events are merged in a fixed order at equal times: bucket boundary, timed event,
//! visit arrival, then the queue (by scheduling order), so that a run is a pure function of the
//! scenario.

mod audit;
mod buckets;
mod living;
mod membership;
mod requests;

use crate::events::Event;
use crate::metrics::{EventRow, Recorder, RunResult, Summary, summary};
use crate::model::balancer::Balancer;
use crate::model::server::Server;
use crate::model::sessions::{self, SessionTotals, Sessions};
use crate::model::store::{Op, Ring, Store};
use crate::model::users::{self, Users};
use crate::queue::EventQueue;
use crate::rng::{self, SimRng, Stream};
use crate::scenario::{self, Micros, Scenario};

/// How often (in processed events) the progress callback is called.
pub const PROGRESS_EVERY: u64 = 1 << 16;

/// Runs one variant's scenario and returns what it measured.
pub fn simulate(variant: &str, scenario: &Scenario) -> RunResult {
    simulate_with_progress(variant, scenario, &mut |_| true)
        .expect("a run without a stop request runs to the end")
}

/// Like [`simulate`], calling `progress(now)` every few tens of thousands of events (a few
/// milliseconds of wall time) and once at the end. The run stops early, returning `None`, if
/// `progress` returns false.
pub fn simulate_with_progress(
    variant: &str,
    scenario: &Scenario,
    progress: &mut dyn FnMut(Micros) -> bool,
) -> Option<RunResult> {
    let mut engine = Engine::new(scenario);
    engine.run(progress).then(|| engine.finish(variant))
}

/// The state of one run.
struct Engine<'a> {
    sc: &'a Scenario,
    now: Micros,
    queue: EventQueue,
    users: Users,
    sessions: Sessions,
    /// Every server id ever used; ids `0..server_count` exist.
    servers: Vec<Server>,
    server_count: u32,
    /// The store's nodes.
    stores: Vec<Store>,
    /// The store's machines (`node * replicas + copy`).
    machines: Vec<Machine>,
    /// Places new sessions on store nodes.
    store_ring: Ring,
    balancer: Balancer,
    rec: Recorder,
    arrivals: SimRng,
    lengths: SimRng,
    next_visit_us: Micros,
    visits: u64,
    /// Number given to the next request sent (unique in the run).
    next_request: u64,
    next_tick_us: Micros,
    /// Start of the current bucket (`None` before warm-up ends).
    bucket_start_us: Option<Micros>,
    /// Busy worker-time of each server at the start of the current bucket.
    bucket_busy: Vec<u64>,
    /// Session counts when warm-up ended.
    sessions_at_warmup: SessionTotals,
    next_timed: usize,
    events_processed: u64,
    event_rows: Vec<EventRow>,
    /// The row of a crash whose detection is still pending, per server.
    detect_row: Vec<Option<usize>>,
    result: RunResult,
    /// Per-server random failure streams, by id.
    failure_rngs: Vec<SimRng>,
    /// The store's random failure stream.
    store_failures: SimRng,
    autoscaler: living::Autoscaler,
    scratch_users: Vec<u32>,
    scratch_ops: Vec<Op>,
    /// (user slot, user id, server it would be routed to) of logged-in users before a change.
    scratch_targets: Vec<(u32, u64, Option<u32>)>,
}

/// One machine of a store node.
#[derive(Clone, Copy, Debug)]
struct Machine {
    up: bool,
    /// Bumped by every start and random failure.
    life: u32,
}

/// Where the next thing to do comes from.
enum Next {
    Tick,
    Timed,
    Arrival,
    Queued,
}

impl<'a> Engine<'a> {
    fn new(sc: &'a Scenario) -> Self {
        let count = sc.servers.count;
        let servers = (0..count)
            .map(|_| Server::new(sc.servers.workers, sc.servers.queue_limit, 0))
            .collect();
        let mut arrivals = rng::stream(sc.seed, Stream::Arrivals);
        let first_visit = users::next_visit(&mut arrivals, &sc.users, 0, sc.duration_us);
        let st = &sc.store;
        let options = sessions::Options {
            store_nodes: st.nodes,
            max_per_node: st.max_sessions.filter(|_| sc.storage.uses_store()),
            aux: matches!(
                sc.storage,
                scenario::Storage::ServerReplicated | scenario::Storage::CachedStore
            ),
        };
        let machine = Machine { up: true, life: 0 };
        Engine {
            sc,
            now: 0,
            queue: EventQueue::new(),
            users: Users::new(),
            sessions: Sessions::with_options(sc.users.session_ttl_us, count as usize, options),
            servers,
            server_count: count,
            stores: (0..st.nodes)
                .map(|_| Store::with_queue_limit(st.workers, st.queue_limit))
                .collect(),
            machines: vec![machine; (st.nodes * st.replicas) as usize],
            store_ring: Ring::new(st.nodes),
            balancer: Balancer::new(
                sc.balancer.policy,
                sc.balancer.virtual_nodes,
                count,
                rng::stream(sc.seed, Stream::Routing),
            ),
            rec: Recorder::new(sc.warmup_us),
            arrivals,
            lengths: rng::stream(sc.seed, Stream::VisitLengths),
            next_visit_us: first_visit,
            visits: 0,
            next_request: 0,
            next_tick_us: sc.warmup_us,
            bucket_start_us: None,
            bucket_busy: Vec::new(),
            sessions_at_warmup: SessionTotals::default(),
            next_timed: 0,
            events_processed: 0,
            event_rows: Vec::new(),
            detect_row: vec![None; count as usize],
            result: RunResult::default(),
            failure_rngs: Vec::new(),
            store_failures: rng::stream(sc.seed, Stream::StoreFailures),
            autoscaler: living::Autoscaler::default(),
            scratch_users: Vec::new(),
            scratch_ops: Vec::new(),
            scratch_targets: Vec::new(),
        }
    }

    /// Runs to the end (true) or until `progress` asks to stop (false).
    fn run(&mut self, progress: &mut dyn FnMut(Micros) -> bool) -> bool {
        self.start_living();
        loop {
            let (at, next) = self.next();
            debug_assert!(at >= self.now, "time never goes back");
            self.now = at;
            self.events_processed += 1;
            if self.events_processed.is_multiple_of(PROGRESS_EVERY) && !progress(at) {
                return false;
            }
            match next {
                Next::Tick => {
                    if self.tick() {
                        break;
                    }
                }
                Next::Timed => {
                    let action = self.sc.events[self.next_timed].action;
                    self.next_timed += 1;
                    self.timed(action);
                }
                Next::Arrival => self.arrive(),
                Next::Queued => {
                    let (_, event) = self.queue.pop().expect("peeked");
                    self.dispatch(event);
                }
            }
        }
        progress(self.now);
        true
    }

    /// The earliest source, by (time, source order). The final bucket boundary is at `duration`,
    /// so nothing at or after `duration` other than it ever runs.
    fn next(&mut self) -> (Micros, Next) {
        let mut best = (self.next_tick_us, Next::Tick);
        let timed = self.sc.events.get(self.next_timed).map(|e| e.at_us);
        if let Some(t) = timed.filter(|&t| t < best.0) {
            best = (t, Next::Timed);
        }
        if self.next_visit_us < best.0 {
            best = (self.next_visit_us, Next::Arrival);
        }
        if let Some(t) = self.queue.peek_time().filter(|&t| t < best.0) {
            best = (t, Next::Queued);
        }
        best
    }

    fn dispatch(&mut self, event: Event) {
        match event {
            Event::Send { user } => self.send(user),
            Event::ServiceDone {
                server,
                slot,
                epoch,
            } => self.service_done(server, slot, epoch),
            Event::StoreDone { node, slot, epoch } => self.store_done(node, slot, epoch),
            Event::StoreReply { user, request } => self.store_reply(user, request),
            Event::CopyDone {
                server,
                slot,
                epoch,
            } => self.copy_done(server, slot, epoch),
            Event::Detect { server, epoch } => self.detect(server, epoch),
            Event::Fail { server, epoch } => self.fail(server, epoch),
            Event::Repair { server, epoch } => self.repair(server, epoch),
            Event::StoreFail { machine, life } => self.store_fail(machine, life),
            Event::StoreRepair { machine, life } => self.store_repair(machine, life),
            Event::Evaluate => self.evaluate(),
            Event::Boot => self.boot(),
            Event::DrainEnd { server, epoch } => self.drain_timeout(server, epoch),
        }
    }

    fn finish(mut self, variant: &str) -> RunResult {
        let mut result = std::mem::take(&mut self.result);
        let sc = self.sc;
        let unfinished = self
            .users
            .iter()
            .filter(|(_, u)| u.phase != crate::events::Phase::Idle && u.sent_us >= sc.warmup_us)
            .count() as u64;
        let (end, start) = (self.sessions.totals(), self.sessions_at_warmup);
        let counted = Summary {
            sessions_created: end.created - start.created,
            sessions_lost: end.lost - start.lost,
            sessions_expired: end.expired - start.expired,
            counts: self.rec.total,
            sent: self.rec.sent,
            unfinished,
            latency: self.rec.total_latency(),
            store_reads: self.rec.store_reads,
            store_writes: self.rec.store_writes,
            sessions_evicted: end.evicted - start.evicted,
            cache_hits: self.rec.cache_hits,
            session_copies: self.rec.session_copies,
            mean_in_tier: self.rec.mean_in_tier(sc.duration_us),
            ..Summary::default()
        };
        result.summary = summary::assemble(
            counted,
            &result.buckets,
            &mut self.event_rows,
            sc.duration_us - sc.warmup_us,
            sc.balancer.policy.maps_users(),
        );
        result.variant = variant.to_string();
        result.events = std::mem::take(&mut self.event_rows);
        result.events_processed = self.events_processed;
        result.requests_simulated = self.next_request;
        result.audit = self.audit(&result);
        result
    }
}
