//! Shards: the runs of a sweep or of a replicated run split over N independent processes (on
//! Slurm, GNU parallel, Kubernetes), each writing a shard folder that `tiersim merge` joins back
//! into exactly the files one process would write. Pure: the rule that assigns runs to shards,
//! and the shard folder's format (format 1); reading and writing folders is in `cli`.
//!
//! **The rule.** The runs of the work are numbered in the order one process runs them:
//! replication-major, then the variants in order (for a sweep: point after point, each point's
//! variants in file order), so run `k` is replication `k / V` of variant `k % V`, for `V`
//! variants in all. Each run is priced by the resource guard's estimate of the events it
//! simulates ([`crate::guard::estimate`]); then, longest first (ties: lower run number first),
//! each run goes to the shard whose total so far is least (ties: lower shard number). This is
//! the longest-processing-time rule: no shard costs more than 4/3 of the best possible split
//! plus nothing, and a shard differs from the mean by at most one run's cost. Runs of equal cost
//! go round-robin (run `k` to shard `k mod N + 1`). With fewer runs than shards, the last shards
//! are empty.
//!
//! **The folder** (format 1). `shard.json` holds the [`Header`]: the [`Work`] that every shard
//! of one job shares (the scenario's SHA-256, name, the `--set`s, `--seed`, `--variant`s,
//! swept params, replications, the number of shards and of runs, and tiersim's version) and which
//! runs this shard holds; `scenario.toml` the scenario's bytes (the merge parses it again for the
//! report); `runs.jsonl` one [`RunRecord`] per line, in run order, each with the whole result of
//! the run (floats written so that they read back exactly).

use crate::metrics::RunResult;
use crate::sweep::Param;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// What `shard.json` says it is.
pub const FORMAT: &str = "tiersim-shard";

/// The version of the shard folder's format; a merge reads only its own.
pub const VERSION: u32 = 1;

/// Most shards a job may be split into.
pub const MAX_SHARDS: usize = 100_000;

/// `--shard I/N`: shard `index` (1-based) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    /// Which shard, from 1 to `count`.
    pub index: usize,
    /// How many shards.
    pub count: usize,
}

/// Parses `I/N`; the error says what is allowed.
pub fn parse_spec(text: &str) -> Result<Spec, String> {
    let bad = |why: &str| {
        Err(format!(
            "--shard {text}: {why}; expected I/N with N from 1 to {MAX_SHARDS} and I from 1 to N \
             (e.g. --shard 2/8)"
        ))
    };
    let Some((i, n)) = text.split_once('/') else {
        return bad("no `/`");
    };
    let (Ok(index), Ok(count)) = (i.trim().parse::<usize>(), n.trim().parse::<usize>()) else {
        return bad("I and N must be whole numbers");
    };
    if count == 0 || count > MAX_SHARDS {
        return bad(&format!("N must be from 1 to {MAX_SHARDS}"));
    }
    if index == 0 || index > count {
        return bad(&format!("I must be from 1 to {count}"));
    }
    Ok(Spec { index, count })
}

/// A shard's running total while assigning: the least total comes out of the heap first, the
/// lower shard number on ties.
#[derive(PartialEq)]
struct Slot {
    cost: f64,
    shard: usize,
}

impl Eq for Slot {}

impl Ord for Slot {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .cost
            .total_cmp(&self.cost)
            .then(other.shard.cmp(&self.shard))
    }
}

impl PartialOrd for Slot {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The shard (0-based) of each run, by the rule in the module's doc: `costs[k]` is run `k`'s
/// expected cost.
pub fn assign(costs: &[f64], shards: usize) -> Vec<usize> {
    assert!(shards >= 1, "at least one shard");
    let mut order: Vec<usize> = (0..costs.len()).collect();
    order.sort_by(|&a, &b| costs[b].total_cmp(&costs[a]).then(a.cmp(&b)));
    let mut heap: BinaryHeap<Slot> = (0..shards).map(|shard| Slot { cost: 0.0, shard }).collect();
    let mut assigned = vec![0; costs.len()];
    for k in order {
        let mut slot = heap.pop().expect("the heap holds every shard");
        assigned[k] = slot.shard;
        slot.cost += costs[k];
        heap.push(slot);
    }
    assigned
}

/// Each shard's number of runs and total cost, under `assigned` (from [`assign`]).
pub fn loads(costs: &[f64], assigned: &[usize], shards: usize) -> Vec<(usize, f64)> {
    let mut loads = vec![(0, 0.0); shards];
    for (&shard, &cost) in assigned.iter().zip(costs) {
        loads[shard].0 += 1;
        loads[shard].1 += cost;
    }
    loads
}

/// What every shard of one job shares: a merge refuses shards whose work differs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Work {
    /// `sweep` or `run`.
    pub command: String,
    /// `tiersim --version` of the binary that ran the shard.
    pub tiersim: String,
    /// The scenario's `name`.
    pub scenario: String,
    /// SHA-256 of the scenario's bytes, in hex.
    pub scenario_sha256: String,
    /// The `--set` flags, in order.
    pub sets: Vec<String>,
    /// `--seed`, if given.
    pub seed: Option<u64>,
    /// The `--variant` flags (empty: every variant).
    pub variants: Vec<String>,
    /// The swept params (empty for `run`).
    pub params: Vec<Param>,
    /// Replications of each point and variant.
    pub replications: usize,
    /// Runs of the whole job.
    pub runs: usize,
    /// Shards the job is split into.
    pub shards: usize,
}

impl Work {
    /// The fields in which `other` differs from `self`, each as `field (ours vs theirs)`.
    pub fn differences(&self, other: &Work) -> Vec<String> {
        let ours = fields(self);
        let theirs = fields(other);
        ours.iter()
            .zip(&theirs)
            .filter(|(a, b)| a.1 != b.1)
            .map(|(a, b)| format!("{} ({} vs {})", a.0, a.1, b.1))
            .collect()
    }
}

/// Each field of a work as (name, JSON text).
fn fields(work: &Work) -> Vec<(String, String)> {
    let value = serde_json::to_value(work).expect("a work always serializes");
    let serde_json::Value::Object(map) = value else {
        unreachable!("a struct serializes as an object")
    };
    map.into_iter().map(|(k, v)| (k, v.to_string())).collect()
}

/// `shard.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`] when written by this binary.
    pub version: u32,
    /// What the job is.
    pub work: Work,
    /// This shard's number, from 1 to `work.shards`.
    pub shard: usize,
    /// The scenario's path as given to the shard (`<stdin>` for standard input).
    pub source: String,
    /// The runs this shard holds, in increasing order.
    pub runs: Vec<usize>,
}

/// One line of `runs.jsonl`: one run and its whole result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Its number in the job (see the module's doc).
    pub run: usize,
    /// Its replication.
    pub replication: usize,
    /// Its variant, as an index into every variant of the job (a sweep: point × variants).
    pub variant: usize,
    /// The seed it ran on.
    pub seed: u64,
    /// What it produced.
    pub result: RunResult,
}

/// The name of shard `spec` of a job whose output folder is `folder` (`<name>` or
/// `<name>-sweep`): `<folder>-shard-<I>-of-<N>`.
pub fn folder_name(folder: &str, spec: Spec) -> String {
    format!("{folder}-shard-{}-of-{}", spec.index, spec.count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_spec_is_i_of_n_with_i_from_1_to_n() {
        assert_eq!(parse_spec("2/3"), Ok(Spec { index: 2, count: 3 }));
        assert_eq!(parse_spec("1/1"), Ok(Spec { index: 1, count: 1 }));
        for (bad, why) in [
            ("0/3", "I must be from 1 to 3"),
            ("4/3", "I must be from 1 to 3"),
            ("1/0", "N must be from 1 to 100000"),
            ("x", "no `/`"),
            ("a/b", "whole numbers"),
            ("-1/3", "whole numbers"),
            ("1/100001", "N must be from 1 to 100000"),
        ] {
            let message = parse_spec(bad).unwrap_err();
            assert!(
                message.starts_with(&format!("--shard {bad}: ")),
                "{message}"
            );
            assert!(message.contains(why), "{bad}: {message}");
            assert!(message.contains("expected I/N"), "{message}");
        }
    }

    #[test]
    fn runs_of_equal_cost_go_round_robin() {
        assert_eq!(assign(&[1.0; 7], 3), [0, 1, 2, 0, 1, 2, 0]);
        // Fewer runs than shards: the last shards are empty.
        assert_eq!(assign(&[5.0; 2], 4), [0, 1]);
        assert_eq!(loads(&[5.0; 2], &[0, 1], 4)[3], (0, 0.0));
    }

    #[test]
    fn the_longest_runs_are_placed_first_on_the_least_loaded_shard() {
        // Costs 8, 1, 7, 2, 6, 3 on shards A and B, longest first: 8 → A (tie: the lower),
        // 7 → B, 6 → B (7 < 8), 3 → A (8 < 13), 2 → A (11 < 13), 1 → A (13 = 13: the lower).
        // Totals A = 8 + 3 + 2 + 1 = 14, B = 7 + 6 = 13.
        let costs = [8.0, 1.0, 7.0, 2.0, 6.0, 3.0];
        let assigned = assign(&costs, 2);
        assert_eq!(assigned, [0, 0, 1, 0, 1, 0]);
        assert_eq!(loads(&costs, &assigned, 2), [(4, 14.0), (2, 13.0)]);
    }

    #[test]
    fn shards_of_a_skewed_sweep_stay_within_one_run_of_the_mean() {
        // A sweep whose runs cost 1 to 40 (servers.count or a rate as the first param), five
        // replications each: 200 runs on 7 shards. The longest-first rule keeps every shard
        // within the largest single cost (40) of the mean, and the heaviest within 2 % of it.
        let costs: Vec<f64> = (0..200).map(|k| f64::from(k % 40 + 1)).collect();
        let loads = loads(&costs, &assign(&costs, 7), 7);
        let mean = costs.iter().sum::<f64>() / 7.0;
        for &(_, load) in &loads {
            assert!((load - mean).abs() <= 40.0, "{load} vs mean {mean}");
        }
        let heaviest = loads.iter().map(|l| l.1).fold(0.0, f64::max);
        assert!(heaviest / mean < 1.02, "{heaviest} vs mean {mean}");
        assert_eq!(loads.iter().map(|l| l.0).sum::<usize>(), 200);
    }

    #[test]
    fn a_run_record_reads_back_exactly_floats_included() {
        let mut result = RunResult {
            variant: "sticky".into(),
            ..RunResult::default()
        };
        result.summary.mean_in_tier = 0.1 + 0.2;
        result.summary.measured_s = 1.0 / 3.0;
        result.summary.imbalance = Some(f64::MIN_POSITIVE);
        result.summary.latency.mean_us = Some(123_456.789_012_345_67);
        let record = RunRecord {
            run: 5,
            replication: 2,
            variant: 1,
            seed: u64::MAX,
            result,
        };
        let line = serde_json::to_string(&record).unwrap();
        assert_eq!(serde_json::from_str::<RunRecord>(&line).unwrap(), record);
    }

    #[test]
    fn work_differences_name_the_field_and_both_values() {
        let work = Work {
            command: "sweep".into(),
            tiersim: "0.1.0".into(),
            scenario: "tiny".into(),
            scenario_sha256: "ab".into(),
            sets: vec![],
            seed: None,
            variants: vec![],
            params: vec![],
            replications: 2,
            runs: 8,
            shards: 3,
        };
        let other = Work {
            scenario_sha256: "cd".into(),
            seed: Some(7),
            ..work.clone()
        };
        assert_eq!(
            work.differences(&other),
            [
                "scenario_sha256 (\"ab\" vs \"cd\")".to_string(),
                "seed (null vs 7)".to_string()
            ]
        );
        assert!(work.differences(&work).is_empty());
    }
}
