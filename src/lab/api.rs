//! What the lab's JSON API answers, as plain functions of the request (the HTTP layer is in
//! `mod.rs`): the shipped scenarios, and a run of a scenario text with `--set`-style changes.
//!
//! A run answers 200 with the summary rows (the `summary.csv` cells of each variant, as
//! `--format json` gives them), each variant's time series, events, charts (SVG) and replay
//! trace; 400 with the problems of a bad scenario or value, as the CLI reports them (dotted key,
//! line, column, message); 422 when the resource guard refuses the run or it takes longer than
//! [`RUN_LIMIT`]. Runs are the simulation's own: the same numbers as `tiersim run`.

use crate::config::{self, ConfigError, Origin};
use crate::engine::{Trace, TraceSpec, simulate_traced};
use crate::metrics::RunResult;
use crate::output::json;
use crate::report::replay;
use crate::scenario::{Experiment, Variant};
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::time::{Duration, Instant};

/// The longest a run may take (wall time, every variant together) before it is stopped.
pub const RUN_LIMIT: Duration = Duration::from_secs(20);

/// The shipped scenarios, as the lab offers them.
pub const SHIPPED: [(&str, &str); 9] = [
    (
        "01-why-sticky.toml",
        include_str!("../../scenarios/01-why-sticky.toml"),
    ),
    (
        "02-server-crash.toml",
        include_str!("../../scenarios/02-server-crash.toml"),
    ),
    (
        "03-scale-out.toml",
        include_str!("../../scenarios/03-scale-out.toml"),
    ),
    (
        "04-store-outage.toml",
        include_str!("../../scenarios/04-store-outage.toml"),
    ),
    (
        "05-autoscaling.toml",
        include_str!("../../scenarios/05-autoscaling.toml"),
    ),
    (
        "06-random-failures.toml",
        include_str!("../../scenarios/06-random-failures.toml"),
    ),
    (
        "07-store-choices.toml",
        include_str!("../../scenarios/07-store-choices.toml"),
    ),
    (
        "08-keeping-state.toml",
        include_str!("../../scenarios/08-keeping-state.toml"),
    ),
    (
        "09-multi-dc.toml",
        include_str!("../../scenarios/09-multi-dc.toml"),
    ),
];

/// The body of `POST /api/run`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// The scenario's TOML text.
    pub scenario: String,
    /// Keys to change, by dotted path, as `--set KEY=VALUE` does.
    #[serde(default)]
    pub set: Map<String, Value>,
}

/// An answer: the HTTP status and its JSON body.
pub type Answer = (u16, Value);

/// `GET /api/scenarios`: `first` (the file `tiersim lab` was given, if any), then the shipped
/// scenarios: each with its file name, name, title, description and text.
pub fn scenarios(first: Option<(&str, &str)>) -> Value {
    let all = first.into_iter().chain(SHIPPED.iter().copied());
    let list: Vec<Value> = all
        .filter_map(|(file, text)| {
            let e = config::parse(file, text, &[], None).ok()?;
            Some(json!({
                "file": file,
                "name": e.name,
                "title": e.title,
                "text": e.description,
                "scenario": text,
            }))
        })
        .collect();
    Value::Array(list)
}

/// `POST /api/run`.
pub fn run(request: &RunRequest) -> Answer {
    let sets: Vec<String> = request
        .set
        .iter()
        .map(|(key, value)| format!("{key}={}", set_value(value)))
        .collect();
    let experiment = match config::parse("scenario.toml", &request.scenario, &sets, None) {
        Ok(e) => e,
        Err(e) => return (400, problems(&e)),
    };
    let threads = rayon::current_num_threads();
    if let Some(why) = crate::guard::refuse(&experiment, 1, threads, available_memory()) {
        return (422, json!({ "error": why }));
    }
    match simulate(&experiment) {
        Ok((results, traces)) => (200, answer(&experiment, &results, &traces)),
        Err(why) => (422, json!({ "error": why })),
    }
}

/// `POST /api/scenario`: the scenario with the changes written into it, a file that `tiersim
/// run` runs to the same numbers (each change goes into the file's keys and into every variant's
/// `set`, where a `--set` wins too). Comments are not kept. Checked: the file gives the
/// experiment that the text and the changes give.
pub fn scenario_file(request: &RunRequest) -> Answer {
    let sets: Vec<String> = request
        .set
        .iter()
        .map(|(key, value)| format!("{key}={}", set_value(value)))
        .collect();
    let wanted = match config::parse("scenario.toml", &request.scenario, &sets, None) {
        Ok(e) => e,
        Err(e) => return (400, problems(&e)),
    };
    let Ok(mut doc) = request.scenario.parse::<toml::Table>() else {
        return (400, json!({ "error": "the scenario is not a TOML table" }));
    };
    for (key, value) in &request.set {
        write_key(&mut doc, key, toml_value(value));
    }
    let text = doc.to_string();
    match config::parse("scenario.toml", &text, &[], None) {
        Ok(e) if e == wanted => (
            200,
            json!({ "file": format!("{}.toml", e.name), "toml": text }),
        ),
        _ => (
            500,
            json!({ "error": "the changes could not be written into this file; use `--set`" }),
        ),
    }
}

/// Writes `key` (dotted) into `doc`'s tables, and into the `set` of every variant.
fn write_key(doc: &mut toml::Table, key: &str, value: toml::Value) {
    if let Some(toml::Value::Array(variants)) = doc.get_mut("variants") {
        for v in variants.iter_mut().filter_map(toml::Value::as_table_mut) {
            let set = v
                .entry("set")
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let Some(set) = set.as_table_mut() {
                set.insert(key.to_string(), value.clone());
            }
        }
    }
    let mut table = doc;
    let parts: Vec<&str> = key.split('.').collect();
    for part in &parts[..parts.len() - 1] {
        let next = table
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let Some(t) = next.as_table_mut() else {
            return;
        };
        table = t;
    }
    table.insert(parts[parts.len() - 1].to_string(), value);
}

/// A change's value as TOML: what `--set` reads (a TOML value, else a string).
fn toml_value(value: &Value) -> toml::Value {
    let text = set_value(value);
    format!("v = {text}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or(toml::Value::String(text))
}

/// A JSON value as the text of `--set KEY=VALUE`: a string as it is, anything else as JSON.
fn set_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The problems of a bad scenario: what the CLI prints, one object per line of it.
pub fn problems(error: &ConfigError) -> Value {
    let list: Vec<Value> = error
        .problems
        .iter()
        .map(|p| {
            let (line, column, flag) = match &p.origin {
                Origin::File { line, column, .. } => (Some(*line), Some(*column), None),
                Origin::Flag { text, .. } => (None, None, Some(text.clone())),
            };
            json!({
                "key": p.path,
                "line": line,
                "column": column,
                "set": flag,
                "message": p.message,
                "text": p.to_string(),
            })
        })
        .collect();
    json!({ "problems": list })
}

/// Every variant, traced, in parallel; stopped after [`RUN_LIMIT`].
fn simulate(experiment: &Experiment) -> Result<(Vec<RunResult>, Vec<Trace>), String> {
    let variants: Vec<&Variant> = experiment.variants.iter().collect();
    let spec = TraceSpec::for_scenarios(variants.iter().map(|v| &v.scenario));
    let started = Instant::now();
    let runs: Option<Vec<(RunResult, Trace)>> = variants
        .par_iter()
        .map(|v| {
            let stop = &mut |_| started.elapsed() < RUN_LIMIT;
            simulate_traced(&v.name, &v.scenario, spec, stop)
        })
        .collect();
    let runs = runs.ok_or_else(|| {
        format!(
            "the run took longer than {} s and was stopped: make it shorter (`duration`) or \
             lighter (`users.visits_per_s`)",
            RUN_LIMIT.as_secs()
        )
    })?;
    if let Some(r) = runs.iter().find(|(r, _)| !r.audit.is_empty()) {
        return Err(format!(
            "the books of variant {} did not balance: {}. This is a bug in tiersim",
            r.0.variant,
            r.0.audit.join("; ")
        ));
    }
    Ok(runs.into_iter().unzip())
}

/// The 200 answer of a run.
fn answer(experiment: &Experiment, results: &[RunResult], traces: &[Trace]) -> Value {
    let look = crate::charts::look::Look::of(experiment, results);
    let by_variant: Vec<Vec<RunResult>> = results.iter().map(|r| vec![r.clone()]).collect();
    let summary: Vec<Value> = by_variant.iter().map(|runs| json::variant(runs)).collect();
    let variants: Vec<Value> = results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({
                "variant": r.variant,
                "colour": replay::hex(look.colour(i)),
                "timeseries": r.buckets,
                "events": r.events,
            })
        })
        .collect();
    let sc = &experiment.variants[0].scenario;
    json!({
        "scenario": experiment.name,
        "title": experiment.title,
        "summary": summary,
        "variants": variants,
        "charts": charts(&look, results),
        "replay": replay::data(&look, results, traces, sc.duration_us, sc.warmup_us),
    })
}

/// The run's charts as SVG text, in the report's order.
fn charts(look: &crate::charts::look::Look, results: &[RunResult]) -> Vec<Value> {
    crate::charts::from_results::charts(look, results)
        .iter()
        .filter_map(|chart| {
            let svg = crate::charts::svg(chart).ok()?;
            Some(json!({ "name": chart.name(), "svg": svg }))
        })
        .collect()
}

/// Memory available on this machine, in bytes (`MemAvailable` of /proc/meminfo), if known.
fn available_memory() -> Option<f64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lab offers every numbered scenario of `scenarios/`, in order, as its text on disk.
    #[test]
    fn the_lab_offers_every_numbered_scenario() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
        let mut numbered: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.as_bytes()[0].is_ascii_digit())
            .collect();
        numbered.sort();
        let offered: Vec<&str> = SHIPPED.iter().map(|(name, _)| *name).collect();
        assert_eq!(offered, numbered);
        for (name, text) in SHIPPED {
            let on_disk = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
            assert_eq!(text, on_disk, "{name}");
        }
    }

    #[test]
    fn every_shipped_scenario_is_offered() {
        let list = scenarios(None);
        assert_eq!(list.as_array().map(Vec::len), Some(SHIPPED.len()));
        assert_eq!(list[1]["name"], "server-crash");
    }

    #[test]
    fn a_bad_value_answers_400_naming_its_key() {
        let request = RunRequest {
            scenario: SHIPPED[0].1.to_string(),
            set: json!({"servers.count": "many"})
                .as_object()
                .cloned()
                .expect("object"),
        };
        let (status, body) = run(&request);
        assert_eq!(status, 400);
        assert_eq!(body["problems"][0]["key"], "servers.count");
        assert_eq!(body["problems"][0]["set"], "servers.count=many");
    }
}
