//! Keys, types, units and ranges: what one value may be, and what is said when it is not.

use super::*;

#[test]
fn file_values() {
    assert_eq!(
        check_ok("name='x'\n[users]\nvisits_per_s = 3")
            .users
            .visits_per_s,
        3.0
    );
    assert_eq!(
        check_ok("name='x'\n[users]\nrequests_per_visit = 0")
            .users
            .requests_per_visit,
        0.0
    );
    assert_eq!(
        check_ok("name='x'\n[users]\nthink_time = '0s'")
            .users
            .think_time_us,
        0
    );
    assert_eq!(
        check_ok("name='x'\n[servers]\nservice_time = '5ms'")
            .servers
            .login_time_us,
        5000
    );
    assert_eq!(
        check_ok("name='x'\nseed = 18446744073709551615").seed,
        u64::MAX
    );
    assert_eq!(check_ok("name='x'\nseed = 0").seed, 0);
    assert_eq!(
        check_ok("name='x'\nwarmup = '0s'\nbucket = '10m'").bucket_us,
        10 * MIN
    );
    assert_eq!(
        check_ok("name='x'\n[servers]\ncount = 10000").servers.count,
        10_000
    );
    assert_eq!(
        check_ok("name='x'\n[balancer]\npolicy = 'hash_mod'")
            .balancer
            .policy,
        Policy::HashMod
    );
    assert_eq!(
        check_ok("name='x'\n[balancer]\npolicy = 'least_connections'")
            .balancer
            .policy,
        Policy::LeastConnections
    );
    assert_eq!(check_ok("name = 'x'\ntitle = 'T'").seed, 1);
}

#[test]
fn durations_in_the_file() {
    check_exact(
        "name='x'\nduration = '5'",
        &[],
        &[
            r#"t.toml:2:12: duration: invalid duration "5": missing unit, e.g. "5s" (units: us, ms, s, m, h, d)"#,
        ],
    );
    check_err(
        "name='x'\nduration = '5 s'",
        &["duration: invalid duration \"5 s\": write the number and the unit together"],
    );
    check_err(
        "name='x'\nduration = '-1s'",
        &["duration: invalid duration \"-1s\": a duration cannot be negative"],
    );
    check_err(
        "name='x'\nduration = '5sec'",
        &["duration: invalid duration \"5sec\": unknown unit `sec` (units: us, ms, s, m, h, d)"],
    );
    check_err(
        "name='x'\n[users]\nthink_time = '0.5us'",
        &["users.think_time: invalid duration \"0.5us\": finer than 1us"],
    );
    check_err(
        "name='x'\nduration = '1000000000h'",
        &["duration: invalid duration \"1000000000h\": longer than the maximum, 10000h"],
    );
    check_err(
        "name='x'\nduration = 5",
        &[
            r#"duration: expected a duration string such as "5s" (units: us, ms, s, m, h, d), got an integer"#,
        ],
    );
    check_err(
        "name='x'\nduration = '0s'",
        &["t.toml:2:12: duration: must be greater than 0, got \"0s\""],
    );
    check_err(
        "name='x'\n[servers]\nservice_time = '0ms'",
        &["servers.service_time: must be greater than 0, got \"0ms\""],
    );
    check_err(
        "name='x'\n[users]\nsession_ttl = '0s'",
        &["users.session_ttl: must be greater than 0"],
    );
    assert_eq!(
        check_ok("name='x'\n[users]\nthink_time = '1.5s'")
            .users
            .think_time_us,
        1_500_000
    );
}

#[test]
fn warmup_and_bucket_must_fit_the_duration() {
    check_exact(
        "name='x'\nduration = '1m'",
        &[],
        &["t.toml:2:12: warmup: must be less than duration (1m), got 1m (the default)"],
    );
    check_err(
        "name='x'\nduration = '5m'\nwarmup = '5m'",
        &["t.toml:3:10: warmup: must be less than duration (5m), got 5m"],
    );
    check_err(
        "name='x'\nduration = '2m'\nbucket = '90s'",
        &["t.toml:3:10: bucket: must be at most duration - warmup (2m - 1m = 1m), got 90s"],
    );
    check_err(
        "name='x'\nbucket = '1h'",
        &["t.toml:2:10: bucket: must be at most duration - warmup (10m - 1m = 9m), got 1h"],
    );
}

#[test]
fn unknown_keys_at_every_level() {
    check_exact(
        "name='x'\nsed = 3",
        &[],
        &[
            "t.toml:2:1: sed: unknown key; allowed: name, title, description, seed, duration, warmup, bucket, clock_start, users, servers, balancer, sessions, store, autoscale, failures, cost, datacenters, geo, events, variants (did you mean `seed`?)",
        ],
    );
    check_exact(
        "name='x'\n[users]\nvisit_per_s = 20",
        &[],
        &[
            "t.toml:3:1: users.visit_per_s: unknown key; allowed: visits_per_s, requests_per_visit, think_time, session_ttl, population, popularity, zipf_s, profile (did you mean `visits_per_s`?)",
        ],
    );
    check_err(
        "name='x'\n[server]\ncount = 3",
        &[
            "t.toml:2:2: server: unknown key; allowed: name,",
            "(did you mean `servers`?)",
        ],
    );
    check_err(
        "name='x'\n[[events]]\nat='1m'\naction='crash'\nsever=1",
        &[
            "t.toml:5:1: events[0].sever: unknown key; allowed: at, action, server, count, node, datacenter (did you mean `server`?)",
        ],
    );
    check_err(
        "name='x'\n[[variants]]\nname='a'\nsett = {}",
        &["t.toml:4:1: variants[0].sett: unknown key; allowed: name, set (did you mean `set`?)"],
    );
    check_err(
        "name='x'\ncount = 3",
        &[
            "count: unknown key; allowed: name,",
            "(`count` is a key of [servers])",
        ],
    );
    check_err(
        "name='x'\n[users]\nworkers = 3",
        &[
            "users.workers: unknown key; allowed: visits_per_s, requests_per_visit, think_time, session_ttl, population, popularity, zipf_s, profile (`workers` is a key of [servers], [store])",
        ],
    );
    check_err(
        "name='x'\n[users]\nbanana = 3",
        &[
            "users.banana: unknown key; allowed: visits_per_s, requests_per_visit, think_time, session_ttl",
        ],
    );
}

#[test]
fn wrong_types_name_the_expected_type() {
    check_err(
        "name='x'\n[servers]\ncount = '4'",
        &["t.toml:3:9: servers.count: expected an integer, got a string"],
    );
    check_err(
        "name='x'\n[servers]\ncount = 4.0",
        &["servers.count: expected an integer, got a float"],
    );
    check_err(
        "name='x'\n[users]\nvisits_per_s = 'fast'",
        &["users.visits_per_s: expected a number, got a string"],
    );
    check_err(
        "name='x'\n[store]\ndurable = 'yes'",
        &["store.durable: expected a boolean (true or false), got a string"],
    );
    check_err(
        "name = 3",
        &["t.toml:1:8: name: expected a string, got an integer"],
    );
    check_err(
        "name='x'\ntitle = 1979-05-27",
        &["title: expected a string, got a date-time"],
    );
    check_err(
        "name='x'\ndescription = { a = 1 }",
        &["description: expected a string, got a table"],
    );
    check_err(
        "name='x'\n[balancer]\npolicy = ['sticky']",
        &["balancer.policy: expected a string, got an array"],
    );
    check_err(
        "name='x'\nusers = 3",
        &["t.toml:2:9: users: expected a table (a [users] section), got an integer"],
    );
    check_err(
        "name='x'\nevents = 3",
        &["events: expected an array of tables ([[events]]), got an integer"],
    );
    check_err(
        "name='x'\nevents = [1]",
        &["events[0]: expected a table, got an integer"],
    );
    check_err(
        "name='x'\n[[variants]]\nname='a'\nset = 3",
        &["t.toml:4:7: variants[0].set: expected a table of dotted keys, got an integer"],
    );
}

#[test]
fn enum_values_list_what_is_allowed() {
    check_err(
        "name='x'\n[balancer]\npolicy = 'stiky'",
        &[
            r#"t.toml:3:10: balancer.policy: unknown value "stiky"; allowed: random, round_robin, least_connections, sticky, hash_mod, consistent_hash (did you mean `sticky`?)"#,
        ],
    );
    check_exact(
        "name='x'\n[sessions]\nstorage = 'redis'",
        &[],
        &[
            r#"t.toml:3:11: sessions.storage: unknown value "redis"; allowed: server_memory, shared_store, server_replicated, cached_store, signed_cookie"#,
        ],
    );
    check_err(
        "name='x'\n[[events]]\nat='1m'\naction='crsh'\nserver=0",
        &[
            r#"events[0].action: unknown value "crsh"; allowed: crash, restart, add_servers, remove_servers, store_crash, store_restart, dc_down, dc_up (did you mean `crash`?)"#,
        ],
    );
}

#[test]
fn ranges() {
    check_exact(
        "name='x'\n[servers]\ncount = 0",
        &[],
        &["t.toml:3:9: servers.count: must be at least 1, got 0"],
    );
    check_err(
        "name='x'\n[servers]\ncount = 10001",
        &["servers.count: must be at most 10000, got 10001"],
    );
    check_err(
        "name='x'\n[servers]\ncount = -1",
        &["servers.count: must be at least 1, got -1"],
    );
    check_err(
        "name='x'\n[servers]\nworkers = 0",
        &["servers.workers: must be at least 1, got 0"],
    );
    check_err(
        "name='x'\n[servers]\nqueue_limit = -5",
        &["servers.queue_limit: must be at least 0, got -5"],
    );
    check_err(
        "name='x'\n[balancer]\nvirtual_nodes = 0",
        &["balancer.virtual_nodes: must be at least 1, got 0"],
    );
    check_err(
        "name='x'\n[store]\nworkers = 0",
        &["store.workers: must be at least 1, got 0"],
    );
    check_err("name='x'\nseed = -1", &["seed: must be at least 0, got -1"]);
    check_err(
        "name='x'\nseed = 99999999999999999999",
        &["seed: must be at most 18446744073709551615, got 99999999999999999999"],
    );
    check_err(
        "name='x'\n[users]\nvisits_per_s = -1",
        &["users.visits_per_s: must be greater than 0, got -1"],
    );
    check_err(
        "name='x'\n[users]\nvisits_per_s = 0",
        &["users.visits_per_s: must be greater than 0, got 0"],
    );
    check_err(
        "name='x'\n[users]\nvisits_per_s = nan",
        &["users.visits_per_s: must be a finite number, got nan"],
    );
    check_err(
        "name='x'\n[users]\nvisits_per_s = inf",
        &["users.visits_per_s: must be a finite number, got inf"],
    );
    check_err(
        "name='x'\n[users]\nrequests_per_visit = -inf",
        &["users.requests_per_visit: must be a finite number, got -inf"],
    );
    check_err(
        "name='x'\n[users]\nrequests_per_visit = -0.5",
        &["users.requests_per_visit: must be at least 0, got -0.5"],
    );
}

#[test]
fn names() {
    check_exact(
        "title = 'x'",
        &[],
        &[
            "t.toml:1:1: name: missing; every scenario needs one, e.g. name = \"server-crash\" (it names the output folder)",
        ],
    );
    check_err(
        "name = 'Server Crash'",
        &[
            r#"t.toml:1:8: name: must be lowercase letters, digits and `-` ([a-z0-9-]+, it names a folder), got "Server Crash""#,
        ],
    );
    check_err("name = ''", &["name: must be lowercase letters"]);
    assert_eq!(check_ok_with("name = 'a-1'", &[], None).name, "a-1");
}

#[test]
fn cost_prices_are_finite_and_not_negative_and_the_currency_is_short() {
    check_exact(
        "name='x'\n[cost]\nserver_per_hour = -1\nstore_per_hour = 'a'\ncurrency = 'US dollars'",
        &[],
        &[
            "t.toml:3:19: cost.server_per_hour: must be at least 0, got -1",
            "t.toml:4:18: cost.store_per_hour: expected a number, got a string",
            "t.toml:5:12: cost.currency: must be 1 to 8 characters without spaces (a code such as \"USD\" or a symbol such as \"€\"), got \"US dollars\"",
        ],
    );
    check_err(
        "name='x'\n[cost]\nserver_per_hour = inf",
        &["cost.server_per_hour: must be a finite number, got inf"],
    );
    check_err(
        "name='x'\n[cost]\ncurrency = ''",
        &["cost.currency: must be 1 to 8 characters"],
    );
    check_err(
        "name='x'\n[cost]\nserver_per_hr = 1",
        &[
            "cost.server_per_hr: unknown key; allowed: server_per_hour, store_per_hour, currency (did you mean `server_per_hour`?)",
        ],
    );
    let euros = check_ok("name='x'\n[cost]\nserver_per_hour = 2\ncurrency = '€'").cost;
    assert_eq!((euros.server_per_hour, euros.currency.as_str()), (2.0, "€"));
}

/// `users.population`, `users.popularity` and `users.zipf_s`: their defaults, a Zipf
/// popularity, and each mistake named with its key, line and what is allowed.
#[test]
fn returning_users_keys() {
    use crate::scenario::Popularity;
    let plain = check_ok("name='x'");
    assert_eq!(
        (plain.users.population, plain.users.popularity),
        (0, Popularity::Uniform)
    );
    let zipf = check_ok("name='x'\n[users]\npopulation = 500\npopularity = 'zipf'\nzipf_s = 0.8");
    assert_eq!(
        (zipf.users.population, zipf.users.popularity),
        (500, Popularity::Zipf { s: 0.8 })
    );
    assert_eq!(
        check_ok("name='x'\n[users]\nsession_ttl = '7d'")
            .users
            .session_ttl_us,
        7 * 24 * 60 * MIN
    );
    check_exact(
        "name='x'\n[users]\npopulation = -1",
        &[],
        &["t.toml:3:14: users.population: must be at least 0, got -1"],
    );
    check_err(
        "name='x'\n[users]\npopulation = 10\npopularity = 'zipfy'",
        &[
            r#"t.toml:4:14: users.popularity: unknown value "zipfy"; allowed: uniform, zipf (did you mean `zipf`?)"#,
        ],
    );
    check_err(
        "name='x'\n[users]\npopularity = 'zipf'",
        &["t.toml:3:14: users.popularity: needs `users.population` > 0"],
    );
    check_err(
        "name='x'\n[users]\npopulation = 10\nzipf_s = 2",
        &[r#"t.toml:4:10: users.zipf_s: applies only with `users.popularity = "zipf"`"#],
    );
    check_err(
        "name='x'\n[users]\npopulation = 10\npopularity = 'zipf'\nzipf_s = 0",
        &["t.toml:5:10: users.zipf_s: must be greater than 0, got 0"],
    );
}
