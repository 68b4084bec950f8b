//! The catalogue against itself and against `docs/outputs.md`.

use super::*;

#[test]
fn each_metric_is_the_entry_at_its_index() {
    for (i, d) in CATALOGUE.iter().enumerate() {
        assert_eq!(d.metric as usize, i, "{}", d.name);
        assert_eq!(Metric::from_name(d.name), Some(d.metric));
    }
    assert_eq!(Metric::all().count(), CATALOGUE.len());
    assert_eq!(get("failed_auth_pct").unwrap().label, "failed auth (%)");
    assert!(get("failed_auth_pct_ci95").is_none());
}

#[test]
fn names_and_labels_are_unique() {
    for (i, a) in CATALOGUE.iter().enumerate() {
        for b in &CATALOGUE[i + 1..] {
            assert_ne!(a.name, b.name);
            assert_ne!(a.label, b.label, "{} and {}", a.name, b.name);
            assert_ne!(a.axis, b.axis, "{} and {}", a.name, b.name);
        }
    }
}

/// The rows of the `summary.csv` table of `docs/outputs.md`, by their first cell.
fn documented_rows() -> Vec<(&'static str, &'static str)> {
    let doc = include_str!("../../../docs/outputs.md");
    let start = doc.find("## `summary.csv`").expect("a summary.csv section");
    let section = &doc[start..];
    let end = section[3..].find("\n## ").map_or(section.len(), |i| i + 3);
    section[..end]
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("| ")?;
            let (first, _) = rest.split_once(" |")?;
            Some((first, line))
        })
        .collect()
}

#[test]
fn every_metric_is_documented_with_its_formula() {
    let rows = documented_rows();
    for d in &CATALOGUE {
        let cell = format!("`{}`", d.name);
        let (_, row) = rows
            .iter()
            .find(|(first, _)| *first == cell)
            .unwrap_or_else(|| panic!("docs/outputs.md has no row for {cell}"));
        assert!(
            row.contains(d.formula),
            "the row of {cell} in docs/outputs.md does not show its formula `{}`",
            d.formula
        );
    }
}

#[test]
fn derived_metrics_follow_their_formulas() {
    use crate::metrics::{Counts, EventRow, Summary};
    let counts = Counts {
        logins: 10,
        authenticated: 60,
        failed_elsewhere: 20,
        failed_lost: 10,
        ..Counts::default()
    };
    let event = |remapped, logged_in| EventRow {
        users_remapped: Some(remapped),
        users_logged_in: logged_in,
        ..EventRow::default()
    };
    let r = RunResult {
        summary: Summary {
            counts,
            ..Summary::default()
        },
        events: vec![event(10, 100), event(30, 300)],
        ..RunResult::default()
    };
    // ok = 70, failed_auth = 30: auth_requests = 70 - 10 + 30 = 90, 100 * 30 / 90 = 33.33 %.
    assert_eq!(Metric::AuthRequests.value(&r), Some(90.0));
    assert_eq!(Metric::FailedAuthPct.value(&r), Some(100.0 / 3.0));
    // 100 * (10 + 30) / (100 + 300) = 10 %.
    assert_eq!(Metric::RemappedPct.value(&r), Some(10.0));
    assert_eq!(
        Metric::LatencyP99Ms.value(&r),
        None,
        "no latency of nothing"
    );
}

#[test]
fn replications_aggregate_as_a_student_t_interval() {
    use crate::metrics::Summary;
    let run = |lost| RunResult {
        summary: Summary {
            sessions_lost: lost,
            ..Summary::default()
        },
        ..RunResult::default()
    };
    // 10, 12, 14: mean 12, s = 2, t(0.975, 2) = 4.303: half-width 4.303 * 2 / sqrt(3) = 4.97.
    let i = Metric::SessionsLost
        .over(&[run(10), run(12), run(14)])
        .unwrap();
    assert_eq!(i.mean, 12.0);
    assert!((i.half_width.unwrap() - 4.969).abs() < 1e-3);
}
