//! Runs an experiment: every chosen variant × every replication, in parallel on all cores.
//!
//! Replication `i` runs every variant on the same seed, so variants keep their common random
//! numbers within a replication; replication 0 uses the scenario's own seed (so one replication is
//! exactly a plain run), later ones a seed derived from (seed, i). Each run is independent and
//! deterministic, so the results are the same whatever the number of threads.

use crate::engine;
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
    assert!(replications >= 1, "at least one replication");
    let Some(first) = variants.first() else {
        return Some(Runs {
            seeds: Vec::new(),
            by_replication: Vec::new(),
        });
    };
    let seeds: Vec<u64> = (0..replications)
        .map(|i| replication_seed(first.scenario.seed, i))
        .collect();
    let mut results =
        run_jobs(variants, &jobs(variants.len(), replications), progress)?.into_iter();
    let by_replication = (0..replications)
        .map(|_| results.by_ref().take(variants.len()).collect())
        .collect();
    Some(Runs {
        seeds,
        by_replication,
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
        .map(|job| {
            let v = job.variant;
            let mut scenario = variants[v].scenario.clone();
            scenario.seed = replication_seed(scenario.seed, job.replication);
            let mut last = 0;
            let mut callback = |now| {
                let go_on = progress(v, last, now);
                last = now;
                go_on
            };
            engine::simulate_with_progress(&variants[v].name, &scenario, &mut callback)
        })
        .collect()
}
