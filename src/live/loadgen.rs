//! The live load generator: the scenario's users, replayed with real HTTP clients.
//!
//! The same random streams as the model (`rng`): visit arrivals (with the traffic profile, by
//! thinning), visit lengths, and each user's own generator drawing the same four numbers per
//! request (think, service, store read, store write), so the live users are the simulated users.
//! Each user is a task with its own keep-alive connection to the balancer and its own cookie jar
//! (`sid` from the servers, `lb` from the balancer); it sends its login, then its authenticated
//! requests, thinking between them in scaled wall time, and tells the server its service draw in
//! the `x-draw` header (service, store read and store write draws) and its id in `x-user`. Outcomes are read off the responses: 200 ok; 401
//! failed authentication (classified from the session id it had: its holder crashed or the store
//! restarted since → lost; unused longer than the TTL → expired; otherwise → alive elsewhere);
//! 502/503 or no answer → error by its `x-cause`. The servers' `x-inside-us` and `x-late-us` are
//! kept with each request, in simulated time, so that latency can be split into the servers' part
//! and the HTTP hops. The users run on their own runtime and timer (see `super::run_variant`).
//!
//! Leaves out: clients that time out or give up, and the event-exact timing of the model (the
//! scheduler's jitter shifts every time a little).

use super::timer::Timer;
use super::{Clock, Cluster, Record};
use crate::events::{AuthFailure, ErrorCause, Outcome};
use crate::model::users;
use crate::rng::{self, Stream};
use crate::scenario::{Micros, Scenario};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::net::TcpStream;
use tokio::task::JoinSet;

/// Runs every visit of the scenario until `duration`; the caller drops the future to stop it.
pub async fn replay(sc: Scenario, cluster: Arc<Cluster>, balancer: SocketAddr, clock: Clock) {
    // The clients' own timer, on the clients' runtime.
    let Ok(timer) = Timer::start() else {
        return;
    };
    let timer = Arc::new(timer);
    let mut arrivals = rng::stream(sc.seed, Stream::Arrivals);
    let mut lengths = rng::stream(sc.seed, Stream::VisitLengths);
    let mut users = JoinSet::new();
    let mut t = crate::model::users::next_visit(&mut arrivals, &sc.users, 0, sc.duration_us);
    let mut id = 0u64;
    while t != Micros::MAX {
        timer.sleep_until(clock.at(t)).await;
        while users.try_join_next().is_some() {}
        let requests = rng::geometric_with_mean(&mut lengths, sc.users.requests_per_visit);
        users.spawn(user(
            id,
            requests,
            cluster.clone(),
            timer.clone(),
            balancer,
            clock,
        ));
        id += 1;
        t = crate::model::users::next_visit(&mut arrivals, &sc.users, t, sc.duration_us);
    }
    // Keep the users running until the caller stops the run.
    while users.join_next().await.is_some() {}
}

/// A user's cookies.
#[derive(Default)]
struct Jar {
    sid: Option<String>,
    lb: Option<String>,
    /// When the session was last used successfully.
    last_use_us: Micros,
}

async fn connect(addr: SocketAddr) -> Option<SendRequest<Empty<Bytes>>> {
    let stream = TcpStream::connect(addr).await.ok()?;
    super::no_delay(&stream);
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(conn);
    Some(sender)
}

async fn user(
    id: u64,
    mut remaining: u64,
    cluster: Arc<Cluster>,
    timer: Arc<Timer>,
    addr: SocketAddr,
    clock: Clock,
) {
    let c = &cluster.config;
    let mut rng = rng::user_stream(c.seed, id);
    let mut jar = Jar::default();
    let mut conn: Option<SendRequest<Empty<Bytes>>> = None;
    let mut logged_in = false;
    loop {
        let think = rng::exp1(&mut rng) as f32;
        let service = rng::exp1(&mut rng) as f32;
        let read = rng::exp1(&mut rng) as f32;
        let write = rng::exp1(&mut rng) as f32;
        let login = jar.sid.is_none();
        let sent_us = clock.now_us();
        if sent_us >= c.duration_us {
            break;
        }
        if sent_us >= c.warmup_us {
            cluster.sent.fetch_add(1, Ordering::Relaxed);
        }
        let mut b = Request::builder()
            .method(if login { "POST" } else { "GET" })
            .uri(if login { "/login" } else { "/app" })
            .header("host", "127.0.0.1")
            .header("x-user", id.to_string())
            .header("x-draw", format!("{service},{read},{write}"));
        let cookies: Vec<String> = [("sid", &jar.sid), ("lb", &jar.lb)]
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
            .collect();
        if !cookies.is_empty() {
            b = b.header("cookie", cookies.join("; "));
        }
        let req = b.body(Empty::new()).expect("a valid request");
        if conn.as_ref().is_none_or(|s| !s.is_ready()) {
            conn = connect(addr).await;
        }
        let response = match conn.as_mut() {
            Some(s) => s.send_request(req).await.ok(),
            None => None,
        };
        let now = clock.now_us();
        let (mut inside_us, mut late_us) = (None, None);
        let (outcome, server) = match response {
            None => {
                conn = None;
                (Outcome::Error(ErrorCause::ServerDown), None)
            }
            Some(resp) => {
                let header = |name: &str| {
                    resp.headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string)
                };
                let server: Option<u32> = header("x-server").and_then(|v| v.parse().ok());
                let cause = header("x-cause");
                let simulated = |name: &str| {
                    header(name)
                        .and_then(|v| v.parse::<f64>().ok())
                        .map(|wall_us| (wall_us * c.time_scale).round() as Micros)
                };
                inside_us = simulated("x-inside-us");
                late_us = simulated("x-late-us");
                let old_sid = jar.sid.clone();
                for v in resp.headers().get_all("set-cookie") {
                    let Some((k, rest)) = v.to_str().ok().and_then(|v| v.split_once('=')) else {
                        continue;
                    };
                    let value = rest.split(';').next().unwrap_or("").to_string();
                    match k {
                        "sid" => jar.sid = Some(value),
                        "lb" => jar.lb = Some(value),
                        _ => {}
                    }
                }
                let status = resp.status();
                let _ = resp.into_body().collect().await;
                match status {
                    StatusCode::OK => {
                        jar.last_use_us = now;
                        (Outcome::Ok, server)
                    }
                    StatusCode::UNAUTHORIZED => {
                        let why = classify(&cluster, old_sid.as_deref(), jar.last_use_us, sent_us);
                        jar.last_use_us = now;
                        (Outcome::FailedAuth(why), server)
                    }
                    _ => {
                        let cause = match cause.as_deref() {
                            Some("queue_full") => ErrorCause::QueueFull,
                            Some("store_down") => ErrorCause::StoreDown,
                            _ => ErrorCause::ServerDown,
                        };
                        (Outcome::Error(cause), None)
                    }
                }
            }
        };
        if now >= c.duration_us {
            break;
        }
        cluster.records.lock().expect("records lock").push(Record {
            sent_us,
            end_us: now,
            outcome,
            login,
            server,
            inside_us,
            late_us,
        });
        if jar.sid.is_some() && !logged_in {
            logged_in = true;
            cluster.logged_in.fetch_add(1, Ordering::Relaxed);
        }
        if !login {
            remaining = remaining.saturating_sub(1);
        }
        let think_us =
            users::think_us(think, c.think_time_us, matches!(outcome, Outcome::Error(_)));
        if jar.sid.is_some() && remaining == 0 {
            break;
        }
        timer.sleep(c.wall(think_us)).await;
    }
    if logged_in {
        cluster.logged_in.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Why the session `sid` (last used at `last_use_us`) was not valid at `at_us`.
fn classify(
    cluster: &Cluster,
    sid: Option<&str>,
    last_use_us: Micros,
    at_us: Micros,
) -> AuthFailure {
    let Some(sid) = sid else {
        return AuthFailure::Lost;
    };
    let parts: Vec<&str> = sid[1.min(sid.len())..].split('-').collect();
    let num = |i: usize| parts.get(i).and_then(|p| p.parse::<u64>().ok());
    let lost = if sid.starts_with('m') {
        match (num(0), num(1)) {
            (Some(s), Some(g)) => cluster
                .server_gen
                .get(s as usize)
                .is_some_and(|now| now.load(Ordering::SeqCst) != g),
            _ => false,
        }
    } else {
        num(0).is_some_and(|g| cluster.store_gen.load(Ordering::SeqCst) != g)
    };
    if lost {
        AuthFailure::Lost
    } else if at_us.saturating_sub(last_use_us) > cluster.config.session_ttl_us {
        AuthFailure::Expired
    } else {
        AuthFailure::Elsewhere
    }
}
