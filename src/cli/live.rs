//! `tiersim live` and `tiersim validate`: the scenario on a real cluster on this machine, and the
//! simulation and the live cluster side by side.
//!
//! Each variant runs in turn on a fresh cluster (its own ports, store and tasks), on a tokio
//! runtime that exists only for this command. Ctrl-C stops the cluster (every task is aborted, a
//! managed Redis is killed) and nothing is written (exit status 130).

use super::{BadInput, Interrupted, ScenarioArgs, csv_files, load, select};
use crate::live::{self, StoreChoice};
use crate::metrics::RunResult;
use crate::output::{csv, files, table};
use crate::runner::{self, Runs};
use crate::scenario::{Experiment, Variant};
use anyhow::Result;
use clap::Args;
use std::io::Write;

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
    /// Simulated seconds per wall second of the live run.
    #[arg(long, value_name = "X", default_value_t = 20.0)]
    pub time_scale: f64,
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

/// Runs every variant on a live cluster, in turn; `None` when interrupted.
fn run_live(
    variants: &[&Variant],
    time_scale: f64,
    choice: &StoreChoice,
    quiet: bool,
) -> Result<Vec<RunResult>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut results = Vec::new();
    for v in variants {
        let sc = &v.scenario;
        if !quiet {
            eprintln!(
                "live: variant {} ({} + {}), {:.0} s of wall time",
                v.name,
                sc.balancer.policy.as_str(),
                sc.storage.as_str(),
                sc.duration_us as f64 / 1e6 / time_scale
            );
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
        let outcome = runtime.block_on(async {
            tokio::select! {
                r = live::run_variant(&v.name, sc, time_scale, choice) => Some(r),
                _ = tokio::signal::ctrl_c() => None,
            }
        });
        match outcome {
            None => {
                runtime.shutdown_timeout(std::time::Duration::from_secs(2));
                return Err(Interrupted.into());
            }
            Some(r) => results.push(r?),
        }
    }
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    Ok(results)
}

/// Runs `tiersim live`.
pub fn run(args: &LiveArgs) -> Result<()> {
    let experiment = load(&args.common.scenario, &args.common.sets, args.common.seed)?;
    let variants = select(&experiment, &args.common.variants)?;
    let choice = prepare(&experiment, &variants, args.time_scale, &args.store)?;
    let results = run_live(&variants, args.time_scale, &choice, args.quiet)?;
    let seed = variants.first().map_or(0, |v| v.scenario.seed);
    let runs = Runs {
        seeds: vec![seed],
        by_replication: vec![results],
    };
    let mut out_files = csv_files(&runs);
    if !args.no_charts {
        out_files.extend(super::run::teaching_files(
            &experiment,
            &runs.by_replication[0],
        )?);
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
        writeln!(out, "\nwrote {}", folder.display())?;
    }
    Ok(())
}

/// One compared metric: its name, how to read it from a result, and its tolerance.
struct Metric {
    name: &'static str,
    value: fn(&RunResult) -> Option<f64>,
    /// Largest absolute difference that still agrees, given the time scale.
    tolerance: fn(f64, f64) -> f64,
    why: &'static str,
}

fn pct(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| 100.0 * n as f64 / d as f64)
}

fn ms(us: Option<u64>) -> Option<f64> {
    us.map(|u| u as f64 / 1000.0)
}

const METRICS: [Metric; 5] = [
    Metric {
        name: "failed auth %",
        value: |r| pct(r.summary.counts.failed_auth(), csv::auth_requests(r)),
        tolerance: |_, _| 3.0,
        why: "sampling noise and a few requests shifted across events by scheduling jitter",
    },
    Metric {
        name: "errors %",
        value: |r| pct(r.summary.counts.errors(), r.summary.counts.ended()),
        tolerance: |_, _| 1.0,
        why: "the health checks detect a crash within 3/4..1 of detection_delay, not exactly at it",
    },
    Metric {
        name: "sessions lost",
        value: |r| Some(r.summary.sessions_lost as f64),
        tolerance: |sim, _| (0.25 * sim).max(20.0),
        why: "the users in a visit at the crash differ by timing; sessions are counted live",
    },
    Metric {
        name: "p50 latency ms",
        value: |r| ms(r.summary.latency.p50_us),
        tolerance: |sim, scale| (0.5 * sim).max(2.0 * scale),
        why: "timer granularity and HTTP overhead (~1 ms of wall time = time-scale ms simulated)",
    },
    Metric {
        name: "p99 latency ms",
        value: |r| ms(r.summary.latency.p99_us),
        tolerance: |sim, scale| (0.5 * sim).max(5.0 * scale),
        why: "scheduling noise on a shared machine weighs most in the tail, times the time scale",
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
    pub tolerance: f64,
    /// Whether they agree within it.
    pub agrees: bool,
    /// Why they may differ.
    pub why: &'static str,
}

/// Compares simulation and live results, variant by variant.
pub fn compare(sim: &[RunResult], live: &[RunResult], time_scale: f64) -> Vec<Comparison> {
    let mut rows = Vec::new();
    for (s, l) in sim.iter().zip(live) {
        for m in &METRICS {
            let (a, b) = ((m.value)(s), (m.value)(l));
            let tolerance = (m.tolerance)(a.unwrap_or(0.0), time_scale);
            let agrees = match (a, b) {
                (Some(a), Some(b)) => (a - b).abs() <= tolerance,
                (None, None) => true,
                _ => false,
            };
            rows.push(Comparison {
                variant: s.variant.clone(),
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
            "| {} | {} | {} | {} | {diff} | ±{:.1} | {} |\n",
            r.variant,
            r.metric,
            f(r.sim),
            f(r.live),
            r.tolerance,
            if r.agrees { "yes" } else { "NO" }
        );
    }
    out
}

/// Runs `tiersim validate`.
pub fn validate(args: &ValidateArgs) -> Result<()> {
    let experiment = load(&args.scenario, &args.sets, args.seed)?;
    let variants = select(&experiment, &args.variants)?;
    let choice = prepare(&experiment, &variants, args.time_scale, &args.store)?;
    let sim = runner::run(&variants, 1, &|_, _, _| true)
        .ok_or_else(|| anyhow::anyhow!("the simulation stopped"))?;
    super::run::check_books(&sim)?;
    let live = run_live(&variants, args.time_scale, &choice, false)?;
    let rows = compare(&sim.by_replication[0], &live, args.time_scale);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: simulation vs live cluster (--time-scale {}, store {})\n",
        experiment.name,
        args.time_scale,
        choice.label()
    )?;
    write!(out, "{}", render(&rows))?;
    let disagree: Vec<&Comparison> = rows.iter().filter(|r| !r.agrees).collect();
    if disagree.is_empty() {
        writeln!(out, "\nevery metric agrees within its tolerance")?;
    } else {
        writeln!(out)?;
        for r in disagree {
            writeln!(
                out,
                "disagrees: {} {}: beyond ±{:.1}; this may be: {}",
                r.variant, r.metric, r.tolerance, r.why
            )?;
        }
    }
    Ok(())
}
