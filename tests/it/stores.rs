//! Session stores (presets, nodes, copies, memory limits, capacity, network time) and the other
//! ways to keep state (server replication, a local cache, signed cookies), each against an
//! expectation worked out by hand.

use crate::support::{run, scenario};
use tiersim::events::EventAction;
use tiersim::metrics::RunResult;
use tiersim::scenario::StoreKind;

/// Logged-in users kept busy on 4 big servers, sessions in the store; `store` is the `[store]`
/// table's extra lines, `events` the `[[events]]` tables, `storage` and `policy` the design.
fn tier(storage: &str, policy: &str, store: &str, events: &str) -> String {
    format!(
        r#"
        name = "stores"
        seed = 3
        duration = "10m"
        warmup = "1m"
        bucket = "10s"
        [users]
        visits_per_s = 20
        requests_per_visit = 200
        think_time = "2s"
        session_ttl = "30m"
        [servers]
        count = 4
        workers = 64
        service_time = "10ms"
        [balancer]
        policy = "{policy}"
        detection_delay = "2s"
        [sessions]
        storage = "{storage}"
        [store]
        {store}
        {events}
        "#
    )
}

/// The row of the first event named `action`.
fn row(r: &RunResult, action: EventAction) -> &tiersim::metrics::EventRow {
    r.events
        .iter()
        .find(|e| e.action == action)
        .unwrap_or_else(|| panic!("no {action:?} row in {:?}", r.events))
}

/// Store node 1 loses a machine at 5:00, which comes back (empty, if it was the last copy)
/// at 5:10.
const NODE_CRASH: &str = r#"
        [[events]]
        at = "5m"
        action = "store_crash"
        node = 1
        [[events]]
        at = "310s"
        action = "store_restart"
        node = 1
"#;

#[test]
fn a_node_crash_loses_its_share_of_the_sessions_and_none_with_two_copies() {
    // Sessions are spread over 4 nodes by a hash ring with 128 points per node: a node holds
    // about a quarter of them. Without copies its crash loses that quarter; with 2 copies per
    // node the other machine takes over and nothing is lost.
    let one = run(
        &tier("shared_store", "random", "nodes = 4", NODE_CRASH),
        None,
    );
    assert!(one.audit.is_empty(), "{:?}", one.audit);
    let crash = row(&one, EventAction::StoreCrash);
    let share = crash.sessions_lost as f64 / crash.sessions_alive as f64;
    assert!(
        (share - 0.25).abs() < 0.04,
        "lost {} of {} ({share:.3})",
        crash.sessions_lost,
        crash.sessions_alive
    );
    assert!(one.summary.counts.failed_lost > 0);
    assert_eq!(crash.target, Some(1));

    let two = run(
        &tier(
            "shared_store",
            "random",
            "nodes = 4\nreplicas = 2",
            NODE_CRASH,
        ),
        None,
    );
    assert!(two.audit.is_empty(), "{:?}", two.audit);
    assert!(row(&two, EventAction::StoreCrash).sessions_alive > 5_000);
    assert_eq!(row(&two, EventAction::StoreCrash).sessions_lost, 0);
    assert_eq!(two.summary.sessions_lost, 0);
    assert_eq!(two.summary.counts.failed_lost, 0);
    // Only the operations in progress at the crashed machine failed; the node kept answering.
    assert!(
        two.summary.counts.errors_store_down < 20,
        "{:?}",
        two.summary.counts
    );
}

#[test]
fn two_copies_are_lost_only_when_both_machines_fail_together() {
    let both =
        format!("{NODE_CRASH}\n[[events]]\nat = \"5m\"\naction = \"store_crash\"\nnode = 1\n");
    let r = run(
        &tier("shared_store", "random", "nodes = 4\nreplicas = 2", &both),
        None,
    );
    let rows: Vec<_> = r
        .events
        .iter()
        .filter(|e| e.action == EventAction::StoreCrash)
        .collect();
    assert_eq!(rows[0].sessions_lost, 0, "the first copy leaves one behind");
    let share = rows[1].sessions_lost as f64 / rows[1].sessions_alive as f64;
    assert!((share - 0.25).abs() < 0.04, "{share:.3}");
}

#[test]
fn a_full_store_evicts_exactly_what_does_not_fit() {
    // Login-only visits, a TTL longer than the run and no warm-up: nothing expires and no
    // session is used again, so a node that keeps 1,000 sessions evicts every session created
    // after the first 1,000, in order of creation.
    let text = r#"
        name = "lru"
        duration = "5m"
        warmup = "0s"
        bucket = "1m"
        [users]
        visits_per_s = 20
        requests_per_visit = 0
        session_ttl = "1h"
        [sessions]
        storage = "shared_store"
        [store]
        max_sessions = 1000
    "#;
    let r = run(text, None);
    assert!(r.audit.is_empty(), "{:?}", r.audit);
    let created = r.summary.sessions_created;
    assert!(created > 5_000, "{created}");
    assert_eq!(r.summary.sessions_evicted, created - 1000);
    assert_eq!(r.summary.sessions_expired, 0);
    assert_eq!(r.buckets.last().unwrap().sessions_alive, 1000);
}

#[test]
fn lru_evicts_the_idle_sessions_and_returning_users_fail_to_authenticate() {
    // 20 visits/s of 200 requests 2 s apart: about 8,000 users logged in at once, more than 4
    // nodes × 1,000 sessions hold. Users come back every ~2 s, so the least recently used
    // sessions are those of users still in their visit: they are evicted and their next request
    // fails with the eviction cause.
    let r = run(
        &tier(
            "shared_store",
            "random",
            "nodes = 4\nmax_sessions = 1000",
            "",
        ),
        None,
    );
    assert!(r.audit.is_empty(), "{:?}", r.audit);
    let c = &r.summary.counts;
    assert!(c.failed_evicted > 1_000, "{c:?}");
    assert_eq!(c.failed_lost + c.failed_elsewhere, 0);
    for b in &r.buckets {
        assert!(b.sessions_alive <= 4_000, "{} alive", b.sessions_alive);
    }
    // With room for everybody, nothing is evicted.
    let roomy = run(
        &tier(
            "shared_store",
            "random",
            "nodes = 4\nmax_sessions = 5000",
            "",
        ),
        None,
    );
    assert_eq!(roomy.summary.sessions_evicted, 0);
    assert_eq!(roomy.summary.counts.failed_evicted, 0);
}

/// Erlang's loss formula: the probability that all `c` servers are busy when a Poisson arrival
/// of offered load `a` Erlangs finds no queue.
fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

#[test]
fn a_store_without_a_queue_rejects_as_erlangs_loss_formula_says() {
    // Login-only visits through fast, wide servers reach the store as a Poisson stream (the
    // departures of an M/M/inf queue); 4 store workers of 10 ms and no queue make an M/M/4/4
    // loss system. A rejected login is retried after an exponential think time, so the offered
    // load is counted from the attempts themselves.
    let text = r#"
        name = "erlang-b"
        duration = "40m"
        warmup = "2m"
        bucket = "1m"
        [users]
        visits_per_s = 300
        requests_per_visit = 0
        think_time = "1s"
        [servers]
        count = 4
        workers = 1000
        service_time = "1ms"
        [sessions]
        storage = "shared_store"
        [store]
        workers = 4
        write_time = "10ms"
        queue_limit = 0
    "#;
    let r = run(text, None);
    assert!(r.audit.is_empty(), "{:?}", r.audit);
    let s = &r.summary;
    let attempts = (s.store_writes + s.counts.errors_store_busy) as f64;
    let blocked = s.counts.errors_store_busy as f64 / attempts;
    let offered = attempts / s.measured_s * 0.010;
    let expected = erlang_b(4, offered);
    assert!(
        (blocked - expected).abs() < 0.015,
        "blocked {blocked:.4}, Erlang B({offered:.3}) = {expected:.4}"
    );
    assert!(
        blocked > 0.15,
        "the test needs a loaded store: {blocked:.4}"
    );
}

#[test]
fn erlang_b_matches_textbook_values() {
    // B(1, a) = a / (1 + a); B(2, 1) = (1/2) / (1 + 1 + 1/2) = 0.2.
    assert!((erlang_b(1, 0.5) - 1.0 / 3.0).abs() < 1e-12);
    assert!((erlang_b(2, 1.0) - 0.2).abs() < 1e-12);
}

#[test]
fn the_network_round_trip_adds_itself_to_every_request_that_uses_the_store() {
    // A light load: no queue anywhere, and every user draws the same times in both runs, so
    // each request is exactly one round trip (1 ms) slower: a login writes once, an
    // authenticated request reads once.
    let light = |rtt: &str| {
        tier(
            "shared_store",
            "random",
            &format!("network_time = \"{rtt}\"\nworkers = 1000"),
            "",
        )
    };
    let (near, far) = (run(&light("0s"), None), run(&light("1ms"), None));
    let mean = |r: &RunResult| r.summary.latency.mean_us.unwrap();
    let delta_ms = (mean(&far) - mean(&near)) / 1e3;
    assert!((delta_ms - 1.0).abs() < 0.01, "{delta_ms:.4} ms");
}

#[test]
fn presets_set_their_values_and_the_file_overrides_them() {
    let sc = scenario("name = 'p'\n[store]\nkind = 'redis'\nworkers = 2", None);
    assert_eq!(sc.store.kind, StoreKind::Redis);
    assert_eq!(sc.store.workers, 2, "the file's own value wins");
    assert_eq!(
        (
            sc.store.read_time_us,
            sc.store.network_time_us,
            sc.store.durable
        ),
        (15, 200, false)
    );
    let mc = scenario("name = 'p'\n[store]\nkind = 'memcached'", None).store;
    assert_eq!(
        (mc.workers, mc.max_sessions, mc.durable),
        (4, Some(65_536), false)
    );
    let sql = scenario("name = 'p'\n[store]\nkind = 'sql'", None).store;
    assert_eq!(
        (sql.workers, sql.write_time_us, sql.durable),
        (100, 2_000, true)
    );
    let nosql = scenario("name = 'p'\n[store]\nkind = 'nosql'", None).store;
    assert_eq!((nosql.replicas, nosql.durable), (3, true));
}

const SERVER_CRASH: &str = r#"
        [[events]]
        at = "5m"
        action = "crash"
        server = 1
"#;

#[test]
fn a_replicated_session_survives_its_servers_crash() {
    // Sticky routing; each session is copied to the next server in rotation. A crash of one
    // server loses nothing (every session has its copy elsewhere) and its users fail over to
    // their backup servers without logging in again.
    let r = run(&tier("server_replicated", "sticky", "", SERVER_CRASH), None);
    assert!(r.audit.is_empty(), "{:?}", r.audit);
    let crash = row(&r, EventAction::Crash);
    assert!(crash.sessions_alive > 5_000);
    assert_eq!(crash.sessions_lost, 0);
    assert_eq!(r.summary.sessions_lost, 0);
    let c = &r.summary.counts;
    assert_eq!(c.failed_lost + c.failed_elsewhere, 0, "{c:?}");
    // Every login and authenticated request sent a copy, but those served by server 0 while
    // server 1, its backup, was down and not yet detected (2 s of a quarter of the traffic).
    let served = c.logins + c.authenticated;
    let missing = served - r.summary.session_copies;
    assert!(
        (1..=2 * 2_000 / 4 * 2).contains(&missing),
        "{missing} of {served}"
    );

    // The same crash over server memory loses the server's quarter of the sessions.
    let plain = run(&tier("server_memory", "sticky", "", SERVER_CRASH), None);
    let lost = row(&plain, EventAction::Crash);
    let share = lost.sessions_lost as f64 / lost.sessions_alive as f64;
    assert!((share - 0.25).abs() < 0.04, "{share:.3}");
}

#[test]
fn a_replicated_session_is_lost_when_its_server_and_its_backup_crash_together() {
    // Servers 0 and 1 crash at the same moment. The sessions of server 0 had their copy on 1:
    // lost. Those of server 1 had theirs on 2: kept. So about a quarter is lost.
    let both = r#"
        [[events]]
        at = "5m"
        action = "crash"
        server = 0
        [[events]]
        at = "5m"
        action = "crash"
        server = 1
    "#;
    let r = run(&tier("server_replicated", "sticky", "", both), None);
    assert!(r.audit.is_empty(), "{:?}", r.audit);
    let rows: Vec<_> = r
        .events
        .iter()
        .filter(|e| e.action == EventAction::Crash)
        .collect();
    let alive = rows[0].sessions_alive as f64;
    let lost = (rows[0].sessions_lost + rows[1].sessions_lost) as f64;
    assert!((lost / alive - 0.25).abs() < 0.04, "{lost} of {alive}");
    // Server 0's crash alone moved its sessions to server 1, which then lost them.
    assert_eq!(rows[0].sessions_lost, 0);
}

#[test]
fn a_local_cache_hits_when_the_user_comes_back_to_the_same_server() {
    // Sticky: every authenticated request returns to the server that wrote the session, so
    // every one is a cache hit and the store sees writes only. Random over 4 servers: the
    // request lands on the server that last read the session with probability 1/4.
    let sticky = run(&tier("cached_store", "sticky", "", ""), None);
    let c = &sticky.summary.counts;
    assert!(sticky.audit.is_empty(), "{:?}", sticky.audit);
    // (A request still in service at the end was a hit but has no outcome yet.)
    let hits = sticky.summary.cache_hits;
    assert!(
        (c.authenticated..=c.authenticated + sticky.summary.unfinished).contains(&hits),
        "{hits} hits, {c:?}"
    );
    assert_eq!(sticky.summary.store_reads, 0);

    let random = run(&tier("cached_store", "random", "", ""), None);
    let auth = random.summary.counts.authenticated as f64;
    let hit = random.summary.cache_hits as f64 / auth;
    assert!((hit - 0.25).abs() < 0.01, "hit ratio {hit:.4}");
    let reads = random.summary.store_reads as f64;
    assert!((reads / auth - 0.75).abs() < 0.01);
}

#[test]
fn a_local_cache_serves_its_users_through_a_store_outage() {
    // The store is down from 5:00 to 6:00. Sticky users with a cached session keep being
    // served; over the plain shared store every request of that minute fails.
    let outage = r#"
        [[events]]
        at = "5m"
        action = "store_crash"
        [[events]]
        at = "6m"
        action = "store_restart"
    "#;
    let store = "durable = true";
    let plain = run(&tier("shared_store", "sticky", store, outage), None);
    let cached = run(&tier("cached_store", "sticky", store, outage), None);
    let (p, c) = (&plain.summary.counts, &cached.summary.counts);
    assert!(p.errors_store_down > 100_000, "{p:?}");
    // In the cached tier only logins (which must write) fail, retried every think time by the
    // visits that arrive during the outage; the logged-in users go on.
    assert!(
        c.errors_store_down * 5 < p.errors_store_down,
        "{c:?} vs {p:?}"
    );
    assert!(
        c.authenticated > p.authenticated + 100_000,
        "{c:?} vs {p:?}"
    );
}

#[test]
fn signed_cookies_survive_any_crash_and_cost_their_check_on_every_request() {
    // No server-side state: random routing and a crash fail no authentication and lose no
    // session; the store is never used. At light load every request takes verify_time more
    // than over server memory with sticky routing and no crash.
    let cookie = run(&tier("signed_cookie", "random", "", SERVER_CRASH), None);
    assert!(cookie.audit.is_empty(), "{:?}", cookie.audit);
    let c = &cookie.summary.counts;
    assert_eq!(c.failed_auth(), 0, "{c:?}");
    assert_eq!(cookie.summary.sessions_lost, 0);
    assert_eq!(cookie.summary.store_reads + cookie.summary.store_writes, 0);

    let costly = tier("signed_cookie", "sticky", "", "")
        .replace("[sessions]", "[sessions]\nverify_time = \"2ms\"");
    let (free, paid) = (
        run(&tier("server_memory", "sticky", "", ""), None),
        run(&costly, None),
    );
    let mean = |r: &RunResult| r.summary.latency.mean_us.unwrap();
    let delta_ms = (mean(&paid) - mean(&free)) / 1e3;
    assert!((delta_ms - 2.0).abs() < 0.01, "{delta_ms:.4} ms");
}
