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
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
    /// The page that asks (any text it chose once): a newer run from the same page replaces
    /// this one. None: a run of its own.
    #[serde(default)]
    pub page: Option<String>,
}

impl RunRequest {
    /// The changes as `--set KEY=VALUE` arguments.
    fn sets(&self) -> Vec<String> {
        self.set
            .iter()
            .map(|(key, value)| format!("{key}={}", set_value(value)))
            .collect()
    }
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

/// `POST /api/run`; stopped early, answering 409, once `replaced` is set (a newer run from the
/// same page).
pub fn run(request: &RunRequest, replaced: &AtomicBool) -> Answer {
    let sets = request.sets();
    let experiment = match config::parse("scenario.toml", &request.scenario, &sets, None) {
        Ok(e) => e,
        Err(e) => return (400, problems(&e)),
    };
    let threads = rayon::current_num_threads();
    if let Some(why) = crate::guard::refuse(&experiment, 1, threads, available_memory()) {
        return (422, json!({ "error": why }));
    }
    match simulate(&experiment, replaced) {
        Ok((results, traces)) => (200, answer(&experiment, &results, &traces)),
        Err(_) if replaced.load(Ordering::Relaxed) => replaced_answer(),
        Err(why) => (422, json!({ "error": why })),
    }
}

/// The answer of a run that a newer run from the same page replaced.
pub fn replaced_answer() -> Answer {
    (
        409,
        json!({ "error": "replaced by a newer run from the same page" }),
    )
}

/// `POST /api/scenario`: the scenario with the changes written into it, a file that `tiersim
/// run` runs to the same numbers (each change goes into the file's keys and into every variant's
/// `set`, where a `--set` wins too). Comments are not kept. Checked: the file gives the
/// experiment that the text and the changes give.
pub fn scenario_file(request: &RunRequest) -> Answer {
    let sets = request.sets();
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

/// Every variant, traced, in parallel; stopped after [`RUN_LIMIT`] or once `replaced` is set.
fn simulate(
    experiment: &Experiment,
    replaced: &AtomicBool,
) -> Result<(Vec<RunResult>, Vec<Trace>), String> {
    let variants: Vec<&Variant> = experiment.variants.iter().collect();
    let spec = TraceSpec::for_scenarios(variants.iter().map(|v| &v.scenario));
    let started = Instant::now();
    let go_on = || !replaced.load(Ordering::Relaxed) && started.elapsed() < RUN_LIMIT;
    let runs: Option<Vec<(RunResult, Trace)>> = on_own_threads(&variants, |v| {
        simulate_traced(&v.name, &v.scenario, spec, &mut |_| go_on())
    })
    .into_iter()
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

/// `f` of every item, in order, on up to as many threads of this run's own as the machine has
/// cores. Not the shared rayon pool: there a long run of one page would hold every worker and
/// the runs of other pages would queue behind it; on threads of their own, runs share the cores.
fn on_own_threads<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return done;
            };
            done.push((i, f(item)));
        }
    };
    let mut all: Vec<(usize, R)> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..cores.min(items.len())).map(|_| s.spawn(work)).collect();
        let joined = threads
            .into_iter()
            .map(|t| t.join().expect("a simulation thread"));
        joined.flatten().collect()
    });
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
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
        "theory": theory(experiment, results, &summary),
        "replay": replay::data(&look, results, traces, sc.duration_us, sc.warmup_us),
    })
}

/// What theory says beside what the run gave, where theory applies (`theory::expected` per
/// variant, `theory::remapped` per change of membership): `{variant, metric, at_s, formula,
/// theory, result}`, `at_s` the time of the change (null for the whole run).
fn theory(experiment: &Experiment, results: &[RunResult], summary: &[Value]) -> Vec<Value> {
    let mut list = Vec::new();
    for ((v, r), row) in experiment.variants.iter().zip(results).zip(summary) {
        for e in crate::theory::expected(&v.scenario) {
            list.push(json!({
                "variant": r.variant, "metric": e.metric, "at_s": null, "formula": e.formula,
                "theory": e.value, "result": row[e.metric],
            }));
        }
        for e in r.events.iter().filter(|e| e.users_logged_in > 0) {
            let policy = v.scenario.balancer.policy;
            let (Some(moved), Some((share, formula))) = (
                e.users_remapped,
                crate::theory::remapped(policy, e.servers_before, e.servers_after),
            ) else {
                continue;
            };
            if e.servers_before == e.servers_after {
                continue;
            }
            list.push(json!({
                "variant": r.variant, "metric": "remapped_pct", "at_s": e.at_us / 1_000_000,
                "formula": formula, "theory": 100.0 * share,
                "result": 100.0 * moved as f64 / e.users_logged_in as f64,
            }));
        }
    }
    list
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

    fn request(file: usize, set: Value) -> RunRequest {
        RunRequest {
            scenario: SHIPPED[file].1.to_string(),
            set: set.as_object().cloned().expect("object"),
            page: None,
        }
    }

    #[test]
    fn the_lab_sends_n_minus_1_over_n_beside_the_result_of_random_routing() {
        let (status, body) = run(
            &request(0, json!({"servers.count": 5})),
            &AtomicBool::new(false),
        );
        assert_eq!(status, 200);
        let theory = body["theory"].as_array().expect("a list");
        // 01: random and round robin over sessions in server memory, 5 servers: 4/5 fail.
        let names: Vec<&str> = theory
            .iter()
            .map(|t| t["variant"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["random", "round-robin"]);
        for t in theory {
            assert_eq!(t["metric"], "failed_auth_pct");
            assert_eq!(t["formula"], "(N-1)/N, N = 5");
            assert_eq!(t["theory"], 80.0);
            let result = t["result"].as_f64().unwrap();
            assert!((result - 80.0).abs() < 1.0, "{t}");
        }
    }

    #[test]
    fn the_lab_sends_the_remapping_theory_of_each_change_of_membership() {
        let (status, body) = run(&request(2, json!({})), &AtomicBool::new(false));
        assert_eq!(status, 200);
        let theory = body["theory"].as_array().expect("a list");
        let of = |variant: &str| -> Vec<(u64, String, f64)> {
            theory
                .iter()
                .filter(|t| t["variant"] == variant)
                .map(|t| {
                    let formula = t["formula"].as_str().unwrap().to_string();
                    (
                        t["at_s"].as_u64().unwrap(),
                        formula,
                        t["theory"].as_f64().unwrap(),
                    )
                })
                .collect()
        };
        // 03: one server joins 4 at 10 min, one joins 5 at 14 min, two leave 6 at 18 min.
        let hash = of("hash-mod");
        assert_eq!(hash[0].0, 600);
        assert_eq!(hash[0].1, "N/(N+1), N = 4");
        assert!((hash[0].2 - 80.0).abs() < 1e-9);
        assert_eq!(hash[1].1, "N/(N+1), N = 5");
        assert!(
            (hash[2].2 - 200.0 / 3.0).abs() < 1e-9,
            "6 to 4: 2 in 3 move"
        );
        let ring = of("consistent-hash");
        assert_eq!(ring[0].1, "1/(N+1), N = 4");
        assert!((ring[0].2 - 20.0).abs() < 1e-9);
        assert!(
            (ring[2].2 - 100.0 / 3.0).abs() < 1e-9,
            "6 to 4: 2 in 6 move"
        );
        assert!(of("sticky").is_empty() && of("shared-store").is_empty());
        // The result beside it: the run's own share of the first join.
        let first = theory.iter().find(|t| t["variant"] == "hash-mod").unwrap();
        let result = first["result"].as_f64().unwrap();
        assert!((result - 80.0).abs() < 5.0, "{first}");
    }

    #[test]
    fn the_lab_sends_erlang_c_beside_the_mean_latency_of_a_plain_mmc_queue() {
        // One server of 4 workers, logins only, 40 ms each (mu = 25/s), 80 per second: rho 0.8.
        let text = "name = \"mmc\"\nduration = \"10m\"\nwarmup = \"1m\"\n[users]\n\
                    visits_per_s = 80.0\nrequests_per_visit = 0.0\n[servers]\ncount = 1\n\
                    workers = 4\nlogin_time = \"40ms\"\n";
        let request = RunRequest {
            scenario: text.to_string(),
            set: Map::new(),
            page: None,
        };
        let (status, body) = run(&request, &AtomicBool::new(false));
        assert_eq!(status, 200, "{body}");
        let t = &body["theory"][0];
        assert_eq!(t["metric"], "latency_mean_ms");
        let expected = crate::theory::mmc_mean_sojourn_s(4, 80.0, 25.0).unwrap() * 1e3;
        assert!(
            (t["theory"].as_f64().unwrap() - expected).abs() < 1e-9,
            "{t}"
        );
        let result = t["result"].as_f64().unwrap();
        assert!((result - expected).abs() / expected < 0.1, "{t}");
    }

    #[test]
    fn a_bad_value_answers_400_naming_its_key() {
        let request = request(0, json!({"servers.count": "many"}));
        let (status, body) = run(&request, &AtomicBool::new(false));
        assert_eq!(status, 400);
        assert_eq!(body["problems"][0]["key"], "servers.count");
        assert_eq!(body["problems"][0]["set"], "servers.count=many");
    }
}
