//! Tests of the whole chart pipeline on a tiny hand-made run, and the run itself for other
//! modules' tests.

use super::from_results::{self, charts, event_label, markers, rate_steps};
use super::look::Look;
use super::model::{Chart, Stroke};
use super::{palette, png, render_all, svg};
use crate::events::EventAction;
use crate::metrics::{BucketRow, Counts, EventRow, Latency, People, RunResult, ServerRow, Summary};

/// Two variants over six 10-second buckets from 60 s, two servers; server 1 crashes at 80 s
/// and restarts at 100 s. `sticky` keeps sessions in its servers, `shared-store` in the store.
pub(crate) fn sample() -> Vec<RunResult> {
    ["sticky", "shared-store"]
        .iter()
        .map(|&variant| {
            let in_store = variant == "shared-store";
            let buckets = (0..6)
                .map(|i| BucketRow {
                    start_us: (60 + 10 * i) * 1_000_000,
                    len_us: if i == 5 { 5_000_000 } else { 10_000_000 },
                    counts: Counts {
                        authenticated: 100 + i,
                        failed_lost: if i == 2 && !in_store { 40 } else { 0 },
                        errors_server_down: if i == 2 { 5 } else { 0 },
                        ..Counts::default()
                    },
                    latency: Latency {
                        p50_us: (i != 3).then_some(15_000),
                        p99_us: (i != 3).then_some(110_000),
                        ..Latency::default()
                    },
                    servers_in_rotation: if (2..4).contains(&i) { 1 } else { 2 },
                    // In the store; or in the servers' memory, one of which is down at 80..100 s.
                    sessions_alive: match (in_store, (2..4).contains(&i)) {
                        (true, _) => 1_000 + 10 * i,
                        (false, true) => 500 + 5 * i,
                        (false, false) => 1_000 + 10 * i,
                    },
                    users_in_visit: Some(300 + i),
                    ..BucketRow::default()
                })
                .collect();
            let servers = (0..6u64)
                .flat_map(|i| {
                    (0..2u32).map(move |server| {
                        let down = server == 1 && (2..4).contains(&i);
                        ServerRow {
                            start_us: (60 + 10 * i) * 1_000_000,
                            server,
                            up: !down,
                            requests: if down { 0 } else { 50 },
                            busy_fraction: 0.5,
                            sessions: if in_store || down { 0 } else { 500 + 5 * i },
                        }
                    })
                })
                .collect();
            let event = |at_s: u64, action: EventAction| EventRow {
                at_us: at_s * 1_000_000,
                action,
                target: Some(1),
                servers_before: 2,
                servers_after: 2,
                sessions_alive: 1_000,
                sessions_lost: if action == EventAction::Crash && !in_store {
                    500
                } else {
                    0
                },
                ..EventRow::default()
            };
            RunResult {
                variant: variant.into(),
                summary: Summary {
                    counts: Counts {
                        authenticated: 615,
                        failed_lost: if in_store { 0 } else { 40 },
                        errors_server_down: 5,
                        ..Counts::default()
                    },
                    sent: 660,
                    sessions_lost: if in_store { 0 } else { 500 },
                    latency: Latency {
                        p50_us: Some(15_000),
                        p99_us: Some(110_000),
                        ..Latency::default()
                    },
                    imbalance: Some(if in_store { 1.0 } else { 1.2 }),
                    users_remapped: (!in_store).then_some(40),
                    cost: if in_store { 0.1234 } else { 0.25 },
                    people: People {
                        users_active: 200,
                        users_forced_login: if in_store { 0 } else { 40 },
                        visits: 200,
                        visits_with_error: 5,
                    },
                    sessions_lost_active: if in_store { 0 } else { 100 },
                    sessions_lost_idle: if in_store { 0 } else { 400 },
                    ..Summary::default()
                },
                buckets,
                servers,
                events: vec![
                    event(80, EventAction::Crash),
                    event(100, EventAction::Restart),
                ],
                ..RunResult::default()
            }
        })
        .collect()
}

fn time_chart(results: &[RunResult], name: &str) -> super::TimeChart {
    match charts(&Look::plain(results), results)
        .into_iter()
        .find(|c| c.name() == name)
    {
        Some(Chart::Time(c)) => c,
        _ => panic!("no time chart {name}"),
    }
}

#[test]
fn a_rate_is_the_count_over_the_bucket_length() {
    let results = sample();
    let steps = rate_steps(&results[0].buckets, Counts::failed_auth);
    // Bucket 2 (80..90 s) has 40 failed authentications in 10 s: 4 per second, across the bucket.
    assert_eq!(steps[4], (80.0, Some(4.0)));
    assert_eq!(steps[5], (90.0, Some(4.0)));
    // The last bucket is 5 s long: 105 requests / 5 s.
    let ok = rate_steps(&results[0].buckets, Counts::ok);
    assert_eq!(ok[10], (110.0, Some(21.0)));
    assert_eq!(ok[11], (115.0, Some(21.0)));
}

#[test]
fn the_failed_auth_chart_has_one_line_per_variant_in_its_colour() {
    let chart = time_chart(&sample(), "failed_auth");
    let colours: Vec<_> = chart.main.series.iter().map(|s| s.colour).collect();
    assert_eq!(colours, vec![palette::variant(0), palette::variant(1)]);
    assert_eq!(chart.main.series[1].points[4], (80.0, Some(0.0)));
    assert_eq!(chart.x_range_s, (60.0, 115.0));
    let labels: Vec<&str> = chart.markers.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels, vec!["crash s1", "restart s1"], "each event once");
}

#[test]
fn a_variant_keeps_its_colour_on_every_chart() {
    let results = sample();
    for chart in charts(&Look::plain(&results), &results) {
        if let Chart::Bars(bars) = &chart {
            for panel in &bars.panels {
                assert_eq!(panel.bars[1].colour, palette::variant(1));
            }
        }
    }
    let latency = time_chart(&results, "latency");
    // p99 (drawn first, under) then p50 of each variant, same colour, p99 dashed; no value where
    // nothing was served.
    assert_eq!(latency.main.series.len(), 4);
    assert_eq!(latency.main.series[0].colour, palette::variant(0));
    assert_eq!(latency.main.series[0].stroke, Stroke::Dashed);
    assert_eq!(latency.main.series[2].colour, palette::variant(0));
    assert_eq!(latency.main.series[2].points[6], (90.0, None));
    assert_eq!(latency.main.series[2].points[0], (60.0, Some(15.0)));
    let servers = time_chart(&results, "servers-shared-store");
    let rotation = &servers.lower.as_ref().unwrap().series[0];
    assert_eq!(rotation.colour, palette::variant(1));
}

#[test]
fn server_charts_show_each_server_and_the_rotation() {
    let chart = time_chart(&sample(), "servers-sticky");
    assert_eq!(chart.main.series.len(), 2);
    // Server 1 served nothing while down (80..100 s); 50 requests in 10 s otherwise.
    assert_eq!(chart.main.series[1].points[4], (80.0, Some(0.0)));
    assert_eq!(chart.main.series[1].points[0], (60.0, Some(5.0)));
    let rotation = &chart.lower.unwrap().series[0];
    assert_eq!(rotation.points[4], (80.0, Some(1.0)));
}

#[test]
fn sessions_are_counted_where_they_live() {
    let results = sample();
    let sticky = time_chart(&results, "sessions-sticky");
    assert!(sticky.main.stacked);
    let labels: Vec<&str> = sticky
        .main
        .series
        .iter()
        .map(|s| s.label.as_str())
        .collect();
    assert_eq!(
        labels,
        vec!["s0", "s1"],
        "in server memory: one band per server"
    );
    // Sessions are a state at the end of a bucket.
    assert_eq!(sticky.main.series[1].points[2], (90.0, Some(0.0)));
    assert_eq!(sticky.main.series[0].points[0], (70.0, Some(500.0)));
    let store = time_chart(&results, "sessions-shared-store");
    let labels: Vec<&str> = store.main.series.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, vec!["session store"]);
    // sessions_alive 1000 + 10 i, none in servers.
    assert_eq!(store.main.series[0].points[1], (80.0, Some(1010.0)));
}

#[test]
fn the_sessions_charts_draw_the_users_in_a_visit_over_the_bands() {
    let results = sample();
    for name in ["sessions-sticky", "sessions-shared-store"] {
        let chart = time_chart(&results, name);
        let [line] = &chart.main.overlay[..] else {
            panic!(
                "{name}: one line over the bands, got {:?}",
                chart.main.overlay
            );
        };
        assert_eq!(line.label, "users in a visit");
        assert_eq!(line.stroke, Stroke::Dashed);
        // 300 + i users at the end of bucket i (which starts at 60 + 10 i s).
        assert_eq!(line.points[0], (70.0, Some(300.0)));
        assert_eq!(line.points[4], (110.0, Some(304.0)));
        let last = chart.legend.last().unwrap();
        assert_eq!(
            (last.label.as_str(), last.stroke),
            ("users in a visit", Stroke::Dashed)
        );
    }
    // A run that did not count them (live mode) draws no line.
    let mut live = sample();
    live[0]
        .buckets
        .iter_mut()
        .for_each(|b| b.users_in_visit = None);
    assert!(time_chart(&live, "sessions-sticky").main.overlay.is_empty());
}

#[test]
fn the_summary_writes_each_value_on_its_bar() {
    let results = sample();
    let summary = from_results::summary(&Look::plain(&results), &results);
    let titles: Vec<&str> = summary.panels.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(titles.len(), 6, "{titles:?}");
    // Users forced to log in: 40 of 200 active users, 20 %; 5 visits with an error.
    assert_eq!(summary.panels[0].title, "users forced to log in (%)");
    assert_eq!(summary.panels[0].bars[0].text, "20");
    assert_eq!(summary.panels[1].bars[1].text, "5");
    assert_eq!(summary.panels[2].bars[0].text, "500");
    assert_eq!(summary.panels[3].bars[1].text, "110");
    assert_eq!(summary.panels[4].baseline, 1.0);
    assert_eq!(summary.panels[4].bars[0].text, "1.20");
    // Cost: about three significant digits, from 0.
    assert_eq!(summary.panels[5].title, "cost of the machines");
    assert_eq!(summary.panels[5].baseline, 0.0);
    assert_eq!(summary.panels[5].bars[1].text, "0.123");
}

#[test]
fn events_have_short_labels() {
    let label = |action: EventAction, target: Option<u32>| {
        event_label(
            &EventRow {
                action,
                target,
                ..EventRow::default()
            },
            &["us-east".to_string(), "eu-west".to_string()],
        )
    };
    assert_eq!(label(EventAction::DcDown, Some(1)), "eu-west down");
    assert_eq!(label(EventAction::DcUp, Some(0)), "us-east up");
    assert_eq!(label(EventAction::Crash, Some(1)), "crash s1");
    assert_eq!(label(EventAction::AddServers, Some(1)), "+1 server");
    assert_eq!(label(EventAction::RemoveServers, Some(2)), "−2 servers");
    assert_eq!(label(EventAction::StoreCrash, None), "store down");
    assert_eq!(label(EventAction::StoreRestart, None), "store up");
    assert_eq!(markers(&[]), vec![]);
}

#[test]
fn every_chart_comes_as_png_and_svg() {
    let files = render_all(&Look::plain(&sample()), &sample()).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let mut expected = Vec::new();
    for stem in [
        "failed_auth",
        "errors",
        "latency",
        "servers-sticky",
        "servers-shared-store",
        "sessions-sticky",
        "sessions-shared-store",
        "summary",
    ] {
        expected.push(format!("{stem}.png"));
        expected.push(format!("{stem}.svg"));
    }
    assert_eq!(names, expected);
    for f in &files {
        if f.name.ends_with(".png") {
            assert_eq!(&f.bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", f.name);
            // The IHDR chunk: width and height, big-endian, at bytes 16..24.
            let width = u32::from_be_bytes(f.bytes[16..20].try_into().unwrap());
            let height = u32::from_be_bytes(f.bytes[20..24].try_into().unwrap());
            assert_eq!((width, height), (1600, 900), "{}", f.name);
            assert!(
                !f.bytes.windows(4).any(|w| w == b"tIME" || w == b"tEXt"),
                "{}: no time or text chunk",
                f.name
            );
        } else {
            let text = std::str::from_utf8(&f.bytes).unwrap();
            assert!(text.starts_with("<svg"), "{}", f.name);
            assert!(text.contains("viewBox=\"0 0 1600 900\""), "{}", f.name);
        }
    }
}

#[test]
fn the_same_results_give_the_same_bytes() {
    let results = sample();
    let first = render_all(&Look::plain(&results), &results).unwrap();
    let second = render_all(&Look::plain(&results), &results.clone()).unwrap();
    assert_eq!(first, second);
}

#[test]
fn text_is_drawn_with_the_bundled_font() {
    let chart = Chart::Time(time_chart(&sample(), "failed_auth"));
    let text = svg(&chart).unwrap();
    assert!(text.contains("font-family=\"DejaVu Sans, Verdana, sans-serif\""));
    assert!(text.contains("crash s1"), "event labels are drawn");
    assert!(
        text.contains("failed authentications / s"),
        "the axis says its unit"
    );
    // A PNG with text differs from a blank canvas of the same size.
    assert!(png(&chart).unwrap().len() > 10_000);
}

#[test]
fn a_plain_mmc_queue_gets_erlang_cs_mean_on_the_latency_chart() {
    // One server, 4 workers, 10 ms logins, 200 logins/s: a = 2 Erlangs, rho = 0.5.
    // Erlang C: sum_{k<4} 2^k/k! = 1 + 2 + 2 + 4/3 = 19/3; last = 2^4/4!/(1 - 0.5) = 4/3;
    // C = (4/3) / (19/3 + 4/3) = 4/23. Mean = C / (400 - 200) + 1/100 s = 10.8696 ms.
    let text = r#"
        name = "mmc"
        duration = "2m"
        warmup = "1m"
        [users]
        visits_per_s = 200
        requests_per_visit = 0
        [servers]
        count = 1
        workers = 4
        login_time = "10ms"
    "#;
    let experiment = crate::config::parse("mmc.toml", text, &[], None).unwrap();
    let results = sample();
    let look = Look::named(&experiment, &["base"]);
    let mean = look.variants[0].mmc.and_then(|q| q.mean_ms()).unwrap();
    assert!(
        (mean - (4.0 / 23.0 / 200.0 + 0.01) * 1e3).abs() < 1e-9,
        "{mean}"
    );
    let mut results = results[..1].to_vec();
    results[0].variant = "base".into();
    let chart = from_results::latency(&look, &results);
    let line = &chart.main.overlay[0];
    assert_eq!(line.label, "base: Erlang C mean (10.9 ms)");
    assert_eq!(line.points[0].1, Some(mean));
    // Results alone (no scenario): no theory drawn.
    let plain = from_results::latency(&Look::plain(&results), &results);
    assert!(plain.main.overlay.is_empty());
    // Two servers behind the balancer are not one M/M/c queue.
    let two = crate::config::parse("mmc.toml", text, &["servers.count=2".into()], None).unwrap();
    assert_eq!(Look::named(&two, &["base"]).variants[0].mmc, None);
}

/// Two replications of each variant: sticky's sessions lost 500 and 600 (mean 550, s = 70.7,
/// s/√2 = 50, t(1) = 12.706: half-width 635.3); the bar is the mean, written with one decimal
/// as in `summary.csv`, with its whisker; the SVG draws it.
#[test]
fn a_replicated_summary_draws_means_with_whiskers() {
    let first = sample();
    let mut second = sample();
    second[0].summary.sessions_lost = 600;
    let variants: Vec<Vec<RunResult>> = first
        .into_iter()
        .zip(second)
        .map(|(a, b)| vec![a, b])
        .collect();
    let slices: Vec<&[RunResult]> = variants.iter().map(Vec::as_slice).collect();
    let chart = from_results::summary_replicated(&Look::plain(&sample()), &slices);
    let lost = &chart.panels[2];
    assert_eq!(lost.title, "sessions lost");
    assert_eq!(lost.bars[0].text, "550.0");
    assert_eq!(lost.bars[0].value, Some(550.0));
    let h = lost.bars[0].half_width.unwrap();
    assert!((h - 12.7062 * 50.0).abs() < 0.1, "{h}");
    assert_eq!(
        lost.bars[1].half_width,
        Some(0.0),
        "shared-store lost none, twice"
    );
    assert!(
        chart.title.contains("means of 2 replications"),
        "{}",
        chart.title
    );
    let [_, svg] = super::render(&super::model::Chart::Bars(chart)).unwrap();
    let text = String::from_utf8(svg.bytes).unwrap();
    assert!(text.contains(">\n550.0\n</text>"), "the mean on its bar");
}
