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
//! `GET /health` answers the balancer's probes. Every answer names the server (`x-server`), how
//! long the request was inside it (`x-inside-us`: queue, store round trip and service, what the
//! model calls latency) and how much longer than the model's times its service sleep and store
//! calls took (`x-late-us`: the store's modelled time is the user's draw × `read_time` or
//! `write_time`).
//!
//! A crash aborts the server's tasks (its listener closes: connection refused; requests in
//! service are cut) and drops its memory; a restart binds a fresh, empty server to the same port.
//!
//! Leaves out: everything a real application does beyond holding a worker for a while.

use super::Cluster;
use super::store::Client;
use anyhow::{Context, Result};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
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
        let c = &self.cluster.config;
        let state = Arc::new(State {
            id: self.id,
            generation,
            cluster: self.cluster.clone(),
            permits: Semaphore::new(c.workers as usize),
            waiting: AtomicU32::new(0),
            memory: Mutex::new(HashMap::new()),
            sessions: self.sessions.clone(),
            next_sid: AtomicU64::new(0),
        });
        self.state = Some(state.clone());
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut conns = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                super::no_delay(&stream);
                while conns.try_join_next().is_some() {}
                let state = state.clone();
                conns.spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, std::convert::Infallible>(handle(&state, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
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

    /// Restart: a fresh, empty server on the same port.
    pub async fn restart(&mut self) -> Result<()> {
        let listener = TcpListener::bind(self.addr)
            .await
            .with_context(|| format!("cannot rebind server {} to {}", self.id, self.addr))?;
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
        config: &super::Config,
        mean_us: u64,
        draw: f64,
        call: impl std::future::Future<Output = T>,
    ) -> T {
        let asked = config.wall((draw * mean_us as f64).round() as u64);
        let started = Instant::now();
        let out = call.await;
        self.late_us += started.elapsed().saturating_sub(asked).as_micros() as u64;
        out
    }
}

/// A 503 with its cause in `x-cause` (`queue_full`, `server_down`, `store_down`).
fn unavailable(state: &State, cause: &str, timing: &Timing) -> Response<Full<Bytes>> {
    reply(
        StatusCode::SERVICE_UNAVAILABLE,
        state,
        Some(cause),
        None,
        timing,
    )
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
        .header("x-server", state.id.to_string())
        .header("x-inside-us", inside_us.to_string())
        .header("x-late-us", timing.late_us.to_string());
    if let Some(c) = cause {
        b = b.header("x-cause", c);
    }
    if let Some(s) = sid {
        b = b.header("set-cookie", format!("sid={s}; HttpOnly; Path=/"));
    }
    b.body(Full::new(Bytes::new())).expect("a valid response")
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers()
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

async fn handle(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    // What the model calls latency starts here: queue, store round trip and service, without
    // the HTTP hops before and after (`x-inside-us` tells the client, and `x-late-us` how much
    // of it is the service sleep ending late).
    let mut timing = Timing {
        entered: Instant::now(),
        late_us: 0,
    };
    let path = req.uri().path().to_string();
    if path == "/health" {
        return reply(StatusCode::OK, state, None, None, &timing);
    }
    let login = path == "/login";
    if !login && path != "/app" {
        return reply(StatusCode::NOT_FOUND, state, None, None, &timing);
    }
    // The user's draws: service, store read, store write (standard exponential samples).
    let draws: Vec<f64> = req
        .headers()
        .get("x-draw")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').filter_map(|d| d.parse().ok()).collect())
        .unwrap_or_default();
    let draw_of = |i: usize| draws.get(i).copied().unwrap_or(1.0);
    let draw = draw_of(0);
    let sid = cookie(&req, "sid");
    let config = &state.cluster.config;
    // A worker, or a place in the queue.
    let _permit = match state.permits.try_acquire() {
        Ok(p) => p,
        Err(_) => {
            if state.waiting.fetch_add(1, Ordering::SeqCst) >= config.queue_limit {
                state.waiting.fetch_sub(1, Ordering::SeqCst);
                return unavailable(state, "queue_full", &timing);
            }
            let p = state.permits.acquire().await;
            state.waiting.fetch_sub(1, Ordering::SeqCst);
            match p {
                Ok(p) => p,
                Err(_) => {
                    return unavailable(state, "server_down", &timing);
                }
            }
        }
    };
    let ttl = config.wall(config.session_ttl_us);
    // Authenticate.
    let valid = if login {
        false
    } else {
        match (&state.sessions, &sid) {
            (_, None) => false,
            (Sessions::Memory, Some(s)) => {
                let now = Instant::now();
                let mut map = state.memory.lock().expect("memory lock");
                match map.get_mut(s) {
                    Some(e) if *e > now => {
                        *e = now + ttl;
                        true
                    }
                    _ => false,
                }
            }
            (Sessions::Store(client), Some(s)) => match timing
                .store_call(
                    config,
                    config.store_read_us,
                    draw_of(1),
                    client.touch(s, ttl),
                )
                .await
            {
                Ok(v) => v,
                Err(_) => {
                    return unavailable(state, "store_down", &timing);
                }
            },
        }
    };
    // Service.
    let mean_us = if valid {
        config.service_time_us
    } else {
        config.login_time_us
    };
    let service_us = (draw * mean_us as f64).round() as u64;
    let asked = config.wall(service_us);
    let slept = Instant::now();
    state.cluster.timer.sleep(asked).await;
    timing.late_us += slept.elapsed().saturating_sub(asked).as_micros() as u64;
    state.cluster.busy_us[state.id as usize].fetch_add(service_us, Ordering::Relaxed);
    if valid {
        return reply(StatusCode::OK, state, None, None, &timing);
    }
    // A login, or a forced re-login: a new session.
    let n = state.next_sid.fetch_add(1, Ordering::Relaxed);
    let new_sid = match &state.sessions {
        Sessions::Memory => {
            let sid = format!("m{}-{}-{n}", state.id, state.generation);
            state
                .memory
                .lock()
                .expect("memory lock")
                .insert(sid.clone(), Instant::now() + ttl);
            sid
        }
        Sessions::Store(client) => {
            let g = state.cluster.store_gen.load(Ordering::SeqCst);
            let sid = format!("s{g}-{}-{}-{n}", state.id, state.generation);
            let put = client.put(&sid, ttl);
            if timing
                .store_call(config, config.store_write_us, draw_of(2), put)
                .await
                .is_err()
            {
                return unavailable(state, "store_down", &timing);
            }
            sid
        }
    };
    let status = if login {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    };
    reply(status, state, None, Some(&new_sid), &timing)
}
