//! Runs an experiment: every chosen variant × every replication, in parallel on all cores.
//!
//! Replication `i` runs every variant on the same seed, so variants keep their common random
//! numbers within a replication; replication 0 uses the scenario's own seed (so one replication is
//! exactly a plain run), later ones a seed derived from (seed, i). Each run is independent and
//! deterministic, so the results are the same whatever the number of threads.

use crate::engine::{self, Trace, TraceSpec};
use crate::metrics::RunResult;
use crate::rng;
use crate::scenario::{Micros, Variant};
use rayon::prelude::*;

/// The seed of replication `i` of a scenario whose seed is `seed`.
pub fn replication_seed(seed: u64, i: usize) -> u64 {
    if i == 0 {
        seed
    } else {
        rng::mix64(seed ^ rng::mix64(0x5EED_0000_0000_0000 | i as u64))
    }
}

/// Every run of an experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct Runs {
    /// The seed of each replication.
    pub seeds: Vec<u64>,
    /// `by_replication[i][v]`: replication `i` of variant `v`.
    pub by_replication: Vec<Vec<RunResult>>,
    /// The replay traces of replication 0, one per variant, when they were recorded
    /// ([`run_traced`]); empty otherwise.
    pub traces: Vec<Trace>,
}

impl Runs {
    /// `by_variant()[v][i]`: replication `i` of variant `v`.
    pub fn by_variant(&self) -> Vec<Vec<RunResult>> {
        let variants = self.by_replication.first().map_or(0, Vec::len);
        (0..variants)
            .map(|v| {
                self.by_replication
                    .iter()
                    .map(|rep| rep[v].clone())
                    .collect()
            })
            .collect()
    }
}

/// One run's progress callback: `progress(v, now)` for variant `v`; false stops everything.
pub type Progress<'a> = dyn Fn(usize, Micros, Micros) -> bool + Sync + 'a;

/// One run of an experiment: replication `replication` of the variant at index `variant`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    /// Its replication (0: the scenario's own seed).
    pub replication: usize,
    /// Its variant, as an index into the variants run.
    pub variant: usize,
}

/// Every run of `variants` × `replications`, in the order of their index: replication-major,
/// so `jobs(v, r)[i * v + j]` is replication `i` of variant `j` (the index a shard plan uses).
pub fn jobs(variants: usize, replications: usize) -> Vec<Job> {
    (0..replications)
        .flat_map(|replication| {
            (0..variants).map(move |variant| Job {
                replication,
                variant,
            })
        })
        .collect()
}

/// Runs `replications` replications of every variant. `progress(v, before, now)` is called as
/// simulated time of a run of variant `v` moves from `before` to `now`; when it returns false the
/// runs stop and the result is `None`.
pub fn run(variants: &[&Variant], replications: usize, progress: &Progress<'_>) -> Option<Runs> {
    run_traced(variants, replications, None, progress)
}

/// Like [`run`], also recording with `trace` (if given) the replay trace of replication 0 of
/// every variant, the runs a report shows, in those runs themselves: the other replications run
/// untraced, and the results are the same as without the trace.
pub fn run_traced(
    variants: &[&Variant],
    replications: usize,
    trace: Option<TraceSpec>,
    progress: &Progress<'_>,
) -> Option<Runs> {
    assert!(replications >= 1, "at least one replication");
    let Some(first) = variants.first() else {
        return Some(Runs {
            seeds: Vec::new(),
            by_replication: Vec::new(),
            traces: Vec::new(),
        });
    };
    let seeds: Vec<u64> = (0..replications)
        .map(|i| replication_seed(first.scenario.seed, i))
        .collect();
    let jobs = jobs(variants.len(), replications);
    let ran: Vec<(RunResult, Option<Trace>)> = jobs
        .par_iter()
        .map(|job| run_job(variants, *job, trace, progress))
        .collect::<Option<_>>()?;
    let (results, traces): (Vec<RunResult>, Vec<Option<Trace>>) = ran.into_iter().unzip();
    let mut results = results.into_iter();
    let by_replication = (0..replications)
        .map(|_| results.by_ref().take(variants.len()).collect())
        .collect();
    Some(Runs {
        seeds,
        by_replication,
        traces: traces.into_iter().flatten().collect(),
    })
}

/// Runs the `jobs` (of `variants`), in parallel; their results in the order of `jobs`. The
/// progress callback is that of [`run`]; `None` if it stopped the runs.
pub fn run_jobs(
    variants: &[&Variant],
    jobs: &[Job],
    progress: &Progress<'_>,
) -> Option<Vec<RunResult>> {
    jobs.par_iter()
        .map(|job| run_job(variants, *job, None, progress).map(|(result, _)| result))
        .collect()
}

/// Runs one job; with `trace`, records its replay trace if it is of replication 0.
fn run_job(
    variants: &[&Variant],
    job: Job,
    trace: Option<TraceSpec>,
    progress: &Progress<'_>,
) -> Option<(RunResult, Option<Trace>)> {
    let v = job.variant;
    let mut scenario = variants[v].scenario.clone();
    scenario.seed = replication_seed(scenario.seed, job.replication);
    let mut last = 0;
    let mut callback = |now| {
        let go_on = progress(v, last, now);
        last = now;
        go_on
    };
    let name = &variants[v].name;
    match trace.filter(|_| job.replication == 0) {
        None => engine::simulate_with_progress(name, &scenario, &mut callback).map(|r| (r, None)),
        Some(spec) => {
            engine::simulate_traced(name, &scenario, spec, &mut callback).map(|(r, t)| (r, Some(t)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_trace_changes_no_result_and_is_the_traced_runs_own() {
        // 02 (a crash, two variants), two replications: traced, replication 0 of each variant
        // records the trace that a run of its own would, and every result is the untraced one.
        let text = include_str!("../scenarios/02-server-crash.toml");
        let experiment = crate::config::parse("02.toml", text, &[], None).expect("valid");
        let variants: Vec<&Variant> = experiment.variants.iter().collect();
        let spec = crate::report::replay::trace_spec(&variants).expect("short enough");
        let plain = run(&variants, 2, &|_, _, _| true).expect("not stopped");
        let traced = run_traced(&variants, 2, Some(spec), &|_, _, _| true).expect("not stopped");
        assert!(plain.traces.is_empty());
        assert_eq!(traced.by_replication, plain.by_replication);
        assert_eq!(traced.traces.len(), 2);
        for (v, trace) in variants.iter().zip(&traced.traces) {
            let (_, alone) = engine::simulate_traced(&v.name, &v.scenario, spec, &mut |_| true)
                .expect("not stopped");
            assert_eq!(*trace, alone, "{}", v.name);
            assert!(trace.requests.len() > 100, "{}", v.name);
        }
    }
}
