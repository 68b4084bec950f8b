//! Arbitrary text as the command line's `--set KEY=VALUE` and `--param KEY=SPEC` arguments: each
//! line of the input is one argument (`p:` before a line makes it a `--param`). Neither grammar
//! may panic; a `--param` accepted keeps the promises of `tiersim::sweep` (no empty value, at most
//! `MAX_POINTS` values or points); every problem is placed on a line of the scenario or on one of
//! the `--set` arguments given; a scenario accepted keeps the basic promises of
//! `tiersim::scenario`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tiersim::config::{self, ConfigError, Origin};
use tiersim::sweep::{self, MAX_POINTS};

/// A valid scenario with a variant `set`, a timed event, a profile and the autoscaler, so that
/// overrides meet every kind of value and every cross-key check.
const BASE: &str = r#"name = "fuzz"
duration = "2m"
warmup = "10s"
[users]
visits_per_s = 2
profile = "diurnal"
[servers]
count = 3
[autoscale]
min = 1
max = 6
[[events]]
at = "30s"
action = "crash"
server = 0
[[variants]]
name = "sticky"
set = { "balancer.policy" = "sticky", "sessions.storage" = "server_memory" }
[[variants]]
name = "stateless"
set = { "balancer.policy" = "round_robin", "sessions.storage" = "shared_store" }
"#;

/// Points of a sweep parsed with the `--set`s (parsing is the costly part).
const POINTS_PARSED: usize = 3;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (mut sets, mut params) = (Vec::new(), Vec::new());
    for line in text.split('\n').take(16) {
        match line.strip_prefix("p:") {
            Some(spec) => params.push(spec.to_string()),
            None => sets.push(line.to_string()),
        }
    }
    let parsed: Vec<sweep::Param> = params
        .iter()
        .filter_map(|spec| sweep::parse_param(spec).map_err(check_message).ok())
        .inspect(check_param)
        .collect();
    let points = match sweep::points(&parsed) {
        Ok(points) => points,
        Err(message) => return check_message(message),
    };
    let total: usize = parsed.iter().map(|p| p.values.len()).product();
    assert_eq!(points.len(), total);
    assert!(points.len() <= MAX_POINTS);
    for point in points.iter().take(POINTS_PARSED) {
        let all: Vec<String> = sets.iter().chain(point).cloned().collect();
        match config::parse("fuzz.toml", BASE, &all, None) {
            Ok(experiment) => {
                assert!(!experiment.variants.is_empty());
                for v in &experiment.variants {
                    let sc = &v.scenario;
                    assert!(sc.duration_us > 0 && sc.warmup_us < sc.duration_us);
                    assert!(sc.servers.count >= 1 && sc.servers.workers >= 1);
                    assert!(sc.users.visits_per_s.is_finite() && sc.users.visits_per_s > 0.0);
                }
            }
            Err(error) => check_error(&error, all.len()),
        }
    }
});

/// A `--param` accepted: a key, at least one value, none empty, at most `MAX_POINTS`.
fn check_param(param: &sweep::Param) {
    assert!(!param.key.is_empty());
    assert!(!param.values.is_empty() && param.values.len() <= MAX_POINTS);
    assert!(param.values.iter().all(|v| !v.is_empty()));
}

/// A refusal says something.
fn check_message(message: String) {
    assert!(message.starts_with("--param") || message.contains("points"));
}

/// Every problem has a message and a place: a line of `BASE` or one of the `flags` arguments.
fn check_error(error: &ConfigError, flags: usize) {
    assert!(!error.problems.is_empty());
    let lines = BASE.lines().count();
    for problem in &error.problems {
        assert!(!problem.message.is_empty(), "{problem}");
        match &problem.origin {
            Origin::File { line, column, .. } => {
                assert!((1..=lines).contains(line) && *column >= 1, "{problem}");
            }
            Origin::Flag { index, .. } => assert!(*index < flags, "{problem}"),
        }
    }
    let _ = error.to_string();
}
