//! Arbitrary bytes as a scenario file: the validator must answer every input with an experiment
//! or a list of problems, never a panic, and an experiment it accepts must keep the promises of
//! `tiersim::scenario` (the engine relies on them without checking).

#![no_main]

use libfuzzer_sys::fuzz_target;
use tiersim::config;
use tiersim::scenario::{Action, Experiment, Scenario};

/// `--set` arguments each input is also parsed with: an override of every kind of value, a bad
/// one, and one that is not `KEY=VALUE`.
const FLAG_SETS: [&[&str]; 3] = [
    &[],
    &["servers.count=2", "duration=5m", "balancer.policy=random"],
    &[
        "warmup=0s",
        "users.visits_per_s=1e400",
        "store.durable=yes",
        "events",
    ],
];

fuzz_target!(|data: &[u8]| {
    let text = match config::decode("fuzz.toml", data) {
        Ok(text) => text,
        Err(error) => {
            assert!(!error.problems.is_empty());
            return;
        }
    };
    for (i, flags) in FLAG_SETS.iter().enumerate() {
        let flags: Vec<String> = flags.iter().map(|flag| flag.to_string()).collect();
        let seed = (i == 2).then_some(7);
        match config::parse("fuzz.toml", text, &flags, seed) {
            Ok(experiment) => check_experiment(&experiment),
            Err(error) => {
                assert!(!error.problems.is_empty(), "an error names a problem");
                let _ = error.to_string();
            }
        }
    }
});

/// What `tiersim::scenario` promises about a validated experiment.
fn check_experiment(experiment: &Experiment) {
    let slug = |name: &str| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    assert!(slug(&experiment.name));
    assert!(!experiment.variants.is_empty());
    for (i, variant) in experiment.variants.iter().enumerate() {
        assert!(slug(&variant.name));
        assert!(
            experiment.variants[..i]
                .iter()
                .all(|v| v.name != variant.name)
        );
        check_scenario(&variant.scenario);
    }
}

fn check_scenario(sc: &Scenario) {
    assert!(sc.duration_us > 0 && sc.duration_us <= config::MAX_DURATION);
    assert!(sc.warmup_us < sc.duration_us);
    assert!(sc.bucket_us > 0 && sc.bucket_us <= sc.duration_us - sc.warmup_us);
    let users = &sc.users;
    assert!(users.visits_per_s.is_finite() && users.visits_per_s > 0.0);
    assert!(users.requests_per_visit.is_finite() && users.requests_per_visit >= 0.0);
    assert!(users.session_ttl_us > 0);
    assert!(sc.servers.count >= 1 && sc.servers.workers >= 1);
    assert!(sc.servers.service_time_us > 0 && sc.servers.login_time_us > 0);
    assert!(sc.balancer.virtual_nodes >= 1);
    assert!(sc.store.workers >= 1 && sc.store.read_time_us > 0 && sc.store.write_time_us > 0);
    assert!(sc.events.windows(2).all(|w| w[0].at_us <= w[1].at_us));
    let rates = users.profile.iter().map(|point| point.visits_per_s);
    assert!(rates.clone().all(|rate| rate.is_finite() && rate >= 0.0));
    if let Some(a) = &sc.autoscale {
        assert!(a.min <= sc.servers.count && sc.servers.count <= a.max);
        assert!(a.target_busy > 0.0 && a.target_busy <= 0.99 && a.interval_us > 0);
    }
    let f = &sc.failures;
    assert!(f.server_mtbf_us.is_none_or(|us| us > 0) && f.server_mttr_us > 0);
    assert!(f.store_mtbf_us.is_none_or(|us| us > 0) && f.store_mttr_us > 0);
    // Replay the membership: every event fits the world of its time.
    let mut up: Vec<bool> = vec![true; sc.servers.count as usize];
    for event in &sc.events {
        assert!(event.at_us < sc.duration_us);
        match event.action {
            Action::Crash { server } => {
                assert!(up[server as usize]);
                up[server as usize] = false;
            }
            Action::Restart { server } => {
                assert!(!up[server as usize]);
                up[server as usize] = true;
            }
            Action::AddServers { count } => {
                up.resize(up.len() + count as usize, true);
                assert!(up.len() <= 10_000);
            }
            Action::RemoveServers { count } => {
                assert!((count as usize) < up.len());
                up.truncate(up.len() - count as usize);
            }
            Action::StoreCrash { node } | Action::StoreRestart { node } => {
                assert!(node.is_none_or(|n| n < sc.store.nodes));
            }
        }
    }
}
