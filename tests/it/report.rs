//! The handout end to end: a shipped scenario simulated in-process, its charts and report.html,
//! opened in headless Chromium to check that every chart renders and the table is complete.
//!
//! No WebDriver here (the lab and the replay are driven through WebDriver in `browser.rs`): a copy
//! of the page gets a small test-only probe script that measures each chart and counts the
//! table's rows into `<pre id="probe">`, and `chromium --dump-dom` prints the page after it ran. That test is `#[ignore = "needs
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
    let charts: Vec<ChartFile> = render_all(
        &tiersim::charts::look::Look::of(&experiment, &results),
        &results,
    )
    .expect("charts render");
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
        let charts = render_all(
            &tiersim::charts::look::Look::of(&experiment, &results),
            &results,
        )
        .unwrap_or_else(|e| panic!("{file}: {e}"));
        // With several data centres, one chart more per variant and the causes.
        let several = results.iter().any(|r| !r.datacenter_names.is_empty());
        let dc_charts = if several { results.len() + 1 } else { 0 };
        let figures = 4 + 2 * results.len() + dc_charts;
        assert_eq!(charts.len(), 2 * figures, "{file}");
        let page = tiersim::report::html(&experiment, &results, &charts);
        assert_eq!(
            page.matches("<figure class=\"chart\"").count(),
            figures,
            "{file}"
        );
        assert!(page.contains("id=\"what-happened\""), "{file}");
        assert_eq!(page.contains("id=\"failover\""), several, "{file}");
        assert!(
            !page.contains(">Chart "),
            "{file}: every chart has its caption"
        );
    }
}

/// The metrics of the summary chart's first six panels, by `summary.csv` column.
const SUMMARY_PANEL_COLUMNS: [&str; 6] = [
    "users_forced_login_pct",
    "visits_with_error",
    "sessions_lost",
    "latency_p99_ms",
    "imbalance",
    "cost",
];

/// `1234.5` as the report and the charts write it: `1,234.5`.
fn grouped(text: &str) -> String {
    tiersim::charts::format::grouped(text)
}

/// 02 with three replications: every mean of `summary.csv` that the comparison shows is the
/// mean written in report.html's table (before its `±`), and every mean of a summary panel is
/// written on the summary SVG; the page says where the other sections come from.
#[test]
fn replications_show_the_same_means_in_the_report_the_csv_and_the_summary_chart() {
    let dir = scratch_dir("replicated_means");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/02-server-crash.toml");
    crate::support::Cli::new(&[
        "run",
        scenario.to_str().unwrap(),
        "--replications",
        "3",
        "--out",
        "o",
        "-q",
    ])
    .in_dir(&dir)
    .expect_code(0);
    let folder = dir.join("o/server-crash");
    let csv = fs::read_to_string(folder.join("summary.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2, "{csv}");
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let page = fs::read_to_string(folder.join("report.html")).unwrap();
    let svg = fs::read_to_string(folder.join("summary.svg")).unwrap();
    let table = &page[page.find("<table id=\"comparison\">").unwrap()..];
    let body = &table[..table.find("</tbody>").unwrap()];
    let head = &body[..body.find("</thead>").unwrap()];
    let labels: Vec<&str> = head
        .split("<th scope=\"col\">")
        .skip(2)
        .map(|h| h.split('<').next().unwrap())
        .collect();
    for row in &rows {
        assert_eq!(row[column("replications")], "3");
        let tr = body
            .split("<tr>")
            .find(|tr| tr.contains(&format!("</span>{}</th>", row[0])))
            .unwrap_or_else(|| panic!("a row for {}", row[0]));
        let cells: Vec<&str> = tr
            .split("<td>")
            .skip(1)
            .map(|c| c.split('<').next().unwrap())
            .collect();
        assert_eq!(cells.len(), labels.len());
        for (label, cell) in labels.iter().zip(&cells) {
            let d = tiersim::metrics::catalogue::CATALOGUE
                .iter()
                .find(|d| d.label == *label)
                .unwrap_or_else(|| panic!("{label}: a label of the catalogue"));
            let mean = row[column(d.name)];
            let shown = cell.split(" ± ").next().unwrap();
            let expected = if mean.is_empty() {
                "–".to_string()
            } else {
                grouped(mean)
            };
            assert_eq!(shown, expected, "{}: {}", row[0], d.name);
            if !mean.is_empty() {
                assert!(cell.contains(" ± "), "{}: {cell}", d.name);
            }
        }
        for name in SUMMARY_PANEL_COLUMNS {
            let text = format!(">\n{}\n</text>", grouped(row[column(name)]));
            assert!(svg.contains(&text), "{}: {name}: {text} on the SVG", row[0]);
        }
    }
    assert!(svg.contains("Summary: means of 3 replications with 95 % intervals"));
    assert!(
        page.contains("id=\"differences\""),
        "the paired differences"
    );
    assert!(
        page.contains("replication 0 (seed 1, the scenario's own seed)"),
        "{page}"
    );
    let failed = fs::read_to_string(folder.join("failed_auth.svg")).unwrap();
    assert!(
        failed.contains("replication 0 of 3 (seed 1)"),
        "a time chart says which run"
    );
}

/// Counts a worksheet's questions, boxes and answers, measures the boxes, and reads the page
/// break before the answers, as `name value` lines.
const WORKSHEET_PROBE: &str = r#"<pre id="probe"></pre>
<script>
(function () {
  var lines = [];
  lines.push('questions ' + document.querySelectorAll('.question').length);
  lines.push('answers ' + document.querySelectorAll('.answer').length);
  var boxes = document.querySelectorAll('.prediction');
  var drawn = 0;
  boxes.forEach(function (b) { if (b.getBoundingClientRect().height >= 40) { drawn++; } });
  lines.push('boxes ' + drawn);
  var answers = document.getElementById('answers');
  lines.push('break ' + (answers ? getComputedStyle(answers).breakBefore : 'none'));
  lines.push('end');
  document.getElementById('probe').textContent = lines.join('\n');
})();
</script>
"#;

/// One worksheet per shipped scenario, in headless Chromium: 3 to 5 questions, a drawn box for
/// each, as many answers, a page break before them, and printed as at least two PDF pages.
#[test]
#[ignore = "needs chromium"]
fn every_shipped_scenario_gives_a_worksheet_that_prints_questions_then_answers() {
    let browser = require_tool(&BROWSERS, "chromium");
    let dir = scratch_dir("worksheet-browser");
    for path in shipped_scenarios() {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let experiment = experiment(&file);
        let results = run(&experiment);
        let page = tiersim::worksheet::html(&experiment, &results);
        let stem = file.trim_end_matches(".toml");
        let sheet = dir.join(format!("{stem}.html"));
        fs::write(&sheet, &page).unwrap();
        let probed = dir.join(format!("{stem}-probed.html"));
        fs::write(
            &probed,
            page.replace("</body>", &format!("{WORKSHEET_PROBE}</body>")),
        )
        .unwrap();
        let dom = dir.join(format!("{stem}-dom.html"));
        let profile = dir.join(format!("profile-{stem}"));
        run_browser(&browser, &profile, &["--dump-dom".into()], &probed, &dom);
        let lines = probe_lines(&fs::read_to_string(&dom).unwrap());
        assert_eq!(
            lines.last().map(String::as_str),
            Some("end"),
            "{file}: {lines:?}"
        );
        let value = |name: &str| -> String {
            lines
                .iter()
                .find_map(|l| l.strip_prefix(&format!("{name} ")))
                .unwrap_or_else(|| panic!("{file}: {name} in {lines:?}"))
                .to_string()
        };
        let questions: usize = value("questions").parse().unwrap();
        assert!(
            (3..=5).contains(&questions),
            "{file}: {questions} questions"
        );
        assert_eq!(value("answers"), questions.to_string(), "{file}");
        assert_eq!(
            value("boxes"),
            questions.to_string(),
            "{file}: every box drawn"
        );
        assert_eq!(value("break"), "page", "{file}: the answers start a page");
        let pdf = dir.join(format!("{stem}.pdf"));
        let print = [
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".to_string(),
        ];
        let log = dir.join(format!("{stem}-pdf.log"));
        run_browser(
            &browser,
            &dir.join(format!("profile-pdf-{stem}")),
            &print,
            &sheet,
            &log,
        );
        let bytes = fs::read(&pdf).expect("the PDF was written");
        let text = String::from_utf8_lossy(&bytes);
        let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
        assert!(
            pages >= 2,
            "{file}: {pages} printed pages, the answers on their own"
        );
    }
}
