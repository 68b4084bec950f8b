//! What a run costs and how evenly it spreads, against arithmetic: machine-hours of a fixed
//! tier, of a tier that grows, shrinks and crashes, of an autoscaler's servers from their boot;
//! and the least loaded server's share under round robin and under sticky routing.

use crate::support::run;
use tiersim::events::EventAction;

/// A tier of `servers` servers, 70 minutes measured from 10 minutes, no failure, `rest` appended
/// (more keys, tables or events).
fn tier(servers: u32, rest: &str) -> String {
    format!(
        r#"
        name = "cost"
        seed = 3
        duration = "70m"
        warmup = "10m"
        bucket = "1m"
        [users]
        visits_per_s = 2
        requests_per_visit = 3
        think_time = "2s"
        [servers]
        count = {servers}
        workers = 4
        service_time = "5ms"
        {rest}
        "#
    )
}

/// Three servers for the measured hour: 3 server-hours exactly. With the store: 2 nodes × 2
/// copies for the hour, 4 machine-hours; cost = 3 × 0.5 + 4 × 0.25 = 2.5 (prices that binary
/// fractions hold exactly). Without the store, no store machine is rented.
#[test]
fn a_fixed_tier_rents_its_servers_for_the_measured_period() {
    let prices = "[cost]\nserver_per_hour = 0.5\nstore_per_hour = 0.25\n";
    let store = "[sessions]\nstorage = \"shared_store\"\n[store]\nnodes = 2\nreplicas = 2\n";
    let shared = run(&tier(3, &format!("{store}{prices}")), None).summary;
    assert_eq!(
        (shared.server_hours, shared.store_hours, shared.cost),
        (3.0, 4.0, 2.5)
    );
    let memory = run(&tier(3, prices), None).summary;
    assert_eq!(
        (memory.server_hours, memory.store_hours, memory.cost),
        (3.0, 0.0, 1.5)
    );
    // The default prices: 3 × 0.0416.
    let default = run(&tier(3, ""), None).summary;
    assert_eq!(default.cost, 3.0 * 0.0416);
}

/// Server 0 crashes at 20 min and is never restarted (still rented); one server is added at
/// 40 min and removed (the highest id, the added one) at 60 min. Measured from 10 to 70 min:
/// 3 × 60 min + 1 × 20 min = 200 server-minutes. One added at 5 min (before the measured period)
/// and removed at 65 min counts from 10 to 65: 3 × 60 + 55 = 235.
#[test]
fn an_added_server_counts_from_its_boot_and_a_crashed_one_until_its_removal() {
    let events = r#"
        [[events]]
        at = "20m"
        action = "crash"
        server = 0
        [[events]]
        at = "40m"
        action = "add_servers"
        count = 1
        [[events]]
        at = "60m"
        action = "remove_servers"
        count = 1
        "#;
    let r = run(&tier(3, events), None).summary;
    assert_eq!(r.server_hours, 200.0 / 60.0);
    let early = r#"
        [[events]]
        at = "5m"
        action = "add_servers"
        count = 1
        [[events]]
        at = "65m"
        action = "remove_servers"
        count = 1
        "#;
    assert_eq!(
        run(&tier(3, early), None).summary.server_hours,
        235.0 / 60.0
    );
}

/// An autoscaler under a load that keeps every server busy: it only scales out, and each new
/// server is rented from the evaluation that decided it, `boot_time` (2 min) before the
/// `scale_out` row of its joining. Expected: 1 server for the hour, plus, for each row at t,
/// from max(t - 2 min, warm-up) to the end.
#[test]
fn an_autoscalers_server_is_rented_from_the_start_of_its_boot() {
    let text = r#"
        name = "boot"
        seed = 5
        duration = "40m"
        warmup = "10m"
        bucket = "1m"
        [users]
        visits_per_s = 40
        requests_per_visit = 3
        think_time = "1s"
        [servers]
        count = 1
        workers = 2
        service_time = "20ms"
        [autoscale]
        min = 1
        max = 3
        target_busy = 0.2
        interval = "1m"
        cooldown = "1m"
        boot_time = "2m"
        "#;
    let r = run(text, None);
    let outs: Vec<u64> = r
        .events
        .iter()
        .filter(|e| e.action == EventAction::ScaleOut)
        .map(|e| e.at_us)
        .collect();
    assert_eq!(outs.len(), 2, "two servers added: {:?}", r.events);
    assert!(r.events.iter().all(|e| e.action == EventAction::ScaleOut));
    let (warmup_us, end_us, boot_us) = (600_000_000u64, 2_400_000_000u64, 120_000_000u64);
    let rented_us: u64 = (end_us - warmup_us)
        + outs
            .iter()
            .map(|&t| end_us - (t - boot_us).max(warmup_us))
            .sum::<u64>();
    assert_eq!(r.summary.server_hours, rented_us as f64 / 3.6e9);
}

/// Round robin over four equal servers: in every bucket each server gets its turn, so the least
/// loaded one serves within a request or two of the mean (about 2 visits × 4 requests = 8
/// requests per second: 120 per server per minute).
#[test]
fn round_robin_leaves_no_server_behind() {
    let r = run(&tier(4, "[balancer]\npolicy = \"round_robin\"\n"), None);
    for b in &r.buckets {
        let share = b.least_loaded_share.expect("traffic in every bucket");
        assert!((0.99..=1.0).contains(&share), "{b:?}");
    }
    let share = r.summary.least_loaded_share.unwrap();
    assert!((0.995..=1.0).contains(&share), "{share}");
}

/// Sticky routing, visits that stop at 100 s (the profile steps to 0), a server added at 120 s:
/// every request after it belongs to a user pinned to one of the first three servers, so the
/// new one serves nothing in the bucket after its arrival (a share of exactly 0), and its change
/// never rebalances. Before the addition the three servers share the users about evenly.
#[test]
fn a_server_added_to_a_sticky_tier_without_new_users_is_seen_idle() {
    let text = r#"
        name = "idle"
        seed = 2
        duration = "4m"
        warmup = "1m"
        bucket = "10s"
        [users]
        requests_per_visit = 100
        think_time = "1s"
        profile = [{ at = "0s", visits_per_s = 20 }, { at = "100s", visits_per_s = 20 }, { at = "100s", visits_per_s = 0 }]
        [servers]
        count = 3
        workers = 16
        service_time = "5ms"
        [balancer]
        policy = "sticky"
        [[events]]
        at = "120s"
        action = "add_servers"
        count = 1
        "#;
    let r = run(text, None);
    let after = r
        .buckets
        .iter()
        .find(|b| b.start_us == 120_000_000)
        .expect("the bucket from 120 s");
    assert_eq!(after.servers_in_rotation, 4);
    assert_eq!(after.least_loaded_share, Some(0.0));
    let before = r.buckets.iter().find(|b| b.start_us == 60_000_000).unwrap();
    assert!(before.least_loaded_share.unwrap() > 0.8, "{before:?}");
    assert_eq!(r.events[0].rebalance_s, None);
}
