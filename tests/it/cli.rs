//! The command line: exit statuses, messages that name the key and the line, files written or not.

mod formats;
mod reading;
mod shells;

use crate::support::{Cli, scratch_dir, wait_at_most};
use std::path::Path;

const GOOD: &str = r#"name = "tiny"
duration = "2m"
warmup = "10s"
[users]
visits_per_s = 5
[servers]
count = 2
[[variants]]
name = "sticky"
set = { "balancer.policy" = "sticky" }
[[variants]]
name = "store"
set = { "balancer.policy" = "round_robin", "sessions.storage" = "shared_store" }
"#;

/// Writes `text` as `bad.toml` in a fresh folder, runs `tiersim run bad.toml` there, and expects
/// exit status 2, a message with `file:line`, the key and `also`, and no output folder.
fn rejects(test: &str, text: &str, line: usize, key: &str, also: &str) {
    let dir = scratch_dir(test);
    std::fs::write(dir.join("bad.toml"), text).unwrap();
    let ran = Cli::new(&["run", "bad.toml"]).in_dir(&dir).expect_code(2);
    ran.stderr_has(&[&format!("bad.toml:{line}:"), key, also]);
    assert!(!dir.join("output").exists(), "{test}: nothing is written");
    assert!(
        !ran.stderr.contains("RUST_BACKTRACE"),
        "{test}: no backtrace"
    );
}

#[test]
fn an_unknown_key_is_named_with_its_line_and_a_suggestion() {
    let text = GOOD.replace("visits_per_s = 5", "visit_per_s = 5");
    rejects("unknown_key", &text, 5, "users.visit_per_s", "visits_per_s");
}

#[test]
fn a_wrong_type_is_named_with_its_line() {
    let text = GOOD.replace("count = 2", "count = \"two\"");
    rejects("wrong_type", &text, 7, "servers.count", "integer");
}

#[test]
fn a_bad_unit_is_named_with_its_line_and_the_units_allowed() {
    let text = GOOD.replace("duration = \"2m\"", "duration = \"2 minutes\"");
    rejects("bad_unit", &text, 2, "duration", "ms");
}

#[test]
fn an_out_of_range_value_is_named_with_its_line() {
    let text = GOOD.replace("count = 2", "count = 0");
    rejects("zero_servers", &text, 7, "servers.count", "at least 1");
}

#[test]
fn a_crash_of_a_missing_server_is_named_with_its_line() {
    let text = format!("{GOOD}[[events]]\nat = \"1m\"\naction = \"crash\"\nserver = 9\n");
    rejects("missing_server", &text, 17, "events[0]", "server 9");
}

#[test]
fn a_run_writes_the_four_tables_and_prints_a_row_per_variant() {
    let dir = scratch_dir("run_writes");
    std::fs::write(dir.join("tiny.toml"), GOOD).unwrap();
    let ran = Cli::new(&["run", "tiny.toml", "--stats"])
        .in_dir(&dir)
        .expect_code(0);
    ran.stdout_has(&["sticky", "store", "users forced (%)"]);
    ran.stderr_has(&[
        "stats: variant=sticky events=",
        "stats: variant=store events=",
    ]);
    for file in ["summary.csv", "timeseries.csv", "servers.csv", "events.csv"] {
        let path = dir.join("output/tiny").join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("variant,"), "{file} has its header");
    }
    let summary = std::fs::read_to_string(dir.join("output/tiny/summary.csv")).unwrap();
    assert_eq!(
        summary.lines().count(),
        3,
        "a header and one row per variant"
    );
}

#[test]
fn variant_and_set_choose_what_runs() {
    let dir = scratch_dir("variant_set");
    std::fs::write(dir.join("tiny.toml"), GOOD).unwrap();
    Cli::new(&[
        "run",
        "tiny.toml",
        "--variant",
        "store",
        "--set",
        "servers.count=3",
        "--out",
        "o",
    ])
    .in_dir(&dir)
    .expect_code(0);
    let servers = std::fs::read_to_string(dir.join("o/tiny/servers.csv")).unwrap();
    let ids: std::collections::BTreeSet<&str> = servers
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    assert_eq!(ids.into_iter().collect::<Vec<_>>(), ["0", "1", "2"]);
    assert!(servers.lines().skip(1).all(|l| l.starts_with("store,")));
    Cli::new(&["run", "tiny.toml", "--variant", "nope"])
        .in_dir(&dir)
        .expect_code(2)
        .stderr_has(&["nope", "sticky, store"]);
    Cli::new(&["run", "tiny.toml", "--set", "servers.cont=3"])
        .in_dir(&dir)
        .expect_code(2)
        .stderr_has(&["servers.cont", "count"]);
}

/// `--set balancer.policy=sticky` over GOOD, whose two variants both set the policy: both
/// become sticky under their own names, and a warning names them; `sessions.storage`, set by
/// one variant, names that one; a key no variant sets (`servers.count`) warns of nothing.
#[test]
fn a_set_over_a_variants_key_warns_with_the_variants_it_erases() {
    let dir = scratch_dir("set_erases");
    std::fs::write(dir.join("tiny.toml"), GOOD).unwrap();
    let ran = Cli::new(&["check", "tiny.toml", "--set", "balancer.policy=sticky"])
        .in_dir(&dir)
        .expect_code(0);
    ran.stderr_has(&[
        "warning: --set balancer.policy=sticky overrides `balancer.policy`, which the variants \
         sticky, store set",
        "erased",
    ]);
    Cli::new(&[
        "check",
        "tiny.toml",
        "--set",
        "sessions.storage=server_memory",
    ])
    .in_dir(&dir)
    .expect_code(0)
    .stderr_has(&["which the variant store sets: in this run"]);
    let ran = Cli::new(&["check", "tiny.toml", "--set", "servers.count=3"])
        .in_dir(&dir)
        .expect_code(0);
    assert!(!ran.stderr.contains("warning"), "{}", ran.stderr);
}

/// `tiersim worksheet` writes one page into `<out>/<name>-worksheet/`, with its questions before
/// its answers; an unknown variant is bad input and writes nothing.
#[test]
fn worksheet_writes_a_page_of_questions_then_answers() {
    let dir = scratch_dir("worksheet_cli");
    std::fs::write(dir.join("tiny.toml"), GOOD).unwrap();
    Cli::new(&["worksheet", "tiny.toml", "--out", "o"])
        .in_dir(&dir)
        .expect_code(0)
        .stderr_has(&["worksheet.html"]);
    let page = std::fs::read_to_string(dir.join("o/tiny-worksheet/worksheet.html")).unwrap();
    let questions = page.matches("<div class=\"question\">").count();
    assert!((3..=5).contains(&questions), "{questions}");
    assert_eq!(page.matches("<div class=\"answer\">").count(), questions);
    assert!(page.find("id=\"questions\"").unwrap() < page.find("id=\"answers\"").unwrap());
    Cli::new(&["worksheet", "tiny.toml", "--variant", "nope", "--out", "p"])
        .in_dir(&dir)
        .expect_code(2)
        .stderr_has(&["--variant nope"]);
    assert!(!dir.join("p").exists());
}

#[test]
fn a_missing_file_and_bad_arguments_are_bad_input() {
    Cli::new(&["run", "no-such-file.toml"])
        .expect_code(2)
        .stderr_has(&["no-such-file.toml"]);
    Cli::new(&["run"]).expect_code(2);
    Cli::new(&["frobnicate"]).expect_code(2);
}

#[test]
fn check_validates_every_shipped_scenario_and_writes_nothing() {
    let dir = scratch_dir("check");
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let files: Vec<String> = crate::support::shipped_scenarios()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let mut args = vec!["check"];
    args.extend(files.iter().map(String::as_str));
    let ran = Cli::new(&args).in_dir(&dir).expect_code(0);
    ran.stdout_has(&["server-crash", "variant sticky", "visits"]);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "check writes nothing"
    );
    let ran = Cli::new(&["list", scenarios.to_str().unwrap()]).expect_code(0);
    ran.stdout_has(&["01-why-sticky.toml", "A server crashes"]);
}

#[test]
fn an_interrupted_run_leaves_the_previous_results_and_no_temporary_folder() {
    let dir = scratch_dir("interrupt");
    let previous = dir.join("out/bench-small");
    std::fs::create_dir_all(&previous).unwrap();
    std::fs::write(previous.join("summary.csv"), "previous results").unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/scenarios/small.toml");
    // Long enough that the signal arrives while it simulates.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tiersim"))
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--out",
            "out",
            "--set",
            "duration=100000s",
        ])
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = wait_at_most(
        &mut child,
        std::time::Duration::from_secs(10),
        "a run after Ctrl-C",
    );
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "stderr: {stderr}");
    assert!(stderr.contains("interrupted"), "stderr: {stderr}");
    assert_eq!(
        std::fs::read_to_string(previous.join("summary.csv")).unwrap(),
        "previous results"
    );
    let entries: Vec<String> = std::fs::read_dir(dir.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        entries,
        vec!["bench-small".to_string()],
        "no temporary folder is left"
    );
}

/// `--quiet` prints only the comparison table (its help says so): no title, no headline
/// sentences; without it both come first.
#[test]
fn quiet_prints_only_the_comparison_table() {
    let dir = scratch_dir("quiet_table");
    std::fs::write(dir.join("tiny.toml"), GOOD).unwrap();
    let quiet = Cli::new(&["run", "tiny.toml", "--quiet", "--no-charts"])
        .in_dir(&dir)
        .expect_code(0);
    assert!(quiet.stdout.starts_with('┌'), "{}", quiet.stdout);
    assert!(
        !quiet.stdout.contains("had to log in again"),
        "{}",
        quiet.stdout
    );
    let chatty = Cli::new(&["run", "tiny.toml", "--no-charts"])
        .in_dir(&dir)
        .expect_code(0);
    chatty.stdout_has(&["had to log in again;", "┌"]);
    assert!(!chatty.stdout.starts_with('┌'), "{}", chatty.stdout);
}

/// A failure of the machine while writing (here a limit on the size of a file, as a full disk
/// would): exit status 1, the file named, the previous results intact.
#[test]
fn a_write_error_is_reported_with_status_1() {
    let dir = scratch_dir("write_error");
    std::fs::write(dir.join("tiny.toml"), GOOD).unwrap();
    Cli::new(&["run", "tiny.toml", "--quiet", "--no-charts"])
        .in_dir(&dir)
        .expect_code(0);
    let summary = dir.join("output/tiny/summary.csv");
    let before = std::fs::read(&summary).unwrap();
    // 8 blocks (4 KiB): the new summary.csv fits, timeseries.csv does not. SIGXFSZ ignored,
    // so the write fails with "File too large" rather than killing the process.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 8 && exec \"$0\" run tiny.toml --quiet --seed 9")
        .arg(env!("CARGO_BIN_EXE_tiersim"))
        .current_dir(&dir)
        .output()
        .expect("sh runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write"), "{stderr}");
    assert!(stderr.contains("File too large"), "{stderr}");
    assert_eq!(
        std::fs::read(&summary).unwrap(),
        before,
        "the previous run is intact"
    );
}

/// A file where the output folder should be is the user's mistake: exit status 2, naming `--out`.
#[test]
fn an_output_folder_blocked_by_a_file_is_a_mistake_with_status_2() {
    let dir = scratch_dir("out_blocked");
    std::fs::write(dir.join("tiny.toml"), GOOD).unwrap();
    std::fs::write(dir.join("not-a-folder"), "a file").unwrap();
    Cli::new(&["run", "tiny.toml", "--out", "not-a-folder/out"])
        .in_dir(&dir)
        .expect_code(2)
        .stderr_has(&[
            "--out not-a-folder/out",
            "cannot create the output folder",
            "give a folder that can be created and written",
        ]);
}

#[test]
fn a_closed_standard_output_is_not_an_error() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tiersim"))
        .args(["list"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_run_too_big_for_the_machine_is_refused_before_it_starts() {
    let dir = scratch_dir("too_big");
    std::fs::write(dir.join("tiny.toml"), GOOD).unwrap();
    let flood = ["--set", "users.visits_per_s=900000", "--set", "duration=1h"];
    Cli::new(&[&["run", "tiny.toml"][..], &flood[..]].concat())
        .in_dir(&dir)
        .expect_code(2)
        .stderr_has(&["GB of memory", "users.visits_per_s"]);
    Cli::new(&[
        "run",
        "tiny.toml",
        "--set",
        "duration=5000h",
        "--set",
        "bucket=1ms",
    ])
    .in_dir(&dir)
    .expect_code(2)
    .stderr_has(&["`bucket`"]);
    assert!(!dir.join("output").exists());
}

#[test]
fn a_sweep_row_matches_a_single_run_at_the_same_point() {
    let dir = scratch_dir("sweep_matches_run");
    std::fs::write(dir.join("tiny.toml"), GOOD).unwrap();
    let sweep = Cli::new(&[
        "sweep",
        "tiny.toml",
        "--param",
        "servers.count=2..3",
        "--quiet",
    ]);
    sweep.in_dir(&dir).expect_code(0);
    Cli::new(&[
        "run",
        "tiny.toml",
        "--set",
        "servers.count=3",
        "--out",
        "single",
        "--quiet",
    ])
    .in_dir(&dir)
    .expect_code(0);
    let swept = std::fs::read_to_string(dir.join("output/tiny-sweep/sweep.csv")).unwrap();
    // With charts on, the sweep also hands out its page, which embeds every chart it drew.
    let page = std::fs::read_to_string(dir.join("output/tiny-sweep/sweep-report.html")).unwrap();
    let charts = std::fs::read_dir(dir.join("output/tiny-sweep"))
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            let name = name.to_string_lossy();
            name.starts_with("sweep-") && name.ends_with(".svg")
        })
        .count();
    assert!(charts > 0);
    assert_eq!(page.matches("<figure class=\"chart\"").count(), charts);
    assert!(page.contains("<table id=\"sweep\">"));
    let single = std::fs::read_to_string(dir.join("single/tiny/summary.csv")).unwrap();
    let mut lines = single.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut compared = 0;
    for line in lines {
        let row: Vec<&str> = line.split(',').collect();
        for (column, value) in header.iter().zip(&row).skip(1) {
            let Some(swept_row) = swept
                .lines()
                .find(|l| l.starts_with(&format!("3,{},{column},", row[0])))
            else {
                continue; // `replications` and the intervals are not metrics of the sweep.
            };
            assert_eq!(
                swept_row.split(',').nth(3).unwrap(),
                *value,
                "{} {column}",
                row[0]
            );
            compared += 1;
        }
    }
    assert!(
        compared >= 2 * 27,
        "every metric of both variants compared ({compared})"
    );
    assert!(swept.starts_with("servers.count,variant,metric,mean,ci95,replications\n"));
    Cli::new(&["sweep", "tiny.toml", "--param", "servers.count=5..2"])
        .in_dir(&dir)
        .expect_code(2)
        .stderr_has(&["--param servers.count=5..2", "KEY=A..B"]);
    Cli::new(&["sweep", "tiny.toml", "--param", "servers.cont=1..2"])
        .in_dir(&dir)
        .expect_code(2)
        .stderr_has(&["servers.cont"]);
}

#[test]
fn replications_are_identical_with_one_thread_and_with_two() {
    let dir = scratch_dir("threads");
    std::fs::write(dir.join("tiny.toml"), GOOD).unwrap();
    for threads in ["1", "2"] {
        let out = format!("t{threads}");
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_tiersim"))
            .args([
                "run",
                "tiny.toml",
                "--replications",
                "4",
                "--quiet",
                "--out",
                &out,
            ])
            .env("RAYON_NUM_THREADS", threads)
            .current_dir(&dir)
            .status()
            .unwrap();
        assert!(status.success());
    }
    for file in ["summary.csv", "replications.csv", "timeseries.csv"] {
        let one = std::fs::read(dir.join("t1/tiny").join(file)).unwrap();
        let two = std::fs::read(dir.join("t2/tiny").join(file)).unwrap();
        assert!(one == two, "{file} differs between 1 and 2 threads");
    }
    let replications = std::fs::read_to_string(dir.join("t1/tiny/replications.csv")).unwrap();
    assert_eq!(
        replications.lines().count(),
        1 + 4 * 2,
        "a row per replication and variant"
    );
}

#[test]
fn a_file_not_saved_as_utf8_is_named_with_its_line_and_column() {
    let dir = scratch_dir("latin1");
    let path = dir.join("latin1.toml");
    std::fs::write(&path, b"name = \"shop\"\ntitle = \"caf\xe9\"\n").unwrap();
    let path = path.display().to_string();
    Cli::new(&["check", &path])
        .expect_code(2)
        .stderr_has(&["latin1.toml:2:13", "byte 0xe9 is not UTF-8"]);
}
