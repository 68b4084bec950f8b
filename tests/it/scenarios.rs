//! Every shipped scenario runs, keeps its books, tells its lesson and is deterministic.

use crate::support::{Cli, run_file, scratch_dir, shipped_scenarios};
use std::collections::BTreeMap;
use std::path::Path;
use tiersim::events::EventAction;
use tiersim::metrics::{EventRow, RunResult};
use tiersim::scenario::{Action, Experiment, Scenario};

fn results_of(name: &str) -> Vec<RunResult> {
    run_file(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(name),
    )
}

fn variant<'a>(results: &'a [RunResult], name: &str) -> &'a RunResult {
    results
        .iter()
        .find(|r| r.variant == name)
        .expect("variant exists")
}

/// The pinned digests of the shipped scenarios' CSV files (`tests/digests.txt`).
const DIGESTS: &str = "tests/digests.txt";

/// `<scenario file>/<csv file> <sha256>` for each CSV file of one run of `path`, as `tiersim
/// run` writes them.
fn digests_of(path: &Path, results: &[RunResult]) -> Vec<String> {
    use sha2::{Digest, Sha256};
    let text = std::fs::read_to_string(path).unwrap();
    let experiment = tiersim::config::parse("x.toml", &text, &[], None).unwrap();
    let seed = experiment.variants[0].scenario.seed;
    let runs = tiersim::runner::Runs {
        seeds: vec![seed],
        by_replication: vec![results.to_vec()],
        traces: Vec::new(),
    };
    let file = path.file_name().unwrap().to_string_lossy();
    tiersim::cli::csv_files(&runs)
        .iter()
        .map(|f| {
            let hash: String = Sha256::digest(&f.bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            format!("{file}/{} {hash}", f.name)
        })
        .collect()
}

fn experiment_of(path: &Path) -> Experiment {
    let text = std::fs::read_to_string(path).unwrap();
    tiersim::config::parse(&path.display().to_string(), &text, &[], None)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The rows of timed events: (time, action, target).
fn timed_rows(rows: &[EventRow]) -> Vec<(u64, EventAction, Option<u32>)> {
    rows.iter()
        .filter(|row| row.action.is_timed())
        .map(|row| (row.at_us, row.action, row.target))
        .collect()
}

/// The row each of the scenario's timed events must have, as `docs/outputs.md` defines
/// `target`: the server of a crash or restart, the count of an add or remove, the store node.
fn expected_rows(sc: &Scenario) -> Vec<(u64, EventAction, Option<u32>)> {
    let target = |action: Action| match action {
        Action::Crash { server } | Action::Restart { server } => Some(server),
        Action::AddServers { count } | Action::RemoveServers { count } => Some(count),
        Action::StoreCrash { node } | Action::StoreRestart { node } => node,
        Action::DcDown { dc } | Action::DcUp { dc } => Some(dc),
    };
    sc.events
        .iter()
        .map(|e| (e.at_us, e.action.into(), target(e.action)))
        .collect()
}

/// Every shipped scenario keeps its books, and its CSV files are those pinned in
/// `tests/digests.txt`: an optimisation must not change any output. A change of model or format
/// that changes them on purpose regenerates the file with `TIERSIM_UPDATE_DIGESTS=1 cargo test
/// --test it every_shipped_scenario` and says why in its commit message.
#[test]
fn every_shipped_scenario_keeps_its_books() {
    let mut digests = Vec::new();
    let mut timed_events = 0;
    for path in shipped_scenarios() {
        let results = run_file(&path);
        digests.extend(digests_of(&path, &results));
        let experiment = experiment_of(&path);
        for (r, variant) in results.iter().zip(&experiment.variants) {
            let s = &r.summary;
            let c = &s.counts;
            let at = format!("{} / {}", path.display(), r.variant);
            assert_eq!(r.variant, variant.name, "{at}: results in the file's order");
            assert!(r.audit.is_empty(), "{at}: {:?}", r.audit);
            // Every request sent after warm-up has exactly one outcome (counted independently).
            assert_eq!(
                s.sent,
                c.ok() + c.failed_auth() + c.errors() + s.unfinished,
                "{at}"
            );
            assert!(s.sent > 10_000, "{at}: traffic flowed");
            // The time series adds up to the totals.
            let bucketed: u64 = r.buckets.iter().map(|b| b.counts.ended()).sum();
            assert_eq!(bucketed, c.ended(), "{at}: timeseries vs summary");
            // Per-server rows add up to the requests served.
            let by_server: u64 = r.servers.iter().map(|row| row.requests).sum();
            assert_eq!(
                by_server,
                c.ok() + c.failed_auth(),
                "{at}: servers vs summary"
            );
            // No worker is busy more than all the time.
            assert!(
                r.servers
                    .iter()
                    .all(|row| (0.0..=1.0).contains(&row.busy_fraction)),
                "{at}"
            );
            // Every timed event has its row, at its time, with its action and target, in the
            // scenario's order (warm-up or not: rows are written from time 0).
            let expected = expected_rows(&variant.scenario);
            assert_eq!(
                timed_rows(&r.events),
                expected,
                "{at}: events.csv vs the scenario's [[events]]"
            );
            timed_events += expected.len();
            // No change of membership destroys more sessions than were alive.
            for e in &r.events {
                assert!(e.sessions_lost <= e.sessions_alive, "{at}: {e:?}");
            }
        }
    }
    // Events × variants: 2 × 2 (02), 3 × 4 (03), 2 × 4 (04), 2 × 6 (07), 2 × 5 (08), 1 × 4
    // (rebalance), 2 × 2 (live-server-crash), 2 × 5 (09).
    assert_eq!(timed_events, 64, "timed events checked against their rows");
    let pinned = Path::new(env!("CARGO_MANIFEST_DIR")).join(DIGESTS);
    let text = digests.join("\n") + "\n";
    if std::env::var_os("TIERSIM_UPDATE_DIGESTS").is_some() {
        std::fs::write(&pinned, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&pinned).unwrap_or_default();
    let changed: Vec<String> = digests
        .iter()
        .filter(|d| !expected.lines().any(|line| line == d.as_str()))
        .cloned()
        .collect();
    assert!(
        changed.is_empty() && expected == text,
        "outputs of shipped scenarios differ from {DIGESTS} (an optimisation must not change \
         them; a deliberate change regenerates it with TIERSIM_UPDATE_DIGESTS=1 and gives the \
         reason in its commit message):\n{}",
        changed.join("\n")
    );
}

#[test]
fn the_server_crash_scenario_shows_its_lesson() {
    let results = results_of("02-server-crash.toml");
    let (sticky, shared) = (
        variant(&results, "sticky"),
        variant(&results, "shared-store"),
    );
    let crash = &sticky.events[0];
    assert_eq!(crash.action, EventAction::Crash);
    // About a quarter of live sessions die with one of four servers.
    let share = crash.sessions_lost as f64 / crash.sessions_alive as f64;
    assert!(
        (0.2..0.3).contains(&share),
        "sticky lost {share:.3} of live sessions"
    );
    assert!(
        sticky.summary.counts.failed_lost > 0,
        "sticky users log in again"
    );
    // Registered users come back: about a quarter of all of them, not only those online at the
    // crash, must log in again.
    let pct = sticky.summary.people.forced_login_pct().unwrap();
    assert!(
        (20.0..30.0).contains(&pct),
        "sticky forced {pct:.1} % of users"
    );
    assert!(sticky.events[0].users_forced_login.unwrap() > 10 * sticky.events[0].users_logged_in);
    assert_eq!(shared.summary.people.users_forced_login, 0);
    assert_eq!(shared.summary.sessions_lost, 0);
    assert_eq!(shared.summary.counts.failed_auth(), 0);
}

#[test]
fn the_scale_out_scenario_orders_the_policies_by_what_they_remap() {
    let results = results_of("03-scale-out.toml");
    let first_add = |name: &str| variant(&results, name).events[0].users_remapped.unwrap();
    let (sticky, hash_mod, ring) = (
        first_add("sticky"),
        first_add("hash-mod"),
        first_add("consistent-hash"),
    );
    assert_eq!(sticky, 0);
    assert!(
        hash_mod > 3 * ring,
        "hash_mod {hash_mod} vs consistent hash {ring}"
    );
    assert_eq!(
        variant(&results, "shared-store")
            .summary
            .counts
            .failed_auth(),
        0
    );
}

#[test]
fn the_store_outage_scenario_hurts_only_the_stateless_tier() {
    let results = results_of("04-store-outage.toml");
    let memory = variant(&results, "sticky-memory");
    let cache = variant(&results, "store-cache");
    let durable = variant(&results, "store-durable");
    assert_eq!(memory.summary.counts.errors(), 0);
    assert!(cache.summary.counts.errors_store_down > 1_000);
    assert!(
        cache.summary.counts.failed_lost > 100,
        "a cache forgets every session"
    );
    assert_eq!(
        durable.summary.counts.failed_auth(),
        0,
        "a durable store remembers"
    );
    // Three copies: another machine takes over at once, losing at most the operations in flight
    // on the crashed one, and the copies are paid for (3 store machines for 10 minutes).
    let replicated = variant(&results, "store-replicated");
    assert!(replicated.summary.counts.errors() <= 5);
    assert_eq!(replicated.summary.sessions_lost, 0);
    assert_eq!(replicated.summary.store_hours, 0.5);
    assert!(replicated.summary.cost > cache.summary.cost);
}

/// Every file of a run's output folder, by name.
fn folder(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn same_seed_gives_byte_identical_files_and_another_seed_other_numbers() {
    let dir = scratch_dir("determinism");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/02-server-crash.toml");
    let scenario = scenario.to_str().unwrap();
    for (out, seed) in [("a", "7"), ("b", "7"), ("c", "8")] {
        Cli::new(&["run", scenario, "--quiet", "--seed", seed, "--out", out])
            .in_dir(&dir)
            .expect_code(0);
    }
    let (a, b, c) = (
        folder(&dir.join("a/server-crash")),
        folder(&dir.join("b/server-crash")),
        folder(&dir.join("c/server-crash")),
    );
    for file in [
        "summary.csv",
        "replications.csv",
        "timeseries.csv",
        "servers.csv",
        "events.csv",
        "report.html",
        "failed_auth.png",
        "failed_auth.svg",
    ] {
        assert!(a.contains_key(file), "{file} is written");
    }
    assert!(a == b, "same seed, same bytes");
    assert_ne!(
        a["summary.csv"], c["summary.csv"],
        "another seed, other numbers"
    );
}

#[test]
fn the_store_choices_scenario_shows_copies_durability_and_memory() {
    let results = results_of("07-store-choices.toml");
    let redis = variant(&results, "redis");
    let sql = variant(&results, "sql");
    let nosql = variant(&results, "nosql");
    let roomy = variant(&results, "memcached-16mb");
    let tiny = variant(&results, "memcached-1mb");
    // One copy in memory: the failed node's third of the sessions is gone.
    let crash = redis
        .events
        .iter()
        .find(|e| e.action == EventAction::StoreCrash)
        .unwrap();
    let share = crash.sessions_lost as f64 / crash.sessions_alive as f64;
    assert!((share - 1.0 / 3.0).abs() < 0.04, "{share:.3}");
    assert!(redis.summary.counts.failed_lost > 0);
    // On disk: nothing lost, but the node does not answer while it is down.
    assert_eq!(sql.summary.sessions_lost, 0);
    assert!(sql.summary.counts.errors_store_down > 1_000);
    // Three copies: nothing lost and nothing noticed.
    assert_eq!(nosql.summary.sessions_lost, 0);
    assert_eq!(nosql.summary.counts.errors(), 0);
    // LRU evicts the sessions of users who left first: harmless until memory is too small for
    // the users in a visit.
    assert!(roomy.summary.sessions_evicted > 0);
    assert_eq!(roomy.summary.counts.failed_evicted, 0);
    assert!(tiny.summary.counts.failed_evicted > 10_000);
}

#[test]
fn the_keeping_state_scenario_loses_sessions_only_in_plain_server_memory() {
    let results = results_of("08-keeping-state.toml");
    for r in &results {
        let lost = r.summary.sessions_lost;
        match r.variant.as_str() {
            "server-memory" => assert!(lost > 1_000, "{lost}"),
            _ => assert_eq!(lost, 0, "{}", r.variant),
        }
    }
    let store = variant(&results, "shared-store");
    let cached = variant(&results, "cached-store");
    // The local cache saves almost every read of the shared store.
    assert!(cached.summary.store_reads * 100 < store.summary.store_reads);
    assert!(variant(&results, "replicated").summary.session_copies > 100_000);
    let cookie = variant(&results, "signed-cookie");
    assert_eq!(
        cookie.summary.store_reads + cookie.summary.session_copies,
        0
    );
}

/// 09: two data centres, us-east down from 10:00 to 25:00. Sticky sessions and stores without
/// replication log out every moved user, at failover and at failback alike (the same users
/// moved, the same count); asynchronous replication only the few written in the last 2 s;
/// synchronous replication nobody, at the price of a round trip on every login; one global
/// store in us-east slows eu-west and fails everyone's requests while us-east is down. Every
/// variant loses about the same requests while the DNS catches up.
#[test]
fn the_multi_dc_scenario_shows_its_lesson() {
    let results = results_of("09-multi-dc.toml");
    let get = |name: &str| results.iter().find(|r| r.variant == name).expect(name);
    let other_dc = |name: &str| get(name).summary.counts.failed_other_dc;
    let (sticky, none, lagged) = (
        other_dc("sticky-memory"),
        other_dc("store-no-replication"),
        other_dc("store-async"),
    );
    assert!(sticky > 500 && none > 500, "{sticky}, {none}");
    assert!(
        lagged > 0 && lagged * 20 < none,
        "async {lagged} vs none {none}"
    );
    assert_eq!(other_dc("store-sync"), 0);
    for name in ["sticky-memory", "store-no-replication"] {
        let r = get(name);
        let up = r
            .events
            .iter()
            .find(|e| e.action == EventAction::DcUp)
            .unwrap();
        assert!(
            up.users_forced_login.unwrap() > 100,
            "{name}: failback logs users out"
        );
    }
    let latency = |name: &str| get(name).summary.latency.mean_us.unwrap();
    assert!(latency("store-sync") > latency("store-async"));
    assert!(latency("global-store") > latency("store-sync") + 20_000.0);
    let global = &get("global-store").summary.counts;
    assert!(global.errors_store_down > 10 * global.errors_dc_down);
    let dc_down: Vec<u64> = results
        .iter()
        .map(|r| r.summary.counts.errors_dc_down)
        .collect();
    let (lo, hi) = (dc_down.iter().min().unwrap(), dc_down.iter().max().unwrap());
    assert!(*lo > 3000 && hi - lo < hi / 20, "{dc_down:?}");
}
