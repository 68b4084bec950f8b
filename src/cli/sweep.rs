//! `tiersim sweep`: one scenario over a grid of parameter values, every point × variant ×
//! replication in parallel; writes `sweep.csv`, one chart per main metric
//! (`sweep-<metric>.png/.svg`) and `sweep-report.html` (unless `--no-charts`) into the scenario's
//! output folder; then prints a short table of the results (`--format`: a table, JSON or
//! `sweep.csv`) on standard output, and what it wrote on standard error.

use super::input::ScenarioText;
use super::shard::{self, Job};
use super::simulate::{Bars, chart_error, simulate};
use super::{BadInput, Finish, Format, ScenarioArgs, SweepArgs, plural, select, terminal_width};
use crate::charts::from_sweep::SWEEP_METRICS;
use crate::interrupt::{self, phase};
use crate::metrics::RunResult;
use crate::output::{self, files, json, table};
use crate::runner::Runs;
use crate::scenario::{Experiment, Variant};
use crate::sweep::{self, Param};
use anyhow::Result;
use std::io::Write;
use std::path::Path;

/// Runs `tiersim sweep`.
pub fn run(args: &SweepArgs) -> Result<()> {
    let spec = shard::spec(args.shard.as_deref())?;
    let params: Vec<Param> = args
        .params
        .iter()
        .map(|p| sweep::parse_param(p).map_err(BadInput))
        .collect::<Result<_, _>>()?;
    let scenario = args.common.read()?;
    let grid = Grid::new(&args.common, &scenario, params)?;
    let chosen = grid.variants(&args.common.variants)?;
    let replications = args.replications as usize;
    let job = || Job::sweep(&args.common, &scenario, &grid, &chosen, replications);
    if let Some(shards) = args.print_shards {
        return shard::print_plan(&job(), shards as usize);
    }
    if let Some(spec) = spec {
        return shard::run(&job(), spec, &args.output.out, args.quiet);
    }
    let label = format!("{} points", grid.points.len());
    let all: Vec<&Experiment> = grid.experiments.iter().collect();
    let name = format!("{}-sweep", grid.experiments[0].name);
    let (runs, _) = simulate(
        (&args.output.out, &name),
        &all,
        &chosen,
        replications,
        args.quiet,
        Bars::One(label),
        None,
    )?;
    let finish = Finish {
        out: &args.output.out,
        format: args.format,
        no_charts: args.no_charts,
        quiet: args.quiet,
    };
    write(&grid, &runs, &finish)
}

/// A sweep's points and the scenario at each, every one validated before anything runs.
pub(super) struct Grid {
    /// The swept keys and their values.
    pub params: Vec<Param>,
    /// Every point, as `KEY=VALUE` overrides (first param slowest).
    pub points: Vec<Vec<String>>,
    /// The scenario at each point.
    pub experiments: Vec<Experiment>,
}

impl Grid {
    /// The points of `params` over `scenario` with the `--set`s and `--seed` of `common`.
    pub(super) fn new(
        common: &ScenarioArgs,
        scenario: &ScenarioText,
        params: Vec<Param>,
    ) -> Result<Grid> {
        let points = sweep::points(&params).map_err(BadInput)?;
        let experiments = points
            .iter()
            .map(|point| common.parse(scenario, point))
            .collect::<Result<_>>()?;
        Ok(Grid {
            params,
            points,
            experiments,
        })
    }

    /// The variants run, point after point (`names`: the `--variant`s, empty for all).
    pub(super) fn variants(&self, names: &[String]) -> Result<Vec<&Variant>> {
        let mut chosen = Vec::new();
        for experiment in &self.experiments {
            chosen.extend(select(experiment, names)?);
        }
        Ok(chosen)
    }
}

/// Writes the sweep's folder from its runs (`runs.by_replication[i]` holds replication `i` of
/// every point's variants, point after point) and prints the results: what `sweep` and `merge`
/// both do once the runs are done.
pub(super) fn write(grid: &Grid, runs: &Runs, finish: &Finish) -> Result<()> {
    let (params, points) = (&grid.params, &grid.points);
    let first = &grid.experiments[0];
    let per_point = runs.by_replication.first().map_or(0, Vec::len) / points.len();
    let results: Vec<Vec<Vec<RunResult>>> = runs
        .by_variant()
        .chunks(per_point)
        .map(<[Vec<RunResult>]>::to_vec)
        .collect();
    let out_files = sweep_files(finish.no_charts, first, params, points, &results)?;
    let name = format!("{}-sweep", first.name);
    let folder = files::write_folder(finish.out, &name, &out_files)?;
    let mut out = std::io::stdout().lock();
    match finish.format {
        Format::Table => {
            let width = terminal_width();
            let text = table::render_sweep(params, points, &results, &SWEEP_METRICS, width);
            write!(out, "{text}")?;
        }
        Format::Json => {
            let text = json::sweep(&first.name, &first.title, params, points, &results);
            out.write_all(text.as_bytes())?;
        }
        Format::Csv => out.write_all(&out_files[0].bytes)?,
    }
    out.flush()?;
    if !finish.quiet {
        let replications = runs.by_replication.len();
        let counts = (points.len(), per_point, replications);
        super::status(&wrote(first, &folder, &out_files, counts));
    }
    Ok(())
}

/// What `sweep` says it ran and wrote (on standard error).
fn wrote(
    first: &Experiment,
    folder: &Path,
    out_files: &[files::OutputFile],
    (points, variants, replications): (usize, usize, usize),
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
    no_charts: bool,
    experiment: &Experiment,
    params: &[Param],
    points: &[Vec<String>],
    results: &[Vec<Vec<RunResult>>],
) -> Result<Vec<files::OutputFile>> {
    let _at_once = interrupt::NothingToLose::begin();
    phase("csv");
    let mut out_files = vec![files::OutputFile {
        name: "sweep.csv".into(),
        bytes: output::csv::sweep(params, points, results),
    }];
    interrupt::exit_if_requested();
    if no_charts {
        return Ok(out_files);
    }
    phase("charts");
    let mut charts = Vec::new();
    let look = crate::charts::look::Look::named(
        experiment,
        &crate::charts::from_sweep::variant_names(results),
    );
    for chart in crate::charts::from_sweep::charts(&look, params, points, results) {
        charts.extend(crate::charts::render(&chart).map_err(chart_error)?);
    }
    phase("report");
    let page = crate::report::sweep::html(experiment, params, points, results, &charts);
    interrupt::exit_if_requested();
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
