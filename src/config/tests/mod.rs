//! The scenario format, as data: each case is a file (and maybe `--set` arguments) and either
//! the values it means or the messages it must produce.

mod events;
mod keys;
mod living;
mod variants;

use super::*;
use crate::scenario::{
    Action, Balancer, Policy, Popularity, Servers, Storage, Store, TimedEvent, Users,
};

const S: u64 = 1_000_000;
const MIN: u64 = 60 * S;

fn run(input: &str, flags: &[&str], seed: Option<u64>) -> Result<Experiment, ConfigError> {
    let flags: Vec<String> = flags.iter().map(|flag| flag.to_string()).collect();
    parse("t.toml", input, &flags, seed)
}

#[track_caller]
fn check_ok_with(input: &str, flags: &[&str], seed: Option<u64>) -> Experiment {
    match run(input, flags, seed) {
        Ok(experiment) => experiment,
        Err(error) => panic!("expected success for\n{input}\nflags {flags:?}, got:\n{error}"),
    }
}

#[track_caller]
fn check_ok(input: &str) -> Scenario {
    check_ok_with(input, &[], None).variants[0].scenario.clone()
}

/// The error, whose lines must include each of `expected` (in any order).
#[track_caller]
fn check_err_with(input: &str, flags: &[&str], expected: &[&str]) -> ConfigError {
    let error = match run(input, flags, None) {
        Ok(experiment) => panic!("expected an error for\n{input}\ngot {experiment:#?}"),
        Err(error) => error,
    };
    let text = error.to_string();
    for part in expected {
        assert!(
            text.contains(part),
            "for\n{input}\nthe error\n{text}\nlacks\n{part}"
        );
    }
    error
}

#[track_caller]
fn check_err(input: &str, expected: &[&str]) -> ConfigError {
    check_err_with(input, &[], expected)
}

/// Checks that the error is exactly `expected`, one problem per line.
#[track_caller]
fn check_exact(input: &str, flags: &[&str], expected: &[&str]) {
    let error = check_err_with(input, flags, &[]);
    assert_eq!(error.to_string(), expected.join("\n"), "for\n{input}");
}

#[test]
fn defaults() {
    let experiment = check_ok_with("name = 'x'", &[], None);
    assert_eq!(
        (
            experiment.name.as_str(),
            experiment.title.as_str(),
            experiment.description.as_str()
        ),
        ("x", "x", "")
    );
    assert_eq!(experiment.variants.len(), 1);
    assert_eq!(experiment.variants[0].name, "base");
    let expected = Scenario {
        seed: 1,
        duration_us: 10 * MIN,
        warmup_us: MIN,
        bucket_us: 10 * S,
        clock_start_hour: None,
        users: Users {
            visits_per_s: 10.0,
            requests_per_visit: 10.0,
            think_time_us: 2 * S,
            session_ttl_us: 30 * MIN,
            population: 0,
            popularity: Popularity::Uniform,
            profile: Vec::new(),
        },
        servers: Servers {
            count: 4,
            workers: 8,
            service_time_us: 20_000,
            login_time_us: 20_000,
            queue_limit: 1000,
        },
        balancer: Balancer {
            policy: Policy::Sticky,
            virtual_nodes: 128,
            detection_delay_us: 5 * S,
        },
        storage: Storage::ServerMemory,
        session_costs: crate::scenario::SessionCosts {
            copy_time_us: 200,
            verify_time_us: 10,
        },
        store: Store {
            kind: crate::scenario::StoreKind::Custom,
            workers: 64,
            read_time_us: 500,
            write_time_us: 1000,
            network_time_us: 0,
            durable: false,
            nodes: 1,
            replicas: 1,
            max_sessions: None,
            queue_limit: None,
        },
        events: vec![],
        autoscale: None,
        failures: crate::scenario::Failures {
            server_mtbf_us: None,
            server_mttr_us: 5 * MIN,
            store_mtbf_us: None,
            store_mttr_us: MIN,
        },
        cost: crate::scenario::Cost {
            server_per_hour: 0.0416,
            store_per_hour: 0.068,
            currency: "USD".into(),
        },
        geo: None,
    };
    assert_eq!(experiment.variants[0].scenario, expected);
}

const EVERY_KEY: &str = r#"
name = "every-key"
title = "Every key"
description = "All keys set."
seed = 7
duration = "20m"
warmup = "2m"
bucket = "30s"
[users]
visits_per_s = 20
requests_per_visit = 5.5
think_time = "1.5s"
session_ttl = "10m"
[servers]
count = 3
workers = 16
service_time = "10ms"
login_time = "40ms"
queue_limit = 0
[balancer]
policy = "consistent_hash"
virtual_nodes = 64
detection_delay = "0s"
[sessions]
storage = "shared_store"
[store]
workers = 2
read_time = "250us"
write_time = "2ms"
durable = true
[cost]
server_per_hour = 0.1
store_per_hour = 0
currency = "EUR"
[[events]]
at = "10m"
action = "crash"
server = 1
[[events]]
at = "5m"
action = "add_servers"
count = 2
[[events]]
at = "12m"
action = "restart"
server = 1
[[events]]
at = "15m"
action = "remove_servers"
count = 4
[[events]]
at = "15m"
action = "store_crash"
[[events]]
at = "16m"
action = "store_restart"
[[variants]]
name = "ring"
[[variants]]
name = "random"
set = { "balancer.policy" = "random", servers = { count = 5 } }
"#;

#[test]
fn every_key() {
    let experiment = check_ok_with(EVERY_KEY, &[], None);
    assert_eq!(
        (experiment.name.as_str(), experiment.title.as_str()),
        ("every-key", "Every key")
    );
    assert_eq!(experiment.description, "All keys set.");
    let names: Vec<&str> = experiment
        .variants
        .iter()
        .map(|variant| variant.name.as_str())
        .collect();
    assert_eq!(names, ["ring", "random"]);
    let ring = &experiment.variants[0].scenario;
    assert_eq!(
        (ring.seed, ring.duration_us, ring.warmup_us, ring.bucket_us),
        (7, 20 * MIN, 2 * MIN, 30 * S)
    );
    assert_eq!(
        ring.users,
        Users {
            visits_per_s: 20.0,
            requests_per_visit: 5.5,
            think_time_us: 1_500_000,
            session_ttl_us: 10 * MIN,
            population: 0,
            popularity: Popularity::Uniform,
            profile: Vec::new(),
        }
    );
    assert_eq!(
        ring.servers,
        Servers {
            count: 3,
            workers: 16,
            service_time_us: 10_000,
            login_time_us: 40_000,
            queue_limit: 0
        }
    );
    assert_eq!(
        ring.balancer,
        Balancer {
            policy: Policy::ConsistentHash,
            virtual_nodes: 64,
            detection_delay_us: 0
        }
    );
    assert_eq!(ring.storage, Storage::SharedStore);
    assert_eq!(
        ring.store,
        Store {
            kind: crate::scenario::StoreKind::Custom,
            workers: 2,
            read_time_us: 250,
            write_time_us: 2000,
            network_time_us: 0,
            durable: true,
            nodes: 1,
            replicas: 1,
            max_sessions: None,
            queue_limit: None,
        }
    );
    let event = |at_us, action| TimedEvent { at_us, action };
    let in_time_order = vec![
        event(5 * MIN, Action::AddServers { count: 2 }),
        event(10 * MIN, Action::Crash { server: 1 }),
        event(12 * MIN, Action::Restart { server: 1 }),
        event(15 * MIN, Action::RemoveServers { count: 4 }),
        event(15 * MIN, Action::StoreCrash { node: None }),
        event(16 * MIN, Action::StoreRestart { node: None }),
    ];
    assert_eq!(ring.events, in_time_order);
    assert_eq!(
        ring.cost,
        crate::scenario::Cost {
            server_per_hour: 0.1,
            store_per_hour: 0.0,
            currency: "EUR".into(),
        }
    );
    let random = &experiment.variants[1].scenario;
    assert_eq!(
        (random.balancer.policy, random.servers.count),
        (Policy::Random, 5)
    );
    assert_eq!(
        (random.seed, random.events.len(), random.servers.workers),
        (7, 6, 16)
    );
}

#[test]
fn toml_syntax_errors_stop_the_parse() {
    check_err("name = 'x'\nseed = ", &["t.toml:2:", ": invalid TOML: "]);
    check_err(
        "name = 'x'\nname = 'y'",
        &["t.toml:2:1: invalid TOML: duplicate key"],
    );
}

#[test]
fn several_problems_are_reported_together_in_file_order() {
    let input = "name='x'\nduration = '5sec'\n[users]\nvisit_per_s = 2\n[servers]\ncount = 0\n[balancer]\npolicy = 'stiky'\n[[events]]\nat = '1m'\naction = 'crash'\nserver = 'a'";
    let error = check_err(input, &[]);
    let places: Vec<String> = error
        .problems
        .iter()
        .map(|problem| format!("{} {}", problem.origin, problem.path))
        .collect();
    let expected = [
        "t.toml:2:12 duration",
        "t.toml:4:1 users.visit_per_s",
        "t.toml:6:9 servers.count",
        "t.toml:8:10 balancer.policy",
        "t.toml:12:10 events[0].server",
    ];
    assert_eq!(places, expected);
    assert_eq!(error.to_string().lines().count(), expected.len());
}

/// Asserts that `result` is an error whose every problem has a message and a place: a line of
/// `input` or one of the `--set` arguments.
#[track_caller]
fn assert_refused_in_place(input: &str, result: Result<Experiment, ConfigError>) {
    let Err(error) = result else {
        panic!("expected an error for\n{input}");
    };
    assert!(!error.problems.is_empty(), "for\n{input}");
    let lines = input.split('\n').count();
    for problem in &error.problems {
        assert!(!problem.message.is_empty(), "for\n{input}\n{problem}");
        if let Origin::File { line, column, .. } = problem.origin {
            assert!(
                (1..=lines).contains(&line) && column >= 1,
                "for\n{input}\n{problem} is outside the text"
            );
        }
    }
}

#[test]
fn no_input_makes_it_panic() {
    // Every prefix of a full file: most are broken in some way, none may panic, and since two
    // of the `--set` arguments are wrong every one is refused, each problem in its place.
    let flags = ["servers.count=", "=", "users.think_time=1e400"];
    for (end, _) in EVERY_KEY.char_indices() {
        let prefix = &EVERY_KEY[..end];
        assert_refused_in_place(prefix, run(prefix, &flags, Some(3)));
    }
    for text in [
        "seed = 1e400",
        "seed = 999999999999999999999999999999999999999999",
        "[[events]]\nat = '1m'",
        "events = [[]]",
        "variants = [{ set = { a = { b = 1 } } }]",
    ] {
        let input = format!("name = 'x'\n{text}");
        assert_refused_in_place(&input, run(&input, &[], None));
    }
}

/// The `.toml` files of `folder` (from the crate root), sorted; a folder that cannot be read is a
/// failure, not an empty list.
fn scenario_files(folder: &str) -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut files: Vec<_> = entries
        .map(|entry| entry.expect("a readable folder entry").path())
        .filter(|path| path.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_shipped_and_benchmark_scenarios_are_valid() {
    // As many files as ship (the teaching scenarios 01-09, rebalance and live-server-crash; the
    // five benchmarks and the callgrind workload visits-300), so an empty or unreadable folder
    // fails instead of checking nothing.
    for (folder, count) in [("scenarios", 11), ("benches/scenarios", 6)] {
        let files = scenario_files(folder);
        assert_eq!(files.len(), count, "{folder}: {files:?}");
        for path in files {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            if let Err(error) = parse(&path.display().to_string(), &text, &[], None) {
                panic!("{error}");
            }
        }
    }
}

#[test]
fn a_file_that_is_not_utf8_is_placed_at_its_first_bad_byte() {
    assert_eq!(
        decode("t.toml", "name = 'é'".as_bytes()).unwrap(),
        "name = 'é'"
    );
    let latin1 = b"name = 'x'\ntitle = 'Caf\xe9'\n";
    let error = decode("t.toml", latin1).unwrap_err();
    assert_eq!(
        error.to_string(),
        "t.toml:2:13: invalid UTF-8: byte 0xe9 is not UTF-8; scenario files are TOML, which must be saved as UTF-8"
    );
}

#[test]
fn numbers_too_large_for_any_machine_type_are_checked_against_their_range() {
    // Regression: these stopped the parse with serde's "integer number overflowed" and
    // "floating-point number overflowed", which named neither the range nor the other mistakes.
    check_exact(
        "name='x'\n[users]\nvisits_per_s = 1e400\nthink_time = -1e400\n[servers]\ncount = 123456789012345678901234567890123456789012345\nworkers = -123456789012345678901234567890123456789012345\nqueue_limit = 0xffffffffffffffffffffffffffffffffffffffff",
        &[],
        &[
            "t.toml:3:16: users.visits_per_s: must be a finite number, got 1e400",
            r#"t.toml:4:14: users.think_time: expected a duration string such as "5s" (units: us, ms, s, m, h, d), got a float"#,
            "t.toml:6:9: servers.count: must be at most 10000, got 123456789012345678901234567890123456789012345",
            "t.toml:7:11: servers.workers: must be at least 1, got -123456789012345678901234567890123456789012345",
            "t.toml:8:15: servers.queue_limit: must be at most 10000000, got 0xffffffffffffffffffffffffffffffffffffffff",
        ],
    );
    check_err(
        "name='x'\nusers = 1e400",
        &["t.toml:2:9: users: expected a table (a [users] section), got a float"],
    );
    check_exact(
        "name='x'\n[[variants]]\nname='a'\nset = { 'users.visits_per_s' = 1e400, servers = { count = 1e400 } }",
        &["seed=99999999999999999999999999999999999999999"],
        &[
            "t.toml:4:32: users.visits_per_s: must be a finite number, got 1e400",
            "t.toml:4:59: servers.count: expected an integer, got a float",
            "--set seed=99999999999999999999999999999999999999999: seed: must be at most 18446744073709551615, got 99999999999999999999999999999999999999999",
        ],
    );
    // An integer beyond 128 bits is still a finite number where any size is allowed.
    let huge = check_ok(
        "name='x'\n[users]\nrequests_per_visit = 123456789012345678901234567890123456789012345",
    );
    let exact: f64 = "123456789012345678901234567890123456789012345"
        .parse()
        .unwrap();
    assert_eq!(huge.users.requests_per_visit, exact);
    check_err(
        "name='x'\n[users]\nvisits_per_s = 1e-7\nrequests_per_visit = -1e-30",
        &["users.requests_per_visit: must be at least 0, got -1e-30"],
    );
}

#[test]
fn the_visit_rate_is_at_most_one_per_microsecond() {
    // Regression: `visits_per_s = 1e300` was accepted, and every gap between visits rounded to
    // 0us, so the clock never moved and the run never ended.
    check_exact(
        "name='x'\n[users]\nvisits_per_s = 1e300",
        &[],
        &["t.toml:3:16: users.visits_per_s: must be at most 1000000, got 1e300"],
    );
    assert_eq!(
        check_ok("name='x'\n[users]\nvisits_per_s = 1000000")
            .users
            .visits_per_s,
        1e6
    );
}

#[test]
fn a_transposed_letter_still_gets_a_suggestion() {
    // Regression: `sede` is two Levenshtein edits from `seed`, too far to be suggested.
    check_err(
        "name='x'\nsede = 3\n[servers]\nwokrers = 3",
        &[
            "t.toml:2:1: sede: unknown key; allowed: name, title, description, seed, duration, warmup, bucket, clock_start, users, servers, balancer, sessions, store, autoscale, failures, cost, datacenters, geo, events, variants (did you mean `seed`?)",
            "t.toml:4:1: servers.wokrers: unknown key; allowed: count, workers, service_time, login_time, queue_limit (did you mean `workers`?)",
        ],
    );
}
