//! Shards and merge: a sweep and a replicated run split into 1, 3 and 7 shards (some empty) merge
//! into the very bytes the whole command writes; shards that do not belong together are refused
//! with exit status 2 naming the shard; bad `--shard` values are refused naming the flag.

use crate::support::{Cli, TINY, scratch_dir};
use std::collections::BTreeMap;
use std::path::Path;

/// A sweep over two params: 3 points (rates 3, 6, 9 at 3 servers) x 1 variant x 2 replications
/// = 6 runs of three different costs, so 7 shards leave one empty.
const SWEEP: [&str; 9] = [
    "sweep",
    "tiny.toml",
    "--param",
    "users.visits_per_s=3,6,9",
    "--param",
    "servers.count=3",
    "--variant",
    "sticky",
    "--replications=2",
];

/// `run`: 2 variants x 3 replications = 6 runs.
const RUN: [&str; 3] = ["run", "tiny.toml", "--replications=3"];

/// Every file of a folder, by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect()
}

/// `base` plus `extra`, as the argument list of a CLI run.
fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(extra).copied().collect()
}

/// Runs `command` whole into `whole/`, then as `n` shards into `parts-<n>/` merged into
/// `merged-<n>/`, and checks that every file of `folder` (and what is printed) is the same.
fn whole_equals_merged(dir: &Path, command: &[&str], folder: &str, shard_counts: &[usize]) {
    let whole = Cli::new(&with(command, &["--out", "whole", "-q"]))
        .in_dir(dir)
        .expect_code(0);
    let expected = files(&dir.join("whole").join(folder));
    assert!(
        expected.len() > 3,
        "charts and report are written: {expected:?}"
    );
    for &n in shard_counts {
        let parts = format!("parts-{n}");
        for i in 1..=n {
            let spec = format!("{i}/{n}");
            Cli::new(&with(command, &["--shard", &spec, "--out", &parts]))
                .in_dir(dir)
                .expect_code(0)
                .stderr_has(&[&format!("shard {spec} of {folder}"), "wrote "]);
        }
        let merged = format!("merged-{n}");
        let merge = Cli::new(&["merge", &parts, "--out", &merged, "-q"])
            .in_dir(dir)
            .expect_code(0);
        let got = files(&dir.join(&merged).join(folder));
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{n} shards: the same files"
        );
        for (name, bytes) in &expected {
            assert!(got[name] == *bytes, "{n} shards: {name} differs");
        }
        assert_eq!(merge.stdout, whole.stdout, "{n} shards: the same table");
    }
}

#[test]
fn a_sweep_in_1_3_and_7_shards_merges_to_the_bytes_of_the_whole_sweep() {
    let dir = scratch_dir("shards_sweep");
    std::fs::write(dir.join("tiny.toml"), TINY).unwrap();
    whole_equals_merged(&dir, &SWEEP, "tiny-sweep", &[1, 3, 7]);
    // 6 runs on 7 shards: one shard holds none, and says so.
    let empty: Vec<String> = (1..=7)
        .map(|i| format!("parts-7/tiny-sweep-shard-{i}-of-7/runs.jsonl"))
        .filter(|p| std::fs::read(dir.join(p)).unwrap().is_empty())
        .collect();
    assert_eq!(empty, ["parts-7/tiny-sweep-shard-7-of-7/runs.jsonl"]);
    // A shard folder itself is accepted as well as the folder holding it, and a merge says what
    // it found.
    let shards: Vec<String> = (1..=3)
        .map(|i| format!("parts-3/tiny-sweep-shard-{i}-of-3"))
        .collect();
    let args = with(
        &["merge"],
        &shards.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    Cli::new(&with(&args, &["--out", "by-folder"]))
        .in_dir(&dir)
        .expect_code(0)
        .stderr_has(&[
            "merge: 3 shards of `tiny` (sweep, 6 runs, tiersim ",
            "  1/3: 2 runs in parts-3/tiny-sweep-shard-1-of-3",
        ]);
    assert_eq!(
        std::fs::read(dir.join("by-folder/tiny-sweep/sweep.csv")).unwrap(),
        std::fs::read(dir.join("whole/tiny-sweep/sweep.csv")).unwrap()
    );
}

#[test]
fn a_replicated_run_in_1_3_and_7_shards_merges_to_the_bytes_of_the_whole_run() {
    let dir = scratch_dir("shards_run");
    std::fs::write(dir.join("tiny.toml"), TINY).unwrap();
    whole_equals_merged(&dir, &RUN, "tiny", &[1, 3, 7]);
}

#[test]
fn shards_that_do_not_belong_together_are_refused_naming_the_shard() {
    let dir = scratch_dir("shards_refused");
    std::fs::write(dir.join("tiny.toml"), TINY).unwrap();
    std::fs::write(dir.join("other.toml"), TINY.replace("\"1m\"", "\"90s\"")).unwrap();
    for i in 1..=3 {
        let spec = format!("{i}/3");
        Cli::new(&with(&SWEEP, &["--shard", &spec, "-q"]))
            .in_dir(&dir)
            .expect_code(0);
        let mut other = SWEEP;
        other[1] = "other.toml";
        Cli::new(&with(&other, &["--shard", &spec, "--out", "other", "-q"]))
            .in_dir(&dir)
            .expect_code(0);
    }
    let shard = |i: usize| format!("output/tiny-sweep-shard-{i}-of-3");
    let merge = |args: &[&str]| {
        Cli::new(&with(&["merge"], args))
            .in_dir(&dir)
            .expect_code(2)
    };
    merge(&[&shard(1), &shard(3)]).stderr_has(&[
        "merge: shard 2/3 of `tiny` is missing (run it with --shard 2/3 and the same flags)",
    ]);
    std::fs::create_dir(dir.join("copy")).unwrap();
    let copy = dir.join("copy/tiny-sweep-shard-2-of-3");
    std::fs::create_dir(&copy).unwrap();
    for (name, bytes) in files(&dir.join(shard(2))) {
        std::fs::write(copy.join(name), bytes).unwrap();
    }
    merge(&["output", "copy"]).stderr_has(&[
        "merge: shard 2/3 is given twice: output/tiny-sweep-shard-2-of-3 and \
         copy/tiny-sweep-shard-2-of-3",
    ]);
    merge(&[&shard(1), &shard(2), "other/tiny-sweep-shard-3-of-3"]).stderr_has(&[
        "merge: other/tiny-sweep-shard-3-of-3 is not a shard of the same job as \
         output/tiny-sweep-shard-1-of-3: they differ in scenario_sha256 (",
    ]);
    // A shard cut short (one run of its two) is refused, naming its file.
    let cut = dir.join("cut");
    std::fs::create_dir(&cut).unwrap();
    for i in 1..=3 {
        let to = cut.join(format!("tiny-sweep-shard-{i}-of-3"));
        std::fs::create_dir(&to).unwrap();
        for (name, bytes) in files(&dir.join(shard(i))) {
            let bytes = if i == 3 && name == "runs.jsonl" {
                let first = bytes.iter().position(|&b| b == b'\n').unwrap();
                bytes[..=first].to_vec()
            } else {
                bytes
            };
            std::fs::write(to.join(name), bytes).unwrap();
        }
    }
    merge(&["cut"]).stderr_has(&[
        "merge: cut/tiny-sweep-shard-3-of-3/runs.jsonl does not hold the runs its shard.json \
         lists (1 of 2): the shard is incomplete; run it again",
    ]);
    merge(&["nowhere"]).stderr_has(&["merge: cannot read nowhere: "]);
    merge(&["."]).stderr_has(&["merge: . holds no shard (no shard.json in it or in the folders"]);
    assert!(!dir.join("output/tiny-sweep").exists(), "nothing merged");
}

#[test]
fn a_bad_shard_names_the_flag_and_what_is_allowed() {
    for (bad, why) in [
        ("0/3", "I must be from 1 to 3"),
        ("4/3", "I must be from 1 to 3"),
        ("1/0", "N must be from 1 to 100000"),
        ("two", "no `/`"),
    ] {
        for command in [&SWEEP[..], &RUN[..]] {
            Cli::new(&with(command, &["--shard", bad]))
                .expect_code(2)
                .stderr_has(&[&format!("error: --shard {bad}: {why}"), "expected I/N"]);
        }
    }
}

#[test]
fn print_shards_lists_every_shard_with_its_runs_and_expected_cost() {
    let dir = scratch_dir("shards_print");
    std::fs::write(dir.join("tiny.toml"), TINY).unwrap();
    let ran = Cli::new(&with(&SWEEP, &["--print-shards", "4"]))
        .in_dir(&dir)
        .expect_code(0);
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert!(
        lines[0]
            .starts_with("tiny-sweep (3 points x 1 variant x 2 replications): 6 runs in 4 shards"),
        "{}",
        ran.stdout
    );
    // Rates 3, 6, 9 visits/s cost 1 : 2 : 3 (events grow with the rate). Longest first, the
    // runs of cost 3, 3, 2, 2 go to shards 1, 2, 3, 4, then the two of cost 1 to shards 3 and 4
    // (the least loaded, the lower first): 3, 3, 3, 3, an even split.
    let rows: Vec<Vec<&str>> = lines[3..]
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 4);
    let runs: Vec<&str> = rows.iter().map(|r| r[1]).collect();
    assert_eq!(runs, ["1", "1", "2", "2"]);
    for row in &rows {
        assert_eq!(row[4], "25.0%", "{row:?}");
    }
    assert!(!dir.join("output").exists(), "nothing runs");
}
