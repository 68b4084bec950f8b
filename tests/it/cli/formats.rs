//! What `run` and `sweep` print: `--format table|json|csv` on standard output, status lines on
//! standard error, and the small things of the terminal (aligned `list`, plurals, notes).

use super::GOOD;
use crate::support::{Cli, scratch_dir};
use serde_json::Value;
use std::path::Path;

/// A folder holding `tiny.toml` (two variants, 2 minutes).
fn tiny(test: &str) -> std::path::PathBuf {
    let dir = scratch_dir(test);
    std::fs::write(dir.join("tiny.toml"), GOOD).unwrap();
    dir
}

/// The rows of a CSV text, as fields.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn run_format_json_parses_and_holds_every_summary_csv_column() {
    let dir = tiny("format_json");
    let ran = Cli::new(&["run", "tiny.toml", "--no-charts", "--format", "json"])
        .in_dir(&dir)
        .expect_code(0);
    let json: Value = serde_json::from_str(&ran.stdout).expect("standard output is JSON alone");
    assert_eq!(json["scenario"], "tiny");
    let summary = std::fs::read_to_string(dir.join("output/tiny/summary.csv")).unwrap();
    let rows = csv_rows(&summary);
    let variants = json["variants"].as_array().unwrap();
    assert_eq!(variants.len(), rows.len() - 1, "one object per variant");
    for (object, row) in variants.iter().zip(&rows[1..]) {
        let object = object.as_object().unwrap();
        let keys: Vec<&String> = object.keys().collect();
        assert_eq!(
            keys,
            rows[0].iter().collect::<Vec<_>>(),
            "every column, in order"
        );
        for (column, field) in rows[0].iter().zip(row) {
            let value = &object[column];
            match value {
                Value::Null => assert_eq!(field, "", "{column}: null for an empty field"),
                Value::String(s) => assert_eq!(s, field, "{column}"),
                Value::Number(n) => {
                    let csv: f64 = field.parse().unwrap();
                    assert_eq!(
                        n.as_f64().unwrap(),
                        csv,
                        "{column}: a number, as in the CSV"
                    );
                }
                other => panic!("{column}: unexpected {other}"),
            }
        }
    }
    assert!(variants[0]["requests"].is_u64(), "counts are integers");
    assert!(ran.stderr.contains("wrote "), "status on standard error");
}

#[test]
fn run_format_csv_prints_summary_csv_and_table_keeps_status_off_standard_output() {
    let dir = tiny("format_csv");
    let ran = Cli::new(&["run", "tiny.toml", "--no-charts", "--format", "csv"])
        .in_dir(&dir)
        .expect_code(0);
    let summary = std::fs::read_to_string(dir.join("output/tiny/summary.csv")).unwrap();
    assert_eq!(ran.stdout, summary);
    let ran = Cli::new(&["run", "tiny.toml", "--no-charts"])
        .in_dir(&dir)
        .expect_code(0);
    assert!(!ran.stdout.contains("wrote"), "stdout: {}", ran.stdout);
    ran.stdout_has(&["sticky", "store", "users forced (%)"]);
    ran.stderr_has(&["wrote ", "summary.csv"]);
}

#[test]
fn the_best_in_column_note_appears_only_with_a_mark() {
    let dir = tiny("best_note");
    let one = Cli::new(&["run", "tiny.toml", "--no-charts", "--variant", "sticky"])
        .in_dir(&dir)
        .expect_code(0);
    assert!(
        !one.stdout.contains('*'),
        "one variant, no mark: {}",
        one.stdout
    );
    assert!(!one.stdout.contains("best in its column"), "{}", one.stdout);
    let two = Cli::new(&["run", "tiny.toml", "--no-charts"])
        .in_dir(&dir)
        .expect_code(0);
    assert!(two.stdout.contains(" *"), "{}", two.stdout);
    assert!(
        two.stdout.contains("* best in its column"),
        "{}",
        two.stdout
    );
}

#[test]
fn sweep_prints_its_results_as_a_table_or_json() {
    let dir = tiny("sweep_format");
    let sweep = [
        "sweep",
        "tiny.toml",
        "--no-charts",
        "--param",
        "servers.count=2,3",
    ];
    let ran = Cli::new(&sweep).in_dir(&dir).expect_code(0);
    ran.stdout_has(&[
        "servers.count",
        "variant",
        "failed auth (%)",
        "sticky",
        "store",
    ]);
    ran.stderr_has(&["2 points x 2 variants x 1 replication\n", "wrote "]);
    assert_eq!(ran.stdout.matches("┆ sticky ").count(), 2, "{}", ran.stdout);
    let ran = Cli::new(&[&sweep[..], &["--format", "json"]].concat())
        .in_dir(&dir)
        .expect_code(0);
    let json: Value = serde_json::from_str(&ran.stdout).expect("standard output is JSON alone");
    assert_eq!(json["params"][0], "servers.count");
    let points = json["points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    assert_eq!(points[1]["set"]["servers.count"], 3);
    assert_eq!(points[1]["variants"][1]["variant"], "store");
    assert!(points[1]["variants"][1]["failed_auth_pct"].is_number());
    let ran = Cli::new(&[&sweep[..], &["--format", "csv"]].concat())
        .in_dir(&dir)
        .expect_code(0);
    let written = std::fs::read_to_string(dir.join("output/tiny-sweep/sweep.csv")).unwrap();
    assert_eq!(ran.stdout, written);
}

#[test]
fn list_aligns_the_titles() {
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let ran = Cli::new(&["list", scenarios.to_str().unwrap()]).expect_code(0);
    assert!(ran.stdout.lines().count() >= 9, "{}", ran.stdout);
    let title_columns: Vec<usize> = ran
        .stdout
        .lines()
        .map(|l| {
            let end = l.find(".toml").unwrap() + ".toml".len();
            end + l[end..].chars().take_while(|c| *c == ' ').count()
        })
        .collect();
    assert!(
        title_columns.windows(2).all(|w| w[0] == w[1]),
        "every title starts in one column:\n{}",
        ran.stdout
    );
}

#[test]
fn live_help_names_the_folder_it_writes() {
    let ran = Cli::new(&["live", "--help"]).expect_code(0);
    ran.stdout_has(&["<name>-live/"]);
    assert!(
        !ran.stdout.contains("`<name>/` is written"),
        "{}",
        ran.stdout
    );
}
