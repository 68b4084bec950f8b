//! A live web server: real HTTP on a loopback port, `workers` permits, a real queue limit.
//!
//! `POST /login` creates a session and answers 200 with `Set-Cookie: sid=...`; `GET /app` looks
//! the session up (in the server's own memory, or in the shared store: one network round trip)
//! and answers 200, or, when the session is not valid here, serves the request as a forced
//! re-login as the model does: a new session, `Set-Cookie`, and status 401 (a failed
//! authentication). Each request holds one of `workers` permits for its service time, drawn by
//! the user (header `x-draw`, a standard exponential sample) and scaled by the time scale; a
//! request that finds every permit taken and `queue_limit` requests already waiting gets 503
//! (`x-cause: queue_full`). A store that cannot be reached gives 503 (`x-cause: store_down`).
//! A request whose `x-draw` is not a draw the model could make (above `protocol::MAX_DRAW`)
//! gets 400 before it takes a worker; a connection that sends no request head within the
//! cluster's header timeout is closed. `GET /health` answers the balancer's probes. Every answer
//! names the server (`x-server`), how long the request was inside it (`x-inside-us`: queue,
//! store round trip and service, what the model calls latency) and how much longer than the
//! model's times its service sleep and store calls took (`x-late-us`: the store's modelled time
//! is the user's draw × `read_time` or `write_time`). Every name and format on the wire is
//! `super::protocol`'s; connections are accepted by `super::net`'s one accept loop.
//!
//! A crash aborts the server's tasks (its listener closes: connection refused; requests in
//! service are cut) and drops its memory; a restart binds a fresh, empty server to the same port.
//!
//! Leaves out: everything a real application does beyond holding a worker for a while.

use super::protocol::{self, SessionId};
use super::store::Client;
use super::{Cluster, net};
use crate::events::ErrorCause;
use anyhow::{Context, Result};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::task::JoinSet;

/// Where a server keeps sessions.
#[derive(Clone)]
pub enum Sessions {
    /// Its own memory (sid → expiry); replaced by an empty map at each restart.
    Memory,
    /// The shared store.
    Store(Arc<Client>),
}

/// What one incarnation of a server shares with its request handlers.
struct State {
    id: u32,
    generation: u64,
    cluster: Arc<Cluster>,
    permits: Semaphore,
    waiting: AtomicU32,
    memory: Mutex<HashMap<String, Instant>>,
    sessions: Sessions,
    next_sid: AtomicU64,
}

/// One live server (kept across crashes: it knows its port).
pub struct Server {
    id: u32,
    addr: SocketAddr,
    sessions: Sessions,
    cluster: Arc<Cluster>,
    state: Option<Arc<State>>,
    tasks: Option<JoinSet<()>>,
}

impl Server {
    /// Starts server `id` on a free loopback port.
    pub async fn start(id: u32, sessions: Sessions, cluster: Arc<Cluster>) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut server = Server {
            id,
            addr,
            sessions,
            cluster,
            state: None,
            tasks: None,
        };
        server.serve(listener);
        Ok(server)
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether it is running.
    pub fn up(&self) -> bool {
        self.tasks.is_some()
    }

    /// Live sessions in its memory (0 when down or when sessions are in the store).
    pub fn sessions(&self) -> u64 {
        let Some(state) = &self.state else { return 0 };
        let now = Instant::now();
        let mut map = state.memory.lock().expect("memory lock");
        map.retain(|_, e| *e > now);
        map.len() as u64
    }

    fn serve(&mut self, listener: TcpListener) {
        let generation = self.cluster.server_gen[self.id as usize].load(Ordering::SeqCst);
        let servers = &self.cluster.sc.servers;
        let state = Arc::new(State {
            id: self.id,
            generation,
            cluster: self.cluster.clone(),
            permits: Semaphore::new(servers.workers as usize),
            waiting: AtomicU32::new(0),
            memory: Mutex::new(HashMap::new()),
            sessions: self.sessions.clone(),
            next_sid: AtomicU64::new(0),
        });
        self.state = Some(state.clone());
        let mut tasks = JoinSet::new();
        let header_timeout = self.cluster.header_timeout();
        tasks.spawn(net::serve_http(listener, header_timeout, move |req| {
            let state = state.clone();
            async move { handle(&state, req).await }
        }));
        self.tasks = Some(tasks);
    }

    /// Crash: aborts every task, closes the listener, drops the memory. Returns the live sessions
    /// it held.
    pub fn crash(&mut self) -> u64 {
        let lost = self.sessions();
        self.tasks = None;
        self.state = None;
        self.cluster.server_gen[self.id as usize].fetch_add(1, Ordering::SeqCst);
        lost
    }

    /// Restart: a fresh, empty server on the same port. Another process may have taken the
    /// port while the server was down: the bind is tried for half a second, then the server
    /// stays down and the error says so (the timeline turns it into a warning).
    pub async fn restart(&mut self) -> Result<()> {
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(_) if tries < 20 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!(
                            "server {} cannot listen on {} again (another process took the port \
                             while it was down?); it stays down",
                            self.id, self.addr
                        )
                    });
                }
            }
        };
        self.serve(listener);
        Ok(())
    }

    /// Busy worker-time so far, in simulated microseconds (cumulative over incarnations).
    pub fn busy_us(&self) -> u64 {
        self.cluster.busy_us[self.id as usize].load(Ordering::Relaxed)
    }
}

/// When a request reached the server, and how much longer than the model's times its service
/// sleep and its store calls took (the machine's own delay: timer precision, the loopback round
/// trip beyond the store's modelled time, waiting for the thread).
struct Timing {
    entered: Instant,
    late_us: u64,
}

impl Timing {
    /// Runs a store call and adds what it took beyond `draw` × `mean_us` (simulated) to the
    /// lateness.
    async fn store_call<T>(
        &mut self,
        cluster: &Cluster,
        mean_us: u64,
        draw: f64,
        call: impl std::future::Future<Output = T>,
    ) -> T {
        let asked = cluster.wall((draw * mean_us as f64).round() as u64);
        let started = Instant::now();
        let out = call.await;
        self.late_us += started.elapsed().saturating_sub(asked).as_micros() as u64;
        out
    }

    /// Holds the worker for `service_us` simulated microseconds and adds how late the sleep
    /// ended to the lateness.
    async fn service(&mut self, cluster: &Cluster, service_us: u64) {
        let asked = cluster.wall(service_us);
        let slept = Instant::now();
        cluster.timer.sleep(asked).await;
        self.late_us += slept.elapsed().saturating_sub(asked).as_micros() as u64;
    }
}

/// A 503 with its cause in `x-cause` (`queue_full`, `server_down`, `store_down`).
fn unavailable(state: &State, cause: ErrorCause, timing: &Timing) -> Response<Full<Bytes>> {
    let cause = Some(cause.name());
    reply(StatusCode::SERVICE_UNAVAILABLE, state, cause, None, timing)
}

fn reply(
    status: StatusCode,
    state: &State,
    cause: Option<&str>,
    sid: Option<&str>,
    timing: &Timing,
) -> Response<Full<Bytes>> {
    let inside_us = timing.entered.elapsed().as_micros();
    let mut b = Response::builder()
        .status(status)
        .header(protocol::SERVER, state.id.to_string())
        .header(protocol::INSIDE_US, inside_us.to_string())
        .header(protocol::LATE_US, timing.late_us.to_string());
    if let Some(c) = cause {
        b = b.header(protocol::CAUSE, c);
    }
    if let Some(s) = sid {
        b = b.header("set-cookie", protocol::set_cookie(protocol::SID, s));
    }
    b.body(Full::new(Bytes::new())).expect("a valid response")
}

async fn handle(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    // What the model calls latency starts here: queue, store round trip and service, without
    // the HTTP hops before and after (`x-inside-us` tells the client, and `x-late-us` how much
    // of it is the service sleep ending late).
    let mut timing = Timing {
        entered: Instant::now(),
        late_us: 0,
    };
    let path = req.uri().path();
    if path == protocol::HEALTH {
        return reply(StatusCode::OK, state, None, None, &timing);
    }
    let login = path == protocol::LOGIN;
    if !login && path != protocol::APP {
        return reply(StatusCode::NOT_FOUND, state, None, None, &timing);
    }
    let Ok(draws) = protocol::parse_draws(protocol::header(req.headers(), protocol::DRAW)) else {
        // Refused before it takes a worker: no client decides how long one is held.
        return reply(StatusCode::BAD_REQUEST, state, None, None, &timing);
    };
    let sid = protocol::cookie(req.headers(), protocol::SID);
    match serve(state, login, draws, sid.as_deref(), &mut timing).await {
        Ok((status, new_sid)) => reply(status, state, None, new_sid.as_deref(), &timing),
        Err(cause) => unavailable(state, cause, &timing),
    }
}

/// Serves a login or an authenticated request: a worker, the session, the service time, and a
/// new session for a login or a forced re-login. Returns the status and the new session's id.
async fn serve(
    state: &State,
    login: bool,
    draws: protocol::Draws,
    sid: Option<&str>,
    timing: &mut Timing,
) -> Result<(StatusCode, Option<String>), ErrorCause> {
    let _permit = admit(state).await?;
    let valid = !login && authenticate(state, sid, draws.read, timing).await?;
    let servers = &state.cluster.sc.servers;
    let mean_us = if valid {
        servers.service_time_us
    } else {
        servers.login_time_us
    };
    let service_us = (draws.service * mean_us as f64).round() as u64;
    timing.service(&state.cluster, service_us).await;
    state.cluster.busy_us[state.id as usize].fetch_add(service_us, Ordering::Relaxed);
    if valid {
        return Ok((StatusCode::OK, None));
    }
    let new_sid = new_session(state, draws.write, timing).await?;
    let status = if login {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    };
    Ok((status, Some(new_sid)))
}

/// A worker, or a place in the queue; `QueueFull` when every worker is taken and `queue_limit`
/// requests already wait.
async fn admit(state: &State) -> Result<SemaphorePermit<'_>, ErrorCause> {
    if let Ok(p) = state.permits.try_acquire() {
        return Ok(p);
    }
    let queue_limit = state.cluster.sc.servers.queue_limit;
    if state.waiting.fetch_add(1, Ordering::SeqCst) >= queue_limit {
        state.waiting.fetch_sub(1, Ordering::SeqCst);
        return Err(ErrorCause::QueueFull);
    }
    let p = state.permits.acquire().await;
    state.waiting.fetch_sub(1, Ordering::SeqCst);
    p.map_err(|_| ErrorCause::ServerDown)
}

/// The session's time to live in wall time.
fn ttl(state: &State) -> Duration {
    let c = &state.cluster;
    c.wall(c.sc.users.session_ttl_us)
}

/// Whether `sid` is a valid session here (refreshing its expiry); a store that does not answer
/// is `StoreDown`.
async fn authenticate(
    state: &State,
    sid: Option<&str>,
    read_draw: f64,
    timing: &mut Timing,
) -> Result<bool, ErrorCause> {
    let Some(sid) = sid else { return Ok(false) };
    let ttl = ttl(state);
    match &state.sessions {
        Sessions::Memory => {
            let now = Instant::now();
            let mut map = state.memory.lock().expect("memory lock");
            Ok(match map.get_mut(sid) {
                Some(e) if *e > now => {
                    *e = now + ttl;
                    true
                }
                _ => false,
            })
        }
        Sessions::Store(client) => {
            let c = &state.cluster;
            let read_us = c.sc.store.read_time_us + c.sc.store.network_time_us;
            let touch = client.touch(sid, ttl);
            let found = timing.store_call(c, read_us, read_draw, touch).await;
            found.map_err(|_| ErrorCause::StoreDown)
        }
    }
}

/// A new session (a login, or a forced re-login), in memory or written to the store; returns its
/// id.
async fn new_session(
    state: &State,
    write_draw: f64,
    timing: &mut Timing,
) -> Result<String, ErrorCause> {
    let n = state.next_sid.fetch_add(1, Ordering::Relaxed);
    let (server, generation) = (state.id, state.generation);
    match &state.sessions {
        Sessions::Memory => {
            let sid = SessionId::Memory {
                server,
                generation,
                n,
            }
            .to_string();
            let expiry = Instant::now() + ttl(state);
            let mut map = state.memory.lock().expect("memory lock");
            map.insert(sid.clone(), expiry);
            Ok(sid)
        }
        Sessions::Store(client) => {
            let c = &state.cluster;
            let store_generation = c.store_gen.load(Ordering::SeqCst);
            let sid = SessionId::Store {
                store_generation,
                server,
                generation,
                n,
            }
            .to_string();
            let write_us = c.sc.store.write_time_us + c.sc.store.network_time_us;
            let put = client.put(&sid, ttl(state));
            let written = timing.store_call(c, write_us, write_draw, put).await;
            written.map_err(|_| ErrorCause::StoreDown)?;
            Ok(sid)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Empty;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    /// One server of a one-worker cluster whose users think 10 ms (so connections wait at most
    /// `MIN_HEADER_TIMEOUT` for a request head), at time scale 1.
    async fn one_worker() -> Server {
        let text = "name = \"t\"\nduration = \"1m\"\nwarmup = \"10s\"\n[users]\n\
                    think_time = \"10ms\"\n[servers]\ncount = 1\nworkers = 1\n\
                    login_time = \"10ms\"\n";
        let experiment = crate::config::parse("t.toml", text, &[], None).unwrap();
        let sc = &experiment.variants[0].scenario;
        let cluster = Arc::new(Cluster::new(sc, 1.0).unwrap());
        assert_eq!(cluster.header_timeout(), super::super::MIN_HEADER_TIMEOUT);
        Server::start(0, Sessions::Memory, cluster).await.unwrap()
    }

    async fn login(addr: SocketAddr, draw: &str) -> StatusCode {
        let mut sender = net::connect_http(addr).await.unwrap();
        let req = Request::builder()
            .method("POST")
            .uri(protocol::LOGIN)
            .header("host", protocol::HOST)
            .header(protocol::DRAW, draw)
            .body(Empty::new())
            .unwrap();
        sender.send_request(req).await.unwrap().status()
    }

    #[tokio::test]
    async fn a_port_taken_while_the_server_was_down_is_an_error_naming_it_and_a_retry_later_works()
    {
        let mut server = one_worker().await;
        server.crash();
        // The aborted tasks close the listener when the runtime next runs them.
        let mut squatter = None;
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(25)).await;
            squatter = std::net::TcpListener::bind(server.addr()).ok();
            if squatter.is_some() {
                break;
            }
        }
        let squatter = squatter.expect("the port is free within a second");
        let error = format!("{:#}", server.restart().await.unwrap_err());
        assert!(
            error.starts_with(&format!(
                "server 0 cannot listen on {} again",
                server.addr()
            )),
            "{error}"
        );
        assert!(!server.up());
        drop(squatter);
        server.restart().await.unwrap();
        assert!(server.up());
    }

    #[tokio::test]
    async fn a_huge_draw_is_refused_without_holding_the_worker() {
        let server = one_worker().await;
        let within = |f| tokio::time::timeout(Duration::from_secs(2), f);
        let refused = within(login(server.addr(), "1e300,1,1")).await;
        assert_eq!(refused.ok(), Some(StatusCode::BAD_REQUEST));
        // The one worker is free: a login at the mean draw (10 ms) is served at once.
        let served = within(login(server.addr(), "1,1,1")).await;
        assert_eq!(served.ok(), Some(StatusCode::OK));
    }

    /// Reads until the server closes `stream` (a read of 0 bytes, perhaps after a 408), for at
    /// most 4 s; returns how long that took, `None` if it stayed open.
    async fn closed_within_4_s(stream: &mut TcpStream) -> Option<Duration> {
        let started = Instant::now();
        let mut buf = [0u8; 256];
        let closed = tokio::time::timeout(Duration::from_secs(4), async {
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        })
        .await;
        closed.ok().map(|()| started.elapsed())
    }

    #[tokio::test]
    async fn a_slow_request_head_is_cut_at_the_header_timeout() {
        let server = one_worker().await;
        let mut slow = TcpStream::connect(server.addr()).await.unwrap();
        slow.write_all(b"GET /app HTTP/1.1\r\nhost: 127.0.0.1\r\n")
            .await
            .unwrap();
        let mut idle = TcpStream::connect(server.addr()).await.unwrap();
        // Both are closed at the 2 s timeout plus scheduling; without a timeout, never.
        let (slow, idle) = tokio::join!(closed_within_4_s(&mut slow), closed_within_4_s(&mut idle));
        for (what, took) in [("half a head", slow), ("nothing", idle)] {
            let took =
                took.unwrap_or_else(|| panic!("a connection sending {what} is open after 4 s"));
            assert!(
                took >= Duration::from_millis(1900),
                "{what}: closed after {took:?}"
            );
        }
    }
}
