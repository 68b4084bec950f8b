//! Ctrl-C and SIGTERM in every phase of `run` and `sweep` (issue 18, item 3): the binary is run
//! with `TIERSIM_PHASES` set, so that it reports each phase on standard error, and the signal is
//! sent once the phase named has begun. Each test asserts exit status 130, an exit within 1 s of
//! the signal (a generous bound: the latency measured by `benches/interrupt.sh` is in
//! docs/robustness.md), and the previous output folder byte for byte.

use crate::support::{scratch_dir, wait_at_most};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// 60 servers over 4 hours in 1 s buckets: 864,000 rows of `servers.csv` and charts of 60
/// series of 14,400 points (about 4 s of charts and 150 MB of files in the test profile).
const HEAVY: &str = r#"name = "heavy"
duration = "4h"
warmup = "10s"
bucket = "1s"
[users]
visits_per_s = 2
[servers]
count = 60
"#;

/// A sweep whose simulation takes minutes: 2 points × 2 variants × 3 replications of 2,000 h.
const LONG: &str = r#"name = "long"
duration = "2000h"
warmup = "10s"
bucket = "1h"
[users]
visits_per_s = 2
[servers]
count = 2
[[variants]]
name = "sticky"
set = { "balancer.policy" = "sticky" }
[[variants]]
name = "random"
set = { "balancer.policy" = "random" }
"#;

/// The longest a signalled run may take to exit in these tests.
const ANSWER_WITHIN: Duration = Duration::from_secs(1);

/// How a signalled run ended.
pub(crate) struct Ended {
    pub code: Option<i32>,
    pub after_signal: Duration,
    pub stderr: Vec<String>,
}

/// Runs `tiersim args` in `dir` and sends `signal` (`INT`, `TERM`) `delay` after it reported
/// entering `phase`; waits for its end (at most 10 s after the signal).
pub(crate) fn signal_in_phase(
    dir: &Path,
    args: &[&str],
    phase: &str,
    delay: Duration,
    signal: &str,
) -> Ended {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tiersim"))
        .args(args)
        .current_dir(dir)
        .env("TIERSIM_PHASES", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tiersim starts");
    let lines = child.stderr.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(lines).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let wanted = format!("phase: {phase}");
    let mut stderr = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(300);
    while stderr.last() != Some(&wanted) {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => stderr.push(line),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("tiersim never reported `{wanted}`; its standard error: {stderr:?}");
            }
        }
    }
    std::thread::sleep(delay);
    let sent = Instant::now();
    let killed = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let status = wait_at_most(&mut child, Duration::from_secs(10), "a signalled tiersim");
    let after_signal = sent.elapsed();
    // The reader ends at the end of the pipe, which the exit closed.
    stderr.extend(rx.iter());
    Ended {
        code: status.code(),
        after_signal,
        stderr,
    }
}

/// Every file under `dir`, by relative path, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("readable") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                files.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// A previous output folder `out/<name>/` with two files, and what `out/` holds.
fn previous_results(dir: &Path, name: &str) -> BTreeMap<String, Vec<u8>> {
    let folder = dir.join("out").join(name);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("summary.csv"), "previous results\n").unwrap();
    std::fs::write(folder.join("report.html"), "<p>previous</p>\n").unwrap();
    snapshot(&dir.join("out"))
}

/// Exit status 130 within [`ANSWER_WITHIN`] of the signal, `out/` as it was.
fn assert_answered(ended: &Ended, dir: &Path, before: &BTreeMap<String, Vec<u8>>) {
    assert_eq!(ended.code, Some(130), "stderr: {:?}", ended.stderr);
    assert!(
        ended.after_signal < ANSWER_WITHIN,
        "exited {:?} after the signal; stderr: {:?}",
        ended.after_signal,
        ended.stderr
    );
    assert!(
        ended.stderr.iter().any(|l| l.contains("interrupted")),
        "{:?}",
        ended.stderr
    );
    assert!(
        snapshot(&dir.join("out")) == *before,
        "out/ changed: the previous results must stay byte for byte, with nothing beside them"
    );
}

#[test]
fn ctrl_c_while_charts_are_drawn_exits_130_at_once_and_keeps_the_previous_results() {
    let dir = scratch_dir("interrupt_charts");
    std::fs::write(dir.join("heavy.toml"), HEAVY).unwrap();
    let before = previous_results(&dir, "heavy");
    // 300 ms into the charts: inside the drawing of one of them (they take seconds).
    let args = ["run", "heavy.toml", "--out", "out"];
    let ended = signal_in_phase(&dir, &args, "charts", Duration::from_millis(300), "INT");
    assert_answered(&ended, &dir, &before);
    assert!(
        !ended.stderr.iter().any(|l| l == "phase: report"),
        "the charts were not finished: {:?}",
        ended.stderr
    );
}

#[test]
fn ctrl_c_while_files_are_written_exits_130_and_keeps_the_previous_results() {
    let dir = scratch_dir("interrupt_writing");
    std::fs::write(dir.join("heavy.toml"), HEAVY).unwrap();
    let before = previous_results(&dir, "heavy");
    // About 150 MB to write in pieces of 4 MiB: the signal comes as the first ones are written.
    let args = ["run", "heavy.toml", "--out", "out"];
    let ended = signal_in_phase(&dir, &args, "writing", Duration::ZERO, "INT");
    assert_answered(&ended, &dir, &before);
}

#[test]
fn sigterm_while_a_sweep_of_replications_simulates_exits_130_and_keeps_the_previous_sweep() {
    let dir = scratch_dir("interrupt_sweep");
    std::fs::write(dir.join("long.toml"), LONG).unwrap();
    let before = previous_results(&dir, "long-sweep");
    let args = [
        "sweep",
        "long.toml",
        "--param",
        "servers.count=2,3",
        "--replications",
        "3",
        "--out",
        "out",
    ];
    let ended = signal_in_phase(
        &dir,
        &args,
        "simulation",
        Duration::from_millis(300),
        "TERM",
    );
    assert_answered(&ended, &dir, &before);
}
