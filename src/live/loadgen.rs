//! The live load generator: the scenario's users, replayed with real HTTP clients.
//!
//! The model's own users (`model::users`): visit arrivals from `next_visit` (with the traffic
//! profile, by thinning), visit lengths, each user's own generator drawing the same four numbers
//! per request with `Draws::next` (think, service, store read, store write), and the wait before
//! the next request from `think_us` (with its floor after an error), so the live users are the
//! simulated users.
//! Each user is a task with its own cookie jar (`sid` from the servers, `lb` from the balancer);
//! the users share a bounded pool of keep-alive connections to the balancer
//! ([`limits::client_connections`](super::limits::client_connections): a request leases one and
//! gives it back once answered, and the cookies travel in the request, so a connection carries
//! the requests of many users, as a forward proxy's would); it sends its login, then its authenticated
//! requests, thinking between them in scaled wall time, and tells the server its service draw in
//! the `x-draw` header (service, store read and store write draws) and its id in `x-user` (the
//! protocol is `super::protocol`). Outcomes are read off the responses: 200 ok; 401
//! failed authentication (classified from the session id it had: its holder crashed or the store
//! restarted since → lost; unused longer than the TTL → expired; otherwise → alive elsewhere);
//! 502/503 or no answer → error by its `x-cause`. The servers' `x-inside-us` and `x-late-us` are
//! kept with each request, in simulated time, so that latency can be split into the servers' part
//! and the HTTP hops. The users run on their own runtime and timer (see `super::run_variant`).
//!
//! Leaves out: clients that time out or give up, and the event-exact timing of the model (the
//! scheduler's jitter shifts every time a little).

use super::pool::Pool;
use super::protocol::{self, PIN, SID, SessionId};
use super::timer::Timer;
use super::{Clock, Cluster, Record, limits};
use crate::events::{AuthFailure, ErrorCause, Outcome};
use crate::model::users::{self, Draws};
use crate::rng::{self, Stream};
use crate::scenario::Micros;
use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::task::JoinSet;

/// Runs every visit of the scenario until `duration`; the caller drops the future to stop it.
pub async fn replay(cluster: Arc<Cluster>, balancer: SocketAddr, clock: Clock) {
    // The clients' own timer, on the clients' runtime.
    let Ok(timer) = Timer::start() else {
        return;
    };
    let timer = Arc::new(timer);
    let sc = &cluster.sc;
    let mut arrivals = rng::stream(sc.seed, Stream::Arrivals);
    let mut lengths = rng::stream(sc.seed, Stream::VisitLengths);
    let connections = limits::client_connections(sc) as usize;
    let idle_for = cluster.header_timeout() / 2;
    let pool = Arc::new(Pool::bounded(balancer, connections, idle_for));
    let mut visitors = JoinSet::new();
    let mut t = users::next_visit(&mut arrivals, &sc.users, 0, sc.duration_us);
    let mut id = 0u64;
    while t != Micros::MAX {
        timer.sleep_until(clock.at(t)).await;
        while visitors.try_join_next().is_some() {}
        let requests = rng::geometric_with_mean(&mut lengths, sc.users.requests_per_visit);
        let user = User::new(id, requests, cluster.clone(), pool.clone());
        visitors.spawn(user.visit(timer.clone(), clock));
        id += 1;
        t = users::next_visit(&mut arrivals, &sc.users, t, sc.duration_us);
    }
    // Keep the users running until the caller stops the run.
    while visitors.join_next().await.is_some() {}
}

/// A user's cookies.
#[derive(Default)]
struct Jar {
    sid: Option<String>,
    lb: Option<String>,
    /// When the session was last used successfully.
    last_use_us: Micros,
}

/// What a response told the client.
struct Answer {
    status: StatusCode,
    server: Option<u32>,
    cause: ErrorCause,
    inside_us: Option<Micros>,
    late_us: Option<Micros>,
}

/// One user in a visit.
struct User {
    id: u64,
    /// Authenticated requests still to send.
    remaining: u64,
    cluster: Arc<Cluster>,
    /// The connections to the balancer, shared by every user.
    pool: Arc<Pool>,
    rng: rng::SimRng,
    jar: Jar,
    /// Whether it is counted in `Cluster::logged_in`.
    logged_in: bool,
}

impl User {
    fn new(id: u64, remaining: u64, cluster: Arc<Cluster>, pool: Arc<Pool>) -> Self {
        User {
            id,
            remaining,
            rng: rng::user_stream(cluster.sc.seed, id),
            cluster,
            pool,
            jar: Jar::default(),
            logged_in: false,
        }
    }

    /// The visit: a login, then the authenticated requests, thinking between them, until the
    /// last one is answered or the run ends.
    async fn visit(mut self, timer: Arc<Timer>, clock: Clock) {
        let cluster = self.cluster.clone();
        let sc = &cluster.sc;
        loop {
            let draws = Draws::next(&mut self.rng);
            let login = self.jar.sid.is_none();
            let sent_us = clock.now_us();
            if sent_us >= sc.duration_us {
                break;
            }
            if sent_us >= sc.warmup_us {
                self.cluster.sent.fetch_add(1, Ordering::Relaxed);
            }
            let (record, in_time) = self.exchange(&draws, login, sent_us, &clock).await;
            if !in_time {
                break;
            }
            self.recorded(record);
            let after_error = matches!(record.outcome, Outcome::Error(_));
            let think_us = users::think_us(draws.think, sc.users.think_time_us, after_error);
            if self.jar.sid.is_some() && self.remaining == 0 {
                break;
            }
            timer.sleep(self.cluster.wall(think_us)).await;
        }
        if self.logged_in {
            self.cluster.logged_in.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Sends one request and reads its outcome, with whether the answer came before the end of
    /// the run.
    async fn exchange(
        &mut self,
        draws: &Draws,
        login: bool,
        sent_us: Micros,
        clock: &Clock,
    ) -> (Record, bool) {
        let req = self.request(draws, login);
        let pool = self.pool.clone();
        let mut lease = pool.lease().await.ok();
        let waits = pool.waited();
        if waits > 0 {
            self.cluster
                .connection_waits
                .fetch_max(waits, Ordering::Relaxed);
        }
        let response = match lease.as_mut() {
            Some(l) => l.send(req).await.ok(),
            None => None,
        };
        let now = clock.now_us();
        let mut record = Record {
            user: self.id,
            sent_us,
            end_us: now,
            outcome: Outcome::Error(ErrorCause::ServerDown),
            login,
            server: None,
            inside_us: None,
            late_us: None,
        };
        // No answer: the lease is dropped, which closes its connection.
        if let (Some(resp), Some(lease)) = (response, lease) {
            let answer = self.read(&resp);
            let old_sid = self.jar.sid.clone();
            self.keep_cookies(&resp);
            if resp.into_body().collect().await.is_ok() {
                lease.give_back();
            }
            (record.inside_us, record.late_us) = (answer.inside_us, answer.late_us);
            (record.outcome, record.server) = self.outcome(&answer, old_sid, sent_us, now);
        }
        (record, now < self.cluster.sc.duration_us)
    }

    /// The request: a login without a session, else an authenticated request with its cookies.
    fn request(&self, draws: &Draws, login: bool) -> Request<Empty<Bytes>> {
        let jar = &self.jar;
        let sid = if login { None } else { jar.sid.as_deref() };
        request(self.id, draws, sid, jar.lb.as_deref())
    }

    /// The headers of a response, times in simulated microseconds.
    fn read(&self, resp: &Response<Incoming>) -> Answer {
        let headers = resp.headers();
        let header = |name| protocol::header(headers, name);
        let simulated = |name| {
            let wall_us = header(name)?.parse::<f64>().ok()?;
            Some(self.cluster.simulated(wall_us))
        };
        Answer {
            status: resp.status(),
            server: header(protocol::SERVER).and_then(|v| v.parse().ok()),
            cause: protocol::parse_cause(header(protocol::CAUSE)),
            inside_us: simulated(protocol::INSIDE_US),
            late_us: simulated(protocol::LATE_US),
        }
    }

    /// Keeps the cookies a response sets.
    fn keep_cookies(&mut self, resp: &Response<Incoming>) {
        for v in resp.headers().get_all("set-cookie") {
            let Some((k, value)) = v.to_str().ok().and_then(protocol::parse_set_cookie) else {
                continue;
            };
            match k {
                SID => self.jar.sid = Some(value.to_string()),
                PIN => self.jar.lb = Some(value.to_string()),
                _ => {}
            }
        }
    }

    /// The outcome of an answer and the server it counts for; `old_sid` is the session the
    /// request carried.
    fn outcome(
        &mut self,
        answer: &Answer,
        old_sid: Option<String>,
        sent_us: Micros,
        now: Micros,
    ) -> (Outcome, Option<u32>) {
        match answer.status {
            StatusCode::OK => {
                self.jar.last_use_us = now;
                (Outcome::Ok, answer.server)
            }
            StatusCode::UNAUTHORIZED => {
                let last_use_us = self.jar.last_use_us;
                let why = classify(&self.cluster, old_sid.as_deref(), last_use_us, sent_us);
                self.jar.last_use_us = now;
                (Outcome::FailedAuth(why), answer.server)
            }
            _ => (Outcome::Error(answer.cause), None),
        }
    }

    /// Keeps the record, and counts the user as logged in once it has a session.
    fn recorded(&mut self, record: Record) {
        let c = &self.cluster;
        c.records.lock().expect("records lock").push(record);
        if self.jar.sid.is_some() && !self.logged_in {
            self.logged_in = true;
            c.logged_in.fetch_add(1, Ordering::Relaxed);
        }
        if !record.login {
            self.remaining = self.remaining.saturating_sub(1);
        }
    }
}

/// The request of user `id` with `draws`: a login without a session `sid`, else an
/// authenticated request; both carry the cookies the user holds (`sid`, and the balancer's `lb`).
pub(super) fn request(
    id: u64,
    draws: &Draws,
    sid: Option<&str>,
    lb: Option<&str>,
) -> Request<Empty<Bytes>> {
    let login = sid.is_none();
    let mut b = Request::builder()
        .method(if login { "POST" } else { "GET" })
        .uri(if login {
            protocol::LOGIN
        } else {
            protocol::APP
        })
        .header("host", protocol::HOST)
        .header(protocol::USER, id.to_string())
        .header(protocol::DRAW, protocol::format_draws(draws));
    if let Some(cookies) = protocol::cookie_header(&[(SID, sid), (PIN, lb)]) {
        b = b.header("cookie", cookies);
    }
    b.body(Empty::new()).expect("a valid request")
}

/// Why the session `sid` (last used at `last_use_us`) was not valid at `at_us`: its holder (the
/// server's or the store's incarnation that created it) is gone → lost; unused longer than the
/// TTL → expired; otherwise it is alive elsewhere.
fn classify(
    cluster: &Cluster,
    sid: Option<&str>,
    last_use_us: Micros,
    at_us: Micros,
) -> AuthFailure {
    let Some(sid) = sid else {
        return AuthFailure::Lost;
    };
    let lost = match SessionId::parse(sid) {
        Some(SessionId::Memory {
            server, generation, ..
        }) => cluster
            .server_gen
            .get(server as usize)
            .is_some_and(|now| now.load(Ordering::SeqCst) != generation),
        Some(SessionId::Store {
            store_generation, ..
        }) => cluster.store_gen.load(Ordering::SeqCst) != store_generation,
        None => false,
    };
    if lost {
        AuthFailure::Lost
    } else if at_us.saturating_sub(last_use_us) > cluster.sc.users.session_ttl_us {
        AuthFailure::Expired
    } else {
        AuthFailure::Elsewhere
    }
}
