//! `tiersim run`: simulate every chosen variant and replication (in parallel, on all cores), then
//! write the output folder and print the comparison.
//!
//! Ctrl-C (or SIGTERM) stops every run within a few milliseconds of simulation: the bars are
//! cleared, nothing is written, and the exit status is 130.

use super::progress::Progress;
use super::{BadInput, Interrupted, RunArgs, csv_files, load, select, stats_line};
use crate::metrics::RunResult;
use crate::output::{files, table};
use crate::runner;
use crate::scenario::Experiment;
use crate::warmup;
use anyhow::Result;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Set by the signal handler; read by every running simulation.
pub(super) static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Runs `tiersim run`.
pub fn run(args: &RunArgs) -> Result<()> {
    let experiment = load(&args.common.scenario, &args.common.sets, args.common.seed)?;
    let variants = select(&experiment, &args.common.variants)?;
    let replications = args.replications.map_or(1, |r| r as usize);
    guard(&experiment, replications, args.quiet)?;
    // Installing twice (a second run in the same process) is harmless to ignore.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    let progress = Progress::new(&variants, replications, args.quiet);
    let started = Instant::now();
    let runs = runner::run(&variants, replications, &|v, before, now| {
        progress.advance(v, before, now);
        !INTERRUPTED.load(Ordering::SeqCst)
    });
    let wall_s = started.elapsed().as_secs_f64();
    progress.clear();
    let Some(runs) = runs else {
        return Err(Interrupted.into());
    };
    check_books(&runs)?;
    if args.stats {
        for result in runs.by_replication.iter().flatten() {
            eprintln!("{}", stats_line(result, wall_s));
        }
    }
    let by_variant = runs.by_variant();
    let mut out_files = csv_files(&runs);
    if !args.no_charts {
        out_files.extend(teaching_files(&experiment, &runs.by_replication[0])?);
    }
    let folder = files::write_folder(&args.common.out, &experiment.name, &out_files)?;
    let mut out = std::io::stdout().lock();
    if !args.quiet {
        writeln!(out, "{}\n", experiment.title)?;
    }
    write!(out, "{}", table::render(&by_variant))?;
    if replications > 1 {
        write!(out, "\n{}", table::render_differences(&by_variant))?;
    }
    for note in warmup_notes(&by_variant) {
        writeln!(out, "{note}")?;
    }
    if !args.quiet {
        writeln!(out, "\nwrote {}:", folder.display())?;
        let is_chart = |name: &str| name.ends_with(".png") || name.ends_with(".svg");
        for file in out_files.iter().filter(|f| !is_chart(&f.name)) {
            writeln!(out, "  {}", folder.join(&file.name).display())?;
        }
        let charts = out_files
            .iter()
            .filter(|f| f.name.ends_with(".png"))
            .count();
        if charts > 0 {
            writeln!(out, "  {charts} charts, each as .png and .svg")?;
        }
    }
    Ok(())
}

/// Fails (exit status 1) if any run broke an invariant of the program: a bug, reported with what
/// reproduces it.
pub(super) fn check_books(runs: &runner::Runs) -> Result<()> {
    for (seed, results) in runs.seeds.iter().zip(&runs.by_replication) {
        if let Some(r) = results.iter().find(|r| !r.audit.is_empty()) {
            anyhow::bail!(
                "the books of variant {} did not balance (seed {seed}): {}. This is a bug in \
                 tiersim; `--variant {} --seed {seed}` reproduces it",
                r.variant,
                r.audit.join("; "),
                r.variant
            );
        }
    }
    Ok(())
}

/// The charts (PNG and SVG) and the self-contained `report.html` of a run's first replication.
pub(super) fn teaching_files(
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

/// One line per variant whose warm-up looks too short.
fn warmup_notes(by_variant: &[Vec<RunResult>]) -> Vec<String> {
    by_variant
        .iter()
        .filter_map(|runs| {
            let drifts: Vec<warmup::Drift> = runs.iter().filter_map(warmup::drift).collect();
            let short = drifts.iter().filter(|d| d.too_short).count();
            (short * 2 > drifts.len().max(1) - 1 && short > 0).then(|| {
                let pct = drifts.iter().map(|d| d.pct).sum::<f64>() / drifts.len() as f64;
                format!(
                    "note: variant {}: the warm-up looks too short: the request rate in the first \
                     half of the measured period was {pct:.1} % lower than in the second; try a \
                     longer `warmup`",
                    runs[0].variant
                )
            })
        })
        .collect()
}

/// Refuses a run that would not fit (exit status 2, naming the key to change); warns about a long
/// one.
pub(super) fn guard(experiment: &Experiment, replications: usize, quiet: bool) -> Result<()> {
    let threads = rayon::current_num_threads();
    let memory = available_memory();
    if let Some(why) = crate::guard::refuse(experiment, replications, threads, memory) {
        return Err(BadInput(why).into());
    }
    if let Some(warning) = crate::guard::warn_long(experiment, replications).filter(|_| !quiet) {
        eprintln!("{warning}");
    }
    Ok(())
}

/// Memory available on this machine, in bytes (`MemAvailable` of /proc/meminfo), if known.
fn available_memory() -> Option<f64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}
