//! What the command line reads: regular files under 1 MiB, or standard input (`-`); a FIFO, a
//! device or a file over the cap is refused at once with the path and what is allowed.

use crate::support::{scratch_dir, wait_at_most};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// What a bounded run of the binary gave: exit status, standard output, standard error.
struct Finished {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `tiersim ARGS` in `dir` with `stdin`, killing it and failing the test after 20 s.
fn bounded(args: &[&str], dir: &Path, stdin: Stdio) -> Finished {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tiersim"))
        .args(args)
        .current_dir(dir)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let status = wait_at_most(&mut child, Duration::from_secs(20), &format!("{args:?}"));
    let (mut stdout, mut stderr) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!stderr.contains("panicked"), "no panic: {stderr}");
    Finished {
        code: status.code(),
        stdout,
        stderr,
    }
}

/// A FIFO made with `mkfifo` in `dir`.
fn fifo(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let made = Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", path.display());
    path
}

/// The shipped scenario `file`.
fn shipped(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file)
}

#[test]
fn a_fifo_as_scenario_is_refused_by_every_command_without_waiting() {
    let dir = scratch_dir("fifo_scenario");
    fifo(&dir, "pipe.toml");
    let commands: [&[&str]; 5] = [
        &["check", "pipe.toml"],
        &["run", "pipe.toml"],
        &["sweep", "pipe.toml", "--param", "servers.count=1,2"],
        &["live", "pipe.toml"],
        &["validate", "pipe.toml"],
    ];
    for args in commands {
        let ran = bounded(args, &dir, Stdio::null());
        assert_eq!(ran.code, Some(2), "{args:?}: {}", ran.stderr);
        for needle in ["pipe.toml", "a FIFO", "not a regular file", "at most 1 MiB"] {
            assert!(
                ran.stderr.contains(needle),
                "{args:?}: {needle}: {}",
                ran.stderr
            );
        }
    }
    assert!(!dir.join("output").exists(), "nothing is written");
}

#[test]
fn dev_zero_as_scenario_is_refused_without_reading_it() {
    let dir = scratch_dir("dev_zero");
    let ran = bounded(&["check", "/dev/zero"], &dir, Stdio::null());
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("/dev/zero: it is a device"),
        "{}",
        ran.stderr
    );
    let ran = bounded(&["check", "/tmp"], &dir, Stdio::null());
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("/tmp: it is a folder"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_scenario_over_one_mib_is_refused_from_a_file_and_from_standard_input() {
    let dir = scratch_dir("over_cap");
    // A valid scenario padded with comments to one byte over 1 MiB.
    let mut text = String::from("name = \"big\"\n");
    while text.len() < (1 << 20) {
        text += "# padding padding padding padding padding padding padding padding padding\n";
    }
    text.truncate((1 << 20) + 1);
    std::fs::write(dir.join("big.toml"), &text).unwrap();
    let ran = bounded(&["check", "big.toml"], &dir, Stdio::null());
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("big.toml: it is larger than 1 MiB"),
        "{}",
        ran.stderr
    );
    let zeros = std::fs::File::open("/dev/zero").unwrap();
    let ran = bounded(&["run", "-"], &dir, Stdio::from(zeros));
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("<stdin>: it is larger than 1 MiB"),
        "{}",
        ran.stderr
    );
    // Exactly 1 MiB is allowed.
    text.truncate(1 << 20);
    std::fs::write(dir.join("big.toml"), &text).unwrap();
    let ran = bounded(&["check", "big.toml"], &dir, Stdio::null());
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
}

#[test]
fn list_skips_a_fifo_named_toml() {
    let dir = scratch_dir("list_fifo");
    std::fs::copy(shipped("02-server-crash.toml"), dir.join("crash.toml")).unwrap();
    fifo(&dir, "pipe.toml");
    std::fs::create_dir(dir.join("folder.toml")).unwrap();
    let ran = bounded(&["list", "."], &dir, Stdio::null());
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(ran.stdout.contains("crash.toml"), "{}", ran.stdout);
    assert_eq!(
        ran.stdout.lines().count(),
        1,
        "only the regular file: {}",
        ran.stdout
    );
}

#[test]
fn run_dash_reads_standard_input_and_writes_the_same_csv_files_as_the_path() {
    let dir = scratch_dir("run_stdin");
    let scenario = shipped("02-server-crash.toml");
    let path = scenario.to_str().unwrap();
    let ran = bounded(
        &["run", path, "--out", "a", "--no-charts"],
        &dir,
        Stdio::null(),
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let mut child = Command::new(env!("CARGO_BIN_EXE_tiersim"))
        .args(["run", "-", "--out", "b", "--no-charts"])
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(&scenario).unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let status = wait_at_most(&mut child, Duration::from_secs(60), "run -");
    assert!(status.success(), "run - failed");
    for file in [
        "summary.csv",
        "replications.csv",
        "timeseries.csv",
        "servers.csv",
        "events.csv",
    ] {
        let from_path = std::fs::read(dir.join("a/server-crash").join(file)).unwrap();
        let from_stdin = std::fs::read(dir.join("b/server-crash").join(file)).unwrap();
        assert!(
            from_path == from_stdin,
            "{file} differs between the path and stdin"
        );
    }
    let ran = bounded(
        &["check", "-"],
        &dir,
        Stdio::from(std::fs::File::open(&scenario).unwrap()),
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(
        ran.stdout.starts_with("<stdin>: ok, `server-crash`"),
        "{}",
        ran.stdout
    );
}
