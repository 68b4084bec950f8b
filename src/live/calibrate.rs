//! What this machine carries on time: the CPU a request costs, measured at start-up.
//!
//! `live` and `validate` without `--time-scale` send a short burst of requests through a loopback
//! cluster of the same kind as the run's (the first variant that keeps sessions in the store, or
//! else the first variant: its servers, its storage with the embedded store, the built-in
//! balancer, clients on a thread of their own sharing a pool of keep-alive connections), and
//! divide the CPU time the process spent (`CLOCK_PROCESS_CPUTIME_ID`, every thread) by the
//! requests answered; its users pause between requests ([`BURST_THINK`]) so that requests
//! arrive spread out, as in a run. The burst is bounded: at most [`BURST_REQUESTS`] requests or
//! [`BURST_LIMIT`] of wall time, whichever comes first; a cluster that does not start or a burst
//! that answers fewer than [`MIN_REQUESTS`] falls back to [`CPU_PER_REQUEST_S`] and says why.
//!
//! Leaves out: HAProxy (its CPU is another process's; the built-in balancer stands for it), a
//! Redis (the embedded store stands for it), and the scenario's rates and times (the burst's
//! [`BURST_USERS`] users pause [`BURST_THINK`], services last a thousandth of the scenario's).

use super::limits::{CPU_PER_REQUEST_S, ON_TIME_CORE_SHARE, live_home};
use super::pool::Pool;
use super::{Background, BalancerChoice, Cluster, StoreChoice, Tier};
use crate::model::users::Draws;
use crate::rng;
use crate::scenario::Scenario;
use anyhow::{Context, Result, bail};
use http_body_util::BodyExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Most requests of the calibration burst.
pub const BURST_REQUESTS: u64 = 1_000;
/// Longest wall time of the calibration burst (the cluster's start and stop come on top: a few
/// milliseconds).
pub const BURST_LIMIT: Duration = Duration::from_millis(400);
/// Fewest answered requests for a measurement; below it the calibration falls back.
pub const MIN_REQUESTS: u64 = 100;
/// Users of the burst.
pub const BURST_USERS: u64 = 16;
/// How long a user of the burst waits between an answer and its next request: 16 users send
/// about 2,000 requests a second, spread out as a run's are (each request wakes the threads it
/// crosses), not back to back (where one wake-up serves many requests and the cost looks lower).
pub const BURST_THINK: Duration = Duration::from_millis(7);
/// The burst's time scale: services and store calls take a thousandth of the scenario's.
const BURST_TIME_SCALE: f64 = 1_000.0;

/// How much this machine carries on time, and where the cost per request comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct Capacity {
    /// This machine's cores.
    pub cores: usize,
    /// CPU time one request costs the cluster and its clients, in seconds.
    pub cpu_per_request_s: f64,
    /// Where that cost comes from.
    pub source: Source,
}

/// Where [`Capacity::cpu_per_request_s`] comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// Measured at start-up with a burst of this many requests.
    Measured {
        /// Requests answered in the burst.
        requests: u64,
    },
    /// The documented [`CPU_PER_REQUEST_S`]: `--time-scale` was given, so nothing was measured.
    Assumed,
    /// The documented [`CPU_PER_REQUEST_S`], because the burst failed (why).
    Fallback(String),
}

impl Capacity {
    /// The documented cost per request on this machine's `cores`, not measured.
    pub fn assumed(cores: usize) -> Self {
        Capacity {
            cores,
            cpu_per_request_s: CPU_PER_REQUEST_S,
            source: Source::Assumed,
        }
    }

    /// Requests per wall second this machine carries on time.
    pub fn on_time_requests_per_s(&self) -> f64 {
        on_time_requests_per_s(self.cores, self.cpu_per_request_s)
    }

    /// The figure the commands print: "measured 0.16 ms of CPU per request on 2 cores: about
    /// 2031 requests/s on time".
    pub fn describe(&self) -> String {
        let how = match &self.source {
            Source::Measured { .. } => "measured",
            Source::Assumed => "assumed (not measured with --time-scale)",
            Source::Fallback(_) => "assumed (the measurement failed)",
        };
        format!(
            "{how} {:.2} ms of CPU per request on {} cores: about {:.0} requests/s on time",
            self.cpu_per_request_s * 1e3,
            self.cores,
            self.on_time_requests_per_s()
        )
    }
}

/// Requests per wall second up to which `cores` cores run the cluster on time when a request
/// costs `cpu_per_request_s` of CPU in the calibration burst: [`ON_TIME_CORE_SHARE`] of each
/// core (3,500 on 2 cores at 0.16 ms).
pub fn on_time_requests_per_s(cores: usize, cpu_per_request_s: f64) -> f64 {
    cores as f64 * ON_TIME_CORE_SHARE / cpu_per_request_s
}

/// Measures this machine's cost per request with a cluster like `sc`'s (see the module doc); on
/// failure, the documented cost and why.
pub fn calibrate(sc: &Scenario, cores: usize) -> Capacity {
    match measure(sc) {
        Ok((cpu, requests)) => Capacity {
            cores,
            cpu_per_request_s: cpu.as_secs_f64() / requests as f64,
            source: Source::Measured { requests },
        },
        Err(e) => Capacity {
            source: Source::Fallback(format!("{e:#}")),
            ..Capacity::assumed(cores)
        },
    }
}

/// Starts the cluster, runs the burst, stops the cluster; the CPU time of the burst and its
/// answered requests.
fn measure(sc: &Scenario) -> Result<(Duration, u64)> {
    live_home(sc.storage).context("its storage does not run live")?;
    let runtime = super::cluster_runtime()?;
    let clients = Background(Some(super::clients_runtime()?));
    runtime.block_on(async {
        let cluster = Arc::new(Cluster::new(sc, BURST_TIME_SCALE)?);
        let tier = Tier::start(
            &cluster,
            &StoreChoice::Embedded,
            BalancerChoice::Builtin,
            "",
        )
        .await
        .context("the calibration cluster did not start")?;
        let burst = clients.handle().spawn(burst(
            Arc::new(Pool::bounded(
                tier.balancer.addr(),
                4,
                Duration::from_secs(1),
            )),
            sc.seed,
        ));
        let measured = measured(burst).await;
        tier.stop(&cluster.timer).await;
        measured
    })
}

/// The CPU time and answered requests of a burst, refused below [`MIN_REQUESTS`].
async fn measured(burst: tokio::task::JoinHandle<(Duration, u64)>) -> Result<(Duration, u64)> {
    let (cpu, requests) = burst.await?;
    if requests < MIN_REQUESTS {
        bail!(
            "{requests} requests answered in {} ms, fewer than {MIN_REQUESTS}",
            BURST_LIMIT.as_millis()
        );
    }
    Ok((cpu, requests))
}

/// [`BURST_USERS`] users sending through `pool`, pausing [`BURST_THINK`] between requests, until [`BURST_REQUESTS`] are
/// answered or [`BURST_LIMIT`] has passed; the process's CPU time meanwhile and the answers.
pub(crate) async fn burst(pool: Arc<Pool>, seed: u64) -> (Duration, u64) {
    let answered = Arc::new(AtomicU64::new(0));
    let started = cpu_time();
    let mut users = tokio::task::JoinSet::new();
    for id in 0..BURST_USERS {
        users.spawn(user(id, seed, pool.clone(), answered.clone()));
    }
    let all = async { while users.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(BURST_LIMIT, all).await;
    users.abort_all();
    let cpu = cpu_time().saturating_sub(started);
    (cpu, answered.load(Ordering::Relaxed))
}

/// One user of the burst: a login, then authenticated requests with the session it got, until
/// the burst has its requests (a failed authentication logs in again, as in a run).
async fn user(id: u64, seed: u64, pool: Arc<Pool>, answered: Arc<AtomicU64>) {
    let mut draws = rng::user_stream(seed, id);
    let mut sid: Option<String> = None;
    let mut lb: Option<String> = None;
    while answered.load(Ordering::Relaxed) < BURST_REQUESTS {
        let req =
            super::loadgen::request(id, &Draws::next(&mut draws), sid.as_deref(), lb.as_deref());
        let Ok(mut lease) = pool.lease().await else {
            return;
        };
        let Ok(resp) = lease.send(req).await else {
            return;
        };
        for v in resp.headers().get_all("set-cookie") {
            match v.to_str().ok().and_then(super::protocol::parse_set_cookie) {
                Some((super::protocol::SID, v)) => sid = Some(v.to_string()),
                Some((super::protocol::PIN, v)) => lb = Some(v.to_string()),
                _ => {}
            }
        }
        if resp.into_body().collect().await.is_err() {
            return;
        }
        lease.give_back();
        answered.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(BURST_THINK).await;
    }
}

/// CPU time of this process so far, every thread.
fn cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_time_requests_scale_with_the_cores_and_inversely_with_the_cost() {
        // 0.28 s of each core's second at 0.16 ms: 1,750 requests a core.
        let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
        assert!(close(on_time_requests_per_s(2, 0.000_16), 3_500.0));
        assert!(close(on_time_requests_per_s(4, 0.000_16), 7_000.0));
        assert!(close(on_time_requests_per_s(2, 0.000_08), 7_000.0));
        let c = Capacity {
            cores: 2,
            cpu_per_request_s: 0.000_16,
            source: Source::Measured { requests: 1_500 },
        };
        assert_eq!(
            c.describe(),
            "measured 0.16 ms of CPU per request on 2 cores: about 3500 requests/s on time"
        );
    }

    fn scenario(set: &[&str]) -> Scenario {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/01-why-sticky.toml");
        let text = std::fs::read_to_string(path).unwrap();
        let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
        let experiment = crate::config::parse(path, &text, &set, None).unwrap();
        experiment.variants[0].scenario.clone()
    }

    #[test]
    fn a_cluster_like_the_scenarios_measures_the_cost_of_a_request_in_a_bounded_burst() {
        let started = std::time::Instant::now();
        let c = calibrate(&scenario(&[]), 2);
        let took = started.elapsed();
        let Source::Measured { requests } = c.source else {
            panic!("measured: {c:?}");
        };
        // Each user checks the count before it sends: at most one request each beyond it.
        let most = BURST_REQUESTS + BURST_USERS;
        assert!((MIN_REQUESTS..=most).contains(&requests), "{c:?}");
        // Tens of microseconds to a few milliseconds, whatever the machine.
        assert!((1e-5..5e-3).contains(&c.cpu_per_request_s), "{c:?}");
        // The burst stops at 0.4 s; the cluster starts and stops in milliseconds (2 s for a
        // machine busy with the other tests).
        assert!(took < Duration::from_secs(2), "{took:?}");
    }

    #[test]
    fn a_calibration_that_cannot_run_falls_back_to_the_documented_cost_and_says_why() {
        let c = calibrate(&scenario(&["sessions.storage=cached_store"]), 2);
        assert_eq!(c.cpu_per_request_s, CPU_PER_REQUEST_S);
        assert!(
            matches!(&c.source, Source::Fallback(why) if why.contains("storage")),
            "{c:?}"
        );
        assert_eq!(
            c.describe(),
            "assumed (the measurement failed) 0.17 ms of CPU per request on 2 cores: about 3294 \
             requests/s on time"
        );
    }

    #[tokio::test]
    async fn a_burst_that_gets_no_answer_gives_up_within_its_limit() {
        // A balancer that accepts connections and never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let silent = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = listener.accept().await {
                held.push(s);
            }
        });
        let started = std::time::Instant::now();
        let pool = Arc::new(Pool::bounded(addr, 4, Duration::from_secs(1)));
        let (_, answered) = burst(pool, 1).await;
        assert_eq!(answered, 0);
        let took = started.elapsed();
        assert!(took < BURST_LIMIT + Duration::from_millis(300), "{took:?}");
        silent.abort();
    }
}
