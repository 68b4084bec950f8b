//! What `run` and `sweep` (and, for its files, `live`) share: the resource guard, Ctrl-C, the
//! progress bars, the runs themselves, the books check, and the files of a run's folder.
//!
//! Ctrl-C (or SIGTERM) is answered in every phase (see `crate::interrupt`): within a few
//! milliseconds of simulation, between the series of a chart, between two files; the bars are
//! cleared, nothing is written, and the exit status is 130.

use super::progress::Progress;
use super::{BadInput, Interrupted};
use crate::charts::look::Look;
use crate::charts::model::{Chart, Colour, LegendItem, Stroke};
use crate::charts::{ChartError, from_results};
use crate::engine::TraceSpec;
use crate::interrupt::{self, phase};
use crate::metrics::RunResult;
use crate::output::{csv, files};
use crate::runner::{self, Job, Runs};
use crate::scenario::{Experiment, Scenario, Variant};
use anyhow::Result;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

/// How the progress shows.
pub(super) enum Bars {
    /// One bar per variant (`run`).
    PerVariant,
    /// One bar for every run, with this label (`sweep`).
    One(String),
}

/// Refuses a command that would not fit (all its experiments at once, exit status 2), checks
/// that the output folder `out.1` can be written under `out.0`, then runs every variant ×
/// replication with progress bars until done or Ctrl-C (`Interrupted`), and checks the books.
/// With `trace`, replication 0 of each variant records its replay trace (for the report).
/// Returns the runs and the wall seconds they took.
pub(super) fn simulate(
    out: (&Path, &str),
    experiments: &[&Experiment],
    variants: &[&Variant],
    replications: usize,
    quiet: bool,
    bars: Bars,
    trace: Option<TraceSpec>,
) -> Result<(Runs, f64)> {
    guard(experiments, replications, quiet)?;
    check_out(out.0, out.1)?;
    interrupt::install();
    // Nothing is written until the folder is: a signal from here ends the process at once.
    let _at_once = interrupt::NothingToLose::begin();
    phase("simulation");
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
    let runs = runner::run_traced(variants, replications, trace, &|v, before, now| {
        progress.advance(if one_bar { 0 } else { v }, before, now);
        !interrupt::requested()
    });
    let wall_s = started.elapsed().as_secs_f64();
    progress.clear();
    let runs = runs.ok_or(Interrupted)?;
    interrupt::check()?;
    check_books(&runs)?;
    Ok((runs, wall_s))
}

/// Checks before anything runs that the folder `name` can be written under `root` (`--out`).
/// Following the house rule, a folder the user named badly (a file in its way, a parent that
/// cannot hold a folder or cannot be written, a read-only file system) is the user's mistake,
/// exit status 2 naming `--out`; a failure of the machine (a full disk, an input/output error)
/// is status 1.
pub(super) fn check_out(root: &Path, name: &str) -> Result<()> {
    let Err(error) = files::check_root(root, name) else {
        return Ok(());
    };
    let kind = error
        .chain()
        .find_map(|e| e.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind);
    use std::io::ErrorKind as K;
    let mistake = matches!(
        kind,
        Some(
            K::NotADirectory
                | K::AlreadyExists
                | K::NotFound
                | K::PermissionDenied
                | K::ReadOnlyFilesystem
                | K::IsADirectory
                | K::InvalidFilename
        )
    );
    if mistake {
        Err(BadInput(format!(
            "--out {}: {error:#}; give a folder that can be created and written",
            root.display()
        ))
        .into())
    } else {
        Err(error)
    }
}

/// What [`simulate`] does for only some runs (`jobs`, of `variants` × `replications`): a shard.
/// The guard prices these runs alone (a shard of a command too large for one machine runs);
/// one bar with `label`; the results in the order of `jobs`.
pub(super) fn simulate_jobs(
    variants: &[&Variant],
    jobs: &[Job],
    quiet: bool,
    label: String,
) -> Result<Vec<RunResult>> {
    let runs: Vec<&Scenario> = jobs.iter().map(|j| &variants[j.variant].scenario).collect();
    guard_runs(&runs, quiet)?;
    interrupt::install();
    phase("simulation");
    let seconds = runs.iter().map(|sc| sc.duration_us / 1_000_000).sum();
    let progress = Progress::with_bars(vec![(label, seconds)], quiet);
    let results = runner::run_jobs(variants, jobs, &|_, before, now| {
        progress.advance(0, before, now);
        !interrupt::requested()
    });
    progress.clear();
    let results = results.ok_or(Interrupted)?;
    interrupt::check()?;
    for (job, result) in jobs.iter().zip(&results) {
        let seed = runner::replication_seed(variants[job.variant].scenario.seed, job.replication);
        unbalanced(result, seed)?;
    }
    Ok(results)
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
    let _at_once = interrupt::NothingToLose::begin();
    phase("csv");
    let mut out = csv_files(runs);
    interrupt::exit_if_requested();
    if !no_charts {
        out.extend(teaching_files(shown, runs)?);
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
    let mut files = vec![
        file("summary.csv", csv::summary(&runs.by_variant())),
        file(
            "replications.csv",
            csv::replications(&runs.by_replication, &runs.seeds),
        ),
        file("timeseries.csv", csv::timeseries(first)),
        file("servers.csv", csv::servers(first)),
        file("events.csv", csv::events(first)),
    ];
    // Only a scenario with several data centres has this file.
    if first.iter().any(|r| !r.datacenter_names.is_empty()) {
        files.push(file("datacenters.csv", csv::datacenters(first)));
    }
    files
}

/// The charts (PNG and SVG) and the self-contained `report.html` of a run: the time charts of
/// its first replication (titled with it when there are several), the summary chart and the
/// comparison over every replication.
fn teaching_files(experiment: &Experiment, runs: &Runs) -> Result<Vec<files::OutputFile>> {
    let results: &[RunResult] = &runs.by_replication[0];
    let n = runs.by_replication.len();
    let replicated = if n > 1 { runs.by_variant() } else { Vec::new() };
    phase("charts");
    let mut charts = Vec::new();
    let look = Look::of(experiment, results);
    // One chart at a time, built and drawn: Ctrl-C is checked between two and inside each.
    for i in 0..from_results::count(results) {
        let chart = from_results::nth(&look, results, i);
        let chart = shown_chart(&look, chart, &replicated, runs.seeds[0]);
        interrupt::exit_if_requested();
        phase(&format!("chart {}", chart.name()));
        charts.extend(crate::charts::render(&chart).map_err(chart_error)?);
    }
    phase("report");
    let shown = crate::report::Shown {
        first: results,
        replicated: &replicated,
        seeds: &runs.seeds,
        traces: &runs.traces,
    };
    let page = crate::report::html_shown(experiment, &shown, &charts);
    interrupt::exit_if_requested();
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

/// A chart of replication 0 as a run with `replicated` runs shows it: the summary over every
/// replication, the time charts with the replication they draw as the last line of their legend
/// (unchanged with one).
fn shown_chart(look: &Look, chart: Chart, replicated: &[Vec<RunResult>], seed: u64) -> Chart {
    let n = replicated.first().map_or(1, Vec::len);
    if n < 2 {
        return chart;
    }
    match chart {
        Chart::Bars(bars) if bars.name == "summary" => {
            let slices: Vec<&[RunResult]> = replicated.iter().map(Vec::as_slice).collect();
            Chart::Bars(from_results::summary_replicated(look, &slices))
        }
        Chart::Time(mut time) => {
            // In the legend, as text with a blank swatch: the titles have no room to spare.
            time.legend.push(LegendItem {
                label: format!("replication 0 of {n} (seed {seed})"),
                colour: Colour(255, 255, 255),
                stroke: Stroke::Solid,
            });
            Chart::Time(time)
        }
        other => other,
    }
}

/// A chart error as the command reports it: an interrupted drawing is [`Interrupted`].
pub(super) fn chart_error(error: ChartError) -> anyhow::Error {
    interrupt::exit_if_requested();
    match error {
        ChartError::Interrupted => Interrupted.into(),
        other => other.into(),
    }
}

/// Refuses a command that would not fit (exit status 2, naming the key to change), pricing every
/// run of every experiment together; warns once about a long one.
fn guard(experiments: &[&Experiment], replications: usize, quiet: bool) -> Result<()> {
    let threads = rayon::current_num_threads();
    let refused = crate::guard::refuse_all(experiments, replications, threads, available_memory());
    let warning = crate::guard::warn_long_all(experiments, replications);
    verdict(refused, warning, quiet)
}

/// The resource guard for exactly these runs (a shard's), as [`guard`] does for a command.
fn guard_runs(runs: &[&Scenario], quiet: bool) -> Result<()> {
    let threads = rayon::current_num_threads();
    let refused = crate::guard::refuse_runs(runs, threads, available_memory());
    verdict(refused, crate::guard::warn_long_runs(runs), quiet)
}

/// A refusal as bad input (exit status 2), else the warning on standard error unless `quiet`.
fn verdict(refused: Option<String>, warning: Option<String>, quiet: bool) -> Result<()> {
    if let Some(why) = refused {
        return Err(BadInput(why).into());
    }
    if let Some(warning) = warning.filter(|_| !quiet) {
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
