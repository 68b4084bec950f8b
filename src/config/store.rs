//! `[store]` and the costs of `[sessions]`: the store presets (`store.kind`) and their
//! overrides, and the checks that tie the store to the storage design.
//!
//! A preset stands for one real system deployed the usual way; every field of it can be
//! overridden in the file. The figures are orders of magnitude from the systems' own
//! documentation and common measurements (see `docs/model.md`, "Session stores"), not benchmarks
//! of any one machine.

use super::check::{Checker, Least};
use super::raw::{RawSessions, RawStore};
use crate::model::sessions::MAX_STORE_NODES;
use crate::scenario::{Micros, SessionCosts, Store, StoreKind};

/// The values a preset sets.
struct Preset {
    workers: u32,
    read_time_us: Micros,
    write_time_us: Micros,
    network_time_us: Micros,
    durable: bool,
    replicas: u32,
    max_sessions: Option<u64>,
}

/// What `store.kind` sets before the file's own fields.
fn preset(kind: StoreKind) -> Preset {
    match kind {
        // The built-in defaults: an abstract store, as before presets existed.
        StoreKind::Custom => Preset {
            workers: 64,
            read_time_us: 500,
            write_time_us: 1_000,
            network_time_us: 0,
            durable: false,
            replicas: 1,
            max_sessions: None,
        },
        // One thread executes commands (so one worker); a GET or SET costs ~10-25 us of it
        // (~50,000-100,000 operations/s per instance); a same-datacenter round trip ~0.2 ms; no
        // memory limit by default (maxmemory 0); persistence taken as off (a session cache).
        StoreKind::Redis => Preset {
            workers: 1,
            read_time_us: 15,
            write_time_us: 20,
            network_time_us: 200,
            durable: false,
            replicas: 1,
            max_sessions: None,
        },
        // 4 worker threads by default (-t 4); 64 MB of item memory by default (-m 64), which
        // holds ~65,000 sessions of ~1 KB, evicted least recently used; no persistence at all.
        StoreKind::Memcached => Preset {
            workers: 4,
            read_time_us: 10,
            write_time_us: 12,
            network_time_us: 200,
            durable: false,
            replicas: 1,
            max_sessions: Some(65_536),
        },
        // A connection pool of 100 (PostgreSQL's default max_connections); an indexed read
        // ~0.3 ms; a write commits to the write-ahead log with an fsync, ~2 ms; durable.
        StoreKind::Sql => Preset {
            workers: 100,
            read_time_us: 300,
            write_time_us: 2_000,
            network_time_us: 200,
            durable: true,
            replicas: 1,
            max_sessions: None,
        },
        // A managed key-value database: "single-digit millisecond" reads and writes, very high
        // concurrency, every item written to three replicas, durable.
        StoreKind::Nosql => Preset {
            workers: 1_000,
            read_time_us: 2_000,
            write_time_us: 4_000,
            network_time_us: 300,
            durable: true,
            replicas: 3,
            max_sessions: None,
        },
    }
}

/// `[store]`: the preset, then each field the file sets.
pub(super) fn store(c: &mut Checker<'_, '_>, raw: &RawStore) -> Option<Store> {
    let kind = c.choice(
        "store.kind",
        &raw.kind,
        StoreKind::Custom,
        &StoreKind::ALL,
        StoreKind::as_str,
    );
    let p = preset(kind.unwrap_or(StoreKind::Custom));
    let workers = c.integer("store.workers", &raw.workers, p.workers, 1, 100_000);
    let read_time_us = c.duration(
        "store.read_time",
        &raw.read_time,
        p.read_time_us,
        Least::AboveZero,
    );
    let write_time_us = c.duration(
        "store.write_time",
        &raw.write_time,
        p.write_time_us,
        Least::AboveZero,
    );
    let network_time_us = c.duration(
        "store.network_time",
        &raw.network_time,
        p.network_time_us,
        Least::Zero,
    );
    let durable = c.boolean("store.durable", &raw.durable, p.durable);
    let nodes = c.integer("store.nodes", &raw.nodes, 1, 1, MAX_STORE_NODES.into());
    let replicas = c.integer("store.replicas", &raw.replicas, p.replicas, 1, 16);
    let max_sessions = match &raw.max_sessions {
        None => Some(p.max_sessions),
        Some(_) => c
            .integer("store.max_sessions", &raw.max_sessions, 0u64, 1, 1 << 40)
            .map(Some),
    };
    let queue_limit = match &raw.queue_limit {
        None => Some(None),
        Some(_) => c
            .integer("store.queue_limit", &raw.queue_limit, 0u32, 0, 10_000_000)
            .map(Some),
    };
    Some(Store {
        kind: kind?,
        workers: workers?,
        read_time_us: read_time_us?,
        write_time_us: write_time_us?,
        network_time_us: network_time_us?,
        durable: durable?,
        nodes: nodes?,
        replicas: replicas?,
        max_sessions: max_sessions?,
        queue_limit: queue_limit?,
    })
}

/// `sessions.copy_time` and `sessions.verify_time`.
pub(super) fn session_costs(c: &mut Checker<'_, '_>, raw: &RawSessions) -> Option<SessionCosts> {
    // Serialising a session of ~1 KB and sending it to another server on the same network.
    let copy_time_us = c.duration("sessions.copy_time", &raw.copy_time, 200, Least::Zero);
    // An HMAC-SHA256 check and re-signature of a cookie of ~1 KB: a few microseconds.
    let verify_time_us = c.duration("sessions.verify_time", &raw.verify_time, 10, Least::Zero);
    Some(SessionCosts {
        copy_time_us: copy_time_us?,
        verify_time_us: verify_time_us?,
    })
}
