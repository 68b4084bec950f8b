//! The results as JSON, for `--format json`: one object per command, every `summary.csv` column
//! of every variant under its CSV name, with the same decimals as the CSV (numbers as numbers,
//! `null` where the CSV field is empty).
//!
//! `run` prints `{"scenario", "title", "variants": [{"variant", "requests", ...}]}`; `sweep`
//! prints `{"scenario", "title", "params", "points": [{"set": {KEY: VALUE}, "variants": [...]}]}`.
//! The values come from [`super::csv::summary_cells`], so the JSON and `summary.csv` cannot
//! disagree.

use super::columns::SUMMARY_COLUMNS;
use super::csv::summary_cells;
use crate::metrics::RunResult;
use crate::sweep::Param;
use serde_json::{Map, Value, json};

/// What `run --format json` prints: the scenario and one object per variant.
pub fn run(name: &str, title: &str, variants: &[Vec<RunResult>]) -> String {
    let document = json!({
        "scenario": name,
        "title": title,
        "variants": variants.iter().map(|runs| variant(runs)).collect::<Vec<_>>(),
    });
    pretty(&document)
}

/// What `sweep --format json` prints: the scenario, the swept keys, and per point its values and
/// one object per variant. `results[p][v]` holds the replications of variant `v` at point `p`.
pub fn sweep(
    name: &str,
    title: &str,
    params: &[Param],
    points: &[Vec<String>],
    results: &[Vec<Vec<RunResult>>],
) -> String {
    let points: Vec<Value> = points
        .iter()
        .zip(results)
        .map(|(point, variants)| {
            let set: Map<String, Value> = point
                .iter()
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), cell(v)))
                .collect();
            json!({
                "set": set,
                "variants": variants.iter().map(|runs| variant(runs)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let document = json!({
        "scenario": name,
        "title": title,
        "params": params.iter().map(|p| p.key.as_str()).collect::<Vec<_>>(),
        "points": points,
    });
    pretty(&document)
}

/// One variant's `summary.csv` row as an object, in the column order.
pub fn variant(runs: &[RunResult]) -> Value {
    let cells = summary_cells(runs);
    let object: Map<String, Value> = SUMMARY_COLUMNS
        .iter()
        .zip(cells)
        .map(|(&column, text)| {
            let value = if column == "variant" {
                Value::String(text)
            } else {
                cell(&text)
            };
            (column.to_string(), value)
        })
        .collect();
    Value::Object(object)
}

/// A CSV field as JSON: a number if it reads as one, `null` if empty, else a string.
fn cell(text: &str) -> Value {
    if text.is_empty() {
        return Value::Null;
    }
    match text.parse::<serde_json::Number>() {
        Ok(number) => Value::Number(number),
        Err(_) => Value::String(text.to_string()),
    }
}

fn pretty(document: &Value) -> String {
    let mut text = serde_json::to_string_pretty(document).expect("a JSON value always serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_field_becomes_a_number_null_or_a_string() {
        assert_eq!(cell("3027"), json!(3027));
        assert_eq!(cell("14.60"), json!(14.6));
        assert_eq!(cell(""), Value::Null);
        assert_eq!(cell("round_robin"), json!("round_robin"));
    }
}
