//! What `run` and `sweep` (and, for its files, `live`) share: the resource guard, Ctrl-C, the
//! progress bars, the runs themselves, the books check, and the files of a run's folder.
//!
//! Ctrl-C (or SIGTERM) stops every run within a few milliseconds of simulation: the bars are
//! cleared, nothing is written, and the exit status is 130.

use super::progress::Progress;
use super::{BadInput, Interrupted};
use crate::metrics::RunResult;
use crate::output::{csv, files};
use crate::runner::{self, Job, Runs};
use crate::scenario::{Experiment, Variant};
use anyhow::Result;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Set by the signal handler; read by every running simulation.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// How the progress shows.
pub(super) enum Bars {
    /// One bar per variant (`run`).
    PerVariant,
    /// One bar for every run, with this label (`sweep`).
    One(String),
}

/// Refuses runs that would not fit (each experiment, exit status 2), then runs every variant ×
/// replication with progress bars until done or Ctrl-C (`Interrupted`), and checks the books.
/// Returns the runs and the wall seconds they took.
pub(super) fn simulate(
    experiments: &[&Experiment],
    variants: &[&Variant],
    replications: usize,
    quiet: bool,
    bars: Bars,
) -> Result<(Runs, f64)> {
    prepare(experiments, replications, quiet)?;
    let (progress, one_bar) = match bars {
        Bars::PerVariant => (Progress::new(variants, replications, quiet), false),
        Bars::One(label) => {
            let seconds: u64 = variants
                .iter()
                .map(|v| v.scenario.duration_us / 1_000_000)
                .sum::<u64>()
                * replications as u64;
            (Progress::with_bars(vec![(label, seconds)], quiet), true)
        }
    };
    let started = Instant::now();
    let runs = runner::run(variants, replications, &|v, before, now| {
        progress.advance(if one_bar { 0 } else { v }, before, now);
        !INTERRUPTED.load(Ordering::SeqCst)
    });
    let wall_s = started.elapsed().as_secs_f64();
    progress.clear();
    let runs = runs.ok_or(Interrupted)?;
    check_books(&runs)?;
    Ok((runs, wall_s))
}

/// What [`simulate`] does for only some runs (`jobs`, of `variants` × `replications`): a shard.
/// One bar with `label`; the results in the order of `jobs`.
pub(super) fn simulate_jobs(
    experiments: &[&Experiment],
    variants: &[&Variant],
    replications: usize,
    jobs: &[Job],
    quiet: bool,
    label: String,
) -> Result<Vec<RunResult>> {
    prepare(experiments, replications, quiet)?;
    let seconds = jobs
        .iter()
        .map(|j| variants[j.variant].scenario.duration_us / 1_000_000)
        .sum();
    let progress = Progress::with_bars(vec![(label, seconds)], quiet);
    let results = runner::run_jobs(variants, jobs, &|_, before, now| {
        progress.advance(0, before, now);
        !INTERRUPTED.load(Ordering::SeqCst)
    });
    progress.clear();
    let results = results.ok_or(Interrupted)?;
    for (job, result) in jobs.iter().zip(&results) {
        let seed = runner::replication_seed(variants[job.variant].scenario.seed, job.replication);
        unbalanced(result, seed)?;
    }
    Ok(results)
}

/// The resource guard for each experiment, then the Ctrl-C handler.
fn prepare(experiments: &[&Experiment], replications: usize, quiet: bool) -> Result<()> {
    for experiment in experiments {
        guard(experiment, replications, quiet)?;
    }
    // Installing twice (a second run in the same process) is harmless to ignore.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    Ok(())
}

/// Fails (exit status 1) if any run broke an invariant of the program: a bug, reported with what
/// reproduces it.
pub(super) fn check_books(runs: &Runs) -> Result<()> {
    for (&seed, results) in runs.seeds.iter().zip(&runs.by_replication) {
        for result in results {
            unbalanced(result, seed)?;
        }
    }
    Ok(())
}

/// Fails if the run on `seed` broke an invariant of the program, saying what reproduces it.
fn unbalanced(r: &RunResult, seed: u64) -> Result<()> {
    if r.audit.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "the books of variant {} did not balance (seed {seed}): {}. This is a bug in \
         tiersim; `--variant {} --seed {seed}` reproduces it",
        r.variant,
        r.audit.join("; "),
        r.variant
    )
}

/// The files of a run's folder: its CSV files and, unless `no_charts`, the charts and the report
/// of its first replication, presented as `shown`.
pub(super) fn run_files(
    shown: &Experiment,
    runs: &Runs,
    no_charts: bool,
) -> Result<Vec<files::OutputFile>> {
    let mut out = csv_files(runs);
    if !no_charts {
        out.extend(teaching_files(shown, &runs.by_replication[0])?);
    }
    Ok(out)
}

/// The CSV files of a run: the summary over every replication, one row per replication, and the
/// time series and events of replication 0 (the scenario's own seed).
pub fn csv_files(runs: &Runs) -> Vec<files::OutputFile> {
    let file = |name: &str, bytes| files::OutputFile {
        name: name.to_string(),
        bytes,
    };
    let first: &[RunResult] = &runs.by_replication[0];
    vec![
        file("summary.csv", csv::summary(&runs.by_variant())),
        file(
            "replications.csv",
            csv::replications(&runs.by_replication, &runs.seeds),
        ),
        file("timeseries.csv", csv::timeseries(first)),
        file("servers.csv", csv::servers(first)),
        file("events.csv", csv::events(first)),
    ]
}

/// The charts (PNG and SVG) and the self-contained `report.html` of a run's first replication.
fn teaching_files(
    experiment: &Experiment,
    results: &[RunResult],
) -> Result<Vec<files::OutputFile>> {
    let charts = crate::charts::render_all(results)?;
    let page = crate::report::html(experiment, results, &charts);
    let mut out: Vec<files::OutputFile> = charts
        .into_iter()
        .map(|c| files::OutputFile {
            name: c.name,
            bytes: c.bytes,
        })
        .collect();
    out.push(files::OutputFile {
        name: "report.html".into(),
        bytes: page.into_bytes(),
    });
    Ok(out)
}

/// Refuses a run that would not fit (exit status 2, naming the key to change); warns about a long
/// one.
fn guard(experiment: &Experiment, replications: usize, quiet: bool) -> Result<()> {
    if let Some(why) = refusal(experiment, replications) {
        return Err(BadInput(why).into());
    }
    if let Some(warning) = crate::guard::warn_long(experiment, replications).filter(|_| !quiet) {
        // `eprintln!` would panic on a standard error that cannot be written.
        let _ = writeln!(std::io::stderr(), "{warning}");
    }
    Ok(())
}

/// Why the resource guard refuses `replications` of `experiment` on this machine, if it does
/// (`run` and `sweep` refuse it, `check` reports it).
pub(super) fn refusal(experiment: &Experiment, replications: usize) -> Option<String> {
    let threads = rayon::current_num_threads();
    crate::guard::refuse(experiment, replications, threads, available_memory())
}

/// Memory available on this machine, in bytes (`MemAvailable` of /proc/meminfo), if known.
fn available_memory() -> Option<f64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}
