//! The live balancer: a reverse proxy on a loopback port with every routing policy of the model.
//!
//! Routing reuses the model's own `model::balancer::Balancer` (random, round robin, least
//! connections, sticky, hash mod, consistent hash), fed with live facts: the user id in the
//! `x-user` header (what `hash_mod` and `consistent_hash` hash), the affinity cookie `lb` (which
//! `sticky` reads, and sets when it places a user), and the requests in flight at each server
//! (`least_connections`). Health is real: an HTTP probe of `GET /health` every quarter of
//! `detection_delay`; four failures in a row take a server out of rotation (so detection takes
//! between 3/4 and all of `detection_delay`), one success puts it back. A request routed to a
//! server that does not answer gets 502 (`x-cause: server_down`), as in the model. Names on the
//! wire are `super::protocol`'s.
//!
//! Leaves out: retries, connection limits, and the model's instant rejoin at a restart (here
//! the next successful probe brings the server back).

use super::pool::Pool;
use super::protocol::{self, PIN};
use super::{Cluster, limits, net};
use crate::events::ErrorCause;
use crate::model::balancer::Balancer as Routing;
use crate::model::ids::ServerId;
use crate::rng::{self, Stream};
use anyhow::Result;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

struct State {
    routing: Mutex<Routing>,
    backends: Vec<SocketAddr>,
    in_flight: Vec<AtomicU32>,
    /// Keep-alive connections to each server.
    pools: Vec<Pool>,
}

/// The running balancer.
pub struct Balancer {
    addr: SocketAddr,
    state: Arc<State>,
    _tasks: JoinSet<()>,
}

impl Balancer {
    /// Starts the balancer in front of `backends`, the first `servers.count` in rotation.
    pub async fn start(cluster: Arc<Cluster>, backends: Vec<SocketAddr>) -> Result<Self> {
        let sc = &cluster.sc;
        let n = backends.len();
        let routing = Routing::new(
            sc.balancer.policy,
            sc.balancer.virtual_nodes,
            n as u32,
            rng::stream(sc.seed, Stream::Routing),
        );
        let mut routing = routing;
        // Slots beyond `servers.count` wait out of rotation for an `add_servers` event.
        for id in sc.servers.count..n as u32 {
            routing.leave(ServerId(id));
        }
        let state = Arc::new(State {
            routing: Mutex::new(routing),
            in_flight: (0..n).map(|_| AtomicU32::new(0)).collect(),
            pools: pools(&cluster, &backends),
            backends,
        });
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut tasks = JoinSet::new();
        let s = state.clone();
        tasks.spawn(net::serve_http(
            listener,
            cluster.header_timeout(),
            move |req| {
                let s = s.clone();
                async move { proxy(&s, req).await }
            },
        ));
        let interval = cluster
            .wall(sc.balancer.detection_delay_us / 4)
            .max(Duration::from_millis(5));
        let s = state.clone();
        tasks.spawn(async move { health_checks(s, interval).await });
        Ok(Balancer {
            addr,
            state,
            _tasks: tasks,
        })
    }
    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Puts server `id` in rotation (it was added).
    pub fn join(&self, id: u32) {
        self.state
            .routing
            .lock()
            .expect("routing lock")
            .join(ServerId(id));
    }

    /// Takes server `id` out of rotation (it is being removed).
    pub fn leave(&self, id: u32) {
        self.state
            .routing
            .lock()
            .expect("routing lock")
            .leave(ServerId(id));
    }

    /// Servers in rotation now.
    pub fn rotation(&self) -> Vec<u32> {
        self.state
            .routing
            .lock()
            .expect("routing lock")
            .rotation()
            .iter()
            .map(|s| s.0)
            .collect()
    }
}

/// The connections to each server: as many idle as the clients' connections spread evenly
/// (requests in flight are at most one per client connection), for half the servers' wait for a
/// request head.
fn pools(cluster: &Cluster, backends: &[SocketAddr]) -> Vec<Pool> {
    let clients = limits::client_connections(&cluster.sc) as usize;
    let max_idle = clients.div_ceil(backends.len().max(1));
    let idle_for = cluster.header_timeout() / 2;
    backends
        .iter()
        .map(|&addr| Pool::new(addr, max_idle, idle_for))
        .collect()
}

async fn health_checks(state: Arc<State>, interval: Duration) {
    let mut failures = vec![0u32; state.backends.len()];
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        for (s, addr) in state.backends.iter().enumerate() {
            let ok = tokio::time::timeout(interval.max(Duration::from_millis(100)), probe(*addr))
                .await
                .is_ok_and(|r| r.unwrap_or(false));
            let mut routing = state.routing.lock().expect("routing lock");
            if ok {
                failures[s] = 0;
                routing.join(ServerId(s as u32));
            } else {
                failures[s] += 1;
                if failures[s] >= 4 {
                    routing.leave(ServerId(s as u32));
                }
            }
        }
    }
}

async fn probe(addr: SocketAddr) -> Result<bool> {
    let mut sender = net::connect_http(addr).await?;
    let req = Request::get(protocol::HEALTH)
        .header("host", protocol::HOST)
        .body(Empty::<Bytes>::new())?;
    Ok(sender.send_request(req).await?.status() == StatusCode::OK)
}

/// A 502: the server routed to did not answer.
fn server_down() -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::BAD_GATEWAY)
        .header(protocol::CAUSE, ErrorCause::ServerDown.name())
        .body(Full::new(Bytes::new()))
        .expect("a valid response")
}

/// A 400: the request carries draws the model could not make (`x-draw`); it is not forwarded.
fn bad_draws() -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::BAD_REQUEST)
        .body(Full::new(Bytes::new()))
        .expect("a valid response")
}

async fn proxy(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let headers = req.headers();
    if protocol::parse_draws(protocol::header(headers, protocol::DRAW)).is_err() {
        return bad_draws();
    }
    let user: u64 = protocol::header(headers, protocol::USER)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let cookie_pin: Option<u32> = protocol::cookie(headers, PIN).and_then(|v| v.parse().ok());
    let mut pinned = cookie_pin.map(ServerId);
    let routed = {
        let mut routing = state.routing.lock().expect("routing lock");
        routing.route(user, &mut pinned, |s| {
            state.in_flight[s.index()].load(Ordering::Relaxed)
        })
    };
    let Some(s) = routed else {
        return server_down();
    };
    let s = s.index();
    state.in_flight[s].fetch_add(1, Ordering::Relaxed);
    let result = forward(state, s, &req).await;
    state.in_flight[s].fetch_sub(1, Ordering::Relaxed);
    match result {
        Ok(mut resp) => {
            if let Some(pinned) = pinned.filter(|p| cookie_pin != Some(p.0)) {
                let v = protocol::set_cookie(PIN, &pinned.to_string());
                if let Ok(v) = v.parse() {
                    resp.headers_mut().append("set-cookie", v);
                }
            }
            resp
        }
        Err(_) => server_down(),
    }
}

async fn forward(
    state: &State,
    s: usize,
    req: &Request<Incoming>,
) -> Result<Response<Full<Bytes>>> {
    let mut lease = state.pools[s].lease().await?;
    let mut out = Request::builder()
        .method(req.method())
        .uri(req.uri().path())
        .header("host", protocol::HOST);
    for name in protocol::FORWARDED {
        for v in req.headers().get_all(name) {
            out = out.header(name, v);
        }
    }
    let resp = lease.send(out.body(Empty::new())?).await?;
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await?.to_bytes();
    lease.give_back();
    Ok(Response::from_parts(parts, Full::new(bytes)))
}
