//! `tiersim run`: simulate every chosen variant and replication (in parallel, on all cores), then
//! write the output folder and print the comparison (`--format`: a table, JSON or `summary.csv`)
//! on standard output; what was written and the notes go to standard error.
//!
//! Ctrl-C (or SIGTERM) is answered within about 100 ms in every phase (simulation, charts,
//! writing; `crate::interrupt`): the bars are cleared, nothing is written, and the exit status
//! is 130.

use super::shard::{self, Job};
use super::simulate::{Bars, run_files, simulate};
use super::{Finish, Format, RunArgs, select, stats_line, terminal_width};
use crate::metrics::RunResult;
use crate::output::{csv, files, json, table};
use crate::runner::Runs;
use crate::scenario::Experiment;
use crate::warmup;
use anyhow::Result;
use std::io::Write;
use std::path::Path;

/// Runs `tiersim run`.
pub fn run(args: &RunArgs) -> Result<()> {
    let spec = shard::spec(args.shard.as_deref())?;
    let scenario = args.common.read()?;
    let experiment = args.common.parse(&scenario, &[])?;
    let variants = select(&experiment, &args.common.variants)?;
    let replications = args.replications.map_or(1, |r| r as usize);
    let job = || {
        Job::single(
            &args.common,
            &scenario,
            &experiment,
            &variants,
            replications,
        )
    };
    if let Some(shards) = args.print_shards {
        return shard::print_plan(&job(), shards as usize);
    }
    if let Some(spec) = spec {
        return shard::run(&job(), spec, &args.output.out, args.quiet);
    }
    // The report's replay is recorded in the runs it shows, not simulated again.
    let trace = (!args.no_charts)
        .then(|| crate::report::replay::trace_spec(&variants))
        .flatten();
    let (runs, wall_s) = simulate(
        (&args.output.out, &experiment.name),
        &[&experiment],
        &variants,
        replications,
        args.quiet,
        Bars::PerVariant,
        trace,
    )?;
    if args.stats {
        for result in runs.by_replication.iter().flatten() {
            let _ = writeln!(std::io::stderr(), "{}", stats_line(result, wall_s));
        }
    }
    let finish = Finish {
        out: &args.output.out,
        format: args.format,
        no_charts: args.no_charts,
        quiet: args.quiet,
    };
    write(&experiment, &runs, &finish)
}

/// Writes the run's folder from its runs and prints the comparison, the notes and what was
/// written: what `run` and `merge` both do once the runs are done.
pub(super) fn write(experiment: &Experiment, runs: &Runs, finish: &Finish) -> Result<()> {
    let out_files = run_files(experiment, runs, finish.no_charts)?;
    let folder = files::write_folder(finish.out, &experiment.name, &out_files)?;
    let by_variant = runs.by_variant();
    let mut out = std::io::stdout().lock();
    match finish.format {
        Format::Table => {
            if !finish.quiet {
                writeln!(out, "{}\n", experiment.title)?;
                writeln!(out, "{}", table::headline(&by_variant))?;
            }
            let width = terminal_width();
            write!(out, "{}", table::render(&by_variant, width))?;
            if runs.by_replication.len() > 1 {
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
    if !finish.quiet {
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
