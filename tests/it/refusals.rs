//! What is refused before anything runs (issue 18, items 4 and 10): commands the resource guard
//! prices too dear (event storms, a sweep priced whole, `live` with tiny buckets), and mistakes
//! found at the start instead of after a run (a `--set` value deep inside a list, a key set
//! twice, an unreachable store, an output folder that cannot be written).

use crate::interrupt::signal_in_phase;
use crate::support::{Cli, TINY_ONE as TINY, scratch_dir, tiny_folder as tiny};
use std::time::{Duration, Instant};

#[test]
fn random_failures_every_microsecond_are_refused_naming_the_key_before_the_run_starts() {
    // 2 servers failing and repaired every microsecond for 10,000 h: 2 x 3.6e13 us / 2 us x 2
    // events = 7.2e13 events, 167 days of CPU at 5 M events/s; such a run was announced at
    // millions of minutes and started.
    let dir = tiny("storm_failures");
    let storm = [
        "--set",
        "duration=10000h",
        "--set",
        "bucket=1h",
        "--set",
        "failures.mtbf=1us",
        "--set",
        "failures.mttr=1us",
    ];
    let started = Instant::now();
    Cli::new(&[&["run", "tiny.toml"][..], &storm[..]].concat())
        .in_dir(&dir)
        .expect_code(2)
        .stderr_has(&[
            "7.2e13 events, 167 days of CPU time, more than the limit of 24 hours",
            "lengthen `failures.mtbf` (or `failures.mttr`)",
        ]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refused at once"
    );
    assert!(!dir.join("output").exists(), "nothing is written");
    Cli::new(&[&["check", "tiny.toml"][..], &storm[..]].concat())
        .in_dir(&dir)
        .expect_code(2)
        .stderr_has(&["`failures.mtbf`", "`run` would refuse: tiny.toml"]);
}

#[test]
fn an_autoscaler_looking_every_microsecond_is_refused_naming_the_interval() {
    let dir = tiny("storm_autoscale");
    let storm = [
        "--set",
        "duration=1000h",
        "--set",
        "bucket=1h",
        "--set",
        "autoscale.min=1",
        "--set",
        "autoscale.max=4",
        "--set",
        "autoscale.interval=1us",
    ];
    Cli::new(&[&["run", "tiny.toml"][..], &storm[..]].concat())
        .in_dir(&dir)
        .expect_code(2)
        .stderr_has(&["more than the limit of 24 hours", "`autoscale.interval`"]);
}

#[test]
fn a_sweep_is_priced_whole_and_warns_once_not_per_point() {
    // Each point: 20 visits/s x 11 requests x 2 events over 1,000 h = 1.6e9 events (5 min at
    // the guard's rate): three points used to print three warnings. The sweep is interrupted
    // as soon as it simulates.
    let dir = tiny("sweep_warns_once");
    let args = [
        "sweep",
        "tiny.toml",
        "--set",
        "duration=1000h",
        "--set",
        "bucket=1h",
        "--set",
        "users.visits_per_s=20",
        "--param",
        "servers.count=2,3,4",
        "--out",
        "out",
    ];
    let ended = signal_in_phase(&dir, &args, "simulation", Duration::ZERO, "INT");
    assert_eq!(ended.code, Some(130), "{:?}", ended.stderr);
    let warnings: Vec<&String> = ended
        .stderr
        .iter()
        .filter(|l| l.starts_with("warning: about"))
        .collect();
    assert_eq!(warnings.len(), 1, "{:?}", ended.stderr);
    assert!(warnings[0].contains("4.8e9 events"), "{}", warnings[0]);
}

#[test]
fn a_sweep_whose_points_together_keep_too_many_rows_is_refused() {
    // One point keeps 3.6 M rows of per-server series (359,999 buckets of 10 s after the 10 s
    // warm-up of 1,000 h, x 10 servers): accepted alone; six keep 21,599,940, over 20 M.
    let dir = tiny("sweep_priced_whole");
    let base = [
        "--set",
        "duration=1000h",
        "--set",
        "bucket=10s",
        "--set",
        "servers.count=10",
    ];
    Cli::new(&[&["check", "tiny.toml"][..], &base[..]].concat())
        .in_dir(&dir)
        .expect_code(0);
    Cli::new(
        &[
            &["sweep", "tiny.toml"][..],
            &base[..],
            &["--param", "users.visits_per_s=1..6"],
        ]
        .concat(),
    )
    .in_dir(&dir)
    .expect_code(2)
    .stderr_has(&["21599940 rows", "make `bucket` longer"]);
    assert!(!dir.join("output").exists(), "nothing is written");
}

#[test]
fn live_and_validate_refuse_what_run_refuses() {
    // 1 us buckets over 20 s: 20 M buckets x 2 servers, 40 M rows. `live` started and aborted.
    let dir = tiny("live_guard");
    for command in ["live", "validate"] {
        Cli::new(&[
            command,
            "tiny.toml",
            "--set",
            "bucket=1us",
            "--set",
            "warmup=0s",
            "--set",
            "duration=20s",
        ])
        .in_dir(&dir)
        .expect_code(2)
        .stderr_has(&["rows of per-server time series", "make `bucket` longer"]);
    }
    assert!(!dir.join("output").exists(), "nothing is written");
}

#[test]
fn a_bad_profile_given_with_set_is_reported_at_the_set() {
    let dir = tiny("set_profile");
    Cli::new(&["check", "tiny.toml", "--set", "users.profile=[1]"])
        .in_dir(&dir)
        .expect_code(2)
        .stderr_has(&["--set users.profile=[1]: users.profile[0]: invalid type"]);
}

#[test]
fn a_key_set_twice_in_two_spellings_by_a_variant_is_refused() {
    let dir = scratch_dir("set_twice");
    let text = format!(
        "{TINY}[[variants]]\nname = \"a\"\nset = {{ \"servers.count\" = 2, servers = {{ count = 3 }} }}\n"
    );
    std::fs::write(dir.join("twice.toml"), text).unwrap();
    Cli::new(&["check", "twice.toml"])
        .in_dir(&dir)
        .expect_code(2)
        .stderr_has(&[
            "`servers.count` is given twice, as the nested key `servers.count` and as the quoted key `\"servers.count\"`",
        ]);
}

#[test]
fn an_unreachable_redis_is_found_before_any_variant_runs() {
    // The first variant keeps sessions in server memory and used to run for its whole length
    // before the second found no Redis.
    let dir = scratch_dir("unreachable_redis");
    let text = format!(
        "{TINY}[[variants]]\nname = \"sticky\"\n[[variants]]\nname = \"store\"\n\
         set = {{ \"balancer.policy\" = \"round_robin\", \"sessions.storage\" = \"shared_store\" }}\n"
    );
    std::fs::write(dir.join("two.toml"), text).unwrap();
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let store = format!("redis://{free}");
    let started = Instant::now();
    let ran = Cli::new(&["live", "two.toml", "--store", &store])
        .in_dir(&dir)
        .expect_code(2);
    ran.stderr_has(&[&format!("--store {store}: the store does not answer PING")]);
    assert!(
        !ran.stderr.contains("live: variant"),
        "no variant ran: {}",
        ran.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn an_output_folder_that_cannot_be_written_is_found_before_simulating() {
    let dir = tiny("bad_out");
    std::fs::write(dir.join("not-a-folder"), "a file").unwrap();
    for (out, message) in [
        (
            "not-a-folder/out",
            "cannot create the output folder not-a-folder/out",
        ),
        (
            "/proc/tiersim-out",
            "cannot create the output folder /proc/tiersim-out",
        ),
    ] {
        for command in [
            &["run", "tiny.toml"][..],
            &["sweep", "tiny.toml", "--param", "servers.count=1,2"],
        ] {
            let output = std::process::Command::new(env!("CARGO_BIN_EXE_tiersim"))
                .args(command)
                .args(["--out", out])
                .env("TIERSIM_PHASES", "1")
                .current_dir(&dir)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            // The user's mistake (`--out`), not a failure of the machine: status 2.
            assert_eq!(output.status.code(), Some(2), "{stderr}");
            assert!(stderr.contains(message), "{stderr}");
            assert!(stderr.contains(&format!("--out {out}: ")), "{stderr}");
            assert!(
                !stderr.contains("phase: simulation"),
                "found before simulating: {stderr}"
            );
        }
    }
}
