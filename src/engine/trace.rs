//! The replay trace: what a sample of users did in one run, for the animated replay of
//! `report.html` and `tiersim lab`.
//!
//! **The sampling rule.** A user is in the sample when `mix64(id ^ TRACE_SALT)`, read as a
//! fraction of 2^64, is below [`TraceSpec::fraction`]. The id is the registered user's number
//! (with `users.population`) or the visit's number, which every variant of a scenario draws alike
//! (common random numbers); [`TraceSpec::for_scenarios`] picks one fraction for all the variants
//! of an experiment, so the same users appear in every variant. At most [`MAX_USERS`] users and
//! [`MAX_REQUESTS`] requests are kept (the first ones in time; `truncated` says so), and at most
//! [`MAX_CHANGES`] states of the tier: a trace is at most a few megabytes whatever the run.
//!
//! **What is recorded.** Each request of a sampled user when it ends: when it was sent and ended,
//! the server that served it (if one did), its outcome and cause, and where the user's session is
//! held afterwards (if it was served). The tier's state (each server absent, up or down, each
//! store node up or down) at time 0 and after every change of membership (timed events, random
//! failures and repairs, the autoscaler). Nothing else: queues, the store's operations and the
//! users who are not sampled leave no trace.
//!
//! **Cost when off.** The engine holds `Option<Box<Recorder>>`, tested only by the event loop
//! compiled for runs with extras (`Mode`): an untraced run with one data centre has no test for
//! it at all and allocates nothing; one with several data centres tests it once per ended
//! request and once per change of membership.

use super::{Engine, Mode};
use crate::events::{AuthFailure, Outcome};
use crate::model::ids::UserSlot;
use crate::model::sessions::Holder;
use crate::rng;
use crate::scenario::{Micros, Scenario};
use serde::Serialize;

/// Users kept at most, whatever the fraction.
pub const MAX_USERS: usize = 400;
/// Requests kept at most.
pub const MAX_REQUESTS: usize = 100_000;
/// States of the tier kept at most.
pub const MAX_CHANGES: usize = 2_000;
/// Users the sample aims at.
pub const TARGET_USERS: f64 = 150.0;
/// Mixed into the user id before hashing, so that the sample is not the users of low ids.
const TRACE_SALT: u64 = 0x7265_706C_6179_2121;

/// Which users a trace follows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceSpec {
    /// The fraction of all user ids sampled, in (0, 1].
    pub fraction: f64,
}

impl TraceSpec {
    /// One fraction for every scenario given (the variants of an experiment): about
    /// [`TARGET_USERS`] of the largest number of distinct users any of them can see (the
    /// population, or every visit).
    pub fn for_scenarios<'a>(scenarios: impl IntoIterator<Item = &'a Scenario>) -> Self {
        let users = scenarios
            .into_iter()
            .map(|sc| match sc.users.population {
                0 => sc.users.visits_per_s * sc.duration_us as f64 / 1e6,
                n => n as f64,
            })
            .fold(1.0, f64::max);
        TraceSpec {
            fraction: (TARGET_USERS / users).min(1.0),
        }
    }

    /// Whether user `id` is in the sample.
    pub fn samples(&self, id: u64) -> bool {
        let h = rng::mix64(id ^ TRACE_SALT);
        (h as f64) < self.fraction * 18_446_744_073_709_551_616.0
    }
}

/// How a traced request ended: `ok`, `login`, `failed_auth` or `error`, with its cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ended {
    /// An authenticated request, served.
    Ok,
    /// A login the user asked for, served.
    Login,
    /// The session was not valid: the user had to log in again.
    FailedAuth(&'static str),
    /// Not served.
    Error(&'static str),
}

/// One request of a sampled user.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TracedRequest {
    /// Index of the user in [`Trace::users`].
    pub user: u32,
    /// When it was sent (µs).
    pub sent_us: Micros,
    /// When it ended (µs).
    pub end_us: Micros,
    /// The server that served it (`None`: not served).
    pub server: Option<u32>,
    /// How it ended.
    pub ended: Ended,
    /// Where the user's session is held after it (`None`: not served, unchanged).
    pub holder: Option<Held>,
}

/// Where a traced user's session is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Held {
    /// In this server's memory.
    Server(u32),
    /// On this store node.
    Store(u32),
    /// In the user's cookie.
    Cookie,
}

/// The state of the tier from `at_us` on.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TierState {
    /// From when (µs).
    pub at_us: Micros,
    /// Per server id: `up`, `down` or `absent`.
    pub servers: Vec<&'static str>,
    /// Per store node: whether it serves.
    pub stores_up: Vec<bool>,
}

/// What a traced run recorded.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Trace {
    /// The fraction of user ids sampled.
    pub fraction: f64,
    /// The sampled users' ids, in order of their first request's end.
    pub users: Vec<u64>,
    /// Their requests, in order of their end.
    pub requests: Vec<TracedRequest>,
    /// The tier's states, in time order.
    pub tier: Vec<TierState>,
    /// Whether a bound left users, requests or states out.
    pub truncated: bool,
}

/// Records a trace while the engine runs.
#[derive(Debug)]
pub(super) struct Recorder {
    spec: TraceSpec,
    trace: Trace,
    /// Sampled user id → index in `trace.users` (few users: a linear search).
    index: Vec<(u64, u32)>,
}

impl Recorder {
    pub fn new(spec: TraceSpec) -> Self {
        Recorder {
            spec,
            trace: Trace {
                fraction: spec.fraction,
                ..Trace::default()
            },
            index: Vec::new(),
        }
    }

    /// The index of sampled user `id`, adding it if there is room.
    fn user(&mut self, id: u64) -> Option<u32> {
        if let Some(&(_, i)) = self.index.iter().find(|(u, _)| *u == id) {
            return Some(i);
        }
        if self.index.len() >= MAX_USERS {
            self.trace.truncated = true;
            return None;
        }
        let i = self.index.len() as u32;
        self.index.push((id, i));
        self.trace.users.push(id);
        Some(i)
    }

    pub fn finish(self) -> Trace {
        self.trace
    }
}

impl<M: Mode> Engine<'_, M> {
    /// Records the tier's state now, if traced.
    pub(super) fn trace_tier(&mut self) {
        let Some(recorder) = self.trace.as_deref_mut() else {
            return;
        };
        if recorder.trace.tier.len() >= MAX_CHANGES {
            recorder.trace.truncated = true;
            return;
        }
        let servers = self.tier.servers.iter().map(|s| match (s.exists, s.up) {
            (false, _) => "absent",
            (true, true) => "up",
            (true, false) => "down",
        });
        let state = TierState {
            at_us: self.now,
            servers: servers.collect(),
            stores_up: self.tier.stores.iter().map(|s| s.up).collect(),
        };
        match recorder.trace.tier.last_mut() {
            Some(last) if last.at_us == state.at_us => *last = state,
            _ => recorder.trace.tier.push(state),
        }
    }

    /// Records the request of user `u` that ends now with `outcome`, if `u` is sampled. Called
    /// before the user's state is updated.
    #[cold]
    pub(super) fn trace_request(&mut self, u: UserSlot, outcome: Outcome) {
        let user = self.users.get(u);
        let recorder = self.trace.as_deref_mut().expect("called when traced");
        if !recorder.spec.samples(user.id) {
            return;
        }
        if recorder.trace.requests.len() >= MAX_REQUESTS {
            recorder.trace.truncated = true;
            return;
        }
        let Some(index) = recorder.user(user.id) else {
            return;
        };
        let served = matches!(outcome, Outcome::Ok | Outcome::FailedAuth(_));
        let holder =
            served
                .then_some(user.session)
                .flatten()
                .map(|s| match self.tier.sessions.holder(s) {
                    Holder::Server(id) => Held::Server(id.0),
                    Holder::Store(node) => Held::Store(node.0),
                    Holder::Cookie => Held::Cookie,
                });
        let ended = match outcome {
            Outcome::Ok if user.login => Ended::Login,
            Outcome::Ok => Ended::Ok,
            Outcome::FailedAuth(cause) => Ended::FailedAuth(auth_cause(cause)),
            Outcome::Error(cause) => Ended::Error(cause.name()),
        };
        recorder.trace.requests.push(TracedRequest {
            user: index,
            sent_us: user.sent_us,
            end_us: self.now,
            server: served.then_some(user.server.0),
            ended,
            holder,
        });
    }
}

fn auth_cause(cause: AuthFailure) -> &'static str {
    match cause {
        AuthFailure::Elsewhere => "elsewhere",
        AuthFailure::Lost => "lost",
        AuthFailure::Expired => "expired",
        AuthFailure::Evicted => "evicted",
        AuthFailure::OtherDc => "other_dc",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::tiny;
    use crate::metrics::RunResult;

    fn traced(variant: &str, sc: &Scenario, spec: TraceSpec) -> (RunResult, Trace) {
        crate::engine::simulate_traced(variant, sc, spec, &mut |_| true).expect("not stopped")
    }

    #[test]
    fn the_sample_is_the_same_users_in_every_variant() {
        let spec = TraceSpec { fraction: 0.5 };
        let sticky = tiny(&[]);
        let store = tiny(&[
            "sessions.storage=shared_store",
            "balancer.policy=round_robin",
        ]);
        let (_, a) = traced("a", &sticky, spec);
        let (_, b) = traced("b", &store, spec);
        assert!(a.users.len() > 10, "sampled {} users", a.users.len());
        let mut ids_a = a.users.clone();
        let mut ids_b = b.users.clone();
        ids_a.sort_unstable();
        ids_b.sort_unstable();
        assert_eq!(ids_a, ids_b);
        assert!(a.users.iter().all(|&id| spec.samples(id)));
    }

    #[test]
    fn a_traced_run_measures_what_an_untraced_one_does() {
        // 5 visits/s for 60 s: about 300 users, all sampled (under the bound of 400).
        let sc = with_crash();
        let plain = crate::engine::simulate("v", &sc);
        let (traced, trace) = traced("v", &sc, TraceSpec { fraction: 1.0 });
        assert_eq!(plain, traced);
        assert!(!trace.truncated);
        // 3 servers up at 0, server 1 down from 30 s.
        assert_eq!(trace.tier[0].servers, ["up", "up", "up"]);
        let crash = trace
            .tier
            .iter()
            .find(|t| t.at_us == 30_000_000)
            .expect("a state at 30 s");
        assert_eq!(crash.servers, ["up", "down", "up"]);
        // Every request sent after warm-up that ended is a row, as the summary counts them.
        let measured = trace.requests.iter().filter(|r| r.sent_us >= sc.warmup_us);
        assert_eq!(measured.count() as u64, traced.summary.counts.ended());
        let failed = trace
            .requests
            .iter()
            .filter(|r| r.sent_us >= sc.warmup_us && matches!(r.ended, Ended::FailedAuth(_)));
        assert_eq!(failed.count() as u64, traced.summary.counts.failed_auth());
    }

    #[test]
    fn the_plain_loop_and_the_extended_one_measure_alike() {
        // `simulate` runs the loop compiled without data centres and trace (`Plain`),
        // `simulate_traced` the one that tests for them (`Extended`): every storage design, with
        // a crash, gives the same result in both.
        for storage in crate::scenario::Storage::ALL {
            let set = [
                format!("sessions.storage={}", storage.as_str()),
                "store.network_time=1ms".to_string(),
            ];
            let sc = crate::config::parse("crash.toml", CRASH, &set, None)
                .expect("valid")
                .variants[0]
                .scenario
                .clone();
            let plain = crate::engine::simulate("v", &sc);
            let (extended, _) = traced("v", &sc, TraceSpec { fraction: 0.5 });
            assert_eq!(plain, extended, "{}", storage.as_str());
            assert!(plain.summary.counts.ended() > 1000, "{}", storage.as_str());
        }
    }

    /// The tiny scenario of the engine's tests at 5 visits/s, with server 1 crashing at 30 s.
    fn with_crash() -> Scenario {
        let experiment = crate::config::parse("crash.toml", CRASH, &[], None).expect("valid");
        experiment.variants[0].scenario.clone()
    }

    /// The text of [`with_crash`].
    const CRASH: &str = r#"
            name = "crash"
            seed = 1
            duration = "60s"
            warmup = "10s"
            bucket = "10s"
            [users]
            visits_per_s = 5
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
            [[events]]
            at = "30s"
            action = "crash"
            server = 1
        "#;

    #[test]
    fn a_trace_keeps_at_most_its_bound_of_users() {
        let sc = tiny(&["users.visits_per_s=100"]);
        let (_, trace) = traced("v", &sc, TraceSpec { fraction: 1.0 });
        assert_eq!(trace.users.len(), MAX_USERS);
        assert!(trace.truncated);
    }

    #[test]
    fn the_fraction_aims_at_a_few_hundred_users() {
        let sc = tiny(&[]);
        // 10 visits/s for 60 s: 600 distinct users.
        assert_eq!(
            TraceSpec::for_scenarios([&sc]).fraction,
            TARGET_USERS / 600.0
        );
        let population = tiny(&["users.population=100"]);
        assert_eq!(TraceSpec::for_scenarios([&population]).fraction, 1.0);
    }
}
