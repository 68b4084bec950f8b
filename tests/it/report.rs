//! The handout end to end: a shipped scenario simulated in-process, its charts and report.html,
//! opened in headless Chromium to check that every chart renders and the table is complete.
//!
//! No WebDriver: a copy of the page gets a small probe script (test-only; the report itself has
//! no script) that measures each chart and counts the table's rows into `<pre id="probe">`, and
//! `chromium --dump-dom` prints the page after it ran. That test is `#[ignore = "needs
//! chromium"]`: `cargo test -- --ignored` runs it (as `.ci/run` does), and there a missing
//! Chromium fails it (`apt-get install -y chromium` installs it).

use crate::support::{require_tool, scratch_dir, shipped_scenarios, wait_at_most};
use std::fs::{self, File};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tiersim::charts::{ChartFile, render_all};
use tiersim::engine::simulate;
use tiersim::metrics::RunResult;
use tiersim::scenario::Experiment;

/// The names Chromium may have on `PATH`, in order.
pub(crate) const BROWSERS: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// The longest a browser run may take before it is killed.
const BROWSER_DEADLINE: Duration = Duration::from_secs(90);

/// Measures every chart and counts the comparison's rows, as `name width height` lines.
const PROBE: &str = r#"<pre id="probe"></pre>
<script>
(function () {
  var lines = [];
  document.querySelectorAll('figure.chart').forEach(function (figure) {
    var svg = figure.querySelector('svg');
    var r = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    lines.push('chart ' + figure.id + ' ' + Math.round(r.width) + ' ' + Math.round(r.height));
  });
  lines.push('rows ' + document.querySelectorAll('#comparison tbody tr').length);
  lines.push('end');
  document.getElementById('probe').textContent = lines.join('\n');
})();
</script>
"#;

fn experiment(file: &str) -> Experiment {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file);
    let text = fs::read_to_string(&path).expect("readable scenario");
    tiersim::config::parse(&path.display().to_string(), &text, &[], None)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn run(experiment: &Experiment) -> Vec<RunResult> {
    experiment
        .variants
        .iter()
        .map(|v| simulate(&v.name, &v.scenario))
        .collect()
}

/// Runs the browser with `args` on `page`, its standard output into `stdout`; kills it at the
/// deadline.
pub(crate) fn run_browser(
    browser: &Path,
    profile: &Path,
    args: &[String],
    page: &Path,
    stdout: &Path,
) {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(File::create(stdout).expect("stdout file"))
        .stderr(Stdio::null())
        .spawn()
        .expect("the browser starts");
    let status = wait_at_most(&mut child, BROWSER_DEADLINE, &browser.display().to_string());
    assert!(status.success(), "{} {args:?}: {status}", browser.display());
}

/// The probe's lines from the dumped DOM.
pub(crate) fn probe_lines(dom: &str) -> Vec<String> {
    let start =
        dom.find("<pre id=\"probe\">").expect("the probe element") + "<pre id=\"probe\">".len();
    let end = start + dom[start..].find("</pre>").expect("the probe's end");
    dom[start..end].lines().map(str::to_string).collect()
}

#[test]
#[ignore = "needs chromium"]
fn the_report_renders_every_chart_in_a_browser() {
    let browser = require_tool(&BROWSERS, "chromium");
    let started = Instant::now();
    let experiment = experiment("02-server-crash.toml");
    let results = run(&experiment);
    let charts: Vec<ChartFile> = render_all(&results).expect("charts render");
    let page = tiersim::report::html(&experiment, &results, &charts);
    let dir = scratch_dir("report-browser");
    let report = dir.join("report.html");
    fs::write(&report, &page).unwrap();
    for chart in &charts {
        fs::write(dir.join(&chart.name), &chart.bytes).unwrap();
    }
    let svg_charts = charts.iter().filter(|c| c.name.ends_with(".svg")).count();
    assert_eq!(svg_charts, 3 + 2 * results.len() + 1, "every chart, SVG");

    let probed = dir.join("probed.html");
    fs::write(&probed, page.replace("</body>", &format!("{PROBE}</body>"))).unwrap();
    let dom = dir.join("dom.html");
    run_browser(
        &browser,
        &dir.join("profile-dom"),
        &["--dump-dom".into()],
        &probed,
        &dom,
    );
    let lines = probe_lines(&fs::read_to_string(&dom).unwrap());
    assert_eq!(
        lines.last().map(String::as_str),
        Some("end"),
        "the probe ran: {lines:?}"
    );
    let measured: Vec<(String, f64, f64)> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("chart "))
        .map(|l| {
            let parts: Vec<&str> = l.split(' ').collect();
            (
                parts[0].to_string(),
                parts[1].parse().unwrap(),
                parts[2].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(measured.len(), svg_charts, "{lines:?}");
    for (id, width, height) in &measured {
        assert!(
            *width > 0.0 && *height > 0.0,
            "{id} is drawn: {width} × {height}"
        );
        // Scaled to the page's width, keeping the 16:9 shape.
        let expected = width * 900.0 / 1600.0;
        assert!((height - expected).abs() <= 3.0, "{id}: {width} × {height}");
    }
    assert!(
        lines.contains(&format!("rows {}", results.len())),
        "one comparison row per variant: {lines:?}"
    );

    let shot = dir.join("report.png");
    let screenshot = [
        format!("--screenshot={}", shot.display()),
        "--window-size=1400,4000".to_string(),
    ];
    run_browser(
        &browser,
        &dir.join("profile-shot"),
        &screenshot,
        &report,
        &dir.join("shot.log"),
    );
    let png = fs::read(&shot).expect("the screenshot was written");
    assert!(
        png.len() > 10_000 && png.starts_with(b"\x89PNG"),
        "a real screenshot"
    );
    eprintln!(
        "browser check: {} charts measured, screenshot {} ({} bytes), {:.1} s",
        measured.len(),
        shot.display(),
        png.len(),
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn every_shipped_scenario_gives_charts_and_a_report() {
    // `shipped_scenarios` fails on an empty folder, so this cannot pass by checking nothing.
    for path in shipped_scenarios() {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let experiment = experiment(&file);
        let results = run(&experiment);
        let charts = render_all(&results).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(charts.len(), 2 * (4 + 2 * results.len()), "{file}");
        let page = tiersim::report::html(&experiment, &results, &charts);
        assert_eq!(
            page.matches("<figure class=\"chart\"").count(),
            4 + 2 * results.len(),
            "{file}"
        );
        assert!(page.contains("id=\"what-happened\""), "{file}");
    }
}
