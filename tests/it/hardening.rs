//! Regression tests of what a hostile user tried (issue 18): each states the hostile input and
//! the answer the program must give (an exit status, a message, files kept or written).

use crate::support::{Cli, scratch_dir};

const TINY: &str = r#"name = "tiny"
duration = "1m"
warmup = "10s"
[users]
visits_per_s = 2
[servers]
count = 2
"#;

#[test]
fn a_sweep_range_as_wide_as_i64_is_refused_without_a_panic() {
    let dir = scratch_dir("sweep_i64_range");
    std::fs::write(dir.join("tiny.toml"), TINY).unwrap();
    Cli::new(&[
        "sweep",
        "tiny.toml",
        "--param",
        "servers.count=-9223372036854775808..9223372036854775807",
    ])
    .in_dir(&dir)
    .expect_code(2)
    .stderr_has(&["--param servers.count=", "more than 10000 values"]);
    assert!(!dir.join("output").exists(), "nothing is written");
}

#[test]
fn a_key_swept_by_two_params_is_refused() {
    let dir = scratch_dir("sweep_key_twice");
    std::fs::write(dir.join("tiny.toml"), TINY).unwrap();
    Cli::new(&[
        "sweep",
        "tiny.toml",
        "--param",
        "servers.count=1..2",
        "--param",
        "servers.count=3,4",
    ])
    .in_dir(&dir)
    .expect_code(2)
    .stderr_has(&["--param servers.count", "swept twice"]);
    assert!(!dir.join("output").exists(), "nothing is written");
}
