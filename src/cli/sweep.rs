//! `tiersim sweep`: one scenario over a grid of parameter values, every point × variant ×
//! replication in parallel; writes `sweep.csv`, one chart per main metric
//! (`sweep-<metric>.png/.svg`) and `sweep-report.html` (unless `--no-charts`) into the scenario's
//! output folder.

use super::simulate::{Bars, simulate};
use super::{BadInput, SweepArgs, select};
use crate::metrics::RunResult;
use crate::output::files;
use crate::scenario::{Experiment, Variant};
use crate::sweep::{self, Param};
use anyhow::Result;
use std::io::Write;

/// Runs `tiersim sweep`.
pub fn run(args: &SweepArgs) -> Result<()> {
    let params: Vec<Param> = args
        .params
        .iter()
        .map(|p| sweep::parse_param(p).map_err(BadInput))
        .collect::<Result<_, _>>()?;
    let points = sweep::points(&params).map_err(BadInput)?;
    // Every point is validated before anything runs.
    let experiments: Vec<Experiment> = points
        .iter()
        .map(|point| args.common.load(point))
        .collect::<Result<_>>()?;
    let mut chosen: Vec<&Variant> = Vec::new();
    for experiment in &experiments {
        chosen.extend(select(experiment, &args.common.variants)?);
    }
    let replications = args.replications as usize;
    let label = format!("{} points", points.len());
    let all: Vec<&Experiment> = experiments.iter().collect();
    let (runs, _) = simulate(&all, &chosen, replications, args.quiet, Bars::One(label))?;
    let per_point = chosen.len() / points.len();
    let results: Vec<Vec<Vec<RunResult>>> = runs
        .by_variant()
        .chunks(per_point)
        .map(<[Vec<RunResult>]>::to_vec)
        .collect();
    let out_files = sweep_files(args, &experiments[0], &params, &points, &results)?;
    let name = format!("{}-sweep", experiments[0].name);
    let folder = files::write_folder(&args.output.out, &name, &out_files)?;
    if !args.quiet {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "{}: {} points x {per_point} variants x {replications} replications\nwrote {}",
            experiments[0].title,
            points.len(),
            folder.join("sweep.csv").display()
        )?;
        if out_files.len() > 1 {
            writeln!(
                out,
                "wrote {} charts (sweep-<metric>.png/.svg) and sweep-report.html into {}",
                (out_files.len() - 2) / 2,
                folder.display()
            )?;
        }
    }
    Ok(())
}

/// `sweep.csv` and, unless `--no-charts`, the charts and the page of the sweep.
fn sweep_files(
    args: &SweepArgs,
    experiment: &Experiment,
    params: &[Param],
    points: &[Vec<String>],
    results: &[Vec<Vec<RunResult>>],
) -> Result<Vec<files::OutputFile>> {
    let mut out_files = vec![files::OutputFile {
        name: "sweep.csv".into(),
        bytes: sweep::csv(params, points, results),
    }];
    if args.no_charts {
        return Ok(out_files);
    }
    let mut charts = Vec::new();
    for chart in crate::charts::from_sweep::charts(params, points, results) {
        charts.extend(crate::charts::render(&chart)?);
    }
    let page = crate::report::sweep::html(experiment, params, points, results, &charts);
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
