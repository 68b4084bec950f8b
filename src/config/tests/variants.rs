//! Variants, their `set`, and the command line's `--set` and `--seed`.

use super::*;

#[test]
fn variants_keep_file_order_and_apply_their_set() {
    let file = "name='x'\n[[variants]]\nname='b'\nset = { 'balancer.policy' = 'random' }\n[[variants]]\nname='a'\nset = { servers = { count = 2 }, 'users.visits_per_s' = 1 }";
    let experiment = check_ok_with(file, &[], None);
    let names: Vec<&str> = experiment
        .variants
        .iter()
        .map(|variant| variant.name.as_str())
        .collect();
    assert_eq!(names, ["b", "a"]);
    let (b, a) = (
        &experiment.variants[0].scenario,
        &experiment.variants[1].scenario,
    );
    assert_eq!(
        (b.balancer.policy, b.servers.count, b.users.visits_per_s),
        (Policy::Random, 4, 10.0)
    );
    assert_eq!(
        (a.balancer.policy, a.servers.count, a.users.visits_per_s),
        (Policy::Sticky, 2, 1.0)
    );
    assert_eq!(
        check_ok_with("name='x'\nvariants = []", &[], None).variants[0].name,
        "base"
    );
}

#[test]
fn variant_mistakes() {
    let two = |second: &str| format!("name='x'\n[[variants]]\nname='a'\n[[variants]]\n{second}");
    check_exact(
        &two("name='a'"),
        &[],
        &["t.toml:5:6: variants[1].name: duplicate variant name `a` (also variants[0])"],
    );
    check_err(
        &two("name='B'"),
        &[
            r#"t.toml:5:6: variants[1].name: must be lowercase letters, digits and `-` ([a-z0-9-]+, it names a folder), got "B""#,
        ],
    );
    check_err(
        &two("set = {}"),
        &["t.toml:4:1: variants[1]: missing `name`; every variant needs one"],
    );
    check_exact(
        &two("name='b'\nset = { 'balancer.polcy' = 'random' }"),
        &[],
        &[
            "t.toml:6:9: variants[1].set: unknown key `balancer.polcy` (did you mean `balancer.policy`?)",
        ],
    );
    check_err(
        &two("name='b'\nset = { name = 'y' }"),
        &["variants[1].set: `name` belongs to the whole experiment and cannot be overridden"],
    );
    check_err(
        &two("name='b'\nset = { events = [] }"),
        &["variants[1].set: `events` cannot be overridden; only single values can"],
    );
    check_err(
        &two("name='b'\nset = { users = 3 }"),
        &["variants[1].set: `users` is a section; set one of its keys, e.g. `users.visits_per_s`"],
    );
}

#[test]
fn a_bad_set_value_is_reported_where_the_variant_sets_it() {
    let file = "name='x'\n[servers]\ncount = 4\n[[variants]]\nname='a'\n[[variants]]\nname='b'\nset = { 'servers.count' = 'x' }";
    check_exact(
        file,
        &[],
        &["t.toml:8:27: servers.count: expected an integer, got a string (in variant `b`)"],
    );
}

#[test]
fn a_problem_shared_by_variants_is_reported_once() {
    let file = "name='x'\n[servers]\ncount = 0\n[[variants]]\nname='a'\n[[variants]]\nname='b'";
    check_exact(
        file,
        &[],
        &["t.toml:3:9: servers.count: must be at least 1, got 0"],
    );
    let fixed_in_b = format!("{file}\nset = {{ servers.count = 2 }}\n[[variants]]\nname='c'");
    check_exact(
        &fixed_in_b,
        &[],
        &["t.toml:3:9: servers.count: must be at least 1, got 0 (in variants `a`, `c`)"],
    );
}

#[test]
fn events_are_checked_per_variant() {
    let file = "name='x'\n[[events]]\nat='1m'\naction='crash'\nserver=3\n[[variants]]\nname='a'\n[[variants]]\nname='b'\nset = { servers.count = 2 }";
    check_exact(
        file,
        &[],
        &[
            "t.toml:5:8: events[0]: server 3 does not exist at 1m: 2 servers then (ids 0-1) (in variant `b`)",
        ],
    );
    let shorter = "name='x'\n[[events]]\nat='9m'\naction='store_crash'\n[[variants]]\nname='a'\n[[variants]]\nname='b'\nset = { duration = '5m', warmup = '0s' }";
    check_exact(
        shorter,
        &[],
        &[
            "t.toml:3:4: events[0].at: must be before the end of the run (duration 5m), got 9m (in variant `b`)",
        ],
    );
}

#[test]
fn set_flags() {
    let scenario = |flags: &[&str]| {
        check_ok_with("name='x'", flags, None).variants[0]
            .scenario
            .clone()
    };
    assert_eq!(
        scenario(&["balancer.policy=random"]).balancer.policy,
        Policy::Random
    );
    assert_eq!(
        scenario(&["balancer.policy=\"hash_mod\""]).balancer.policy,
        Policy::HashMod
    );
    assert_eq!(scenario(&["servers.count=8"]).servers.count, 8);
    assert_eq!(scenario(&[" servers.count = 8 "]).servers.count, 8);
    assert_eq!(scenario(&["duration=5m", "warmup=0s"]).duration_us, 5 * MIN);
    assert!(scenario(&["store.durable=true"]).store.durable);
    assert_eq!(
        scenario(&["servers.count=2", "servers.count=3"])
            .servers
            .count,
        3
    );
    assert_eq!(scenario(&["seed=9"]).seed, 9);
}

#[test]
fn set_flags_win_over_variant_sets() {
    let file =
        "name='x'\n[[variants]]\nname='a'\nset = { servers.count = 2 }\n[[variants]]\nname='b'";
    let experiment = check_ok_with(file, &["servers.count=3"], None);
    let counts: Vec<u32> = experiment
        .variants
        .iter()
        .map(|variant| variant.scenario.servers.count)
        .collect();
    assert_eq!(counts, [3, 3]);
}

#[test]
fn set_flag_mistakes() {
    check_exact(
        "name='x'",
        &["servers.count"],
        &["--set servers.count: expected KEY=VALUE, e.g. --set servers.count=8"],
    );
    check_err_with("name='x'", &["=3"], &["--set =3: expected KEY=VALUE"]);
    check_exact(
        "name='x'",
        &["server.count=3"],
        &["--set server.count=3: unknown key `server.count` (did you mean `servers.count`?)"],
    );
    check_err_with(
        "name='x'",
        &["zzz=1"],
        &[
            "--set zzz=1: unknown key `zzz`; keys that can be set: seed, duration, warmup, bucket, clock_start, or a key of users.*, servers.*, balancer.*, sessions.*, store.*",
        ],
    );
    check_err_with(
        "name='x'",
        &["name=y"],
        &["--set name=y: `name` belongs to the whole experiment and cannot be overridden"],
    );
    check_exact(
        "name='x'\n[[variants]]\nname='a'\n[[variants]]\nname='b'",
        &["servers.count=abc"],
        &["--set servers.count=abc: servers.count: expected an integer, got a string"],
    );
    check_err_with(
        "name='x'",
        &["users.think_time=5"],
        &["--set users.think_time=5: users.think_time: expected a duration string"],
    );
}

#[test]
fn set_flag_problems_come_after_the_file_in_argument_order() {
    let error = check_err_with(
        "name='x'\n[servers]\ncount=0",
        &["zzz=1", "users.visits_per_s=0", "a"],
        &[],
    );
    let origins: Vec<String> = error
        .problems
        .iter()
        .map(|problem| problem.origin.to_string())
        .collect();
    assert_eq!(
        origins,
        [
            "t.toml:3:7",
            "--set zzz=1",
            "--set users.visits_per_s=0",
            "--set a"
        ]
    );
}

#[test]
fn the_seed_flag_replaces_the_file_seed_in_every_variant() {
    let file =
        "name='x'\nseed = 5\n[[variants]]\nname='a'\n[[variants]]\nname='b'\nset = { seed = 6 }";
    let seeds = |seed| {
        check_ok_with(file, &[], seed)
            .variants
            .iter()
            .map(|variant| variant.scenario.seed)
            .collect::<Vec<_>>()
    };
    assert_eq!(seeds(None), [5, 6]);
    assert_eq!(seeds(Some(42)), [42, 42]);
}

#[test]
fn set_flag_mistakes_are_reported_even_when_the_file_is_not_toml() {
    check_err_with(
        "name = ",
        &["zzz=1"],
        &[
            "t.toml:1:8: invalid TOML: ",
            "--set zzz=1: unknown key `zzz`",
        ],
    );
}

#[test]
fn a_bad_value_deep_inside_a_set_flag_is_reported_at_the_flag() {
    // Issue 18: the items of `[1]` kept their offsets in the flag's text and were placed at
    // line 1 of the file.
    check_exact(
        "name='x'\n[users]\nvisits_per_s = 2",
        &["users.profile=[1]"],
        &[
            "--set users.profile=[1]: users.profile[0]: invalid type: integer `1`, expected a point like { at = \"30m\", visits_per_s = 50 }",
        ],
    );
    // A dotted key three deep inside the value: placed at its flag too.
    let flag =
        "users.profile=[{ at = \"0s\", visits_per_s = 1 }, { at.x.y = 1, visits_per_s = 2 }]";
    check_exact(
        "name='x'",
        &["servers.count=2", flag],
        &[&format!(
            "--set {flag}: users.profile[1].at: expected a duration string such as \"5s\" (units: us, ms, s, m, h, d), got a table"
        )],
    );
}

#[test]
fn a_key_given_in_two_spellings_in_one_set_is_refused_naming_both() {
    // `"servers.count"` and `servers = { count = 3 }` are the same key: one of them silently
    // won. Keys are compared in the table's (sorted) order; the second is the one reported.
    check_exact(
        "name='x'\n[[variants]]\nname='a'\nset = { \"servers.count\" = 2, servers = { count = 3 } }",
        &[],
        &[
            "t.toml:4:9: variants[0].set: `servers.count` is given twice, as the nested key `servers.count` and as the quoted key `\"servers.count\"`; give it once",
        ],
    );
    check_err(
        "name='x'\n[[variants]]\nname='a'\nset.servers.count = 2\nset.\"servers.count\" = 3",
        &[
            "t.toml:5:5: variants[0].set: `servers.count` is given twice, as the nested key `servers.count` and as the quoted key `\"servers.count\"`",
        ],
    );
}
