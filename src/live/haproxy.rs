//! HAProxy as the live balancer (`--balancer haproxy`): the scenario's balancer written as an
//! `haproxy.cfg`, and Debian's `haproxy` run as a child on 127.0.0.1 in front of the servers.
//!
//! Each routing policy maps to HAProxy's own: `sticky` to an inserted cookie `lb` with
//! `option redispatch`; `random`, `round_robin` and `least_connections` to `balance
//! random|roundrobin|leastconn`; `hash_mod` and `consistent_hash` to `balance hdr(x-user)` with
//! `hash-type map-based` or `consistent` (sdbm with avalanche); `virtual_nodes` to the servers'
//! weight (HAProxy puts 16 points per unit of weight on its ring); `detection_delay` to health
//! checks of `GET /health` every quarter of it, four failures to take a server out, one success
//! to bring it back, as the built-in balancer does. The process gets a stats socket (admin level)
//! in its own temporary folder, which is where its rotation is read.
//!
//! Leaves out: HAProxy's logs, and anything routed other than the run's own requests.

use super::Cluster;
use super::protocol;
use crate::scenario::{Policy, Scenario};
use anyhow::{Context, Result, bail};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Points HAProxy puts on its consistent-hash ring per unit of a server's weight
/// (`BE_WEIGHT_SCALE` in its sources).
pub const POINTS_PER_WEIGHT: u32 = 16;

/// Where the parts of an `haproxy.cfg` listen, as text (real addresses for a run, placeholders
/// for `--print-config`).
pub struct Addresses {
    /// The frontend's `bind` address.
    pub frontend: String,
    /// Each server's address.
    pub servers: Vec<String>,
    /// The stats socket's path.
    pub socket: String,
    /// Connections at once at most (`global maxconn`).
    pub maxconn: u64,
}

impl Addresses {
    /// Placeholders for a configuration shown before the run picks its ports.
    pub fn placeholders(servers: u32) -> Self {
        Addresses {
            frontend: "127.0.0.1:<port>".into(),
            servers: (0..servers)
                .map(|s| format!("127.0.0.1:<port of server {s}>"))
                .collect(),
            socket: "<run folder>/haproxy.sock".into(),
            maxconn: maxconn(),
        }
    }
}

/// The `balance` and `hash-type` lines of a policy, and whether it pins users with a cookie.
fn balance(policy: Policy) -> (&'static str, bool) {
    match policy {
        Policy::Random => ("balance random", false),
        Policy::RoundRobin => ("balance roundrobin", false),
        Policy::LeastConnections => ("balance leastconn", false),
        Policy::Sticky => ("balance roundrobin", true),
        Policy::HashMod => (
            "balance hdr(x-user)\n    hash-type map-based sdbm avalanche",
            false,
        ),
        Policy::ConsistentHash => (
            "balance hdr(x-user)\n    hash-type consistent sdbm avalanche",
            false,
        ),
    }
}

/// HAProxy's `maxconn`: what the limit of open files it inherits holds (two per connection, a
/// client's and a server's, and 200 for itself), at most 20,000. HAProxy refuses to start when
/// its `maxconn` needs more files than it may open.
fn maxconn() -> u64 {
    let limit = super::raise_open_files_limit().unwrap_or(1 << 20);
    (limit.saturating_sub(200) / 2).clamp(100, 20_000)
}

/// The weight that gives a server about `virtual_nodes` points on HAProxy's ring (1 to 256).
pub fn weight(virtual_nodes: u32) -> u32 {
    virtual_nodes.div_ceil(POINTS_PER_WEIGHT).clamp(1, 256)
}

/// Whole milliseconds of `d`, at least 1 (HAProxy's timeouts and intervals).
fn ms(d: Duration) -> u128 {
    d.as_millis().max(1)
}

/// The `haproxy.cfg` of scenario `sc` at `time_scale`, listening where `at` says, with `header`
/// as the wait for a request head (and the idle time of a kept-alive connection).
pub fn config(sc: &Scenario, time_scale: f64, at: &Addresses, header: Duration) -> String {
    let (balance, sticky) = balance(sc.balancer.policy);
    let wall = |us: u64| Duration::from_secs_f64(us as f64 / 1e6 / time_scale);
    let inter = ms(wall(sc.balancer.detection_delay_us / 4).max(Duration::from_millis(5)));
    let header = ms(header);
    let weight = weight(sc.balancer.virtual_nodes);
    let mut out = format!(
        "# haproxy.cfg written by tiersim for balancer.policy `{policy}` at --time-scale \
         {time_scale}\n\
         global\n    maxconn {maxconn}\n    nbthread 1\n    stats socket {socket} mode 600 level admin\n\n\
         defaults\n    mode http\n    option http-keep-alive\n    http-reuse always\n    \
         timeout connect 1s\n    timeout client {header}ms\n    timeout http-request {header}ms\n    \
         timeout http-keep-alive {header}ms\n    timeout server 10m\n    retries {retries}\n\n\
         frontend tiersim\n    bind {frontend}\n    default_backend servers\n\n\
         backend servers\n    {balance}\n",
        policy = sc.balancer.policy.as_str(),
        socket = at.socket,
        maxconn = at.maxconn,
        frontend = at.frontend,
        retries = if sticky { 1 } else { 0 },
    );
    if sticky {
        out += &format!(
            "    cookie {} insert indirect nocache httponly\n    option redispatch\n",
            protocol::PIN
        );
    }
    out += &format!(
        "    option httpchk\n    http-check send meth GET uri {} ver HTTP/1.1 hdr Host {}\n    \
         default-server check inter {inter}ms fall 4 rise 1 weight {weight}\n",
        protocol::HEALTH,
        protocol::HOST
    );
    for (s, addr) in at.servers.iter().enumerate() {
        out += &format!("    server s{s} {addr}");
        if sticky {
            out += &format!(" cookie {s}");
        }
        // A slot for a server an `add_servers` event starts later.
        if s >= sc.servers.count as usize {
            out += " disabled";
        }
        out += "\n";
    }
    out
}

/// The environment variable that names the `haproxy` program to run (instead of the one found
/// on `PATH`, in `/usr/sbin` or `/sbin`).
pub const PROGRAM_VAR: &str = "TIERSIM_HAPROXY";

/// The `haproxy` program: `$TIERSIM_HAPROXY` when set, else the one installed.
pub fn program() -> Result<PathBuf> {
    match std::env::var_os(PROGRAM_VAR) {
        Some(path) if Path::new(&path).is_file() => Ok(path.into()),
        Some(path) => Err(not_installed(&format!(
            "{PROGRAM_VAR}={} is not a file",
            Path::new(&path).display()
        ))),
        None => super::child::find("haproxy")
            .ok_or_else(|| not_installed("not on PATH, in /usr/sbin or in /sbin")),
    }
}

/// The error when `haproxy` is not installed (`where_` says where it was looked for).
fn not_installed(where_: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "--balancer haproxy: no `haproxy` program ({where_}): install the package `haproxy` \
         (`apt-get install haproxy`), or use the built-in balancer (`--balancer builtin`)"
    )
}

/// A running `haproxy` in front of a live cluster's servers.
pub struct Haproxy {
    program: PathBuf,
    addr: SocketAddr,
    dir: PathBuf,
    config: String,
    child: Option<tokio::process::Child>,
}

impl Haproxy {
    /// Writes the configuration of `cluster` in front of `backends` into a fresh temporary
    /// folder, starts `haproxy` and waits until it accepts connections.
    pub async fn start(cluster: &Cluster, backends: &[SocketAddr]) -> Result<Self> {
        let program = program()?;
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0")?;
            l.local_addr()?.port()
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let dir = run_folder()?;
        let at = Addresses {
            frontend: addr.to_string(),
            servers: backends.iter().map(|a| a.to_string()).collect(),
            socket: dir.join("haproxy.sock").display().to_string(),
            maxconn: maxconn(),
        };
        let config = config(
            &cluster.sc,
            cluster.time_scale,
            &at,
            cluster.header_timeout(),
        );
        let mut me = Haproxy {
            program,
            addr,
            dir,
            config,
            child: None,
        };
        me.spawn().await?;
        Ok(me)
    }

    async fn spawn(&mut self) -> Result<()> {
        let cfg = self.dir.join("haproxy.cfg");
        std::fs::write(&cfg, &self.config)
            .with_context(|| format!("cannot write {}", cfg.display()))?;
        let log = std::fs::File::create(self.dir.join("haproxy.log"))?;
        let child = super::child::command(&self.program)
            .arg("-db")
            .arg("-f")
            .arg(&cfg)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", self.program.display()))?;
        self.child = Some(child);
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(self.addr).await.is_ok() {
                return Ok(());
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                bail!("haproxy ended at its start ({status}): {}", self.log_tail());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        bail!(
            "haproxy did not accept connections on {} within 5 s: {}",
            self.addr,
            self.log_tail()
        )
    }

    /// The end of what `haproxy` wrote on its standard error.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("haproxy.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().rev().take(5).collect();
        lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its process id (`None` once stopped).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(|c| c.id())
    }

    /// The configuration it runs.
    pub fn config(&self) -> &str {
        &self.config
    }

    /// A command on the stats socket, and its answer.
    pub async fn command(&self, line: &str) -> Result<String> {
        let socket = self.dir.join("haproxy.sock");
        let mut stream = tokio::net::UnixStream::connect(&socket)
            .await
            .with_context(|| format!("cannot reach haproxy's stats socket {}", socket.display()))?;
        stream.write_all(format!("{line}\n").as_bytes()).await?;
        let mut answer = String::new();
        // HAProxy closes the connection after answering a single command; the bound keeps a
        // stuck socket from holding the run.
        tokio::time::timeout(Duration::from_secs(2), stream.read_to_string(&mut answer))
            .await
            .context("haproxy's stats socket did not answer within 2 s")??;
        Ok(answer)
    }

    /// Sets server `id`'s administrative state on the stats socket: `ready` (in rotation once
    /// its health check passes) or `maint` (out of rotation at once).
    pub async fn set_state(&self, id: u32, state: &str) -> Result<()> {
        let answer = self
            .command(&format!("set server servers/s{id} state {state}"))
            .await?;
        if !answer.trim().is_empty() {
            bail!(
                "haproxy refused `set server servers/s{id} state {state}`: {}",
                answer.trim()
            );
        }
        Ok(())
    }

    /// The servers in rotation now: those HAProxy reports UP on its stats socket.
    pub async fn rotation(&self) -> Vec<u32> {
        let stat = self.command("show stat").await.unwrap_or_default();
        parse_rotation(&stat)
    }

    /// Stops the process, waits for it and removes its folder.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        // The child is killed by `kill_on_drop`; the folder goes with it.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh folder for one HAProxy process (its configuration, stats socket and log), after
/// removing those a killed tiersim left (once per process).
fn run_folder() -> Result<PathBuf> {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    static SWEPT: std::sync::Once = std::sync::Once::new();
    let tmp = std::env::temp_dir();
    SWEPT.call_once(|| {
        remove_stale_folders(&tmp);
    });
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = tmp.join(format!("{FOLDER_PREFIX}{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// How the folders of [`run_folder`] begin: `tiersim-haproxy-<pid>-<n>`.
const FOLDER_PREFIX: &str = "tiersim-haproxy-";

/// Removes the folders `tiersim-haproxy-<pid>-<n>` in `tmp` whose owner `pid` is no longer
/// running (a tiersim killed by SIGKILL cannot remove its own; its `haproxy` died with it).
/// Returns how many it removed.
pub fn remove_stale_folders(tmp: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return 0;
    };
    let owner = |name: &str| -> Option<u32> {
        let rest = name.strip_prefix(FOLDER_PREFIX)?;
        rest.split_once('-')?.0.parse().ok()
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = owner(&name.to_string_lossy()) else {
            continue;
        };
        let running = std::path::Path::new(&format!("/proc/{pid}")).exists();
        if !running && std::fs::remove_dir_all(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The servers `s<N>` of backend `servers` that a `show stat` answer reports UP, in order.
pub fn parse_rotation(stat: &str) -> Vec<u32> {
    let mut lines = stat.lines();
    let header = lines.next().unwrap_or("").trim_start_matches("# ");
    let column = |name: &str| header.split(',').position(|c| c == name);
    let (Some(px), Some(sv), Some(status)) = (column("pxname"), column("svname"), column("status"))
    else {
        return Vec::new();
    };
    let mut up: Vec<u32> = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| {
            f.get(px) == Some(&"servers") && f.get(status).is_some_and(|s| s.starts_with("UP"))
        })
        .filter_map(|f| f.get(sv)?.strip_prefix('s')?.parse().ok())
        .collect();
    up.sort_unstable();
    up
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_nodes_map_to_a_weight_of_16_points_each() {
        assert_eq!(weight(1), 1);
        assert_eq!(weight(128), 8);
        assert_eq!(weight(129), 9);
        assert_eq!(weight(10_000), 256);
    }

    #[test]
    fn the_rotation_is_read_from_show_stat() {
        let stat = "# pxname,svname,qcur,status,weight\n\
                    tiersim,FRONTEND,,OPEN,\n\
                    servers,s0,0,UP,1\n\
                    servers,s1,0,DOWN,1\n\
                    servers,s2,0,UP 1/2,1\n\
                    servers,BACKEND,0,UP,2\n";
        assert_eq!(parse_rotation(stat), vec![0, 2]);
        assert_eq!(parse_rotation(""), Vec::<u32>::new());
    }

    #[test]
    fn the_folders_of_killed_runs_are_removed_and_those_of_running_ones_kept() {
        let tmp = std::env::temp_dir().join(format!("tiersim-stale-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        // A pid above the kernel's largest (4,194,304) never runs; this process does.
        let dead = tmp.join(format!("{FOLDER_PREFIX}4194999-0"));
        let alive = tmp.join(format!("{FOLDER_PREFIX}{}-0", std::process::id()));
        let other = tmp.join("tiersim-haproxy-notapid-0");
        for dir in [&dead, &alive, &other] {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join("haproxy.cfg"), "global\n").unwrap();
        }
        assert_eq!(remove_stale_folders(&tmp), 1);
        assert!(!dead.exists());
        assert!(alive.exists() && other.exists());
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
