//! Regression tests of what a hostile user tried (issue 18): each states the hostile input and
//! the answer the program must give (an exit status, a message, files kept or written).

use crate::support::{Cli, TINY_ONE, scratch_dir};

#[test]
fn a_sweep_range_as_wide_as_i64_is_refused_without_a_panic() {
    let dir = scratch_dir("sweep_i64_range");
    std::fs::write(dir.join("tiny.toml"), TINY_ONE).unwrap();
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
    std::fs::write(dir.join("tiny.toml"), TINY_ONE).unwrap();
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

/// `tiersim sweep tiny.toml --param SPEC` in `dir`, run by `sh` with its file size limit at
/// `max_file_blocks` blocks of 512 bytes (a full disk without filling one); returns whether it
/// succeeded.
fn sweep_with_file_limit(dir: &std::path::Path, spec: &str, max_file_blocks: u32) -> bool {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -f {max_file_blocks} && exec \"$0\" sweep tiny.toml --param '{spec}' --quiet"
        ))
        .arg(env!("CARGO_BIN_EXE_tiersim"))
        .current_dir(dir)
        .status()
        .expect("sh runs")
        .success()
}

#[test]
fn a_run_after_a_sweep_leaves_the_sweep_in_place() {
    let dir = scratch_dir("run_after_sweep");
    std::fs::write(dir.join("tiny.toml"), TINY_ONE).unwrap();
    let sweep = || {
        Cli::new(&[
            "sweep",
            "tiny.toml",
            "--param",
            "servers.count=1..2",
            "--no-charts",
            "-q",
        ])
        .in_dir(&dir)
        .expect_code(0)
    };
    sweep();
    let swept = std::fs::read_to_string(dir.join("output/tiny-sweep/sweep.csv")).unwrap();
    Cli::new(&["run", "tiny.toml", "-q"])
        .in_dir(&dir)
        .expect_code(0);
    assert!(dir.join("output/tiny/summary.csv").is_file());
    assert_eq!(
        std::fs::read_to_string(dir.join("output/tiny-sweep/sweep.csv")).unwrap(),
        swept,
        "the run kept the sweep"
    );
    sweep();
    assert!(
        dir.join("output/tiny/summary.csv").is_file(),
        "the sweep kept the run"
    );
}

#[test]
fn a_sweep_that_fails_to_write_leaves_the_previous_sweep_whole() {
    let dir = scratch_dir("sweep_half_written");
    std::fs::write(dir.join("tiny.toml"), TINY_ONE).unwrap();
    assert!(sweep_with_file_limit(&dir, "servers.count=1..2", 1 << 20));
    let folder = dir.join("output/tiny-sweep");
    let before: Vec<(String, Vec<u8>)> = folder_contents(&folder);
    assert!(before.iter().any(|(name, _)| name == "sweep-report.html"));
    // 40 blocks (20 KiB) hold the new sweep.csv but not its first chart: the write fails.
    assert!(!sweep_with_file_limit(&dir, "servers.count=3..4", 40));
    assert_eq!(
        folder_contents(&folder),
        before,
        "the previous sweep is intact"
    );
}

/// The names and bytes of a folder's files, sorted by name.
fn folder_contents(folder: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// `tiersim ARGS...` in `dir`, run by `sh` with at most `open_files` open files (soft and hard
/// limit): what a machine with a low `ulimit -n` gives the live mode.
fn with_open_files(dir: &std::path::Path, open_files: u32, args: &str) -> std::process::Output {
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -n {open_files} && exec \"$0\" {args}"))
        .arg(env!("CARGO_BIN_EXE_tiersim"))
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sh runs");
    crate::support::wait_at_most(&mut child, std::time::Duration::from_secs(60), "tiersim");
    child.wait_with_output().unwrap()
}

const LIVE_FEW_USERS: &str = r#"name = "few"
duration = "1m"
warmup = "10s"
[users]
visits_per_s = 0.5
requests_per_visit = 3
think_time = "1s"
[servers]
count = 2
"#;

#[test]
fn live_refuses_users_beyond_the_limit_of_open_files_with_the_numbers() {
    let dir = scratch_dir("live_few_files");
    // 5 visits a second × 11 requests × (2 s of thought + the service time) ≈ 111.4 users at
    // once; they share twice that, 223 connections, × 8 files + 256 + both ends of an idle
    // connection to each of the 2 servers = 2,044 files, above 300.
    let many = LIVE_FEW_USERS
        .replace("visits_per_s = 0.5", "visits_per_s = 5")
        .replace("requests_per_visit = 3", "requests_per_visit = 10")
        .replace("think_time = \"1s\"", "think_time = \"2s\"");
    std::fs::write(dir.join("many.toml"), many).unwrap();
    let out = with_open_files(&dir, 300, "live many.toml --time-scale 60 --no-charts -q");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for needle in [
        "about 111 users at once",
        "share 223 connections",
        "2044 open files",
        "limit of 300",
        "`ulimit -n`",
    ] {
        assert!(stderr.contains(needle), "{needle:?} in {stderr}");
    }
    assert!(!dir.join("output").exists(), "nothing is written");
}

#[test]
fn live_within_a_low_limit_of_open_files_runs_without_harness_errors() {
    let dir = scratch_dir("live_low_files");
    std::fs::write(dir.join("few.toml"), LIVE_FEW_USERS).unwrap();
    let out = with_open_files(&dir, 400, "live few.toml --time-scale 20 --no-charts -q");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let summary = std::fs::read_to_string(dir.join("output/few-live/summary.csv")).unwrap();
    let mut lines = summary.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert!(column("requests").parse::<u64>().unwrap() > 50, "{summary}");
    assert_eq!(
        column("errors"),
        "0",
        "no request failed for want of a file: {summary}"
    );
}

#[test]
fn the_longest_name_allowed_is_written_by_run_and_sweep() {
    let dir = scratch_dir("longest_name");
    let name = "n".repeat(tiersim::config::MAX_NAME_BYTES);
    std::fs::write(
        dir.join("long.toml"),
        TINY_ONE.replace("name = \"tiny\"", &format!("name = \"{name}\"")),
    )
    .unwrap();
    Cli::new(&["run", "long.toml", "-q", "--no-charts"])
        .in_dir(&dir)
        .expect_code(0);
    Cli::new(&[
        "sweep",
        "long.toml",
        "--param",
        "servers.count=1,2",
        "-q",
        "--no-charts",
    ])
    .in_dir(&dir)
    .expect_code(0);
    assert!(dir.join("output").join(&name).join("summary.csv").is_file());
    let sweep = dir.join("output").join(format!("{name}-sweep"));
    assert!(sweep.join("sweep.csv").is_file());
}

#[test]
#[ignore = "needs redis-server"]
fn live_keeps_its_results_when_someone_elses_redis_dies_mid_run() {
    crate::support::require_tool(&["redis-server"], "redis-server");
    let dir = scratch_dir("live_redis_dies");
    let text = LIVE_FEW_USERS.replace("name = \"few\"", "name = \"dies\"")
        + "[sessions]\nstorage = \"shared_store\"\n";
    std::fs::write(dir.join("dies.toml"), text).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut redis = std::process::Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("redis-server starts");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let store = format!("redis://127.0.0.1:{port}");
    let mut live = std::process::Command::new(env!("CARGO_BIN_EXE_tiersim"))
        .args([
            "live",
            "dies.toml",
            "--time-scale",
            "20",
            "--no-charts",
            "-q",
        ])
        .args(["--store", &store])
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The run takes 3 s of wall time: Redis dies in its middle.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    redis.kill().unwrap();
    redis.wait().unwrap();
    let status =
        crate::support::wait_at_most(&mut live, std::time::Duration::from_secs(60), "live");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut live.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: variant base: cannot remove the run's sessions"),
        "{stderr}"
    );
    assert!(stderr.contains("the results are kept"), "{stderr}");
    assert!(
        dir.join("output/dies-live/summary.csv").is_file(),
        "the results are written"
    );
}

/// `tiersim ARGS...` with its standard error on `/dev/full` (every write to it fails): its exit
/// status, which must be the command's own, not a panic's (101).
fn with_stderr_full(args: &[&str]) -> Option<i32> {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists");
    std::process::Command::new(env!("CARGO_BIN_EXE_tiersim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::null())
        .stderr(full)
        .status()
        .unwrap()
        .code()
}

#[test]
fn a_standard_error_that_cannot_be_written_does_not_panic() {
    // A refused scenario: the messages are lost, the status is still 2.
    assert_eq!(
        with_stderr_full(&["check", "tests/malformed/count-zero.toml"]),
        Some(2)
    );
    assert_eq!(with_stderr_full(&["check", "--no-such-flag"]), Some(2));
    assert_eq!(
        with_stderr_full(&["check", "scenarios/02-server-crash.toml"]),
        Some(0)
    );
    // A run and a sweep print what they wrote on standard error.
    let out = scratch_dir("stderr_full");
    let out = out.to_str().unwrap();
    let short = [
        "--set",
        "duration=2m",
        "--set",
        "warmup=0s",
        "--no-charts",
        "--out",
        out,
    ];
    let run = [&["run", "scenarios/01-why-sticky.toml"][..], &short[..]].concat();
    assert_eq!(with_stderr_full(&run), Some(0));
    let sweep = [
        &["sweep", "scenarios/01-why-sticky.toml"][..],
        &["--param", "servers.count=2,3"][..],
        &short[..],
    ]
    .concat();
    assert_eq!(with_stderr_full(&sweep), Some(0));
}

#[test]
#[ignore = "needs redis-server"]
fn a_managed_redis_dies_with_a_killed_tiersim() {
    crate::support::require_tool(&["redis-server"], "redis-server");
    dies_with_a_killed_tiersim(
        "managed_redis_orphan",
        &["--store", "redis-managed"],
        "redis-server",
    );
}

#[test]
#[ignore = "needs haproxy"]
fn a_managed_haproxy_dies_with_a_killed_tiersim() {
    crate::support::require_tool(&["haproxy"], "haproxy");
    let (dir, killed) = dies_with_a_killed_tiersim(
        "managed_haproxy_orphan",
        &["--balancer", "haproxy"],
        "haproxy",
    );
    // The killed tiersim could not remove its HAProxy folder (configuration, socket, log); the
    // next one that starts an HAProxy removes it, as its owner no longer runs.
    let tmp = dir.join("tmp");
    let left = |tmp: &std::path::Path| -> Vec<String> {
        std::fs::read_dir(tmp)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with("tiersim-haproxy-"))
            .collect()
    };
    let killed_folder = format!("tiersim-haproxy-{killed}-0");
    assert_eq!(left(&tmp), std::slice::from_ref(&killed_folder));
    let next = std::process::Command::new(env!("CARGO_BIN_EXE_tiersim"))
        .args([
            "live",
            "few.toml",
            "--time-scale",
            "20",
            "--no-charts",
            "-q",
        ])
        .args(["--balancer", "haproxy", "--set", "duration=20s"])
        .env("TMPDIR", &tmp)
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&next.stderr);
    assert_eq!(next.status.code(), Some(0), "{stderr}");
    assert_eq!(left(&tmp), Vec::<String>::new(), "{killed_folder} removed");
}

/// `tiersim live` with `args` starts `program` (and announces `PROGRAM pid N`); after a SIGKILL
/// of tiersim, which no handler of its sees, the kernel kills the program within 3 s. Returns
/// the test's folder (its temporary files in `tmp/`) and the killed tiersim's pid.
fn dies_with_a_killed_tiersim(
    test: &str,
    args: &[&str],
    program: &str,
) -> (std::path::PathBuf, u32) {
    use std::io::BufRead;
    crate::support::require_tool(&["setpriv"], "util-linux");
    let dir = scratch_dir(test);
    let text = LIVE_FEW_USERS.replace("duration = \"1m\"", "duration = \"10m\"")
        + "[sessions]\nstorage = \"shared_store\"\n";
    std::fs::write(dir.join("few.toml"), text).unwrap();
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    let mut live = std::process::Command::new(env!("CARGO_BIN_EXE_tiersim"))
        .args(["live", "few.toml", "--time-scale", "20", "--no-charts"])
        .args(args)
        .env("TMPDIR", dir.join("tmp"))
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let marker = format!("{program} pid ");
    let stderr = std::io::BufReader::new(live.stderr.take().unwrap());
    let pid: u32 = stderr
        .lines()
        .take(50)
        .find_map(|line| {
            let line = line.ok()?;
            let (_, pid) = line.split_once(marker.as_str())?;
            pid.split_whitespace().next()?.parse().ok()
        })
        .unwrap_or_else(|| panic!("live announces the {program} pid"));
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    let killed = live.id();
    live.kill().unwrap(); // SIGKILL: no handler of tiersim's runs.
    live.wait().unwrap();
    let gone = |pid: u32| match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // A zombie waiting for its new parent to reap it is dead too.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
    };
    let started = std::time::Instant::now();
    while !gone(pid) && started.elapsed() < std::time::Duration::from_secs(3) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        gone(pid),
        "{program} {pid} outlived a SIGKILL of tiersim by 3 s"
    );
    (dir, killed)
}

#[test]
fn live_survives_idle_connections_that_exhaust_its_file_descriptors_and_says_so() {
    use std::io::{BufRead, Read};
    let dir = scratch_dir("live_flooded");
    std::fs::write(dir.join("few.toml"), LIVE_FEW_USERS).unwrap();
    let mut live = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 300 && exec \"$0\" live few.toml --time-scale 20 --no-charts")
        .arg(env!("CARGO_BIN_EXE_tiersim"))
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(live.stderr.take().unwrap());
    // The announcement names the balancer: `live: balancer 127.0.0.1:PORT servers ...`.
    let balancer: std::net::SocketAddr = (&mut stderr)
        .lines()
        .take(50)
        .find_map(|line| {
            let line = line.ok()?;
            let (_, rest) = line.split_once("balancer ")?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .expect("live announces its balancer");
    // 400 idle connections from another program: more than the 300 files tiersim may open.
    let idle: Vec<std::net::TcpStream> = (0..400)
        .map_while(|_| std::net::TcpStream::connect(balancer).ok())
        .collect();
    std::thread::sleep(std::time::Duration::from_secs(1));
    drop(idle);
    let status =
        crate::support::wait_at_most(&mut live, std::time::Duration::from_secs(60), "live");
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert_eq!(status.code(), Some(0), "{rest}");
    assert!(
        rest.contains("warning: variant base: the cluster failed to accept a connection"),
        "the harness's errors are named as such: {rest}"
    );
    assert!(dir.join("output/few-live/summary.csv").is_file());
}

/// `check` applies `run`'s resource guard: 1 µs buckets over 10 minutes pass every check of the
/// file, but no run could keep their rows, so `check` must not say ok.
#[test]
fn check_refuses_what_run_would_refuse() {
    let args = ["scenarios/01-why-sticky.toml", "--set", "bucket=1us"];
    let refused = "more than the limit of";
    Cli::new(&[&["run"][..], &args[..], &["--out", "/nonexistent-out"][..]].concat())
        .expect_code(2)
        .stderr_has(&[refused]);
    let ran = Cli::new(&[&["check"][..], &args[..]].concat()).expect_code(2);
    ran.stderr_has(&[refused, "`run` would refuse: scenarios/01-why-sticky.toml"]);
    assert!(
        !ran.stdout.contains(": ok"),
        "check said ok: {}",
        ran.stdout
    );
}
