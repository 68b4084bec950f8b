//! `tiersim live` and `tiersim validate`: the scenario on a real cluster on this machine, and the
//! simulation and the live cluster side by side.
//!
//! Each variant runs in turn on a fresh cluster (its own ports, store and tasks), on a tokio
//! runtime that exists only for this command. Ctrl-C stops the cluster (every task is aborted, a
//! managed Redis is killed) and nothing is written (exit status 130).

use super::{BadInput, Interrupted, ScenarioArgs, csv_files, load, select};
use crate::live::{self, LiveRun, StoreChoice};
use crate::metrics::Latency;
use crate::metrics::RunResult;
use crate::output::{csv, files, table};
use crate::runner::{self, Runs};
use crate::scenario::{Experiment, Variant};
use anyhow::Result;
use clap::Args;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Flags of `live`.
#[derive(Debug, Args)]
pub struct LiveArgs {
    /// The scenario and what to change in it (results go to `<out>/<name>-live/`).
    #[command(flatten)]
    pub common: ScenarioArgs,
    /// Simulated seconds per wall second (service, think and all other times are divided by it).
    #[arg(long, value_name = "X", default_value_t = 20.0)]
    pub time_scale: f64,
    /// Session store of shared-store variants: `embedded`, `redis-managed` (tiersim starts
    /// `redis-server` on a free loopback port) or `redis://HOST:PORT` (loopback only).
    #[arg(long, value_name = "STORE", default_value = "embedded")]
    pub store: String,
    /// Write only the CSV files: no charts and no `report.html`.
    #[arg(long)]
    pub no_charts: bool,
    /// Print only the comparison table.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Flags of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The scenario file (TOML).
    pub scenario: std::path::PathBuf,
    /// Seed of every random stream (replaces the file's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run only this variant (repeatable).
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
    /// Override a key by its dotted path (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Simulated seconds per wall second of the live run (default: the largest of 20, 10, 5, 2
    /// and 1 at which this machine carries the cluster on time).
    #[arg(long, value_name = "X")]
    pub time_scale: Option<f64>,
    /// Session store of the live run (as for `live`).
    #[arg(long, value_name = "STORE", default_value = "embedded")]
    pub store: String,
}

/// Checks the time scale, the store and every variant before anything starts.
fn prepare(
    experiment: &Experiment,
    variants: &[&Variant],
    time_scale: f64,
    store: &str,
) -> Result<StoreChoice> {
    if !(time_scale.is_finite() && (0.1..=1000.0).contains(&time_scale)) {
        return Err(BadInput(format!(
            "--time-scale {time_scale}: expected a number from 0.1 to 1000"
        ))
        .into());
    }
    let choice = StoreChoice::parse(store).map_err(BadInput)?;
    let mut wall_s = 0.0;
    for v in variants {
        if let Some(why) = live::refuse(&v.name, &v.scenario, time_scale) {
            return Err(BadInput(format!("{}: {why}", experiment.name)).into());
        }
        wall_s += v.scenario.duration_us as f64 / 1e6 / time_scale;
    }
    if wall_s > live::MAX_WALL_S {
        return Err(BadInput(format!(
            "{}: the variants together take {wall_s:.0} s of wall time at --time-scale \
             {time_scale}, above the live mode's limit of {:.0} s; raise --time-scale, pick \
             variants with --variant or shorten `duration`",
            experiment.name,
            live::MAX_WALL_S
        ))
        .into());
    }
    Ok(choice)
}

/// Set by Ctrl-C; the notification stops the variant running (or the next one to start).
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static INTERRUPT: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Runs every variant on a live cluster, in turn. Ctrl-C, during a variant or between two, stops
/// the cluster and returns `Interrupted`.
fn run_live(
    variants: &[&Variant],
    time_scale: f64,
    choice: &StoreChoice,
    quiet: bool,
) -> Result<Vec<LiveRun>> {
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        // Keeps a permit when no variant is waiting, so a Ctrl-C between variants is not lost.
        INTERRUPT.notify_one();
    });
    let runtime = live::cluster_runtime()?;
    let mut results = Vec::new();
    for v in variants {
        if INTERRUPTED.load(Ordering::SeqCst) {
            break;
        }
        let sc = &v.scenario;
        if !quiet {
            eprintln!(
                "live: variant {} ({} + {}), {:.0} s of wall time",
                v.name,
                sc.balancer.policy.as_str(),
                sc.storage.as_str(),
                sc.duration_us as f64 / 1e6 / time_scale
            );
            let rate = live::wall_requests_per_s(sc, time_scale);
            if rate > live::ON_TIME_REQUESTS_PER_S {
                eprintln!(
                    "live: about {rate:.0} requests per wall second, more than this machine \
                     carries on time (about {:.0} on 2 cores): latencies will include its own \
                     overload; a lower --time-scale measures the scenario",
                    live::ON_TIME_REQUESTS_PER_S
                );
            }
            let store_events = sc.events.iter().any(|e| {
                matches!(
                    e.action,
                    crate::scenario::Action::StoreCrash { .. }
                        | crate::scenario::Action::StoreRestart { .. }
                )
            });
            if store_events && matches!(choice, StoreChoice::Redis(_)) {
                eprintln!(
                    "live: store_crash/store_restart events are not applicable to an external \
                     Redis (use --store redis-managed): they are recorded but do nothing"
                );
            }
        }
        // On Ctrl-C the run stops its timeline and cleans up as at its end (a managed Redis is
        // stopped and waited for, keys in someone else's Redis are removed).
        let outcome = runtime.block_on(live::run_variant(
            &v.name, sc, time_scale, choice, !quiet, &INTERRUPT,
        ));
        if INTERRUPTED.load(Ordering::SeqCst) {
            break;
        }
        results.push(outcome?);
    }
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    if INTERRUPTED.load(Ordering::SeqCst) {
        return Err(Interrupted.into());
    }
    Ok(results)
}

/// The line under the live table: latency split into the servers' part and the HTTP hops.
fn latency_split(runs: &[LiveRun]) -> String {
    let mut out = String::from(
        "latency inside the servers (what the model calls latency) and added by the HTTP hops, \
         simulated ms:\n",
    );
    for r in runs {
        let f = |us: Option<u64>| us.map_or("-".into(), |u| format!("{:.1}", u as f64 / 1000.0));
        out += &format!(
            "  {}: inside p50 {} p99 {} (of which beyond the model's service and store times p50 {} p99 {}); \
             hops p50 {} p99 {}\n",
            r.result.variant,
            f(r.at_server.p50_us),
            f(r.at_server.p99_us),
            f(r.late.p50_us),
            f(r.late.p99_us),
            f(r.hops.p50_us),
            f(r.hops.p99_us)
        );
    }
    out
}

/// Runs `tiersim live`.
pub fn run(args: &LiveArgs) -> Result<()> {
    let experiment = load(&args.common.scenario, &args.common.sets, args.common.seed)?;
    let variants = select(&experiment, &args.common.variants)?;
    let choice = prepare(&experiment, &variants, args.time_scale, &args.store)?;
    let live_runs = run_live(&variants, args.time_scale, &choice, args.quiet)?;
    let results: Vec<RunResult> = live_runs.iter().map(|r| r.result.clone()).collect();
    let seed = variants.first().map_or(0, |v| v.scenario.seed);
    let runs = Runs {
        seeds: vec![seed],
        by_replication: vec![results],
    };
    let mut out_files = csv_files(&runs);
    if !args.no_charts {
        // The report says it was measured on the live cluster, and how its latency splits.
        let mut shown = experiment.clone();
        shown.title = format!(
            "{} (live cluster, --time-scale {}, store {})",
            experiment.title,
            args.time_scale,
            choice.label()
        );
        shown.description = format!(
            "{}\n\nMeasured on a real cluster on one machine (HTTP servers, a balancer, a \
             session store and the scenario's users, on 127.0.0.1), from what the clients saw, \
             in simulated time (wall time × {}). Its latency includes two HTTP hops the model \
             does not have. {}",
            experiment.description.trim_end(),
            args.time_scale,
            latency_split(&live_runs).replace('\n', " ")
        );
        out_files.extend(super::run::teaching_files(&shown, &runs.by_replication[0])?);
    }
    let name = format!("{}-live", experiment.name);
    let folder = files::write_folder(&args.common.out, &name, &out_files)?;
    let mut out = std::io::stdout().lock();
    if !args.quiet {
        writeln!(
            out,
            "{} (live, --time-scale {}, store {})\n",
            experiment.title,
            args.time_scale,
            choice.label()
        )?;
    }
    write!(out, "{}", table::render(&runs.by_variant()))?;
    if !args.quiet {
        write!(out, "\n{}", latency_split(&live_runs))?;
        writeln!(out, "\nwrote {}", folder.display())?;
    }
    Ok(())
}

/// One side of a comparison: the result rows, and the latency the model has. The model has no
/// network between client, balancer and server, so its latency is the time inside the server;
/// for a live run that is measured by the servers (`LiveRun::at_server`).
pub struct Side<'a> {
    /// The result rows.
    pub result: &'a RunResult,
    /// Latency inside the servers.
    pub at_server: Latency,
}

impl<'a> Side<'a> {
    /// A simulated run: all of its latency is inside the servers.
    pub fn simulated(result: &'a RunResult) -> Self {
        Side {
            result,
            at_server: result.summary.latency,
        }
    }

    /// A live run.
    pub fn live(run: &'a LiveRun) -> Self {
        Side {
            result: &run.result,
            at_server: run.at_server,
        }
    }
}

/// One compared metric: its name, how to read it, and its tolerance.
struct Metric {
    name: &'static str,
    value: fn(&Side) -> Option<f64>,
    /// Largest absolute difference that still agrees, given the simulated value, the time scale
    /// and the live run (whose measured delays of its own are allowed for); `None` for a metric
    /// shown beside the model's but not judged against it.
    tolerance: Option<fn(f64, f64, &LiveRun) -> f64>,
    why: &'static str,
}

fn pct(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| 100.0 * n as f64 / d as f64)
}

fn ms(us: Option<u64>) -> Option<f64> {
    us.map(|u| u as f64 / 1000.0)
}

/// Tolerance of the median inside the servers: 15 % of it or a tenth of a wall millisecond,
/// plus the measured median of how late the service sleeps ended (the machine's own delay).
fn p50_tolerance(sim: f64, scale: f64, live: &LiveRun) -> f64 {
    (0.15 * sim).max(0.1 * scale) + ms(live.late.p50_us).unwrap_or(0.0)
}

/// Tolerance of the 99th percentile inside the servers: 25 % of it or half a wall millisecond,
/// plus the measured 99th percentile of how late the service sleeps ended.
fn p99_tolerance(sim: f64, scale: f64, live: &LiveRun) -> f64 {
    (0.25 * sim).max(0.5 * scale) + ms(live.late.p99_us).unwrap_or(0.0)
}

const METRICS: [Metric; 7] = [
    Metric {
        name: "failed auth %",
        value: |s| {
            pct(
                s.result.summary.counts.failed_auth(),
                csv::auth_requests(s.result),
            )
        },
        tolerance: Some(|_, _, _| 3.0),
        why: "sampling noise and a few requests shifted across events by scheduling jitter",
    },
    Metric {
        name: "errors %",
        value: |s| {
            pct(
                s.result.summary.counts.errors(),
                s.result.summary.counts.ended(),
            )
        },
        tolerance: Some(|_, _, _| 1.0),
        why: "the health checks detect a crash within 3/4..1 of detection_delay, not exactly at it",
    },
    Metric {
        name: "sessions lost",
        value: |s| Some(s.result.summary.sessions_lost as f64),
        tolerance: Some(|sim, _, _| (0.25 * sim).max(20.0)),
        why: "the users in a visit at the crash differ by timing; sessions are counted live",
    },
    Metric {
        name: "p50 at the server ms",
        value: |s| ms(s.at_server.p50_us),
        tolerance: Some(p50_tolerance),
        why: "queueing that differs from the model's, or a machine too busy to run the cluster \
              on time (lower --time-scale)",
    },
    Metric {
        name: "p99 at the server ms",
        value: |s| ms(s.at_server.p99_us),
        tolerance: Some(p99_tolerance),
        why: "scheduling delays on a busy machine weigh most in the tail, times the time scale",
    },
    Metric {
        name: "p50 seen by clients ms",
        value: |s| ms(s.result.summary.latency.p50_us),
        tolerance: None,
        why: "the HTTP hops, which the model does not have (their measured spread is printed \
              below); not judged, since a median of a sum is not the sum of medians",
    },
    Metric {
        name: "p99 seen by clients ms",
        value: |s| ms(s.result.summary.latency.p99_us),
        tolerance: None,
        why: "the HTTP hops' tail, which the model does not have; not judged",
    },
];

/// One line of the validate table.
pub struct Comparison {
    /// Variant.
    pub variant: String,
    /// Metric name.
    pub metric: &'static str,
    /// Simulated value.
    pub sim: Option<f64>,
    /// Live value.
    pub live: Option<f64>,
    /// Tolerance on the absolute difference.
    pub tolerance: Option<f64>,
    /// Whether they agree within it.
    pub agrees: Option<bool>,
    /// Why they may differ.
    pub why: &'static str,
}

/// Compares simulation and live results, variant by variant.
pub fn compare(sim: &[RunResult], live: &[LiveRun], time_scale: f64) -> Vec<Comparison> {
    let mut rows = Vec::new();
    for (s, l) in sim.iter().zip(live) {
        let (s, run) = (Side::simulated(s), l);
        let l = Side::live(run);
        for m in &METRICS {
            let (a, b) = ((m.value)(&s), (m.value)(&l));
            let tolerance = m.tolerance.map(|t| t(a.unwrap_or(0.0), time_scale, run));
            let agrees = tolerance.map(|tolerance| match (a, b) {
                (Some(a), Some(b)) => (a - b).abs() <= tolerance,
                (None, None) => true,
                _ => false,
            });
            rows.push(Comparison {
                variant: s.result.variant.clone(),
                metric: m.name,
                sim: a,
                live: b,
                tolerance,
                agrees,
                why: m.why,
            });
        }
    }
    rows
}

/// The validate table as Markdown-friendly text.
pub fn render(rows: &[Comparison]) -> String {
    let f = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.1}"));
    let mut out = String::from(
        "| variant | metric | simulated | live | difference | tolerance | agrees |\n|---|---|---:|---:|---:|---:|---|\n",
    );
    for r in rows {
        let diff = match (r.sim, r.live) {
            (Some(a), Some(b)) => format!("{:+.1}", b - a),
            _ => "-".into(),
        };
        out += &format!(
            "| {} | {} | {} | {} | {diff} | {} | {} |\n",
            r.variant,
            r.metric,
            f(r.sim),
            f(r.live),
            r.tolerance.map_or("-".into(), |t| format!("±{t:.1}")),
            match r.agrees {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "not judged",
            }
        );
    }
    out
}

/// The time scale `validate` uses when none is given: the largest of 20, 10, 5, 2 and 1 at which
/// every chosen variant asks for at most `live::ON_TIME_REQUESTS_PER_S` and all of them fit the
/// wall-time limit (1 if none does: `prepare` then says why).
fn validate_time_scale(variants: &[&Variant]) -> f64 {
    let fits = |scale: f64| {
        let wall_s: f64 = variants
            .iter()
            .map(|v| v.scenario.duration_us as f64 / 1e6 / scale)
            .sum();
        wall_s <= live::MAX_WALL_S
            && variants.iter().all(|v| {
                live::wall_requests_per_s(&v.scenario, scale) <= live::ON_TIME_REQUESTS_PER_S
            })
    };
    [20.0, 10.0, 5.0, 2.0]
        .into_iter()
        .find(|&s| fits(s))
        .unwrap_or(1.0)
}

/// The one-minute load average (Linux `/proc/loadavg`), as written there.
fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next().map(str::to_string)
}

/// Runs `tiersim validate`.
pub fn validate(args: &ValidateArgs) -> Result<()> {
    let experiment = load(&args.scenario, &args.sets, args.seed)?;
    let variants = select(&experiment, &args.variants)?;
    let time_scale = args
        .time_scale
        .unwrap_or_else(|| validate_time_scale(&variants));
    let choice = prepare(&experiment, &variants, time_scale, &args.store)?;
    let sim = runner::run(&variants, 1, &|_, _, _| true)
        .ok_or_else(|| anyhow::anyhow!("the simulation stopped"))?;
    super::run::check_books(&sim)?;
    let load_before = load_average();
    let live = run_live(&variants, time_scale, &choice, false)?;
    let load_after = load_average();
    let rows = compare(&sim.by_replication[0], &live, time_scale);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: simulation vs live cluster (--time-scale {}, store {})\n",
        experiment.name,
        time_scale,
        choice.label()
    )?;
    write!(out, "{}", render(&rows))?;
    write!(out, "\n{}", latency_split(&live))?;
    if let (Some(before), Some(after)) = (load_before, load_after) {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let busy = [&before, &after]
            .iter()
            .any(|l| l.parse::<f64>().is_ok_and(|l| l > cores as f64));
        writeln!(
            out,
            "machine: {cores} cores, load average {before} before the live runs and {after} after{}",
            if busy {
                " (above the number of cores: other work competed with the cluster)"
            } else {
                ""
            }
        )?;
    }
    let disagree: Vec<&Comparison> = rows.iter().filter(|r| r.agrees == Some(false)).collect();
    if disagree.is_empty() {
        writeln!(out, "\nevery judged metric agrees within its tolerance")?;
    } else {
        writeln!(out)?;
        for r in disagree {
            writeln!(
                out,
                "disagrees: {} {}: beyond ±{:.1}; this may be: {}",
                r.variant,
                r.metric,
                r.tolerance.unwrap_or(0.0),
                r.why
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Counts;

    fn latency(p50_ms: f64, p99_ms: f64) -> Latency {
        Latency {
            mean_us: None,
            p50_us: Some((p50_ms * 1000.0) as u64),
            p95_us: None,
            p99_us: Some((p99_ms * 1000.0) as u64),
        }
    }

    fn result(client: Latency) -> RunResult {
        let mut r = RunResult {
            variant: "v".into(),
            ..RunResult::default()
        };
        r.summary.counts = Counts {
            authenticated: 900,
            failed_elsewhere: 100,
            ..Counts::default()
        };
        r.summary.latency = client;
        r
    }

    fn row<'a>(rows: &'a [Comparison], metric: &str) -> &'a Comparison {
        rows.iter().find(|r| r.metric == metric).expect(metric)
    }

    #[test]
    fn server_latency_is_judged_against_the_model_and_client_latency_only_shown() {
        let sim = [result(latency(15.0, 110.0))];
        // At --time-scale 10: p50 tolerance max(15 % of 15, 1) + 0.25 late = 2.5 ms; p99
        // max(27.5, 5) + 2.5 late = 30.
        let live = [LiveRun {
            result: result(latency(22.0, 150.0)),
            at_server: latency(17.0, 125.0),
            hops: latency(4.0, 20.0),
            late: latency(0.25, 2.5),
        }];
        let rows = compare(&sim, &live, 10.0);
        let p50 = row(&rows, "p50 at the server ms");
        assert_eq!((p50.sim, p50.live), (Some(15.0), Some(17.0)));
        assert_eq!(p50.agrees, Some(true));
        assert!((p50.tolerance.unwrap() - 2.5).abs() < 1e-9);
        assert_eq!(row(&rows, "p99 at the server ms").agrees, Some(true));
        // The clients' latency is shown beside the model's, not judged: the model has no hops.
        let client = row(&rows, "p50 seen by clients ms");
        assert_eq!((client.tolerance, client.agrees), (None, None));
        assert_eq!(row(&rows, "failed auth %").agrees, Some(true));
        // A server that holds requests too long disagrees.
        let slow = [LiveRun {
            result: result(latency(30.0, 150.0)),
            at_server: latency(26.0, 125.0),
            hops: latency(4.0, 20.0),
            late: latency(0.25, 2.5),
        }];
        let rows_slow = compare(&sim, &slow, 10.0);
        assert_eq!(row(&rows_slow, "p50 at the server ms").agrees, Some(false));
        // 125 - 110 = 15 <= 30; at 160 it is not.
        let tail = [LiveRun {
            result: result(latency(22.0, 150.0)),
            at_server: latency(17.0, 160.0),
            hops: latency(4.0, 20.0),
            late: latency(0.25, 2.5),
        }];
        assert_eq!(
            row(&compare(&sim, &tail, 10.0), "p99 at the server ms").agrees,
            Some(false)
        );
        let table = render(&rows);
        assert!(table.contains("| v | p50 at the server ms | 15.0 | 17.0 | +2.0 | ±2.5 | yes |"));
        assert!(
            table.contains("| v | p50 seen by clients ms | 15.0 | 22.0 | +7.0 | - | not judged |")
        );
    }

    #[test]
    fn validate_picks_the_largest_time_scale_the_machine_carries_on_time() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/02-server-crash.toml"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let experiment = crate::config::parse(path, &text, &[], None).unwrap();
        let all: Vec<&Variant> = experiment.variants.iter().collect();
        // 20 visits/s × 11 requests = 220 per simulated second: 4,400 at 20, 2,200 at 10.
        assert_eq!(validate_time_scale(&all), 10.0);
        let quiet =
            crate::config::parse(path, &text, &["users.visits_per_s=5".into()], None).unwrap();
        let all: Vec<&Variant> = quiet.variants.iter().collect();
        assert_eq!(validate_time_scale(&all), 20.0);
        let busy =
            crate::config::parse(path, &text, &["users.visits_per_s=200".into()], None).unwrap();
        let all: Vec<&Variant> = busy.variants.iter().collect();
        assert_eq!(validate_time_scale(&all), 1.0);
    }
}
