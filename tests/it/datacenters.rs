//! Several data centres against theory: the round trips in the latency, who must log in again
//! when a data centre fails under each replication, the sessions asynchronous replication loses,
//! and the requests that fail while the DNS catches up.

use crate::support::run;
use tiersim::events::EventAction;
use tiersim::metrics::{EventRow, RunResult};
use tiersim::theory::{self, DcOutage, MeanAndVariance};

/// Two data centres `a` (share `share_a`) and `b`, 4 servers each with workers enough that
/// nothing queues; 1-minute warm-up, 10 s buckets, visits of 20 requests 2 s apart with a
/// session lasting the whole run. `extra` adds keys (variants, `[sessions]`, events).
fn two_dcs(seed: u64, duration: &str, share_a: f64, extra: &str) -> String {
    format!(
        r#"
        name = "dc"
        seed = {seed}
        duration = "{duration}"
        warmup = "1m"
        bucket = "10s"
        [users]
        visits_per_s = 5
        requests_per_visit = 20
        think_time = "2s"
        session_ttl = "1h"
        [servers]
        workers = 64
        service_time = "20ms"
        [store]
        workers = 256
        read_time = "1ms"
        write_time = "1ms"
        [[datacenters]]
        name = "a"
        users_share = {share_a}
        servers = 4
        [[datacenters]]
        name = "b"
        users_share = {}
        servers = 4
        [geo]
        rtt_local = "10ms"
        rtt_remote = "80ms"
        detection_delay = "20s"
        dns_ttl = "40s"
        {extra}
        "#,
        1.0 - share_a
    )
}

/// The same world with one data centre of 8 servers, and no round trip.
fn one_dc(seed: u64, duration: &str, storage: &str) -> String {
    format!(
        r#"
        name = "dc"
        seed = {seed}
        duration = "{duration}"
        warmup = "1m"
        bucket = "10s"
        [users]
        visits_per_s = 5
        requests_per_visit = 20
        think_time = "2s"
        session_ttl = "1h"
        [servers]
        count = 8
        workers = 64
        service_time = "20ms"
        [sessions]
        storage = "{storage}"
        [store]
        workers = 256
        read_time = "1ms"
        write_time = "1ms"
        "#
    )
}

fn mean_ms(r: &RunResult) -> f64 {
    r.summary.latency.mean_us.expect("requests were served") / 1000.0
}

fn row(r: &RunResult, action: EventAction) -> &EventRow {
    r.events.iter().find(|e| e.action == action).expect("row")
}

/// Requests served by data centre `dc` over the run, from `datacenters.csv`'s rows.
fn served_in(r: &RunResult, dc: u32) -> u64 {
    r.datacenters
        .iter()
        .filter(|d| d.datacenter == dc)
        .map(|d| d.requests)
        .sum()
}

const DOWN_AT_5M: &str = r#"
        [[events]]
        at = "5m"
        action = "dc_down"
        datacenter = "a"
"#;

/// No failure: every user is served by their nearest data centre, so every request pays
/// `rtt_local` (10 ms) on top of what one data centre of the same servers costs. Nothing queues
/// (64 workers per server at a few percent busy), so the latency is the service time plus the
/// store's 1 ms: the difference is 10 ms up to the sampling of draws (which requests fall in
/// the measured period), well under 0.5 ms over some 20,000 requests.
#[test]
fn without_failure_each_request_pays_the_local_round_trip() {
    for storage in ["server_memory", "shared_store"] {
        let one = run(&one_dc(3, "6m", storage), None);
        let set = format!("[sessions]\nstorage = \"{storage}\"");
        let two = run(&two_dcs(3, "6m", 0.5, &set), None);
        let diff = mean_ms(&two) - mean_ms(&one);
        assert!(
            (diff - 10.0).abs() < 0.5,
            "{storage}: +{diff:.3} ms, not 10"
        );
        assert_eq!(two.summary.counts.failed_auth(), 0, "{storage}");
    }
}

/// `global` with the store in `a`: every request does one store operation (a read, or the
/// login's write), and those served in `b` pay `rtt_remote` (80 ms) more. So the mean latency
/// is `rtt_local` + 80 ms × (share of requests served in `b`) above one data centre's.
#[test]
fn a_global_store_adds_the_remote_round_trip_to_every_operation_from_elsewhere() {
    let one = run(&one_dc(4, "6m", "shared_store"), None);
    let set =
        "[sessions]\nstorage = \"shared_store\"\nreplication = \"global\"\nglobal_store = \"a\"";
    let two = run(&two_dcs(4, "6m", 0.5, set), None);
    let in_b = served_in(&two, 1) as f64 / (served_in(&two, 0) + served_in(&two, 1)) as f64;
    assert!((0.4..0.6).contains(&in_b), "share served in b: {in_b}");
    let expected = 10.0 + 80.0 * in_b;
    let diff = mean_ms(&two) - mean_ms(&one);
    assert!(
        (diff - expected).abs() < 0.8,
        "+{diff:.3} ms, expected {expected:.3}"
    );
}

/// `sync`: each session write waits one `rtt_remote` (80 ms) for the other data centre, and
/// nothing else changes: against `none`, the mean latency grows by 80 ms × writes / requests
/// served, where every login writes (a visit's login out of its 21 served requests).
#[test]
fn synchronous_replication_adds_one_remote_round_trip_per_session_write() {
    let store =
        |mode: &str| format!("[sessions]\nstorage = \"shared_store\"\nreplication = \"{mode}\"");
    let none = run(&two_dcs(5, "6m", 0.6, &store("none")), None);
    let sync = run(&two_dcs(5, "6m", 0.6, &store("sync")), None);
    let c = &sync.summary.counts;
    let writes = (c.logins + c.failed_auth()) as f64;
    let served = (c.ok() + c.failed_auth()) as f64;
    let expected = 80.0 * writes / served;
    let diff = mean_ms(&sync) - mean_ms(&none);
    assert!(
        (diff - expected).abs() < 0.3,
        "+{diff:.3} ms, expected {expected:.3} ({writes} writes of {served})"
    );
}

/// `none`, `a` down for good at 5 m: every logged-in user of `a` who sends a request after
/// the DNS moved them to `b` fails authentication there exactly once (`other_dc`), then has
/// a session in `b`. So the users the `dc_down` row moved, its forced logins, the failed
/// authentications and the distinct users forced to log in are one number (nothing else fails
/// authentication: sessions last an hour).
#[test]
fn without_replication_each_moved_user_logs_in_again_exactly_once() {
    for (storage, policy) in [("shared_store", "round_robin"), ("server_memory", "sticky")] {
        let set = format!(
            "[sessions]\nstorage = \"{storage}\"\n[balancer]\npolicy = \"{policy}\"\n{DOWN_AT_5M}"
        );
        let r = run(&two_dcs(6, "8m", 0.6, &set), None);
        let c = &r.summary.counts;
        let down = row(&r, EventAction::DcDown);
        let forced = down.users_forced_login.unwrap();
        assert!(forced > 30, "{storage}: {forced} users forced");
        assert_eq!(down.users_remapped, Some(forced), "{storage}");
        assert_eq!(c.failed_other_dc, forced, "{storage}");
        assert_eq!(c.failed_auth(), forced, "{storage}: no other cause");
        assert_eq!(r.summary.people.users_forced_login, forced, "{storage}");
    }
}

/// `sync`: a session reaches the other data centre before its login answers, so failover and
/// failback log nobody out.
#[test]
fn synchronous_replication_loses_no_session_to_failover_or_failback() {
    let set = format!(
        "[sessions]\nstorage = \"shared_store\"\nreplication = \"sync\"\n{DOWN_AT_5M}\n\
         [[events]]\nat = \"8m\"\naction = \"dc_up\"\ndatacenter = \"a\""
    );
    let r = run(&two_dcs(7, "12m", 0.6, &set), None);
    assert_eq!(r.summary.counts.failed_other_dc, 0);
    assert_eq!(r.summary.counts.failed_auth(), 0);
    let up = row(&r, EventAction::DcUp);
    assert!(up.users_remapped.unwrap() > 30, "failback moved users");
}

/// `async` with a 20 s lag: the sessions lost at the failure are those written in `a` in the
/// last 20 s, about `visits_per_s` × share × lag = 5 × 0.6 × 20 = 60 logins (Poisson, sd 7.7).
/// Over 8 seeds the mean is within 3 sd of the mean (2.7): 60 ± 8.
#[test]
fn asynchronous_replication_loses_the_sessions_of_the_last_lag() {
    let set = format!(
        "[sessions]\nstorage = \"shared_store\"\nreplication = \"async\"\n\
         replication_lag = \"20s\"\n{DOWN_AT_5M}"
    );
    let lost: Vec<u64> = (1..=8)
        .map(|seed| {
            let r = run(&two_dcs(seed, "6m", 0.6, &set), None);
            let down = row(&r, EventAction::DcDown);
            assert!(
                r.summary.counts.failed_other_dc <= down.sessions_lost,
                "seed {seed}"
            );
            down.sessions_lost
        })
        .collect();
    let mean = lost.iter().sum::<u64>() as f64 / lost.len() as f64;
    assert!((mean - 60.0).abs() < 8.0, "mean {mean}: {lost:?}");
}

/// `a` fails at 3 m in a run of `requests_per_visit`-long visits, seed `seed`: the
/// `errors_dc_down` counted, what `theory::errors_dc_down` expects of them (given the visits in
/// progress in `a` at the failure, from `datacenters.csv`), and the issue's formula (`a`'s
/// request rate over the minute before × (20 s + 40 s / 2)).
fn dc_down_errors(seed: u64, requests_per_visit: u32) -> (f64, MeanAndVariance, f64) {
    let set = "[sessions]\nstorage = \"shared_store\"\n[[events]]\nat = \"3m\"\n\
               action = \"dc_down\"\ndatacenter = \"a\"";
    let text = two_dcs(seed, "250s", 0.6, set).replace(
        "requests_per_visit = 20",
        &format!("requests_per_visit = {requests_per_visit}"),
    );
    let r = run(&text, None);
    let a = |from_s: u64, to_s: u64| {
        r.datacenters.iter().filter(move |d| {
            d.datacenter == 0 && (from_s * 1_000_000..to_s * 1_000_000).contains(&d.start_us)
        })
    };
    let in_visit = a(170, 180).map(|d| d.users_in_visit).sum::<u64>() as f64;
    let rate = a(120, 180).map(|d| d.requests + d.errors).sum::<u64>() as f64 / 60.0;
    let expected = theory::errors_dc_down(&DcOutage {
        in_visit,
        visits_per_s: 5.0 * 0.6,
        requests_per_visit: f64::from(requests_per_visit),
        cycle_s: 2.0 + 0.010,
        detection_s: 20.0,
        ttl_s: 40.0,
    });
    (
        r.summary.counts.errors_dc_down as f64,
        expected,
        rate * 40.0,
    )
}

/// Sums `dc_down_errors` over `seeds`: counted, expected, its sampling error (the seeds'
/// variances add), and the issue's formula.
fn dc_down_errors_over(seeds: std::ops::RangeInclusive<u64>, visit: u32) -> [f64; 4] {
    seeds.fold([0.0; 4], |[n, mean, var, formula], seed| {
        let (count, e, f) = dc_down_errors(seed, visit);
        [n + count, mean + e.mean, var + e.variance, formula + f]
    })
}

/// Short visits (20 requests, 2 s apart: some 40 s, as long as the window of 20 to 60 s): the
/// requests sent to `a` while the DNS catches up are what `theory::errors_dc_down` says,
/// within 3 sampling errors of the sum over 8 seeds (one seed's error is about 6 % of its
/// count, so the sum's about 2 %; the visits in progress are counted, the others drawn). The
/// issue's formula falls short here by some 17 % (more than 4 sampling errors): half of the
/// failures come from visits that began during the outage and retry their login until they
/// move.
#[test]
fn requests_fail_while_the_dns_catches_up_as_theory_says_on_short_visits() {
    let [count, mean, var, formula] = dc_down_errors_over(1..=8, 20);
    let sd = var.sqrt();
    assert!(
        (count - mean).abs() < 3.0 * sd,
        "{count} errors_dc_down, theory {mean:.0} ± {sd:.0}"
    );
    assert!(
        count > formula + 4.0 * sd,
        "{count} vs formula {formula:.0}"
    );
}

/// Long visits (200 requests, some 7 minutes): still the theory, within 3 sampling errors of
/// the sum over 3 seeds (about 1.5 % each). (The issue's formula, its limit, needs the steady
/// state that 3 minutes do not reach with such visits: the test below.)
#[test]
fn requests_fail_while_the_dns_catches_up_as_theory_says_on_long_visits() {
    let [count, mean, var, formula] = dc_down_errors_over(1..=3, 200);
    let sd = var.sqrt();
    assert!(
        (count - mean).abs() < 3.0 * sd,
        "{count} errors_dc_down, theory {mean:.0} ± {sd:.0}"
    );
    assert!(formula > 0.0, "a served requests before failing");
}

/// Requests sent to `a` after it fails, until the DNS (20 s) and then each client's cached
/// answer (uniform over the 40 s TTL: 20 s on average) send them to `b`, fail: about `a`'s
/// request rate × 40 s, the rate measured from `datacenters.csv` over the minute before the
/// failure. Visits here are long (200 requests, some 7 minutes) so that the users present
/// keep their pace through the outage: new visits retry their login until they move, which
/// with short visits adds to the count (`theory::errors_dc_down`, the tests above). Within 10 %.
#[test]
fn requests_fail_while_the_dns_catches_up() {
    let set = "[sessions]\nstorage = \"shared_store\"\n[[events]]\nat = \"9m\"\n\
               action = \"dc_down\"\ndatacenter = \"a\"";
    for seed in [8, 9] {
        let text = two_dcs(seed, "10m", 0.6, set)
            .replace("requests_per_visit = 20", "requests_per_visit = 200");
        let r = run(&text, None);
        let before: Vec<_> = r
            .datacenters
            .iter()
            .filter(|d| d.datacenter == 0 && (480_000_000..540_000_000).contains(&d.start_us))
            .collect();
        let rate = before.iter().map(|d| d.requests + d.errors).sum::<u64>() as f64 / 60.0;
        let expected = rate * 40.0;
        let errors = r.summary.counts.errors_dc_down as f64;
        assert!(
            (errors / expected - 1.0).abs() < 0.1,
            "seed {seed}: {errors} errors, expected {expected:.0} ({rate:.1}/s × 40 s)"
        );
    }
}

/// A crash in a data centre: `server = 1` of `b` is the tier's server 5 (`a` has 4), in
/// `events.csv` and `servers.csv`; its data centre's balancer stops sending it requests once
/// the health checks notice (5 s), and takes it back at its restart. Requests that fail on it
/// are those of its quarter of `b`'s users in those 5 s and the ones in service: `b` serves
/// about 2 visits/s × 21 requests = 42 requests/s, a quarter of that over 5 s is about 50
/// (without the balancer's notice it would be some 600 over the minute down).
#[test]
fn a_server_crash_in_a_data_centre_is_its_servers_and_its_balancer() {
    let set = "[sessions]\nstorage = \"shared_store\"\n\
               [[events]]\nat = \"2m\"\naction = \"crash\"\nserver = 1\ndatacenter = \"b\"\n\
               [[events]]\nat = \"3m\"\naction = \"restart\"\nserver = 1\ndatacenter = \"b\"";
    let r = run(&two_dcs(10, "5m", 0.6, set), None);
    let crash = row(&r, EventAction::Crash);
    assert_eq!((crash.target, crash.servers_after), (Some(5), 7));
    assert_eq!(row(&r, EventAction::Restart).target, Some(5));
    let errors = r.summary.counts.errors_server_down;
    assert!((10..150).contains(&errors), "{errors} errors_server_down");
    let up_in_b = |at_s: u64| {
        let d = r
            .datacenters
            .iter()
            .find(|d| d.datacenter == 1 && d.start_us == at_s * 1_000_000);
        d.expect("bucket").servers_up
    };
    assert_eq!((up_in_b(150), up_in_b(200)), (3, 4));
    let served_by_5 = |from_s: u64, to_s: u64| {
        r.servers
            .iter()
            .filter(|s| {
                s.server == 5 && (from_s * 1_000_000..to_s * 1_000_000).contains(&s.start_us)
            })
            .map(|s| s.requests)
            .sum::<u64>()
    };
    assert_eq!(
        served_by_5(130, 180),
        0,
        "no request reaches the crashed server"
    );
    assert!(
        served_by_5(190, 240) > 100,
        "back in rotation after its restart"
    );
}

/// A store crash in `b` (shared store, one node per data centre) loses the sessions `b`'s store
/// held and no session of `a`'s: the crash's row counts what `b` held at the end of the bucket
/// before it (2 s of logins later at most: within 5 %), and `a` serves every request of the run
/// without a failed authentication or an error; `b`'s failed authentications are the users the
/// crash forced to log in (fewer than the sessions lost: many visits end during the outage),
/// every one after the restart (while the store is down, requests end in errors).
#[test]
fn a_store_crash_in_a_data_centre_loses_that_data_centres_sessions_alone() {
    let set = "[sessions]\nstorage = \"shared_store\"\n\
               [[events]]\nat = \"2m\"\naction = \"store_crash\"\nnode = 0\ndatacenter = \"b\"\n\
               [[events]]\nat = \"150s\"\naction = \"store_restart\"\nnode = 0\ndatacenter = \"b\"";
    let r = run(&two_dcs(12, "5m", 0.5, set), None);
    let in_dc = |dc: u32| r.datacenters.iter().filter(move |d| d.datacenter == dc);
    let held_by_b = in_dc(1)
        .find(|d| d.start_us == 110_000_000)
        .expect("bucket")
        .sessions;
    let lost = row(&r, EventAction::StoreCrash).sessions_lost;
    assert!(held_by_b > 100, "{held_by_b} sessions in b's store");
    assert!(
        (lost as f64 / held_by_b as f64 - 1.0).abs() < 0.05,
        "lost {lost}, b held {held_by_b}"
    );
    let (failed_a, errors_a) = in_dc(0).fold((0, 0), |(f, e), d| (f + d.failed_auth, e + d.errors));
    assert_eq!((failed_a, errors_a), (0, 0), "a is untouched");
    let after_restart: u64 = in_dc(1)
        .filter(|d| d.start_us >= 150_000_000)
        .map(|d| d.failed_auth)
        .sum();
    let in_b: u64 = in_dc(1).map(|d| d.failed_auth).sum();
    let forced = row(&r, EventAction::StoreCrash)
        .users_forced_login
        .expect("attributed");
    assert!(
        0 < forced && forced < lost,
        "{forced} forced of {lost} lost"
    );
    assert_eq!(
        (in_b, after_restart),
        (forced, forced),
        "b's failed authentications are the crash's forced logins, all after the restart"
    );
}

/// The latency penalty of `a`'s failure: each request of `a`'s users served in `b` pays
/// `rtt_remote - rtt_local` = 70 ms more. Nothing queues and `b`'s own users draw the same
/// times with or without the failure (each user has their own stream; without replication
/// nothing of theirs waits for `a`), so `a`'s users' requests served in `b` are `b`'s requests
/// with the failure less those without it: exactly.
#[test]
fn the_dc_down_row_sums_the_remote_round_trips_of_the_moved_users() {
    let store = "[sessions]\nstorage = \"shared_store\"\n";
    let failed = run(
        &two_dcs(11, "8m", 0.6, &format!("{store}{DOWN_AT_5M}")),
        None,
    );
    let calm = run(&two_dcs(11, "8m", 0.6, store), None);
    let moved = served_in(&failed, 1) - served_in(&calm, 1);
    assert!(moved > 1000, "{moved} requests moved");
    let penalty = row(&failed, EventAction::DcDown).latency_penalty_s.unwrap();
    let expected = 0.070 * moved as f64;
    assert!(
        (penalty - expected).abs() < 1e-6 * expected,
        "{penalty} s, expected {expected} s ({moved} requests moved)"
    );
    assert!(calm.events.is_empty());
}

/// Returning users (`users.population`: 300 registered users, some 1,500 visits in 5 minutes,
/// so each comes back about 5 times) keep their nearest data centre: with a store in each data
/// centre and no replication, a user whose next visit went elsewhere would find no session
/// there (`other_dc`). None does, and nobody fails authentication at all (sessions last an
/// hour).
#[test]
fn returning_users_keep_their_home_data_centre() {
    let set = "[sessions]\nstorage = \"shared_store\"\nreplication = \"none\"";
    let text = two_dcs(12, "6m", 0.5, set).replace(
        "requests_per_visit = 20",
        "requests_per_visit = 20\npopulation = 300",
    );
    let r = run(&text, None);
    let c = &r.summary.counts;
    assert!(
        r.summary.people.visits > 1000,
        "{} visits",
        r.summary.people.visits
    );
    assert!(
        c.logins < 400,
        "{} logins: users came back logged in",
        c.logins
    );
    assert_eq!((c.failed_other_dc, c.failed_auth()), (0, 0));
}

/// The live mode runs one cluster: it refuses several data centres before anything starts,
/// naming the key, with exit status 2.
#[test]
fn the_live_mode_refuses_several_data_centres() {
    let sc = crate::support::scenario(&two_dcs(1, "6m", 0.5, ""), None);
    let why = tiersim::live::refuse("base", &sc, 1.0, tiersim::live::DEFAULT_MAX_WALL_S)
        .expect("refused");
    assert!(why.contains("`datacenters`"), "{why}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tiersim"))
        .args([
            "live",
            "scenarios/09-multi-dc.toml",
            "--variant",
            "store-sync",
        ])
        .output()
        .expect("tiersim runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`datacenters`"), "{err}");
}

/// What a scenario with data centres may get wrong, each refused naming its key.
#[test]
fn bad_data_centres_are_refused_naming_the_key() {
    let refused = |text: &str, needles: &[&str]| {
        let e = tiersim::config::parse("t.toml", text, &[], None)
            .expect_err("refused")
            .to_string();
        for n in needles {
            assert!(e.contains(n), "{n:?} not in:\n{e}");
        }
    };
    let base = two_dcs(1, "6m", 0.5, "");
    refused(
        &format!("{base}\n[[events]]\nat = \"2m\"\naction = \"dc_down\"\ndatacenter = \"c\""),
        &["events[0].datacenter", "unknown data centre \"c\"", "a, b"],
    );
    refused(
        &base.replace("users_share = 0.5\n", "users_share = 0.7\n"),
        &["datacenters:", "must sum to 1"],
    );
    refused(
        &format!("{base}\n[autoscale]\nmin = 2\nmax = 4"),
        &["autoscale:", "not supported with several data centres"],
    );
    let event = |keys: &str| format!("{base}\n[[events]]\nat = \"2m\"\n{keys}");
    refused(
        &event("action = \"crash\"\nserver = 0"),
        &[
            "t.toml:",
            "events[0]:",
            "crash needs `datacenter`",
            ": a, b",
        ],
    );
    refused(
        &event("action = \"crash\"\nserver = 4\ndatacenter = \"b\""),
        &[
            "events[0].server",
            "server 4 does not exist in data centre b, which has 4",
        ],
    );
    refused(
        &event("action = \"store_crash\"\ndatacenter = \"a\""),
        &["events[0].node", "store_crash needs `node`"],
    );
    refused(
        &event("action = \"add_servers\"\ncount = 1"),
        &["events[0].action", "adding or removing servers"],
    );
    refused(
        &(one_dc(1, "6m", "shared_store")
            + "[[events]]\nat = \"2m\"\naction = \"crash\"\nserver = 0\ndatacenter = \"a\""),
        &["events[0].datacenter", "crash needs several data centres"],
    );
    refused(
        &one_dc(1, "6m", "shared_store").replace("[store]", "[geo]\nrtt_local = \"5ms\"\n[store]"),
        &["geo.rtt_local", "applies only with several data centres"],
    );
    refused(
        &format!(
            "{}\n[[events]]\nat = \"2m\"\naction = \"dc_down\"\ndatacenter = \"a\"\n\
             [[events]]\nat = \"3m\"\naction = \"dc_down\"\ndatacenter = \"b\"",
            base
        ),
        &["events[1]", "at least one must stay up"],
    );
    let dc_event = |at: &str, action: &str| {
        format!("\n[[events]]\nat = \"{at}\"\naction = \"{action}\"\ndatacenter = \"b\"")
    };
    refused(
        &format!(
            "{base}{}{}",
            dc_event("2m", "dc_down"),
            dc_event("3m", "dc_down")
        ),
        &[
            "events[1]",
            "data centre \"b\" is already down at 3m (taken down by events[0] at 2m)",
        ],
    );
    refused(
        &format!("{base}{}", dc_event("2m", "dc_up")),
        &[
            "events[0]",
            "data centre \"b\" is up at 2m; only a data centre that went down",
        ],
    );
}
