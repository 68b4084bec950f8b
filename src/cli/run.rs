//! `tiersim run`: simulate every chosen variant (in parallel, one per core), then write the output
//! folder and print the comparison.
//!
//! Variants are independent runs, so their results do not depend on how many threads run them.
//! Ctrl-C (or SIGTERM) stops every run within a few milliseconds of simulation: the bars are
//! cleared, nothing is written, and the exit status is 130.

use super::progress::Progress;
use super::{BadInput, Interrupted, RunArgs, csv_files, load, select, stats_line};
use crate::engine;
use crate::metrics::RunResult;
use crate::output::{files, table};
use anyhow::Result;
use rayon::prelude::*;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Refuses a run that would not fit (exit status 2, naming the key to change); warns about a long
/// one.
fn guard(experiment: &crate::scenario::Experiment, quiet: bool) -> Result<()> {
    if let Some(why) = crate::guard::refuse(experiment, available_memory()) {
        return Err(BadInput(why).into());
    }
    if let Some(warning) = crate::guard::warn_long(experiment).filter(|_| !quiet) {
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

/// Set by the signal handler; read by every running simulation.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Runs `tiersim run`.
pub fn run(args: &RunArgs) -> Result<()> {
    let experiment = load(&args.scenario, &args.sets, args.seed)?;
    let variants = select(&experiment, &args.variants)?;
    guard(&experiment, args.quiet)?;
    // Installing twice (a second run in the same process) is harmless to ignore.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    let progress = Progress::new(&variants, args.quiet);
    let runs: Vec<Option<(RunResult, f64)>> = variants
        .par_iter()
        .enumerate()
        .map(|(i, variant)| {
            let started = Instant::now();
            let mut callback = progress.callback(i, || !INTERRUPTED.load(Ordering::SeqCst));
            let result =
                engine::simulate_with_progress(&variant.name, &variant.scenario, &mut callback)?;
            Some((result, started.elapsed().as_secs_f64()))
        })
        .collect();
    progress.clear();
    let Some(runs) = runs.into_iter().collect::<Option<Vec<_>>>() else {
        return Err(Interrupted.into());
    };
    if args.stats {
        for (result, wall_s) in &runs {
            eprintln!("{}", stats_line(result, *wall_s));
        }
    }
    let results: Vec<RunResult> = runs.into_iter().map(|(r, _)| r).collect();
    let out_files = csv_files(&results);
    let folder = files::write_folder(&args.out, &experiment.name, &out_files)?;
    let mut out = std::io::stdout().lock();
    if !args.quiet {
        writeln!(out, "{}\n", experiment.title)?;
    }
    write!(out, "{}", table::render(&results))?;
    if !args.quiet {
        writeln!(out, "\nwrote {}:", folder.display())?;
        for file in &out_files {
            writeln!(out, "  {}", folder.join(&file.name).display())?;
        }
    }
    Ok(())
}
