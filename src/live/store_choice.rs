//! Which session store a live run uses (`--store`), and that store while the run goes on: started
//! before the servers, crashed and restarted by the timeline, cleaned up at the end.
//!
//! Leaves out: the store's protocol and processes (`store.rs`).

use super::store;
use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::sync::Arc;

/// Which session store a live run uses (when a variant keeps sessions in a shared store).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreChoice {
    /// The in-process store over loopback TCP.
    Embedded,
    /// A Redis the user runs, on a loopback address; store events are not applicable.
    Redis(SocketAddr),
    /// A `redis-server` that tiersim starts on a free loopback port and stops at the end.
    RedisManaged,
}

impl StoreChoice {
    /// Parses `--store`: `embedded`, `redis-managed` or `redis://HOST:PORT` on a loopback host.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        match text {
            "embedded" => return Ok(StoreChoice::Embedded),
            "redis-managed" => return Ok(StoreChoice::RedisManaged),
            _ => {}
        }
        let bad = || {
            format!(
                "--store {text}: expected `embedded`, `redis-managed` or `redis://HOST:PORT` \
                 with a loopback HOST (127.0.0.1, localhost or ::1)"
            )
        };
        let rest = text.strip_prefix("redis://").ok_or_else(bad)?;
        let rest = rest.trim_end_matches('/');
        let rest = rest.replacen("localhost", "127.0.0.1", 1);
        let addr: SocketAddr = rest.parse().map_err(|_| bad())?;
        if !addr.ip().is_loopback() {
            return Err(bad());
        }
        Ok(StoreChoice::Redis(addr))
    }

    /// Before any variant runs: whether someone else's Redis answers `PING` (within a second),
    /// so that an unreachable store is reported at once rather than after the variants before
    /// the first that needs it. The other choices are started by tiersim itself.
    pub fn probe(&self) -> std::result::Result<(), String> {
        let StoreChoice::Redis(addr) = self else {
            return Ok(());
        };
        ping(*addr).map_err(|why| {
            format!(
                "--store redis://{addr}: the store does not answer PING ({why}); start Redis \
                 there, or use --store embedded or --store redis-managed"
            )
        })
    }

    /// How it is spelled in messages.
    pub fn label(&self) -> String {
        match self {
            StoreChoice::Embedded => "embedded".into(),
            StoreChoice::Redis(a) => format!("redis://{a}"),
            StoreChoice::RedisManaged => "redis-managed".into(),
        }
    }
}

/// Sends `PING` to `addr` and expects `+PONG` (one second for each step).
fn ping(addr: SocketAddr) -> std::io::Result<()> {
    use std::io::{Error, Read, Write};
    let limit = std::time::Duration::from_secs(1);
    let mut stream = std::net::TcpStream::connect_timeout(&addr, limit)?;
    stream.set_read_timeout(Some(limit))?;
    stream.set_write_timeout(Some(limit))?;
    stream.write_all(b"*1\r\n$4\r\nPING\r\n")?;
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply)?;
    match &reply {
        b"+PONG\r\n" => Ok(()),
        _ => Err(Error::other(format!(
            "it answered {:?}",
            String::from_utf8_lossy(&reply)
        ))),
    }
}

/// The store process or task behind a run's client.
enum Running {
    Embedded(store::Embedded),
    External,
    Managed(store::ManagedRedis),
}

/// The session store of one live run, and the servers' client of it.
pub(super) struct SessionStore {
    running: Running,
    /// The client every server shares.
    pub client: Arc<store::Client>,
}

impl SessionStore {
    /// Starts (or reaches) the chosen store for variant `name` and checks that it answers.
    pub async fn start(choice: &StoreChoice, name: &str) -> Result<Self> {
        let (running, addr) = match choice {
            StoreChoice::Embedded => {
                let e = store::Embedded::start().await?;
                let a = e.addr();
                (Running::Embedded(e), a)
            }
            StoreChoice::Redis(a) => (Running::External, *a),
            StoreChoice::RedisManaged => {
                let m = store::ManagedRedis::start().await?;
                let a = m.addr();
                (Running::Managed(m), a)
            }
        };
        let client = Arc::new(match choice {
            // Someone else's Redis: the run's keys carry a prefix and are removed at the end.
            StoreChoice::Redis(_) => {
                store::Client::with_prefix(addr, format!("tiersim:{}:{name}:", std::process::id()))
            }
            _ => store::Client::new(addr),
        });
        client
            .call(&[b"PING"])
            .await
            .with_context(|| format!("the session store at {addr} does not answer"))?;
        Ok(SessionStore { running, client })
    }

    /// A crash: the sessions lost (none for a durable embedded store or an external Redis).
    /// The client forgets its connections, which died with the store.
    pub async fn crash(&mut self, durable: bool) -> u64 {
        let lost = match &mut self.running {
            Running::Embedded(e) => e.crash(durable),
            Running::Managed(m) => m.crash().await,
            Running::External => 0,
        };
        self.client.reset();
        lost
    }

    /// A restart on the same port.
    pub async fn restart(&mut self) -> Result<()> {
        match &mut self.running {
            Running::Embedded(e) => e.restart().await,
            Running::Managed(m) => m.restart().await,
            Running::External => Ok(()),
        }
    }

    /// After the servers have stopped: removes the run's keys from someone else's Redis and
    /// stops a managed one. Returns a warning when the keys could not be removed (that Redis
    /// died or stopped answering during the run): the run's measurements stand all the same.
    pub async fn finish(&mut self, timer: &super::timer::Timer) -> Option<String> {
        // A command already on its way to the store lands within this pause.
        timer.sleep(std::time::Duration::from_millis(50)).await;
        // A key left behind in someone else's Redis would be counted by the next run.
        let removed = self.client.remove_own().await;
        if let Running::Managed(m) = &mut self.running {
            m.stop().await;
        }
        removed.err().map(|e| {
            format!(
                "cannot remove the run's sessions from the store at {} ({e:#}): keys named \
                 {}* may be left there; the results are kept",
                self.client.addr(),
                self.client.prefix()
            )
        })
    }

    /// Where it listens, as `tiersim live` announces it.
    pub fn describe(&self) -> String {
        match &self.running {
            Running::Managed(m) => {
                format!(
                    "store {} redis-server pid {}",
                    m.addr(),
                    m.pid().unwrap_or(0)
                )
            }
            Running::External => format!("store redis://{}", self.client.addr()),
            Running::Embedded(_) => format!("store {}", self.client.addr()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_store_that_died_during_the_run_is_a_warning_at_the_clean_up() {
        // The embedded store speaks enough of Redis (PING, SCAN, DEL) to stand in for someone
        // else's Redis; it crashes (its listener closes) before the clean-up.
        let mut redis = store::Embedded::start().await.unwrap();
        let choice = StoreChoice::Redis(redis.addr());
        let mut session_store = SessionStore::start(&choice, "base").await.unwrap();
        let timer = super::super::timer::Timer::start().unwrap();
        redis.crash(false);
        let warning = session_store.finish(&timer).await.expect("a warning");
        assert!(
            warning.starts_with("cannot remove the run's sessions from the store at 127.0.0.1:"),
            "{warning}"
        );
        assert!(warning.contains("the results are kept"), "{warning}");
        assert!(warning.contains(&format!("tiersim:{}:base:*", std::process::id())));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_unreachable_redis_is_found_by_the_probe_and_a_live_one_answers() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let free = listener.local_addr().unwrap();
        drop(listener);
        let why = StoreChoice::Redis(free).probe().unwrap_err();
        assert!(
            why.starts_with(&format!(
                "--store redis://{free}: the store does not answer PING"
            )),
            "{why}"
        );
        assert!(why.contains("--store embedded"), "{why}");
        // The embedded store answers PING as Redis does.
        let redis = store::Embedded::start().await.unwrap();
        let choice = StoreChoice::Redis(redis.addr());
        let probed = tokio::task::spawn_blocking(move || choice.probe())
            .await
            .unwrap();
        assert_eq!(probed, Ok(()));
        assert_eq!(StoreChoice::Embedded.probe(), Ok(()));
    }

    #[test]
    fn store_choices_are_loopback_only_and_spelled_back_as_given() {
        assert_eq!(StoreChoice::parse("embedded"), Ok(StoreChoice::Embedded));
        let redis = StoreChoice::parse("redis://localhost:6379/").unwrap();
        assert_eq!(redis, StoreChoice::Redis(([127, 0, 0, 1], 6379).into()));
        assert_eq!(redis.label(), "redis://127.0.0.1:6379");
        assert_eq!(
            StoreChoice::parse("redis-managed").map(|c| c.label()),
            Ok("redis-managed".into())
        );
        let refused = StoreChoice::parse("redis://10.0.0.1:6379").unwrap_err();
        assert!(refused.starts_with("--store redis://10.0.0.1:6379: expected `embedded`"));
        assert!(StoreChoice::parse("memcached").is_err());
    }
}
