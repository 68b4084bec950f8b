//! The live session store: an embedded store reached over loopback TCP, or a real Redis.
//!
//! Both speak the same small subset of the Redis protocol (RESP): `SET key value PX ms`,
//! `GETEX key PX ms` (read and refresh the sliding expiry), `DBSIZE` and `PING` (and the client
//! `SCAN` and `DEL` in someone else's Redis). The frames are parsed and encoded by the
//! `redis-protocol` crate (`resp.rs`), with a bound on the length of a message. The embedded
//! store is an in-process task holding a map; every lookup is still a network round trip over
//! 127.0.0.1, so the web servers pay what they would pay to a real store. A crash of the embedded
//! store closes its listener and its connections and (unless durable) drops the map; a restart
//! binds a fresh listener to the same port. A managed Redis is a `redis-server` process started
//! on a free loopback port and killed for a crash.
//!
//! Leaves out: the model's store service time and worker pool (the live store's cost is what the
//! round trip really costs), replication and persistence beyond keeping the map across a restart.

pub use super::resp::Reply;
use super::resp::{Conn, command};
use anyhow::{Context, Result, bail};
use redis_protocol::resp2::types::OwnedFrame;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// A pool of connections to the store at one address (Redis or embedded).
#[derive(Debug)]
pub struct Client {
    addr: SocketAddr,
    idle: Mutex<Vec<Conn<TcpStream>>>,
    /// Prepended to every session key. Empty for a store tiersim runs (all its keys are
    /// sessions); `tiersim:<pid>:<variant>:` in a Redis someone else runs, so that the run
    /// counts and removes its own keys only.
    prefix: String,
}

/// How long a store operation may take before it counts as the store being down.
const OP_TIMEOUT: Duration = Duration::from_secs(2);

impl Client {
    /// A client of a store tiersim runs at `addr` (connections are opened on demand).
    pub fn new(addr: SocketAddr) -> Self {
        Client::with_prefix(addr, String::new())
    }

    /// A client of a store shared with others: every key starts with `prefix`.
    pub fn with_prefix(addr: SocketAddr, prefix: String) -> Self {
        Client {
            addr,
            idle: Mutex::new(Vec::new()),
            prefix,
        }
    }

    /// The store's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The prefix of the run's keys (empty: the store is the run's own).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Sends one command and reads its reply; an error means the store is unreachable.
    pub async fn call(&self, args: &[&[u8]]) -> Result<Reply> {
        let pooled = self.idle.lock().expect("pool lock").pop();
        let mut conn = match pooled {
            Some(c) => c,
            None => {
                let stream = tokio::time::timeout(OP_TIMEOUT, TcpStream::connect(self.addr))
                    .await
                    .context("store connect timed out")??;
                super::net::no_delay(&stream);
                Conn::new(stream)
            }
        };
        let reply = tokio::time::timeout(OP_TIMEOUT, async {
            conn.write_frame(&command(args)).await?;
            conn.read_frame().await
        })
        .await
        .context("store timed out")??;
        let reply = Reply::from(reply);
        let mut idle = self.idle.lock().expect("pool lock");
        if idle.len() < 64 {
            idle.push(conn);
        }
        Ok(reply)
    }

    /// Stores a session with a time to live.
    pub async fn put(&self, key: &str, ttl: Duration) -> Result<()> {
        let ms = ttl.as_millis().max(1).to_string();
        let key = format!("{}{key}", self.prefix);
        match self
            .call(&[b"SET", key.as_bytes(), b"1", b"PX", ms.as_bytes()])
            .await?
        {
            Reply::Simple(_) => Ok(()),
            other => bail!("SET: {other:?}"),
        }
    }

    /// Reads a session and refreshes its time to live; `false` when it is missing or expired.
    pub async fn touch(&self, key: &str, ttl: Duration) -> Result<bool> {
        let ms = ttl.as_millis().max(1).to_string();
        let key = format!("{}{key}", self.prefix);
        match self
            .call(&[b"GETEX", key.as_bytes(), b"PX", ms.as_bytes()])
            .await?
        {
            Reply::Bulk(v) => Ok(v.is_some()),
            other => bail!("GETEX: {other:?}"),
        }
    }

    /// Number of live sessions: every key of a store tiersim runs, the keys under the prefix in
    /// a shared one.
    pub async fn size(&self) -> Result<u64> {
        if !self.prefix.is_empty() {
            return Ok(self.own_keys().await?.len() as u64);
        }
        match self.call(&[b"DBSIZE"]).await? {
            Reply::Int(n) => Ok(n.max(0) as u64),
            other => bail!("DBSIZE: {other:?}"),
        }
    }

    /// The keys under the prefix (`SCAN ... MATCH prefix*`; a shared store only).
    async fn own_keys(&self) -> Result<Vec<Vec<u8>>> {
        let pattern = format!("{}*", self.prefix);
        let mut cursor = b"0".to_vec();
        let mut keys = Vec::new();
        // SCAN ends when the cursor comes back to 0; the bound only guards against a server
        // that never says so.
        for _ in 0..1_000_000 {
            let reply = self
                .call(&[
                    b"SCAN",
                    &cursor,
                    b"MATCH",
                    pattern.as_bytes(),
                    b"COUNT",
                    b"1000",
                ])
                .await?;
            let Reply::Array(mut items) = reply else {
                bail!("SCAN: {reply:?}");
            };
            let (Some(Reply::Array(found)), Some(Reply::Bulk(Some(next)))) =
                (items.pop(), items.pop())
            else {
                bail!("SCAN: unexpected reply");
            };
            keys.extend(found.into_iter().filter_map(|k| match k {
                Reply::Bulk(Some(k)) => Some(k),
                _ => None,
            }));
            if next == b"0" {
                return Ok(keys);
            }
            cursor = next;
        }
        bail!("SCAN did not finish")
    }

    /// Removes the run's sessions from a shared store (nothing for a store tiersim runs, which
    /// goes away with the run). Returns how many keys it removed.
    pub async fn remove_own(&self) -> Result<u64> {
        if self.prefix.is_empty() {
            return Ok(0);
        }
        let keys = self.own_keys().await?;
        for chunk in keys.chunks(500) {
            let mut args: Vec<&[u8]> = vec![b"DEL"];
            args.extend(chunk.iter().map(Vec::as_slice));
            self.call(&args).await?;
        }
        Ok(keys.len() as u64)
    }

    /// Forgets idle connections (after a restart of the store they are dead).
    pub fn reset(&self) {
        self.idle.lock().expect("pool lock").clear();
    }
}

/// The map of the embedded store: key → expiry.
type Map = Arc<Mutex<HashMap<Vec<u8>, Instant>>>;

/// The embedded store: a task serving the protocol subset on a loopback port.
pub struct Embedded {
    addr: SocketAddr,
    map: Map,
    tasks: Option<JoinSet<()>>,
}

impl Embedded {
    /// Starts the store on a free loopback port.
    pub async fn start() -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut store = Embedded {
            addr,
            map: Arc::new(Mutex::new(HashMap::new())),
            tasks: None,
        };
        store.serve(listener);
        Ok(store)
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn serve(&mut self, listener: TcpListener) {
        let mut tasks = JoinSet::new();
        let map = self.map.clone();
        // Dropping this future (a crash) drops the connections' set, which aborts them.
        tasks.spawn(super::net::accept_loop(listener, move |stream| {
            let map = map.clone();
            async move {
                let _ = connection(stream, map).await;
            }
        }));
        self.tasks = Some(tasks);
    }

    /// Crash: closes the listener and every connection; drops the sessions unless `durable`.
    /// Returns the sessions lost.
    pub fn crash(&mut self, durable: bool) -> u64 {
        // Dropping the JoinSet aborts the accept task, which drops the connections' JoinSet.
        self.tasks = None;
        if durable {
            return 0;
        }
        let mut map = self.map.lock().expect("map lock");
        let now = Instant::now();
        let lost = map.values().filter(|&&e| e > now).count() as u64;
        map.clear();
        lost
    }

    /// Restart: binds a fresh listener to the same port.
    pub async fn restart(&mut self) -> Result<()> {
        let listener = TcpListener::bind(self.addr)
            .await
            .with_context(|| format!("cannot rebind the store to {}", self.addr))?;
        self.serve(listener);
        Ok(())
    }
}

async fn connection(stream: TcpStream, map: Map) -> Result<()> {
    let mut conn = Conn::new(stream);
    loop {
        let args = arguments(conn.read_frame().await?)?;
        conn.write_frame(&execute(&args, &map)).await?;
    }
}

/// The arguments of a command: an array of at most 16 bulk strings.
fn arguments(frame: OwnedFrame) -> Result<Vec<Vec<u8>>> {
    let OwnedFrame::Array(items) = frame else {
        bail!("expected a command (an array)");
    };
    if items.len() > 16 {
        bail!("too many arguments");
    }
    items
        .into_iter()
        .map(|item| match item {
            OwnedFrame::BulkString(b) => Ok(b),
            other => bail!("expected a bulk string, got {other:?}"),
        })
        .collect()
}

fn ttl_arg(args: &[Vec<u8>], at: usize) -> Option<Duration> {
    let is_px = args.get(at)?.eq_ignore_ascii_case(b"PX");
    let ms: u64 = std::str::from_utf8(args.get(at + 1)?).ok()?.parse().ok()?;
    is_px.then(|| Duration::from_millis(ms))
}

fn execute(args: &[Vec<u8>], map: &Map) -> OwnedFrame {
    let now = Instant::now();
    let name = args
        .first()
        .map(|a| a.to_ascii_uppercase())
        .unwrap_or_default();
    let simple = |s: &str| OwnedFrame::SimpleString(s.as_bytes().to_vec());
    let syntax = || OwnedFrame::Error("ERR syntax".into());
    let mut map = map.lock().expect("map lock");
    match (name.as_slice(), args.len()) {
        (b"PING", _) => simple("PONG"),
        (b"SET", 5) => match ttl_arg(args, 3) {
            Some(ttl) => {
                map.insert(args[1].clone(), now + ttl);
                simple("OK")
            }
            None => syntax(),
        },
        (b"GETEX", 4) => match ttl_arg(args, 2) {
            Some(ttl) => match map.get_mut(&args[1]) {
                Some(exp) if *exp > now => {
                    *exp = now + ttl;
                    OwnedFrame::BulkString(b"1".to_vec())
                }
                Some(_) => {
                    map.remove(&args[1]);
                    OwnedFrame::Null
                }
                None => OwnedFrame::Null,
            },
            None => syntax(),
        },
        (b"DBSIZE", 1) => {
            map.retain(|_, e| *e > now);
            OwnedFrame::Integer(map.len() as i64)
        }
        _ => OwnedFrame::Error("ERR unknown command".into()),
    }
}

/// A `redis-server` process that tiersim started on a free loopback port.
pub struct ManagedRedis {
    port: u16,
    child: Option<tokio::process::Child>,
}

impl ManagedRedis {
    /// Starts `redis-server` on a free loopback port (no persistence) and waits until it answers.
    pub async fn start() -> Result<Self> {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0")?;
            l.local_addr()?.port()
        };
        let mut redis = ManagedRedis { port, child: None };
        redis.spawn().await?;
        Ok(redis)
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The process id of the running `redis-server` (`None` while it is down).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(|c| c.id())
    }

    async fn spawn(&mut self) -> Result<()> {
        let child = super::child::command("redis-server")
            .args(["--bind", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start redis-server (is it installed?)")?;
        self.child = Some(child);
        let client = Client::new(self.addr());
        for _ in 0..100 {
            if client.call(&[b"PING"]).await.is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("redis-server did not answer on {} within 5 s", self.addr())
    }

    /// Crash: kills the process (its sessions are lost: no persistence). Returns the sessions
    /// lost.
    pub async fn crash(&mut self) -> u64 {
        let lost = Client::new(self.addr()).size().await.unwrap_or(0);
        self.stop().await;
        lost
    }

    /// Restart: a fresh process on the same port.
    pub async fn restart(&mut self) -> Result<()> {
        self.spawn().await
    }

    /// Stops the process and waits for it.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_store_keeps_sessions_until_their_ttl_and_refreshes_them_on_use() {
        let map: Map = Arc::new(Mutex::new(HashMap::new()));
        let cmd = |args: &[&[u8]]| {
            let frame = execute(&args.iter().map(|a| a.to_vec()).collect::<Vec<_>>(), &map);
            super::super::resp::encoded(&frame)
        };
        assert_eq!(cmd(&[b"SET", b"k", b"1", b"PX", b"60000"]), b"+OK\r\n");
        assert_eq!(cmd(&[b"GETEX", b"k", b"PX", b"60000"]), b"$1\r\n1\r\n");
        assert_eq!(cmd(&[b"GETEX", b"other", b"PX", b"60000"]), b"$-1\r\n");
        assert_eq!(cmd(&[b"DBSIZE"]), b":1\r\n");
        assert_eq!(cmd(&[b"SET", b"gone", b"1", b"PX", b"0"]), b"+OK\r\n");
        assert_eq!(cmd(&[b"GETEX", b"gone", b"PX", b"60000"]), b"$-1\r\n");
        assert_eq!(cmd(&[b"DBSIZE"]), b":1\r\n");
        assert_eq!(cmd(&[b"FLUSHALL"]), b"-ERR unknown command\r\n");
    }

    #[test]
    fn a_command_that_is_not_an_array_of_bulk_strings_is_refused() {
        assert!(arguments(OwnedFrame::Integer(1)).is_err());
        assert!(arguments(OwnedFrame::Array(vec![OwnedFrame::Integer(1)])).is_err());
        let seventeen = OwnedFrame::Array(vec![OwnedFrame::BulkString(b"x".to_vec()); 17]);
        assert!(arguments(seventeen).is_err());
        assert_eq!(
            arguments(super::super::resp::command(&[b"PING"])).unwrap(),
            [b"PING".to_vec()]
        );
    }
}
