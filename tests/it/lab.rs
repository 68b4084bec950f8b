//! `tiersim lab`: the JSON API called over loopback, as the page and a script call it, and the
//! server's life (its first line, Ctrl-C).

use crate::support::{Cli, scratch_dir, wait_at_most};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `tiersim lab` and its port; killed when dropped (a test that failed).
pub(crate) struct Lab {
    child: Child,
    pub(crate) port: u16,
    /// Its standard output, kept open.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Lab {
    pub(crate) fn start(args: &[&str]) -> Lab {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tiersim"))
            .arg("lab")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary runs");
        let mut first = String::new();
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        stdout.read_line(&mut first).expect("a first line");
        let port = first
            .strip_prefix("lab: http://127.0.0.1:")
            .and_then(|rest| rest.trim_end().strip_suffix('/'))
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the first line names the address: {first:?}"));
        Lab {
            child,
            port,
            _stdout: stdout,
        }
    }

    /// One HTTP/1.1 request, the connection closed after it: (status, body).
    fn call(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connects");
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("an answer");
        let (head, body) = answer.split_once("\r\n\r\n").expect("headers end");
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .expect("a status");
        (status, body.to_string())
    }

    pub(crate) fn run(&self, scenario: &str, set: Value) -> (u16, Value) {
        self.run_from(None, scenario, set)
    }

    /// A run asked by `page` (none: a run of its own).
    fn run_from(&self, page: Option<&str>, scenario: &str, set: Value) -> (u16, Value) {
        let body = json!({ "scenario": scenario, "set": set, "page": page }).to_string();
        let (status, text) = self.call("POST", "/api/run", &body);
        (status, serde_json::from_str(&text).expect("JSON"))
    }

    /// Ctrl-C: exits 0 and its port no longer answers.
    fn interrupt(mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(sent.success());
        let status = wait_at_most(&mut self.child, Duration::from_secs(10), "tiersim lab");
        assert_eq!(status.code(), Some(0), "Ctrl-C ends the lab with status 0");
        assert!(
            TcpStream::connect(("127.0.0.1", self.port)).is_err(),
            "nothing listens"
        );
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn shipped(file: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file);
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn the_lab_runs_02_with_eight_servers_as_tiersim_run_does() {
    let dir = scratch_dir("lab_02_eight");
    Cli::new(&[
        "run",
        "scenarios/02-server-crash.toml",
        "--set",
        "servers.count=8",
        "--no-charts",
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ])
    .expect_code(0);
    let csv = std::fs::read_to_string(dir.join("server-crash/summary.csv")).unwrap();
    let lab = Lab::start(&[]);
    let (status, answer) = lab.run(
        &shipped("02-server-crash.toml"),
        json!({"servers.count": 8}),
    );
    assert_eq!(status, 200, "{answer}");
    let mut lines = csv.lines();
    let columns: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<&str> = lines.collect();
    let summary = answer["summary"].as_array().expect("summary rows");
    assert_eq!(summary.len(), 2);
    assert_eq!(rows.len(), 2);
    for (row, object) in rows.iter().zip(summary) {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(object.as_object().unwrap().len(), columns.len());
        for (column, cell) in columns.iter().zip(cells) {
            let value = &object[*column];
            let same = match value {
                Value::Null => cell.is_empty(),
                Value::String(s) => s == cell,
                Value::Number(n) => cell.parse::<f64>().ok() == n.as_f64(),
                other => panic!("{column}: unexpected {other}"),
            };
            assert!(same, "{column}: the lab says {value}, summary.csv {cell:?}");
        }
    }
    // The replay follows the same users in both variants, and the crash is in it.
    let replay = &answer["replay"]["variants"];
    assert_eq!(replay[0]["users"], replay[1]["users"]);
    let tier = replay[0]["tier"].as_array().unwrap();
    assert!(
        tier.iter().any(|s| s[0] == 43_200_000 && s[1][1] == "down"),
        "the crash at 12:00"
    );
    assert_eq!(answer["variants"][0]["colour"], "#0072b2");
    lab.interrupt();
}

#[test]
fn the_lab_answers_400_for_a_bad_value_and_422_for_a_run_the_guard_refuses() {
    let lab = Lab::start(&[]);
    let (status, scenarios) = {
        let (status, text) = lab.call("GET", "/api/scenarios", "");
        (status, serde_json::from_str::<Value>(&text).unwrap())
    };
    assert_eq!(status, 200);
    // Every numbered scenario of scenarios/ (01 to 09).
    assert_eq!(scenarios.as_array().map(Vec::len), Some(9));
    assert_eq!(scenarios[0]["name"], "why-sticky");
    let text = shipped("01-why-sticky.toml");
    let (status, bad) = lab.run(&text, json!({"servers.count": 0}));
    assert_eq!(status, 400, "{bad}");
    assert_eq!(bad["problems"][0]["key"], "servers.count");
    assert_eq!(bad["problems"][0]["set"], "servers.count=0");
    let (status, broken) = lab.run("name = \"x\"\n[servers]\ncount = \"two\"\n", json!({}));
    assert_eq!(status, 400, "{broken}");
    assert_eq!(broken["problems"][0]["line"], 3);
    let storm = json!({"duration": "10000h", "bucket": "1h", "failures.mtbf": "1us",
                       "failures.mttr": "1us"});
    let (status, refused) = lab.run(&text, storm);
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("`failures.mtbf`"),
        "{refused}"
    );
    let (status, page) = lab.call("GET", "/", "");
    assert_eq!(status, 200);
    assert!(page.contains("<title>tiersim lab</title>"));
    lab.interrupt();
}

#[test]
fn the_lab_refuses_a_port_in_use_naming_the_flag() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    Cli::new(&["lab", "--port", &port])
        .expect_code(2)
        .stderr_has(&[&format!("--port {port}: cannot listen on 127.0.0.1:{port}")]);
}

#[test]
fn the_downloaded_scenario_runs_to_the_numbers_of_its_changes() {
    let dir = scratch_dir("lab_download");
    std::fs::write(dir.join("tiny.toml"), crate::support::TINY).unwrap();
    let lab = Lab::start(&[]);
    let set = json!({"servers.count": 3, "balancer.policy": "random", "users.think_time": "3s"});
    let body = json!({ "scenario": crate::support::TINY, "set": set }).to_string();
    let (status, text) = lab.call("POST", "/api/scenario", &body);
    assert_eq!(status, 200, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["file"], "tiny.toml");
    std::fs::write(
        dir.join("downloaded.toml"),
        answer["toml"].as_str().unwrap(),
    )
    .unwrap();
    let run = |args: &[&str], out: &str| {
        let mut all = vec!["run", "--no-charts", "--quiet", "--out", out];
        all.extend_from_slice(args);
        Cli::new(&all).in_dir(&dir).expect_code(0);
        std::fs::read(dir.join(out).join("tiny/summary.csv")).unwrap()
    };
    let with_sets = run(
        &[
            "tiny.toml",
            "--set",
            "servers.count=3",
            "--set",
            "balancer.policy=random",
            "--set",
            "users.think_time=3s",
        ],
        "a",
    );
    assert_eq!(run(&["downloaded.toml"], "b"), with_sets);
    lab.interrupt();
}

#[test]
fn a_newer_run_from_a_page_replaces_its_run_and_other_pages_run_beside_it() {
    let lab = Lab::start(&[]);
    let text = shipped("01-why-sticky.toml");
    // Long runs: 4 variants of 5 simulated hours at 100 visits per second (about 20 million
    // requests each), several seconds of work at least.
    let long = json!({"duration": "5h", "users.visits_per_s": 100});
    let tiny = crate::support::TINY;
    let pause = |ms| std::thread::sleep(Duration::from_millis(ms));
    std::thread::scope(|s| {
        let a = s.spawn(|| lab.run_from(Some("a"), &text, long.clone()));
        let b = s.spawn(|| lab.run_from(Some("b"), &text, long.clone()));
        pause(1000);
        // Two runs at once at most: a third page's run waits for a slot.
        let c = s.spawn(|| lab.run_from(Some("c"), tiny, json!({})));
        pause(2000);
        assert!(!a.is_finished() && !b.is_finished(), "the long runs go on");
        assert!(
            !c.is_finished(),
            "page c waits while two runs take both slots"
        );
        // Page a asks again: its long run stops and answers 409; page b's goes on.
        assert_eq!(lab.run_from(Some("a"), tiny, json!({})).0, 200);
        let (status, replaced) = a.join().unwrap();
        assert_eq!(status, 409, "{replaced}");
        assert_eq!(
            replaced["error"],
            "replaced by a newer run from the same page"
        );
        assert_eq!(
            c.join().unwrap().0,
            200,
            "page c ran in the slot page a left"
        );
        assert!(!b.is_finished(), "page b's run was not touched by page a's");
        assert_eq!(lab.run_from(Some("b"), tiny, json!({})).0, 200);
        assert_eq!(b.join().unwrap().0, 409);
    });
    lab.interrupt();
}
