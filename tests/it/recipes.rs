//! The recipes of docs/scaling.md run for real: a sweep as 4 shards under GNU parallel, and as a
//! Slurm job array (`contrib/slurm/`) on a single-node Slurm started on this machine
//! (`.ci/slurm-local`), each merged and compared byte for byte with the whole sweep.
//!
//! Both need programs from outside the crate: `#[ignore = "needs parallel"]` and `#[ignore =
//! "needs slurm-wlm"]`, run by `cargo test -- --ignored` (as `.ci/run` does after installing
//! them), where a missing program fails the test.

use crate::support::{Cli, TINY, require_tool, scratch_dir, wait_at_most};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The sweep: 2 x 2 points x 2 variants x 2 replications = 16 runs.
const SWEEP: &str = "--param servers.count=2,3 --param users.visits_per_s=4,6 --replications 2";

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

/// Writes the scenario and runs the whole sweep into `whole/`; returns its files.
fn whole_sweep(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::write(dir.join("tiny.toml"), TINY).unwrap();
    let mut args = vec!["sweep", "tiny.toml"];
    args.extend(SWEEP.split(' '));
    args.extend(["--out", "whole", "-q"]);
    Cli::new(&args).in_dir(dir).expect_code(0);
    files(&dir.join("whole/tiny-sweep"))
}

/// Checks that `merged` holds the very files of the whole sweep.
fn same_files(whole: &BTreeMap<String, Vec<u8>>, merged: &Path) {
    let got = files(merged);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        whole.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in whole {
        assert!(got[name] == *bytes, "{name} differs from the whole sweep's");
    }
}

/// Runs `script` with bash in `dir`, at most `limit`, with `env`; fails on a non-zero status.
fn bash(dir: &Path, script: &str, env: &[(&str, &str)], limit: Duration) {
    let mut command = Command::new("bash");
    command
        .args(["-c", script])
        .current_dir(dir)
        .stdin(Stdio::null());
    command.envs(env.iter().copied());
    let mut child = command.spawn().expect("bash runs");
    let status = wait_at_most(&mut child, limit, script);
    assert!(status.success(), "{script}: {status}");
}

#[test]
#[ignore = "needs parallel"]
fn a_sweep_in_4_shards_under_gnu_parallel_merges_to_the_whole_sweep() {
    require_tool(&["parallel"], "parallel");
    let dir = scratch_dir("recipe_parallel");
    let whole = whole_sweep(&dir);
    // The recipe of docs/scaling.md, with this build's binary for `tiersim`.
    let recipe = format!(
        "parallel --will-cite \"$TIERSIM\" sweep tiny.toml {SWEEP} --shard {{}}/4 --out shards -q \
         ::: 1 2 3 4 && \"$TIERSIM\" merge shards -q"
    );
    let bin = env!("CARGO_BIN_EXE_tiersim");
    bash(&dir, &recipe, &[("TIERSIM", bin)], Duration::from_secs(120));
    assert_eq!(
        std::fs::read_dir(dir.join("shards")).unwrap().count(),
        4,
        "one folder per shard"
    );
    same_files(&whole, &dir.join("output/tiny-sweep"));
}

/// The daemons of a local Slurm, stopped when dropped (also when the test fails).
struct LocalSlurm {
    dir: PathBuf,
}

impl Drop for LocalSlurm {
    fn drop(&mut self) {
        let _ = Command::new(script("slurm-local"))
            .args(["stop", &self.dir.display().to_string()])
            .status();
    }
}

/// A script of `.ci/`.
fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci").join(name)
}

/// A loopback port free at the moment.
fn free_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port().to_string()
}

#[test]
#[ignore = "needs slurm-wlm"]
fn a_sweep_as_a_slurm_job_array_merges_to_the_whole_sweep() {
    require_tool(&["slurmctld"], "slurm-wlm");
    require_tool(&["munged"], "munge");
    let dir = scratch_dir("recipe_slurm");
    let whole = whole_sweep(&dir);
    let slurm = LocalSlurm {
        dir: dir.join("slurm"),
    };
    let conf = slurm.dir.join("slurm.conf").display().to_string();
    let start = format!(
        "{} start {} {} {}",
        script("slurm-local").display(),
        slurm.dir.display(),
        free_port(),
        free_port()
    );
    bash(&dir, &start, &[], Duration::from_secs(60));
    // The recipe of docs/scaling.md: a job array of 3 shards, then the merge once all succeed.
    let contrib = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/slurm");
    let recipe = format!(
        "array=$(sbatch --parsable --array=1-3 {0}/sweep.sbatch) && \
         sbatch --parsable --dependency=afterok:$array --kill-on-invalid-dep=yes {0}/merge.sbatch",
        contrib.display()
    );
    let env = [
        ("SLURM_CONF", conf.as_str()),
        ("TIERSIM", env!("CARGO_BIN_EXE_tiersim")),
        ("SCENARIO", "tiny.toml"),
        ("SWEEP", SWEEP),
    ];
    bash(&dir, &recipe, &env, Duration::from_secs(30));
    wait_for_empty_queue(&dir, &conf, Duration::from_secs(180));
    let logs = ["tiersim-shard-1.log", "tiersim-merge.log"];
    for log in logs {
        assert!(dir.join(log).exists(), "{log} written by the job");
    }
    let merged = dir.join("output/tiny-sweep");
    let merge_log = std::fs::read_to_string(dir.join("tiersim-merge.log")).unwrap();
    assert!(merged.exists(), "the merge job wrote nothing:\n{merge_log}");
    assert!(
        merge_log.contains("merge: 3 shards of `tiny` (sweep, 16 runs"),
        "{merge_log}"
    );
    same_files(&whole, &merged);
}

/// Waits until the local Slurm has no job left, at most `limit`.
fn wait_for_empty_queue(dir: &Path, conf: &str, limit: Duration) {
    let started = Instant::now();
    loop {
        let out = Command::new("squeue")
            .args(["--noheader", "--format=%i %T"])
            .env("SLURM_CONF", conf)
            .current_dir(dir)
            .output()
            .expect("squeue runs");
        assert!(
            out.status.success(),
            "squeue: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let queue = String::from_utf8_lossy(&out.stdout).into_owned();
        if queue.trim().is_empty() {
            return;
        }
        assert!(
            started.elapsed() < limit,
            "jobs still queued after {limit:?}:\n{queue}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// docs/scaling.md.
fn scaling_md() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scaling.md")).unwrap()
}

#[test]
fn the_scripts_shown_in_docs_scaling_are_the_files_that_run() {
    let docs = scaling_md();
    for name in ["slurm/sweep.sbatch", "slurm/merge.sbatch"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("contrib")
            .join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            docs.contains(&format!("```bash\n{text}```")),
            "docs/scaling.md does not show contrib/{name} as it is"
        );
    }
}

#[test]
fn the_print_shards_sample_of_docs_scaling_is_what_the_binary_prints() {
    let mut checked = 0;
    for (command, shown) in crate::support::doc_samples(&scaling_md()) {
        let args: Vec<&str> = command.split_whitespace().collect();
        let ran = Cli::new(&args).expect_code(0);
        let printed: Vec<&str> = ran.stdout.lines().map(str::trim).collect();
        assert_eq!(printed, shown, "the sample of `tiersim {command}` is stale");
        checked += 1;
    }
    assert_eq!(checked, 1, "the --print-shards sample is checked");
}
