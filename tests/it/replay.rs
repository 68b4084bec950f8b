//! The replay of report.html in headless Chromium: 02's page, with a test-only probe that seeks
//! and plays the replay and writes what it drew into `<pre id="probe">` (read with
//! `chromium --dump-dom`, as `report.rs` does). `#[ignore = "needs chromium"]`; a missing
//! Chromium fails it under `cargo test -- --ignored`.

use crate::report::{BROWSERS, probe_lines, run_browser};
use crate::support::{require_tool, scratch_dir};
use std::fs;
use std::path::Path;

/// Collects errors from the page's first script on.
const CATCH: &str = r#"<body>
<script>window.__errors = []; window.addEventListener('error', function (e) {
  window.__errors.push(String(e.message)); });
var __error = console.error; console.error = function (m) { window.__errors.push(String(m)); __error.apply(console, arguments); };</script>"#;

/// Seeks the replay, then plays it for a second: servers, dots, where the dots went.
const PROBE: &str = r#"<pre id="probe"></pre>
<script>
(function () {
  var lines = [], root = document.querySelector('#replay .replay-root');
  var panels = root.querySelectorAll('.replay-panel');
  function where(panel) {
    return Array.prototype.map.call(panel.querySelectorAll('circle.user'), function (c) {
      return c.getAttribute('cx') + ',' + c.getAttribute('cy');
    }).join(' ');
  }
  panels.forEach(function (p) {
    lines.push('panel ' + p.getAttribute('data-variant') + ' servers ' +
      p.querySelectorAll('g.server').length + ' dots ' + p.querySelectorAll('circle.user').length);
  });
  // After the crash at 12:00 (02), the most users seen in "log in again" at one moment.
  panels.forEach(function (p, i) {
    var most = 0, down = 0;
    for (var t = 12 * 3600e3; t <= 26 * 3600e3; t += 30e3) {
      root.tiersimReplay.seek(t);
      most = Math.max(most, p.querySelectorAll('circle.user[data-where="login-again"]').length);
      if (t === 12 * 3600e3 + 60e3) down = p.querySelectorAll('g.server[data-state="down"]').length;
    }
    lines.push('login-again ' + p.getAttribute('data-variant') + ' ' + most + ' down ' + down);
  });
  root.tiersimReplay.seek(12 * 3600e3);
  var before = where(panels[0]);
  root.querySelector('.replay-play').click();
  setTimeout(function () {
    root.querySelector('.replay-play').click();
    lines.push('moved ' + (where(panels[0]) !== before) + ' time ' + root.getAttribute('data-time'));
    lines.push('errors ' + window.__errors.length + ' ' + window.__errors.join(' | '));
    lines.push('end');
    document.getElementById('probe').textContent = lines.join('\n');
  }, 1500);
})();
</script>
"#;

#[test]
#[ignore = "needs chromium"]
fn the_replay_of_02_draws_servers_and_dots_and_sends_sticky_users_to_log_in_again() {
    let browser = require_tool(&BROWSERS, "chromium");
    let dir = scratch_dir("replay-browser");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/02-server-crash.toml");
    let text = fs::read_to_string(&scenario).unwrap();
    let experiment = tiersim::config::parse("02.toml", &text, &[], None).unwrap();
    let results: Vec<_> = experiment
        .variants
        .iter()
        .map(|v| tiersim::engine::simulate(&v.name, &v.scenario))
        .collect();
    let page = tiersim::report::html(&experiment, &results, &[]);
    let probed = page
        .replacen("<body>", CATCH, 1)
        .replace("</body>", &format!("{PROBE}</body>"));
    let file = dir.join("probed.html");
    fs::write(&file, probed).unwrap();
    let dom = dir.join("dom.html");
    let args = [
        "--dump-dom".to_string(),
        "--virtual-time-budget=10000".to_string(),
    ];
    run_browser(&browser, &dir.join("profile"), &args, &file, &dom);
    let lines = probe_lines(&fs::read_to_string(&dom).unwrap());
    assert_eq!(
        lines.last().map(String::as_str),
        Some("end"),
        "the probe ran: {lines:?}"
    );
    // 4 servers in both variants, and a dot per sampled user (the same users in both).
    let panels: Vec<&String> = lines.iter().filter(|l| l.starts_with("panel ")).collect();
    assert_eq!(panels.len(), 2, "{lines:?}");
    let dots = |l: &str| l.rsplit(' ').next().unwrap().parse::<u32>().unwrap();
    assert!(
        panels[0].starts_with("panel sticky servers 4 dots "),
        "{lines:?}"
    );
    assert!(
        panels[1].starts_with("panel shared-store servers 4 dots "),
        "{lines:?}"
    );
    assert!(
        dots(panels[0]) > 50 && dots(panels[0]) == dots(panels[1]),
        "{lines:?}"
    );
    // The crash sends some sticky users to "log in again", none of the shared store's; server 1
    // is drawn down a minute after it.
    let login = |variant: &str| {
        let line = lines
            .iter()
            .find(|l| l.starts_with(&format!("login-again {variant} ")));
        let parts: Vec<&str> = line.expect("a login line").split(' ').collect();
        (
            parts[2].parse::<u32>().unwrap(),
            parts[4].parse::<u32>().unwrap(),
        )
    };
    let (sticky, sticky_down) = login("sticky");
    assert!(sticky > 0, "sticky users sent to log in again: {lines:?}");
    assert_eq!(login("shared-store").0, 0, "{lines:?}");
    assert_eq!(sticky_down, 1, "{lines:?}");
    assert!(
        lines.iter().any(|l| l.starts_with("moved true")),
        "played, dots move: {lines:?}"
    );
    assert!(
        lines.contains(&"errors 0 ".to_string()),
        "no console errors: {lines:?}"
    );
    eprintln!("replay check: {lines:?}");
}
