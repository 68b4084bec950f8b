//! `tiersim run`: simulate every chosen variant and replication (in parallel, on all cores), then
//! write the output folder and print the comparison (`--format`: a table, JSON or `summary.csv`)
//! on standard output; what was written and the notes go to standard error.
//!
//! Ctrl-C (or SIGTERM) stops every run within a few milliseconds of simulation: the bars are
//! cleared, nothing is written, and the exit status is 130.

use super::simulate::{Bars, run_files, simulate};
use super::{Format, RunArgs, select, stats_line, terminal_width};
use crate::metrics::RunResult;
use crate::output::{csv, files, json, table};
use crate::warmup;
use anyhow::Result;
use std::io::Write;
use std::path::Path;

/// Runs `tiersim run`.
pub fn run(args: &RunArgs) -> Result<()> {
    let experiment = args.common.load(&[])?;
    let variants = select(&experiment, &args.common.variants)?;
    let replications = args.replications.map_or(1, |r| r as usize);
    let (runs, wall_s) = simulate(
        &[&experiment],
        &variants,
        replications,
        args.quiet,
        Bars::PerVariant,
    )?;
    if args.stats {
        for result in runs.by_replication.iter().flatten() {
            let _ = writeln!(std::io::stderr(), "{}", stats_line(result, wall_s));
        }
    }
    let out_files = run_files(&experiment, &runs, args.no_charts)?;
    let folder = files::write_folder(&args.output.out, &experiment.name, &out_files)?;
    let by_variant = runs.by_variant();
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Table => {
            if !args.quiet {
                writeln!(out, "{}\n", experiment.title)?;
            }
            writeln!(out, "{}", table::headline(&by_variant))?;
            let width = terminal_width();
            write!(out, "{}", table::render(&by_variant, width))?;
            if replications > 1 {
                write!(out, "\n{}", table::render_differences(&by_variant, width))?;
            }
        }
        Format::Json => {
            let text = json::run(&experiment.name, &experiment.title, &by_variant);
            out.write_all(text.as_bytes())?;
        }
        Format::Csv => out.write_all(&csv::summary(&by_variant))?,
    }
    out.flush()?;
    // Status lines go to standard error, so that standard output holds the results alone.
    for note in warmup_notes(&by_variant) {
        super::status(&format!("{note}\n"));
    }
    if !args.quiet {
        super::status(&wrote(&folder, &out_files));
    }
    Ok(())
}

/// What `run` says it wrote: every file but the charts, which it counts.
fn wrote(folder: &Path, out_files: &[files::OutputFile]) -> String {
    let mut text = format!("\nwrote {}:\n", folder.display());
    let is_chart = |name: &str| name.ends_with(".png") || name.ends_with(".svg");
    for file in out_files.iter().filter(|f| !is_chart(&f.name)) {
        text += &format!("  {}\n", folder.join(&file.name).display());
    }
    let charts = out_files
        .iter()
        .filter(|f| f.name.ends_with(".png"))
        .count();
    if charts > 0 {
        text += &format!("  {charts} charts, each as .png and .svg\n");
    }
    text
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
