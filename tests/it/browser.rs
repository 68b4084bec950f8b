//! The lab and report.html's replay in a real browser: headless Chromium driven through
//! WebDriver (Debian's `chromedriver`, started per test on a free loopback port, spoken to by the
//! `fantoccini` client over plain HTTP).
//!
//! Every test is `#[ignore = "needs chromium and chromedriver"]`: `cargo test -- --ignored` runs
//! them (as `.ci/run` does, which installs both), and there a missing program fails them. Each
//! test is bounded ([`LIMIT`]) and leaves nothing running: chromedriver is started in its own
//! process group, and that group (the browser with it) is killed when the test ends, also when it
//! fails. The browser's console is read through WebDriver's log (`goog:loggingPrefs`): a page
//! that logs an error or throws fails its test.

use crate::lab::{Lab, shipped};
use crate::support::{require_tool, scratch_dir};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::future::Future;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The longest a browser test may take, start to end.
const LIMIT: Duration = Duration::from_secs(240);

/// The longest a page may take to reach a state it is waited for.
const PAGE_WAIT: Duration = Duration::from_secs(60);

/// A chromedriver on a free loopback port, in its own process group; the group is killed when
/// dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(dir: &Path) -> Driver {
        let program = require_tool(&["chromedriver"], "chromium-driver");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let child = Command::new(program)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .arg(format!(
                "--log-path={}",
                dir.join("chromedriver.log").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver { child, port };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not listen on 127.0.0.1:{port} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = rustix::process::Pid::from_child(&self.child);
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        let _ = self.child.wait();
    }
}

/// Headless Chromium through a [`Driver`]; the browser's console is logged.
struct Browser {
    client: Client,
    _driver: Driver,
}

impl Browser {
    async fn start(test: &str) -> Browser {
        let dir = scratch_dir(test);
        let driver = Driver::start(&dir);
        let mut args = vec![
            "--headless=new".to_string(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--window-size=1280,1600".into(),
            format!("--user-data-dir={}", dir.join("profile").display()),
        ];
        if rustix::process::geteuid().is_root() {
            args.push("--no-sandbox".into());
        }
        let capabilities = json!({
            "goog:chromeOptions": { "args": args },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities.as_object().cloned().expect("an object"))
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .expect("a WebDriver session");
        Browser {
            client,
            _driver: driver,
        }
    }

    async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    /// Opens a file of this machine, such as a report.
    async fn open_file(&self, file: &Path) {
        let page = format!("file://{}", file.display());
        self.client
            .goto(&page)
            .await
            .unwrap_or_else(|e| panic!("{page}: {e}"));
    }

    /// Opens the lab's page and waits for its first run.
    async fn open_lab(&self, lab: &Lab) {
        let page = format!("http://127.0.0.1:{}/", lab.port);
        self.client
            .goto(&page)
            .await
            .unwrap_or_else(|e| panic!("{page}: {e}"));
        self.until(&ran(1), "the page ran its scenario once").await;
    }

    /// Waits until `script` returns `true`; fails naming `what` after [`PAGE_WAIT`].
    async fn until(&self, script: &str, what: &str) {
        let started = Instant::now();
        while self.js(script).await != Value::Bool(true) {
            assert!(
                started.elapsed() < PAGE_WAIT,
                "{what}: not so after {PAGE_WAIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Presses the keys `keys` one after the other on whatever has the focus.
    async fn press(&self, keys: &[char]) {
        let mut actions = KeyActions::new("keyboard".to_string());
        for key in keys {
            actions = actions
                .then(KeyAction::Down { value: *key })
                .then(KeyAction::Up { value: *key });
        }
        self.client.perform_actions(actions).await.expect("keys");
    }

    /// The browser console's entries since the last call, as `LEVEL message`.
    async fn console(&self) -> Vec<String> {
        let entries = self.client.issue_cmd(BrowserLog).await.expect("the log");
        entries
            .as_array()
            .expect("a list")
            .iter()
            .map(|e| format!("{} {}", e["level"], e["message"]))
            .collect()
    }

    /// Fails on any console entry at level SEVERE (an error logged or thrown) but `allowed`.
    async fn assert_no_console_errors(&self, allowed: &[&str]) {
        let errors: Vec<String> = self
            .console()
            .await
            .into_iter()
            .filter(|e| e.starts_with("\"SEVERE\""))
            .filter(|e| !allowed.iter().any(|a| e.contains(a)))
            .collect();
        assert!(errors.is_empty(), "console errors: {errors:#?}");
    }
}

/// ChromeDriver's log command (`POST /session/{id}/se/log`), for the browser's console.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/se/log", session_id.unwrap_or("")))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (axum::http::Method, Option<String>) {
        (
            axum::http::Method::POST,
            Some(r#"{"type":"browser"}"#.to_string()),
        )
    }
}

/// Runs a browser test on a runtime of its own, bounded by [`LIMIT`].
fn bounded(test: impl Future<Output = ()>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        tokio::time::timeout(LIMIT, test)
            .await
            .unwrap_or_else(|_| panic!("the browser test took longer than {LIMIT:?}"));
    });
}

/// The comparison table as the page shows it: per metric, the cells of each variant.
const TABLE: &str = "return Array.from(document.querySelectorAll('#comparison tr')).map(\
    function (r) { return Array.from(r.cells).map(function (c) { return c.textContent; }); });";

/// Done when the page shows the answer of run number `n` (counted since it loaded).
fn ran(n: u32) -> String {
    format!(
        "return document.body.getAttribute('data-runs') === '{n}' && \
         document.getElementById('status').textContent === 'done';"
    )
}

/// The comparison row of `metric`: its cells after the metric's name, the prediction left out.
fn row(table: &Value, metric: &str) -> Vec<String> {
    let rows = table.as_array().expect("rows");
    let found = rows
        .iter()
        .find(|r| r[0] == metric)
        .unwrap_or_else(|| panic!("no row {metric} in {table}"));
    let cells: Vec<String> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    cells[1..cells.len() - 1].to_vec()
}

/// What the page prints for `metric` of each variant, from the API's answer for `set`.
fn expected(lab: &Lab, set: Value, metric: &str) -> Vec<String> {
    let (status, answer) = lab.run(&shipped("01-why-sticky.toml"), set);
    assert_eq!(status, 200, "{answer}");
    answer["summary"]
        .as_array()
        .unwrap()
        .iter()
        // As the page's script prints a number (JavaScript's String(number)).
        .map(|r| r[metric].as_f64().map_or(String::new(), js_number))
        .collect()
}

/// The report.html of scenario `text` (read as file `name`), written to the scratch folder of
/// `test`: what `tiersim run` writes, without the rest of its folder.
fn report_page(test: &str, name: &str, text: &str) -> PathBuf {
    let experiment = tiersim::config::parse(name, text, &[], None).unwrap();
    let results: Vec<_> = experiment
        .variants
        .iter()
        .map(|v| tiersim::engine::simulate(&v.name, &v.scenario))
        .collect();
    let file = scratch_dir(test).join("report.html");
    std::fs::write(&file, tiersim::report::html(&experiment, &results, &[])).unwrap();
    file
}

fn js_number(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

#[test]
#[ignore = "needs chromium and chromedriver"]
fn the_lab_loads_with_the_variants_of_its_first_scenario() {
    bounded(async {
        let lab = Lab::start(&[]);
        let b = Browser::start("browser-lab-loads").await;
        b.open_lab(&lab).await;
        let table = b.js(TABLE).await;
        // 01's four variants, in the scenario's order, then the prediction.
        assert_eq!(
            table[0],
            json!([
                "metric",
                "random",
                "round-robin",
                "sticky",
                "shared-store",
                "your prediction"
            ])
        );
        assert_eq!(
            row(&table, "failed_auth_pct"),
            expected(&lab, json!({}), "failed_auth_pct")
        );
        // Theory beside the result: (N-1)/N for the two variants that ignore where sessions are.
        let theory = b
            .js(
                "return Array.from(document.querySelectorAll('#theory tbody tr')).map(\
                 function (r) { return r.cells[0].textContent + ' ' + r.cells[3].textContent; });",
            )
            .await;
        assert_eq!(theory, json!(["random 75", "round-robin 75"]));
        let panels = b.js("return document.querySelectorAll('.replay-panel').length;");
        assert_eq!(panels.await, json!(4), "a replay panel per variant");
        let charts = b.js("return document.querySelectorAll('#charts figure svg').length;");
        assert!(charts.await.as_u64().unwrap() >= 4, "the charts are drawn");
        b.assert_no_console_errors(&[]).await;
    });
}

#[test]
#[ignore = "needs chromium and chromedriver"]
fn moving_a_control_reruns_and_the_address_reproduces_the_state() {
    bounded(async {
        let lab = Lab::start(&[]);
        let b = Browser::start("browser-lab-control").await;
        b.open_lab(&lab).await;
        let before = row(&b.js(TABLE).await, "failed_auth_pct");
        // Servers: 4 → 2, typed and left with Tab (a change event).
        let servers = b.client.find(Locator::Css("[name='servers.count']")).await;
        servers.unwrap().send_keys("2").await.unwrap();
        b.press(&[Key::Tab.into()]).await;
        b.until(&ran(2), "the run after the change").await;
        let after = row(&b.js(TABLE).await, "failed_auth_pct");
        assert_ne!(before, after, "the comparison changed");
        // Random routing over 2 servers: about (N-1)/N = 50 % fail, against 75 % with 4.
        assert_eq!(
            after,
            expected(&lab, json!({"servers.count": 2}), "failed_auth_pct")
        );
        let url = b.client.current_url().await.unwrap();
        assert!(url.as_str().contains("servers.count=2"), "{url}");
        // The address in a fresh page: the same controls, the same numbers.
        let controls = "return Array.from(document.querySelectorAll('#knobs input, #knobs select, \
                        #scenario')).map(function (f) { return f.name + '=' + f.value; });";
        let state = b.js(controls).await;
        b.client.new_window(true).await.unwrap();
        let tabs = b.client.windows().await.unwrap();
        b.client.switch_to_window(tabs[1].clone()).await.unwrap();
        b.client.goto(url.as_str()).await.unwrap();
        b.until(&ran(1), "the run of the address").await;
        assert_eq!(b.js(controls).await, state);
        assert_eq!(row(&b.js(TABLE).await, "failed_auth_pct"), after);
        b.assert_no_console_errors(&[]).await;
    });
}

#[test]
#[ignore = "needs chromium and chromedriver"]
fn a_bad_value_shows_its_message_naming_the_key() {
    bounded(async {
        let lab = Lab::start(&[]);
        let b = Browser::start("browser-lab-bad").await;
        b.open_lab(&lab).await;
        let servers = b.client.find(Locator::Css("[name='servers.count']")).await;
        servers.unwrap().send_keys("0").await.unwrap();
        b.press(&[Key::Tab.into()]).await;
        b.until(
            "return document.querySelectorAll('#problems .problem').length > 0;",
            "a problem shown",
        )
        .await;
        let problem = b.client.find(Locator::Css("#problems .problem")).await;
        let text = problem.unwrap().text().await.unwrap();
        assert!(
            text.starts_with("--set servers.count=0: "),
            "the problem as the CLI says it, naming the key: {text}"
        );
        let status = b.client.find(Locator::Id("status")).await.unwrap();
        assert_eq!(status.text().await.unwrap(), "not run (400)");
        // The browser logs the 400 answer itself as a failed resource; nothing else.
        b.assert_no_console_errors(&[
            "/api/run - Failed to load resource: the server responded with a status of 400",
        ])
        .await;
    });
}

#[test]
#[ignore = "needs chromium and chromedriver"]
fn the_lab_is_usable_with_the_keyboard() {
    bounded(async {
        let lab = Lab::start(&[]);
        let b = Browser::start("browser-lab-keyboard").await;
        b.open_lab(&lab).await;
        // Tab through the page from its start, noting what takes the focus (bounded: 60 presses).
        let focused = "var e = document.activeElement; return e.name || e.id || e.className || \
                       e.tagName;";
        let mut seen = Vec::new();
        for _ in 0..60 {
            b.press(&[Key::Tab.into()]).await;
            seen.push(b.js(focused).await.as_str().unwrap_or("").to_string());
        }
        for control in [
            "scenario",
            "servers.count",
            "servers.workers",
            "balancer.policy",
            "sessions.storage",
            "users.visits_per_s",
            "users.think_time",
            "users.session_ttl",
            "users.population",
            "ev.crash",
            "ev.add",
            "ev.remove",
            "ev.store",
            "p.users_forced_login",
            "p.failed_auth_pct",
            "run",
            "download",
            "replay-play",
        ] {
            assert!(
                seen.iter().any(|s| s == control),
                "{control} is reached with Tab: {seen:?}"
            );
        }
        // To the servers field by Tab alone, type 3, Enter: a run with 3 servers.
        b.open_lab(&lab).await;
        for _ in 0..10 {
            b.press(&[Key::Tab.into()]).await;
            if b.js(focused).await == "servers.count" {
                break;
            }
        }
        assert_eq!(b.js(focused).await, "servers.count");
        b.press(&['3', Key::Enter.into()]).await;
        let want = expected(&lab, json!({"servers.count": 3}), "failed_auth_pct");
        let shows = format!(
            "return document.getElementById('status').textContent === 'done' && \
             JSON.stringify(Array.from(document.querySelectorAll('#comparison \
             tr[data-metric=failed_auth_pct] td')).slice(1, -1).map(function (c) {{ \
             return c.textContent; }})) === '{}';",
            serde_json::to_string(&want).unwrap()
        );
        b.until(&shows, "the run with 3 servers started by Enter")
            .await;
        b.assert_no_console_errors(&[]).await;
    });
}

#[test]
#[ignore = "needs chromium and chromedriver"]
fn the_replay_of_02_plays_and_sends_sticky_users_to_log_in_again() {
    bounded(async {
        let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/02-server-crash.toml");
        let text = std::fs::read_to_string(&scenario).unwrap();
        let file = report_page("browser-replay", "02.toml", &text);
        let b = Browser::start("browser-replay-page").await;
        b.open_file(&file).await;
        let drawn = b
            .js(
                "return Array.from(document.querySelectorAll('#replay .replay-panel')).map(\
                 function (p) { return [p.getAttribute('data-variant'), \
                 p.querySelectorAll('g.server').length, \
                 p.querySelectorAll('circle.user').length]; });",
            )
            .await;
        // Two panels of 4 servers, a dot per sampled user: the same users in both.
        assert_eq!(drawn[0][0], "sticky", "{drawn}");
        assert_eq!(drawn[1][0], "shared-store", "{drawn}");
        assert_eq!(
            (drawn[0][1].as_u64(), drawn[1][1].as_u64()),
            (Some(4), Some(4))
        );
        let dots = drawn[0][2].as_u64().unwrap();
        assert!(dots > 50 && drawn[1][2].as_u64() == Some(dots), "{drawn}");
        // From 11:50, at 1 h per second, with the Play button: the crash at 12:00.
        b.js("document.querySelector('#replay .replay-root').tiersimReplay.seek(42600e3);")
            .await;
        let speed = b
            .client
            .find(Locator::Css("#replay .replay-speed"))
            .await
            .unwrap();
        speed.select_by_value("3600").await.unwrap();
        let dots_at = "return Array.from(document.querySelectorAll('#replay circle.user')).map(\
                       function (c) { return c.getAttribute('cx') + ',' + c.getAttribute('cy'); \
                       }).join(' ');";
        let before = b.js(dots_at).await;
        b.client
            .find(Locator::Css("#replay .replay-play"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        // Until 16:00 of the replay, noting the most users seen in "log in again" per panel.
        let look = "var r = document.querySelector('#replay .replay-root'); return [\
                    Number(r.getAttribute('data-time'))].concat(Array.from(\
                    r.querySelectorAll('.replay-panel')).map(function (p) { return \
                    [Number(p.getAttribute('data-login-again')), \
                    p.querySelectorAll('g.server[data-state=down]').length]; }));";
        let (mut most, mut down) = ([0u64; 2], [0u64; 2]);
        let started = Instant::now();
        loop {
            let now = b.js(look).await;
            for p in 0..2 {
                most[p] = most[p].max(now[p + 1][0].as_u64().unwrap());
                down[p] = down[p].max(now[p + 1][1].as_u64().unwrap());
            }
            if now[0].as_f64().unwrap() > 16.0 * 3600e3 {
                break;
            }
            assert!(
                started.elapsed() < PAGE_WAIT,
                "the replay did not reach 16:00"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_ne!(b.js(dots_at).await, before, "played, the dots moved");
        assert_eq!(down, [1, 1], "server 1 drawn down in both panels");
        assert!(most[0] > 0, "sticky users sent to log in again: {most:?}");
        assert_eq!(most[1], 0, "none with the shared store: {most:?}");
        b.assert_no_console_errors(&[]).await;
    });
}

#[test]
#[ignore = "needs chromium and chromedriver"]
fn the_replay_clock_reads_the_time_of_day_of_a_scenario_with_clock_start() {
    bounded(async {
        let text = format!("clock_start = 6\n{}", crate::support::TINY);
        let file = report_page("browser-replay-clock", "tiny.toml", &text);
        let b = Browser::start("browser-replay-clock-page").await;
        b.open_file(&file).await;
        let clock = "return document.querySelector('#replay .replay-clock').textContent;";
        assert_eq!(b.js(clock).await, "day 1, 06:00:00");
        b.js("document.querySelector('#replay .replay-root').tiersimReplay.seek(30e3);")
            .await;
        assert_eq!(b.js(clock).await, "day 1, 06:00:30");
        b.assert_no_console_errors(&[]).await;
    });
}
