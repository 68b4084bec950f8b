//! A live run's result rows, from what the clients recorded and the bucket snapshots: the same
//! `metrics::RunResult` a simulated run produces (counted by the same `Recorder`, summed up by
//! `metrics::summary`), the users each event remapped (from who answered them before and after),
//! and the latency split into the servers' part and the HTTP hops.
//!
//! Leaves out: store operations per bucket, evictions, cache hits and copies (the live mode has
//! none of them), and the engine's statistics (`events_processed`, `requests_simulated`).

use super::timeline::Snapshot;
use super::{Cluster, Record, limits};
use crate::events::Outcome;
use crate::metrics::{
    self, BucketRow, EventRow, Latency, Recorder, RunResult, ServerRow, Summary, summary,
};
use crate::scenario::{Micros, Scenario, SessionHome};
use std::collections::HashMap;
use std::sync::atomic::Ordering;

/// The result rows of variant `name` from the clients' records and the bucket snapshots.
pub(super) fn build(
    name: &str,
    cluster: &Cluster,
    snapshots: &[Snapshot],
    mut events: Vec<EventRow>,
) -> RunResult {
    let sc = &cluster.sc;
    let mut records = cluster.records.lock().expect("records lock").clone();
    records.sort_by_key(|r| (r.end_us, r.sent_us));
    let mut rows = Rows::new(sc);
    // Requests that ended before the first boundary (warm-up) are not counted anyway.
    let mut next = records.partition_point(|r| r.end_us < sc.warmup_us);
    for w in snapshots.windows(2) {
        let ended = records[next..].partition_point(|r| r.end_us < w[1].at_us);
        rows.bucket(sc, &w[0], &w[1], &records[next..next + ended]);
        next += ended;
    }
    let counted = counted(cluster, &rows, &records, &events);
    let measured_us = sc.duration_us - sc.warmup_us;
    let maps_users = sc.balancer.policy.maps_users();
    if maps_users {
        remapped(&records, &mut events);
    }
    let summary = summary::assemble(counted, &rows.buckets, &mut events, measured_us, maps_users);
    RunResult {
        variant: name.to_string(),
        summary,
        buckets: rows.buckets,
        servers: rows.servers,
        events,
        events_processed: 0,
        requests_simulated: 0,
        audit: Vec::new(),
        ..RunResult::default()
    }
}

/// The bucket and server rows as they are built, bucket by bucket.
struct Rows {
    rec: Recorder,
    buckets: Vec<BucketRow>,
    servers: Vec<ServerRow>,
    /// Latency of the requests counted, summed (simulated microseconds).
    latency_sum_us: u128,
}

impl Rows {
    fn new(sc: &Scenario) -> Self {
        Rows {
            rec: Recorder::new(sc.warmup_us),
            buckets: Vec::new(),
            servers: Vec::new(),
            latency_sum_us: 0,
        }
    }

    /// The bucket from `start` to `end`, in which the requests `ended` ended.
    fn bucket(&mut self, sc: &Scenario, start: &Snapshot, end: &Snapshot, ended: &[Record]) {
        let rec = &mut self.rec;
        for r in ended {
            rec.request_ended(r.sent_us, r.end_us, r.outcome, r.login, r.server);
            if r.server.is_some() && r.sent_us >= sc.warmup_us {
                self.latency_sum_us += u128::from(r.end_us - r.sent_us);
            }
        }
        let len_us = end.at_us - start.at_us;
        let served = rec
            .served_in_bucket(super::server_slots(sc) as usize)
            .to_vec();
        for (id, &requests) in served.iter().enumerate() {
            let busy_us = end.busy_us[id].saturating_sub(start.busy_us[id]);
            self.servers.push(ServerRow {
                start_us: start.at_us,
                server: id as u32,
                up: end.up[id],
                requests,
                busy_fraction: summary::busy_fraction(busy_us, sc.servers.workers, len_us),
                sessions: end.sessions[id],
            });
        }
        let closed = rec.close_bucket();
        let spread = metrics::spread(end.rotation.iter().map(|&s| served[s as usize]));
        self.buckets.push(BucketRow {
            start_us: start.at_us,
            len_us,
            counts: closed.counts,
            latency: closed.latency,
            servers_in_rotation: end.rotation.len() as u32,
            sessions_alive: end.sessions.iter().sum::<u64>() + end.store_sessions,
            store_ops: 0,
            imbalance: spread.map(|s| s.max_over_mean),
            least_loaded_share: spread.map(|s| s.min_over_mean),
            users_in_visit: None,
        });
    }
}

/// What the clients counted over the measured period: sessions created by logins (and the forced
/// re-logins of failed authentications), store reads by authenticated requests, sessions lost by
/// the events after warm-up.
fn counted(cluster: &Cluster, rows: &Rows, records: &[Record], events: &[EventRow]) -> Summary {
    let sc = &cluster.sc;
    let measured: Vec<&Record> = records
        .iter()
        .filter(|r| r.sent_us >= sc.warmup_us && r.end_us < sc.duration_us)
        .collect();
    let created = measured
        .iter()
        .filter(|r| {
            matches!(r.outcome, Outcome::FailedAuth(_)) || (r.login && r.outcome == Outcome::Ok)
        })
        .count() as u64;
    let reads = measured
        .iter()
        .filter(|r| !r.login && r.server.is_some())
        .count() as u64;
    let shared = limits::live_home(sc.storage) == Some(SessionHome::Store);
    let measured_s = (sc.duration_us - sc.warmup_us) as f64 / 1e6;
    let counts = rows.rec.total();
    let sent = cluster.sent.load(Ordering::Relaxed);
    Summary {
        counts,
        sent,
        unfinished: sent.saturating_sub(counts.ended()),
        sessions_created: created,
        sessions_lost: events
            .iter()
            .filter(|e| e.at_us >= sc.warmup_us)
            .map(|e| e.sessions_lost)
            .sum(),
        sessions_expired: counts.failed_expired,
        latency: rows.rec.total_latency(),
        store_reads: if shared { reads } else { 0 },
        store_writes: if shared { created } else { 0 },
        mean_in_tier: rows.latency_sum_us as f64 / 1e6 / measured_s.max(1e-9),
        ..Summary::default()
    }
    .with_cost(
        f64::from(sc.servers.count) * measured_s / 3600.0,
        f64::from(sc.storage.store_machines(&sc.store)) * measured_s / 3600.0,
        &sc.cost,
    )
}

/// Percentiles of latencies in simulated microseconds, from the simulation's own kind of HDR
/// histogram (`metrics::latency_of_values`), so that `validate` compares like with like.
fn percentiles(values: &[Micros], mean: bool) -> Latency {
    metrics::latency_of_values(values.iter().copied(), mean)
}

/// Latency inside the servers, the clients' latency beyond it, and how late the service sleeps
/// ended, over the requests the result's latency counts (sent after warm-up, ended before the
/// end, answered by a server).
pub(super) fn split_latency(cluster: &Cluster) -> (Latency, Latency, Latency) {
    let sc = &cluster.sc;
    let records = cluster.records.lock().expect("records lock");
    let (mut inside, mut hops, mut late) = (Vec::new(), Vec::new(), Vec::new());
    // Values first, then one histogram each (the records are held under a lock).
    for r in records.iter() {
        if r.sent_us < sc.warmup_us || r.end_us >= sc.duration_us || r.server.is_none() {
            continue;
        }
        if let Some(i) = r.inside_us {
            inside.push(i);
            hops.push((r.end_us - r.sent_us).saturating_sub(i));
            late.push(r.late_us.unwrap_or(0));
        }
    }
    (
        percentiles(&inside, true),
        percentiles(&hops, false),
        percentiles(&late, false),
    )
}

/// Fills in each event row's `users_remapped` from who answered each user: a user answered by a
/// server to its last request sent before the event, and to its first request sent at or after
/// it (before the next event), counts when the two servers differ. Requests no server answered
/// (errors) do not count either way. The engine counts the same users (those in a visit on both
/// sides of the change) from its routing instead of from answers.
fn remapped(records: &[Record], events: &mut [EventRow]) {
    let mut by_user: HashMap<u64, Vec<(Micros, u32)>> = HashMap::new();
    for r in records {
        if let Some(server) = r.server {
            by_user.entry(r.user).or_default().push((r.sent_us, server));
        }
    }
    for answers in by_user.values_mut() {
        answers.sort_unstable();
    }
    let starts: Vec<Micros> = events.iter().map(|e| e.at_us).collect();
    for (i, row) in events.iter_mut().enumerate() {
        let (at, next) = (starts[i], starts.get(i + 1).copied().unwrap_or(Micros::MAX));
        let moved = by_user.values().filter(|answers| {
            let split = answers.partition_point(|&(sent, _)| sent < at);
            let before = split.checked_sub(1).map(|j| answers[j].1);
            let after = answers
                .get(split)
                .filter(|&&(sent, _)| sent < next)
                .map(|a| a.1);
            matches!((before, after), (Some(b), Some(a)) if a != b)
        });
        row.users_remapped = Some(moved.count() as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_simulations_kind_of_histogram() {
        // Below 2,048 us the histogram is exact: the nearest ranks of 1..=200.
        let v: Vec<Micros> = (1..=200).rev().collect();
        let l = percentiles(&v, true);
        assert_eq!(
            (l.p50_us, l.p95_us, l.p99_us),
            (Some(100), Some(190), Some(198))
        );
        assert_eq!(l.mean_us, Some(100.5));
        assert_eq!(percentiles(&[7], false).p99_us, Some(7));
        assert_eq!(percentiles(&[], true), Latency::default());
        // Above, three significant digits, as the recorder's: 1,234,567 us is read as the top
        // of its bucket (within 0.1 %), the value the simulation would report for it.
        let mut sim = Recorder::new(0);
        sim.request_ended(0, 1_234_567, Outcome::Ok, true, Some(0));
        let p99 = percentiles(&[1_234_567], false).p99_us.unwrap();
        assert_eq!(Some(p99), sim.total_latency().p99_us);
        assert!((1_234_567..1_235_802).contains(&p99), "{p99}");
    }
}
