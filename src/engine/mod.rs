//! The event loop: one variant's run, from an empty cluster at time 0 to `duration`.
//!
//! The engine owns the simulated clock, the pending events and the users, and four parts that
//! own the rest of a run's state and can each be built and tested alone: the cluster
//! (`tier.rs`: servers, balancer, sessions, store nodes and machines), the visits (`arrivals.rs`),
//! what is measured (`measure.rs`: the recorder, buckets, rows of `events.csv`) and the living
//! cluster's random failures and autoscaler (`living.rs`). Handlers are methods of `Engine`
//! that borrow the parts they need: `requests.rs` is the life of a request, `membership.rs` the
//! timed events that change the cluster, `living.rs` the random ones, `audit.rs` the books
//! checked at the end. It never reads the wall clock, never touches a file, and draws randomness
//! only from the run's seeded streams.
//!
//! Sources of events are merged in a fixed order at equal times: bucket boundary, timed event,
//! visit arrival, then the queue (by scheduling order), so that a run is a pure function of the
//! scenario.
//!
//! The loop is chosen once per run (`Mode`): a run with one data centre and no replay trace
//! runs a loop compiled without the tests for either (`Plain`); one with several data centres
//! (`geo.rs`) or a trace (`trace.rs`) runs the loop that tests them (`Extended`). Both give the
//! same results for the same scenario.

mod arrivals;
mod audit;
mod geo;
mod living;
mod measure;
mod membership;
mod requests;
mod tier;
pub mod trace;

use crate::events::Event;
use crate::metrics::hours::MachineHours;
use crate::metrics::{RunResult, Summary, summary};
use crate::model::ids::{ServerId, UserSlot};
use crate::model::store::Op;
use crate::model::users::Users;
use crate::queue::EventQueue;
use crate::scenario::{Micros, Scenario};
use arrivals::Arrivals;
use living::Living;
use measure::Measurement;
use tier::Tier;
pub use trace::{Trace, TraceSpec};

/// How often (in processed events) the progress callback is called: 16,384 events, a few
/// milliseconds of wall time, and under 0.1 s with 10,000 servers (Ctrl-C is read there).
pub const PROGRESS_EVERY: u64 = 1 << 14;

/// What a run may have beyond one data centre and no trace, chosen once per run: the event loop
/// is compiled once for [`Plain`] runs, where every test for several data centres or a trace is
/// a constant `false` and vanishes, and once for [`Extended`] ones, which test the engine's
/// `Option`s. So a feature that is off costs nothing (`docs/performance.md`).
trait Mode {
    /// Whether the run may have several data centres or a trace.
    const EXTENDED: bool;
}

/// One data centre, untraced: no test for either on the request path.
enum Plain {}

/// Several data centres, or a trace, or both: each tested where it acts.
enum Extended {}

impl Mode for Plain {
    const EXTENDED: bool = false;
}

impl Mode for Extended {
    const EXTENDED: bool = true;
}

/// Runs one variant's scenario and returns what it measured.
pub fn simulate(variant: &str, scenario: &Scenario) -> RunResult {
    simulate_with_progress(variant, scenario, &mut |_| true)
        .expect("a run without a stop request runs to the end")
}

/// Like [`simulate`], calling `progress(now)` once the cluster is built (after the
/// consistent-hash ring, the one long step before the first event), every few tens of thousands
/// of events (a few milliseconds of wall time) and once at the end. The run stops early,
/// returning `None`, if `progress` returns false.
pub fn simulate_with_progress(
    variant: &str,
    scenario: &Scenario,
    progress: &mut dyn FnMut(Micros) -> bool,
) -> Option<RunResult> {
    match scenario.geo {
        None => run_to_end(Engine::<Plain>::new(scenario), variant, progress),
        Some(_) => run_to_end(Engine::<Extended>::new(scenario), variant, progress),
    }
}

/// Runs `engine` to the end, unless `progress` stops it.
fn run_to_end<M: Mode>(
    mut engine: Engine<'_, M>,
    variant: &str,
    progress: &mut dyn FnMut(Micros) -> bool,
) -> Option<RunResult> {
    if !progress(0) {
        return None;
    }
    engine.run(progress).then(|| engine.finish(variant))
}

/// Like [`simulate_with_progress`], also recording the replay trace of the users `spec` samples
/// (see `trace.rs` for the rule and the bounds). The results are those of [`simulate`].
pub fn simulate_traced(
    variant: &str,
    scenario: &Scenario,
    spec: TraceSpec,
    progress: &mut dyn FnMut(Micros) -> bool,
) -> Option<(RunResult, Trace)> {
    let mut engine = Engine::<Extended>::new(scenario);
    engine.trace = Some(Box::new(trace::Recorder::new(spec)));
    engine.trace_tier();
    if !progress(0) || !engine.run(progress) {
        return None;
    }
    let recorder = engine.trace.take().expect("traced");
    Some((engine.finish(variant), recorder.finish()))
}

/// The state of one run: the clock, the pending events and the users, and the parts that own
/// the rest (the tier, the arrivals, the measurement, the living cluster). Handlers are methods
/// here that borrow the parts they need. `M` says whether the run may have several data centres
/// or a trace ([`Mode`]).
struct Engine<'a, M: Mode> {
    sc: &'a Scenario,
    now: Micros,
    queue: EventQueue,
    users: Users,
    /// Number given to the next request sent (unique in the run).
    next_request: u64,
    tier: Tier,
    arrivals: Arrivals,
    measure: Measurement,
    living: Living,
    /// Several data centres (`None`: one).
    geo: Option<geo::Geo>,
    /// The scenario's next timed event.
    next_timed: usize,
    events_processed: u64,
    scratch: Scratch,
    /// The replay trace, when recorded (`trace.rs`).
    trace: Option<Box<trace::Recorder>>,
    mode: std::marker::PhantomData<M>,
}

/// Vectors reused by the handlers, so that no event allocates in the steady state.
#[derive(Debug, Default)]
struct Scratch {
    /// Users whose requests a stopped server lost.
    users: Vec<UserSlot>,
    /// Store operations a crashed machine lost.
    ops: Vec<Op>,
}

/// (user slot, user id, server it would be routed to) of a logged-in user before a change.
type RemapTarget = (UserSlot, u64, Option<ServerId>);

/// Where the next thing to do comes from.
enum Next {
    Tick,
    Timed,
    Arrival,
    Queued,
}

impl<'a, M: Mode> Engine<'a, M> {
    fn new(sc: &'a Scenario) -> Self {
        Engine {
            sc,
            now: 0,
            queue: EventQueue::new(),
            users: Users::with_population(sc.users.population),
            next_request: 0,
            tier: Tier::new(sc),
            arrivals: Arrivals::new(sc),
            measure: Measurement::new(sc),
            living: Living::new(sc),
            geo: geo::Geo::new(sc),
            next_timed: 0,
            events_processed: 0,
            scratch: Scratch::default(),
            trace: None,
            mode: std::marker::PhantomData,
        }
    }

    /// The data centres, if the run has several (always `None` in a [`Plain`] run, which the
    /// compiler knows).
    #[inline(always)]
    fn geo(&self) -> Option<&geo::Geo> {
        if M::EXTENDED { self.geo.as_ref() } else { None }
    }

    /// Whether the run has several data centres (a constant `false` in a [`Plain`] run).
    #[inline(always)]
    fn geo_on(&self) -> bool {
        self.geo().is_some()
    }

    /// Whether the run records a trace (a constant `false` in a [`Plain`] run).
    #[inline(always)]
    fn traced(&self) -> bool {
        M::EXTENDED && self.trace.is_some()
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
        let mut best = (self.measure.next_tick_us(), Next::Tick);
        let timed = self.sc.events.get(self.next_timed).map(|e| e.at_us);
        if let Some(t) = timed.filter(|&t| t < best.0) {
            best = (t, Next::Timed);
        }
        let visit = self.arrivals.next_us();
        if visit < best.0 {
            best = (visit, Next::Arrival);
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
        let mut result = self.measure.take_result();
        let sc = self.sc;
        let unfinished = self
            .users
            .iter()
            .filter(|(_, u)| u.phase != crate::events::Phase::Idle && u.sent_us >= sc.warmup_us)
            .count() as u64;
        let (end, start) = (
            self.tier.sessions.totals(),
            self.measure.sessions_at_warmup(),
        );
        let rec = &mut self.measure.rec;
        let counted = Summary {
            sessions_created: end.created - start.created,
            sessions_lost: end.lost - start.lost,
            sessions_expired: end.expired - start.expired,
            counts: rec.total(),
            sent: rec.sent(),
            unfinished,
            latency: rec.total_latency(),
            store_reads: rec.store_reads(),
            store_writes: rec.store_writes(),
            sessions_evicted: end.evicted - start.evicted,
            cache_hits: rec.cache_hits(),
            session_copies: rec.session_copies(),
            mean_in_tier: rec.mean_in_tier(sc.duration_us),
            people: self.measure.people,
            sessions_lost_active: end.lost_active - start.lost_active,
            sessions_lost_idle: end.lost_idle - start.lost_idle,
            ..Summary::default()
        }
        .with_cost(
            self.measure.servers_rented.hours(sc.duration_us),
            store_hours(sc),
            &sc.cost,
        );
        result.summary = summary::assemble(
            counted,
            &result.buckets,
            &mut self.measure.event_rows,
            sc.duration_us - sc.warmup_us,
            sc.balancer.policy.maps_users(),
        );
        result.variant = variant.to_string();
        result.events = std::mem::take(&mut self.measure.event_rows);
        result.events_processed = self.events_processed;
        result.requests_simulated = self.next_request;
        (result.datacenters, result.datacenter_names) = self.geo_result();
        result.audit = self.audit(&result);
        result
    }
}

/// Store machines rented over the measured period: the design's machines, every one for the
/// whole period (a crashed one is still rented); with several data centres, a store in each
/// (one only under `global` replication).
fn store_hours(sc: &Scenario) -> f64 {
    let stores = match &sc.geo {
        Some(g) if g.replication != crate::scenario::Replication::Global => {
            g.datacenters.len() as u32
        }
        _ => 1,
    };
    let machines = sc.storage.store_machines(&sc.store) * stores;
    MachineHours::new(machines, sc.warmup_us).hours(sc.duration_us)
}

#[cfg(test)]
mod tests {
    use crate::scenario::Scenario;

    /// A tiny scenario for the parts' unit tests: seed 1, 60 s with a 10 s warm-up and 10 s
    /// buckets, 10 visits per second, 3 servers of 2 workers with no queue, sticky routing,
    /// sessions in server memory; `set` holds `--set KEY=VALUE` overrides.
    pub(super) fn tiny(set: &[&str]) -> Scenario {
        const TEXT: &str = r#"
            name = "tiny"
            seed = 1
            duration = "60s"
            warmup = "10s"
            bucket = "10s"
            [users]
            visits_per_s = 10
            requests_per_visit = 5
            think_time = "1s"
            session_ttl = "30s"
            [servers]
            count = 3
            workers = 2
            queue_limit = 0
            service_time = "10ms"
            [balancer]
            policy = "sticky"
        "#;
        let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
        let experiment = crate::config::parse("tiny.toml", TEXT, &set, None)
            .unwrap_or_else(|e| panic!("the tiny scenario is invalid:\n{e}"));
        experiment.variants[0].scenario.clone()
    }
}
