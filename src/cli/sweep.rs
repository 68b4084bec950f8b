//! `tiersim sweep`: one scenario over a grid of parameter values, every point × variant ×
//! replication in parallel; writes `sweep.csv`, one chart per main metric
//! (`sweep-<metric>.png/.svg`) and `sweep-report.html` (unless `--no-charts`) into the scenario's
//! output folder.

use super::progress::Progress;
use super::run::{INTERRUPTED, check_books, guard};
use super::{BadInput, Interrupted, SweepArgs, load, select};
use crate::metrics::RunResult;
use crate::output::files;
use crate::runner;
use crate::scenario::{Experiment, Variant};
use crate::sweep::{self, Param};
use anyhow::Result;
use std::io::Write;
use std::sync::atomic::Ordering;

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
        .map(|point| {
            let sets: Vec<String> = args.common.sets.iter().chain(point).cloned().collect();
            load(&args.common.scenario, &sets, args.common.seed)
        })
        .collect::<Result<_>>()?;
    let replications = args.replications as usize;
    let mut chosen: Vec<&Variant> = Vec::new();
    for experiment in &experiments {
        guard(experiment, replications, args.quiet)?;
        chosen.extend(select(experiment, &args.common.variants)?);
    }
    let per_point = chosen.len() / points.len();
    let seconds: u64 = chosen
        .iter()
        .map(|v| v.scenario.duration_us / 1_000_000)
        .sum::<u64>()
        * replications as u64;
    let label = format!("{} points", points.len());
    let progress = Progress::with_bars(vec![(label, seconds)], args.quiet);
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    let runs = runner::run(&chosen, replications, &|_, before, now| {
        progress.advance(0, before, now);
        !INTERRUPTED.load(Ordering::SeqCst)
    });
    progress.clear();
    let Some(runs) = runs else {
        return Err(Interrupted.into());
    };
    check_books(&runs)?;
    let by_variant = runs.by_variant();
    let results: Vec<Vec<Vec<RunResult>>> = by_variant
        .chunks(per_point)
        .map(<[Vec<RunResult>]>::to_vec)
        .collect();
    let mut out_files = vec![files::OutputFile {
        name: "sweep.csv".into(),
        bytes: sweep::csv(&params, &points, &results),
    }];
    if !args.no_charts {
        let mut charts = Vec::new();
        for chart in crate::charts::from_sweep::charts(&params, &points, &results) {
            charts.extend(crate::charts::render(&chart)?);
        }
        let page = crate::report::sweep::html(&experiments[0], &params, &points, &results, &charts);
        out_files.extend(charts.into_iter().map(|file| files::OutputFile {
            name: file.name,
            bytes: file.bytes,
        }));
        out_files.push(files::OutputFile {
            name: "sweep-report.html".into(),
            bytes: page.into_bytes(),
        });
    }
    let name = &experiments[0].name;
    let folder = files::write_into(&args.common.out, name, &out_files)?;
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
