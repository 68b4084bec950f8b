//! The timeline of a live run: bucket snapshots and the scenario's timed events, each at its
//! simulated time on the wall clock, in the engine's order (a boundary before an event at the
//! same time). An event acts on the real cluster (a server crashes or restarts, servers are
//! added (started in their waiting slots, then put in rotation) or removed (taken out of
//! rotation, then stopped: their sessions are lost), the store crashes or restarts) and leaves an
//! event row, as the engine's does.
//!
//! Leaves out: `users_remapped`, which `result` counts from the clients' records (who answered
//! each user before and after the event), and the other costs the engine counts from its own
//! state; the live rows count only what the cluster can be asked.

use super::{Clock, Cluster, Tier};
use crate::metrics::EventRow;
use crate::scenario::{Action, Micros, Scenario};
use anyhow::Result;
use std::sync::atomic::Ordering;

/// The state of the cluster at one bucket boundary.
pub(super) struct Snapshot {
    pub at_us: Micros,
    pub rotation: Vec<u32>,
    pub up: Vec<bool>,
    pub sessions: Vec<u64>,
    pub busy_us: Vec<u64>,
    pub store_sessions: u64,
}

/// Runs the timeline to `duration` (or until `stop`): the bucket snapshots and the event rows;
/// `progress` hears the simulated time of each snapshot.
pub(super) async fn run(
    cluster: &Cluster,
    clock: &Clock,
    tier: &mut Tier,
    stop: &tokio::sync::Notify,
    progress: &dyn Fn(Micros),
) -> Result<(Vec<Snapshot>, Vec<EventRow>)> {
    let sc = &cluster.sc;
    let mut snapshots = Vec::new();
    let mut rows = Vec::new();
    for (at, event) in marks(sc) {
        tokio::select! {
            _ = cluster.timer.sleep_until(clock.at(at)) => {}
            _ = stop.notified() => anyhow::bail!("the live run was stopped"),
        }
        match event {
            None => {
                snapshots.push(snapshot(at, tier).await);
                progress(at);
            }
            Some(i) => rows.push(timed(cluster, tier, at, sc.events[i].action).await?),
        }
    }
    Ok((snapshots, rows))
}

/// Bucket boundaries (`None`) and timed events (their index), in time order: a boundary before
/// an event at the same time, as in the engine.
fn marks(sc: &Scenario) -> Vec<(Micros, Option<usize>)> {
    let mut marks: Vec<(Micros, Option<usize>)> = Vec::new();
    let mut t = sc.warmup_us;
    while t < sc.duration_us {
        marks.push((t, None));
        t += sc.bucket_us;
    }
    marks.push((sc.duration_us, None));
    for (i, e) in sc.events.iter().enumerate() {
        if e.at_us < sc.duration_us {
            marks.push((e.at_us, Some(i)));
        }
    }
    marks.sort_by_key(|&(t, e)| (t, e.is_some(), e));
    marks
}

async fn snapshot(at_us: Micros, tier: &Tier) -> Snapshot {
    let store_sessions = match &tier.store {
        Some(s) => s.client.size().await.unwrap_or(0),
        None => 0,
    };
    let servers = &tier.servers;
    Snapshot {
        at_us,
        rotation: tier.balancer.rotation().await,
        up: servers.iter().map(|s| s.up()).collect(),
        sessions: servers.iter().map(|s| s.sessions()).collect(),
        busy_us: servers.iter().map(|s| s.busy_us()).collect(),
        store_sessions,
    }
}

/// Servers running, and the sessions in their memory.
fn alive(tier: &Tier) -> (u32, u64) {
    let servers = &tier.servers;
    let up = servers.iter().filter(|s| s.up()).count() as u32;
    (up, servers.iter().map(|s| s.sessions()).sum())
}

/// A timed event at `at`: acts on the cluster and returns its row.
async fn timed(cluster: &Cluster, tier: &mut Tier, at: Micros, action: Action) -> Result<EventRow> {
    let (before, mut alive_before) = alive(tier);
    if let Some(s) = &tier.store {
        alive_before += s.client.size().await.unwrap_or(0);
    }
    let logged_in = cluster.logged_in.load(Ordering::Relaxed).max(0) as u64;
    let (lost, target) = act(cluster, tier, action).await?;
    let (after, _) = alive(tier);
    Ok(EventRow {
        at_us: at,
        action: action.into(),
        target,
        servers_before: before,
        servers_after: after,
        sessions_alive: alive_before,
        sessions_lost: lost,
        users_remapped: None,
        rebalance_s: None,
        users_logged_in: logged_in,
        // Not attributed live: the live cluster does not know which event ended a session.
        users_forced_login: None,
        latency_penalty_s: None,
    })
}

/// Does what `action` says to the cluster; returns the sessions it lost and the server it
/// targeted.
async fn act(cluster: &Cluster, tier: &mut Tier, action: Action) -> Result<(u64, Option<u32>)> {
    Ok(match action {
        Action::Crash { server } => (tier.servers[server as usize].crash(), Some(server)),
        Action::Restart { server } => {
            // A port taken by another process while the server was down: the server stays
            // down (as if its restart had failed) and the run goes on, with a warning.
            if let Err(e) = tier.servers[server as usize].restart().await {
                warn(cluster, format!("{e:#}"));
            }
            (0, Some(server))
        }
        Action::StoreCrash { .. } => {
            let durable = cluster.sc.store.durable;
            let lost = match tier.store.as_mut() {
                Some(s) => s.crash(durable).await,
                None => 0,
            };
            if lost > 0 || !durable {
                cluster.store_gen.fetch_add(1, Ordering::SeqCst);
            }
            (lost, None)
        }
        Action::StoreRestart { .. } => {
            if let Some(s) = tier.store.as_mut() {
                s.restart().await?;
            }
            (0, None)
        }
        Action::AddServers { count } => {
            for id in tier.count..tier.count + count {
                match tier.servers[id as usize].restart().await {
                    Ok(()) => tier.balancer.add(id).await?,
                    Err(e) => warn(cluster, format!("{e:#}")),
                }
            }
            tier.count += count;
            (0, Some(count))
        }
        Action::DcDown { .. } | Action::DcUp { .. } => {
            unreachable!("several data centres are refused by `limits::refuse`")
        }
        Action::RemoveServers { count } => {
            let first = tier.count.saturating_sub(count);
            let mut lost = 0;
            for id in first..tier.count {
                tier.balancer.remove(id).await?;
                if tier.servers[id as usize].up() {
                    lost += tier.servers[id as usize].crash();
                }
            }
            tier.count = first;
            (lost, Some(count))
        }
    })
}

/// Keeps a warning for the command to print after the variant.
fn warn(cluster: &Cluster, text: String) {
    cluster.warnings.lock().expect("warnings lock").push(text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_come_before_events_at_the_same_time() {
        let text = r#"
name = "marks"
title = "marks"
duration = "40s"
warmup = "10s"
bucket = "10s"
[users]
visits_per_s = 1.0
[servers]
count = 2
[[events]]
at = "5s"
action = "crash"
server = 1
[[events]]
at = "20s"
action = "restart"
server = 1
"#;
        let experiment = crate::config::parse("marks.toml", text, &[], None).unwrap();
        let sc = &experiment.variants[0].scenario;
        // Boundaries at 10, 20, 30 s and the end at 40 s; the crash (event 0) at 5 s, before
        // warm-up ends, and the restart (event 1) at 20 s, after the boundary there.
        let s = 1_000_000;
        assert_eq!(
            marks(sc),
            [
                (5 * s, Some(0)),
                (10 * s, None),
                (20 * s, None),
                (20 * s, Some(1)),
                (30 * s, None),
                (40 * s, None),
            ]
        );
    }
}
