//! Helpers shared by the integration tests: scenarios from text, runs, and CLI runs that state
//! what they expect.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output};
use std::time::{Duration, Instant};
use tiersim::engine::simulate;
use tiersim::metrics::RunResult;
use tiersim::scenario::Scenario;

/// The scenario of variant `variant` (or the only one) of a scenario file's text.
pub fn scenario(text: &str, variant: Option<&str>) -> Scenario {
    let experiment = tiersim::config::parse("test.toml", text, &[], None)
        .unwrap_or_else(|e| panic!("test scenario is invalid:\n{e}"));
    let chosen = match variant {
        Some(name) => experiment
            .variants
            .iter()
            .find(|v| v.name == name)
            .expect("variant"),
        None => &experiment.variants[0],
    };
    chosen.scenario.clone()
}

/// Runs variant `variant` (or the only one) of a scenario text.
pub fn run(text: &str, variant: Option<&str>) -> RunResult {
    simulate(variant.unwrap_or("base"), &scenario(text, variant))
}

/// Runs every variant of a scenario file.
pub fn run_file(path: &Path) -> Vec<RunResult> {
    let text = std::fs::read_to_string(path).expect("readable scenario");
    let experiment = tiersim::config::parse(&path.display().to_string(), &text, &[], None)
        .unwrap_or_else(|e| panic!("{e}"));
    experiment
        .variants
        .iter()
        .map(|v| simulate(&v.name, &v.scenario))
        .collect()
}

/// The shipped scenario files, sorted.
pub fn shipped_scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("scenarios/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 9,
        "the eight teaching scenarios and rebalance.toml ship: {files:?}"
    );
    files
}

/// A fresh empty folder for one test.
pub fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A run of the `tiersim` binary and what it is expected to do.
pub struct Cli {
    args: Vec<String>,
    dir: PathBuf,
}

/// What a finished CLI run produced.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Cli {
    /// `tiersim ARGS...`, run in the crate's root folder.
    pub fn new(args: &[&str]) -> Self {
        Cli {
            args: args.iter().map(|s| s.to_string()).collect(),
            dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        }
    }

    /// Runs in `dir` instead.
    pub fn in_dir(mut self, dir: &Path) -> Self {
        self.dir = dir.to_path_buf();
        self
    }

    /// Runs it and checks the exit status.
    pub fn expect_code(self, code: i32) -> Ran {
        let Output {
            status,
            stdout,
            stderr,
        } = Command::new(env!("CARGO_BIN_EXE_tiersim"))
            .args(&self.args)
            .current_dir(&self.dir)
            .output()
            .expect("the binary runs");
        let ran = Ran {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        };
        assert_eq!(
            ran.code, code,
            "tiersim {:?}: exit status\nstdout:\n{}\nstderr:\n{}",
            self.args, ran.stdout, ran.stderr
        );
        assert!(!ran.stderr.contains("panicked"), "no panic: {}", ran.stderr);
        ran
    }
}

impl Ran {
    /// Asserts that standard error contains every one of `needles`.
    pub fn stderr_has(&self, needles: &[&str]) -> &Self {
        for n in needles {
            assert!(
                self.stderr.contains(n),
                "stderr lacks {n:?}:\n{}",
                self.stderr
            );
        }
        self
    }

    /// Asserts that standard output contains every one of `needles`.
    pub fn stdout_has(&self, needles: &[&str]) -> &Self {
        for n in needles {
            assert!(
                self.stdout.contains(n),
                "stdout lacks {n:?}:\n{}",
                self.stdout
            );
        }
        self
    }
}

/// The first of `programs` found on `PATH`, for a test that needs a tool from outside the crate.
///
/// Such a test is `#[ignore = "needs PACKAGE"]`, so plain `cargo test` lists it as ignored with
/// that reason; `cargo test -- --ignored` (what `.ci/run` runs after installing the tools) runs
/// it, and there a missing tool fails the test with a message naming the package: a test never
/// passes without checking.
#[track_caller]
pub fn require_tool(programs: &[&str], package: &str) -> PathBuf {
    let paths = std::env::var_os("PATH").unwrap_or_default();
    let found = programs.iter().find_map(|program| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|path| path.is_file())
    });
    match found {
        Some(path) => path,
        None => panic!(
            "this test needs {package}, and none of {programs:?} is on PATH: install the package \
             `{package}` (`apt-get install -y {package}`; `.ci/run` installs it)"
        ),
    }
}

/// Waits for a child process, killing it and failing the test if it runs past `limit` (every
/// wait of the tests is bounded).
pub fn wait_at_most(child: &mut Child, limit: Duration, what: &str) -> ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Two variants (sticky sessions, a shared store) on two servers for one minute: each run takes a
/// few milliseconds (the scenario of the shard and recipe tests).
pub const TINY: &str = r#"name = "tiny"
duration = "1m"
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

/// One variant on two servers for one minute, 2 visits/s (the scenario of the hardening and
/// refusal tests).
pub const TINY_ONE: &str = r#"name = "tiny"
duration = "1m"
warmup = "10s"
[users]
visits_per_s = 2
[servers]
count = 2
"#;

/// A fresh folder named after `test` holding [`TINY_ONE`] as `tiny.toml`.
pub fn tiny_folder(test: &str) -> PathBuf {
    let dir = scratch_dir(test);
    std::fs::write(dir.join("tiny.toml"), TINY_ONE).unwrap();
    dir
}

/// The sample outputs of a Markdown text: each ```text block right after a line
/// `<!-- sample: tiersim ARGS -->` (indented or not), as (ARGS, the block's lines trimmed).
pub fn doc_samples(text: &str) -> Vec<(String, Vec<String>)> {
    let mut samples = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(command) = line
            .strip_prefix("<!-- sample: tiersim ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        assert_eq!(lines.next(), Some("```text"), "a text block after {line}");
        let block = lines.by_ref().take_while(|l| *l != "```");
        samples.push((command.to_string(), block.map(str::to_string).collect()));
    }
    samples
}
