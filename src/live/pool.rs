//! Pools of keep-alive HTTP/1.1 connections to one address: the load generator's connections to
//! the balancer (bounded: its users share them) and the built-in balancer's to each server.
//!
//! A request leases a connection (an idle one, the most recently used first, or a new one),
//! sends on it, reads the whole answer, and gives it back. An idle connection is forgotten after
//! [`Pool::new`]'s `max_idle_for` (shorter than the peer's wait for a request head, so the pool
//! does not hand out a connection the peer is about to close) and beyond `max_idle` idle ones.
//! A bounded pool has at most `connections` open at once, leased or idle: a lease waits for one
//! to be given back (or dropped) when all are taken.
//!
//! Leaves out: pipelining (one request at a time on a connection, as HTTP/1.1 clients do) and
//! HTTP/2.

use super::net;
use anyhow::Result;
use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, Response};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, SemaphorePermit};

type Sender = SendRequest<Empty<Bytes>>;

/// Keep-alive connections to one address.
pub(crate) struct Pool {
    addr: SocketAddr,
    /// Idle connections with when each was given back, the most recent last.
    idle: Mutex<Vec<(Instant, Sender)>>,
    max_idle: usize,
    max_idle_for: Duration,
    /// One permit per connection a bounded pool may have open.
    open: Option<Semaphore>,
    /// Leases of a bounded pool that found every connection taken and waited.
    waited: AtomicU64,
}

/// A connection leased from a [`Pool`]: given back with [`Lease::give_back`] once its answer is
/// read whole, closed when dropped.
pub(crate) struct Lease<'a> {
    pool: &'a Pool,
    sender: Sender,
    _open: Option<SemaphorePermit<'a>>,
}

impl Pool {
    /// A pool that opens a connection whenever none is idle, keeps at most `max_idle` idle, each
    /// for at most `max_idle_for`.
    pub(crate) fn new(addr: SocketAddr, max_idle: usize, max_idle_for: Duration) -> Self {
        Pool {
            addr,
            idle: Mutex::new(Vec::new()),
            max_idle,
            max_idle_for,
            open: None,
            waited: AtomicU64::new(0),
        }
    }

    /// A pool with at most `connections` open at once (leased or idle).
    pub(crate) fn bounded(addr: SocketAddr, connections: usize, max_idle_for: Duration) -> Self {
        assert!(connections > 0, "a bounded pool needs a connection");
        Pool {
            open: Some(Semaphore::new(connections)),
            ..Pool::new(addr, connections, max_idle_for)
        }
    }

    /// A connection ready to send: the most recently used idle one still open, or a new one.
    pub(crate) async fn lease(&self) -> Result<Lease<'_>> {
        let open = match &self.open {
            Some(s) => {
                if s.available_permits() == 0 {
                    self.waited.fetch_add(1, Ordering::Relaxed);
                }
                Some(s.acquire().await?)
            }
            None => None,
        };
        let sender = loop {
            let pooled = self.idle.lock().expect("pool lock").pop();
            match pooled {
                Some((since, mut s)) if since.elapsed() < self.max_idle_for && !s.is_closed() => {
                    if s.ready().await.is_ok() {
                        break s;
                    }
                }
                Some(_) => {}
                None => break net::connect_http(self.addr).await?,
            }
        };
        Ok(Lease {
            pool: self,
            sender,
            _open: open,
        })
    }

    /// How many leases of a bounded pool found every connection taken and waited for one.
    pub(crate) fn waited(&self) -> u64 {
        self.waited.load(Ordering::Relaxed)
    }

    /// Idle connections now (for tests).
    #[cfg(test)]
    fn idle(&self) -> usize {
        self.idle.lock().expect("pool lock").len()
    }
}

impl Lease<'_> {
    /// Sends one request on the connection.
    pub(crate) async fn send(&mut self, req: Request<Empty<Bytes>>) -> Result<Response<Incoming>> {
        Ok(self.sender.send_request(req).await?)
    }

    /// Gives the connection back to the pool (its answer was read whole), unless it closed or the
    /// pool holds `max_idle` idle already.
    pub(crate) fn give_back(self) {
        if self.sender.is_closed() {
            return;
        }
        let mut idle = self.pool.idle.lock().expect("pool lock");
        if idle.len() < self.pool.max_idle {
            idle.push((Instant::now(), self.sender));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Full};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::net::TcpListener;

    /// An HTTP server on loopback counting the connections it accepted; it answers each request
    /// after 20 ms.
    async fn counting_server() -> (SocketAddr, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(net::accept_loop(listener, move |stream| {
            count.fetch_add(1, Ordering::SeqCst);
            async move {
                let service = hyper::service::service_fn(|_req| async {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::new())))
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            }
        }));
        (addr, accepted)
    }

    async fn one_request(pool: &Pool) {
        let mut lease = pool.lease().await.unwrap();
        let req = Request::get("/").body(Empty::new()).unwrap();
        let resp = lease.send(req).await.unwrap();
        resp.into_body().collect().await.unwrap();
        lease.give_back();
    }

    #[tokio::test]
    async fn a_bounded_pool_never_opens_more_connections_than_its_bound() {
        let (addr, accepted) = counting_server().await;
        let pool = Arc::new(Pool::bounded(addr, 3, Duration::from_secs(10)));
        // 40 requests at once, 20 ms each: 3 connections carry them all, 14 rounds of 20 ms.
        let mut users = tokio::task::JoinSet::new();
        for _ in 0..40 {
            let pool = pool.clone();
            users.spawn(async move { one_request(&pool).await });
        }
        while let Some(done) = users.join_next().await {
            done.unwrap();
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
        assert_eq!(pool.idle(), 3);
        // The first 3 found a connection free; at least the 4th waited.
        assert!((1..=37).contains(&pool.waited()), "{}", pool.waited());
    }

    #[tokio::test]
    async fn a_connection_idle_too_long_is_not_leased_again() {
        let (addr, accepted) = counting_server().await;
        let pool = Pool::new(addr, 8, Duration::from_millis(30));
        one_request(&pool).await;
        one_request(&pool).await;
        assert_eq!(accepted.load(Ordering::SeqCst), 1, "reused while fresh");
        tokio::time::sleep(Duration::from_millis(60)).await;
        one_request(&pool).await;
        assert_eq!(
            accepted.load(Ordering::SeqCst),
            2,
            "a new one after 60 ms idle"
        );
    }
}
