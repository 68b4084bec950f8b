//! `tiersim sweep`: one scenario over a grid of parameter values, every point × variant ×
//! replication in parallel; writes `sweep.csv`, one chart per main metric
//! (`sweep-<metric>.png/.svg`) and `sweep-report.html` (unless `--no-charts`) into the scenario's
//! output folder; then prints a short table of the results (`--format`: a table, JSON or
//! `sweep.csv`) on standard output, and what it wrote on standard error.

use super::simulate::{Bars, chart_error, simulate};
use super::{BadInput, Format, SweepArgs, plural, select, terminal_width};
use crate::charts::from_sweep::SWEEP_METRICS;
use crate::interrupt::{self, phase};
use crate::metrics::RunResult;
use crate::output::{self, files, json, table};
use crate::scenario::{Experiment, Variant};
use crate::sweep::{self, Param};
use anyhow::Result;
use std::io::Write;
use std::path::Path;

/// Runs `tiersim sweep`.
pub fn run(args: &SweepArgs) -> Result<()> {
    let params: Vec<Param> = args
        .params
        .iter()
        .map(|p| sweep::parse_param(p).map_err(BadInput))
        .collect::<Result<_, _>>()?;
    let points = sweep::points(&params).map_err(BadInput)?;
    // Every point is validated before anything runs; the file is read once.
    let scenario = args.common.read()?;
    let experiments: Vec<Experiment> = points
        .iter()
        .map(|point| args.common.parse(&scenario, point))
        .collect::<Result<_>>()?;
    let mut chosen: Vec<&Variant> = Vec::new();
    for experiment in &experiments {
        chosen.extend(select(experiment, &args.common.variants)?);
    }
    let replications = args.replications as usize;
    let label = format!("{} points", points.len());
    let all: Vec<&Experiment> = experiments.iter().collect();
    let name = format!("{}-sweep", experiments[0].name);
    let (runs, _) = simulate(
        (&args.output.out, &name),
        &all,
        &chosen,
        replications,
        args.quiet,
        Bars::One(label),
    )?;
    let per_point = chosen.len() / points.len();
    let results: Vec<Vec<Vec<RunResult>>> = runs
        .by_variant()
        .chunks(per_point)
        .map(<[Vec<RunResult>]>::to_vec)
        .collect();
    let out_files = sweep_files(args, &experiments[0], &params, &points, &results)?;
    let folder = files::write_folder(&args.output.out, &name, &out_files)?;
    let first = &experiments[0];
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Table => {
            let width = terminal_width();
            let text = table::render_sweep(&params, &points, &results, &SWEEP_METRICS, width);
            write!(out, "{text}")?;
        }
        Format::Json => {
            let text = json::sweep(&first.name, &first.title, &params, &points, &results);
            out.write_all(text.as_bytes())?;
        }
        Format::Csv => out.write_all(&out_files[0].bytes)?,
    }
    out.flush()?;
    if !args.quiet {
        super::status(&wrote(
            first,
            &folder,
            &out_files,
            points.len(),
            per_point,
            replications,
        ));
    }
    Ok(())
}

/// What `sweep` says it ran and wrote (on standard error).
fn wrote(
    first: &Experiment,
    folder: &Path,
    out_files: &[files::OutputFile],
    points: usize,
    variants: usize,
    replications: usize,
) -> String {
    let mut text = format!(
        "{}: {} x {} x {}\nwrote {}\n",
        first.title,
        plural(points, "point"),
        plural(variants, "variant"),
        plural(replications, "replication"),
        folder.join("sweep.csv").display()
    );
    if out_files.len() > 1 {
        text += &format!(
            "wrote {} (sweep-<metric>.png/.svg) and sweep-report.html into {}\n",
            plural((out_files.len() - 2) / 2, "chart"),
            folder.display()
        );
    }
    text
}

/// `sweep.csv` and, unless `--no-charts`, the charts and the page of the sweep.
fn sweep_files(
    args: &SweepArgs,
    experiment: &Experiment,
    params: &[Param],
    points: &[Vec<String>],
    results: &[Vec<Vec<RunResult>>],
) -> Result<Vec<files::OutputFile>> {
    phase("csv");
    let mut out_files = vec![files::OutputFile {
        name: "sweep.csv".into(),
        bytes: output::csv::sweep(params, points, results),
    }];
    interrupt::check()?;
    if args.no_charts {
        return Ok(out_files);
    }
    phase("charts");
    let mut charts = Vec::new();
    for chart in crate::charts::from_sweep::charts(params, points, results) {
        charts.extend(crate::charts::render(&chart).map_err(chart_error)?);
    }
    phase("report");
    let page = crate::report::sweep::html(experiment, params, points, results, &charts);
    interrupt::check()?;
    out_files.extend(charts.into_iter().map(|file| files::OutputFile {
        name: file.name,
        bytes: file.bytes,
    }));
    out_files.push(files::OutputFile {
        name: "sweep-report.html".into(),
        bytes: page.into_bytes(),
    });
    Ok(out_files)
}
