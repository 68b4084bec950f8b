//! `run --shard I/N` and `sweep --shard I/N`: run one shard of the job and write its folder for
//! `tiersim merge`; `--print-shards N`: how the runs would split, and what each shard costs.
//! The rule and the folder's format are in [`crate::shard`].

use super::input::ScenarioText;
use super::simulate::simulate_jobs;
use super::sweep::Grid;
use super::{BadInput, ScenarioArgs, plural};
use crate::guard;
use crate::output::files::{self, OutputFile};
use crate::runner::{self, replication_seed};
use crate::scenario::{Experiment, Variant};
use crate::shard::{self, FORMAT, Header, RunRecord, Spec, VERSION, Work};
use anyhow::Result;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

/// A job that can be split into shards: what identifies it and the runs it is made of.
pub(super) struct Job<'a> {
    /// What every shard of the job shares (`shards` is set when split).
    pub work: Work,
    /// The scenario's bytes and the path it was read from.
    pub scenario: &'a ScenarioText,
    /// Every variant run, point after point.
    pub variants: &'a [&'a Variant],
    /// The job's output folder (`<name>` or `<name>-sweep`).
    pub folder: String,
    /// What the status lines call the job: the folder and its points, variants, replications.
    pub shape: String,
}

impl<'a> Job<'a> {
    /// The job of `tiersim sweep`.
    pub(super) fn sweep(
        common: &ScenarioArgs,
        scenario: &'a ScenarioText,
        grid: &'a Grid,
        variants: &'a [&'a Variant],
        replications: usize,
    ) -> Job<'a> {
        let first = &grid.experiments[0];
        let points = grid.points.len();
        let runs = variants.len() * replications;
        Job {
            work: work(
                "sweep",
                common,
                scenario,
                first,
                grid.params.clone(),
                replications,
                runs,
            ),
            scenario,
            variants,
            folder: format!("{}-sweep", first.name),
            shape: format!(
                "{} x {} x {}",
                plural(points, "point"),
                plural(variants.len() / points, "variant"),
                plural(replications, "replication")
            ),
        }
    }

    /// The job of `tiersim run`.
    pub(super) fn single(
        common: &ScenarioArgs,
        scenario: &'a ScenarioText,
        experiment: &'a Experiment,
        variants: &'a [&'a Variant],
        replications: usize,
    ) -> Job<'a> {
        let runs = variants.len() * replications;
        Job {
            work: work(
                "run",
                common,
                scenario,
                experiment,
                Vec::new(),
                replications,
                runs,
            ),
            scenario,
            variants,
            folder: experiment.name.clone(),
            shape: format!(
                "{} x {}",
                plural(variants.len(), "variant"),
                plural(replications, "replication")
            ),
        }
    }

    /// Every run of the job, in run order, and each one's expected cost (events to simulate).
    fn runs(&self) -> (Vec<runner::Job>, Vec<f64>) {
        let all = runner::jobs(self.variants.len(), self.work.replications);
        let per_variant: Vec<f64> = self
            .variants
            .iter()
            .map(|v| guard::estimate(&v.scenario).events)
            .collect();
        let costs = all.iter().map(|j| per_variant[j.variant]).collect();
        (all, costs)
    }
}

/// What identifies a job.
fn work(
    command: &str,
    common: &ScenarioArgs,
    scenario: &ScenarioText,
    experiment: &Experiment,
    params: Vec<crate::sweep::Param>,
    replications: usize,
    runs: usize,
) -> Work {
    Work {
        command: command.into(),
        tiersim: env!("TIERSIM_VERSION").into(),
        scenario: experiment.name.clone(),
        scenario_sha256: sha256(&scenario.bytes),
        sets: common.sets.clone(),
        seed: common.seed,
        variants: common.variants.clone(),
        params,
        replications,
        runs,
        shards: 0,
    }
}

/// SHA-256 in lower-case hex.
pub(super) fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `--shard` flag, checked before anything else is read.
pub(super) fn spec(flag: Option<&str>) -> Result<Option<Spec>> {
    Ok(flag.map(shard::parse_spec).transpose().map_err(BadInput)?)
}

/// Runs shard `spec` of `job` and writes its folder under `out`.
pub(super) fn run(job: &Job, spec: Spec, out: &Path, quiet: bool) -> Result<()> {
    let (all, costs) = job.runs();
    let assigned = shard::assign(&costs, spec.count);
    let mine: Vec<usize> = (0..all.len())
        .filter(|&k| assigned[k] == spec.index - 1)
        .collect();
    if !quiet {
        super::status(&announce(job, spec, &mine, &costs));
    }
    let jobs: Vec<runner::Job> = mine.iter().map(|&k| all[k]).collect();
    let label = format!("shard {}/{}", spec.index, spec.count);
    let results = simulate_jobs(job.variants, &jobs, quiet, label)?;
    let records: Vec<RunRecord> = mine
        .iter()
        .zip(jobs.iter().zip(results))
        .map(|(&run, (j, result))| RunRecord {
            run,
            replication: j.replication,
            variant: j.variant,
            seed: replication_seed(job.variants[j.variant].scenario.seed, j.replication),
            result,
        })
        .collect();
    let header = Header {
        format: FORMAT.into(),
        version: VERSION,
        work: Work {
            shards: spec.count,
            ..job.work.clone()
        },
        shard: spec.index,
        source: job.scenario.source.clone(),
        runs: mine,
    };
    let name = shard::folder_name(&job.folder, spec);
    let folder = files::write_folder(out, &name, &folder_files(job, &header, &records))?;
    if !quiet {
        super::status(&format!(
            "wrote {} ({}); when every shard is done: tiersim merge {}\n",
            folder.display(),
            plural(records.len(), "run"),
            out.display()
        ));
    }
    Ok(())
}

/// What a shard says it runs: its runs and their expected cost, of the job's.
fn announce(job: &Job, spec: Spec, mine: &[usize], costs: &[f64]) -> String {
    let cost: f64 = mine.iter().map(|&k| costs[k]).sum();
    format!(
        "shard {}/{} of {} ({}): runs {} of {}, about {cost:.2e} of {:.2e} events\n",
        spec.index,
        spec.count,
        job.folder,
        job.shape,
        run_list(mine),
        costs.len(),
        costs.iter().sum::<f64>()
    )
}

/// `shard.json`, `scenario.toml` and `runs.jsonl`.
fn folder_files(job: &Job, header: &Header, records: &[RunRecord]) -> Vec<OutputFile> {
    let mut json = serde_json::to_string_pretty(header).expect("a header always serializes");
    json.push('\n');
    let mut lines = Vec::new();
    for record in records {
        serde_json::to_writer(&mut lines, record).expect("a run always serializes");
        lines.push(b'\n');
    }
    let file = |name: &str, bytes| OutputFile {
        name: name.into(),
        bytes,
    };
    vec![
        file("shard.json", json.into_bytes()),
        file("scenario.toml", job.scenario.bytes.clone()),
        file("runs.jsonl", lines),
    ]
}

/// Run numbers as text: `none`, `3`, `1, 4, 7` or, past eight, the first eight and a count.
fn run_list(runs: &[usize]) -> String {
    if runs.is_empty() {
        return "none".into();
    }
    let shown: Vec<String> = runs.iter().take(8).map(usize::to_string).collect();
    if runs.len() > 8 {
        format!("{}, ... ({} in all)", shown.join(", "), runs.len())
    } else {
        shown.join(", ")
    }
}

/// Prints (on standard output) how `job` splits into `shards` shards: each shard's runs, the
/// events the resource guard expects it to simulate, the CPU time that means, and its share.
pub(super) fn print_plan(job: &Job, shards: usize) -> Result<()> {
    let (all, costs) = job.runs();
    let loads = shard::loads(&costs, &shard::assign(&costs, shards), shards);
    let total: f64 = costs.iter().sum();
    let mut text = format!(
        "{} ({}): {} in {}\n(events: what the resource guard expects the shard to simulate; \
         cpu_s: at {:.0e} events/s)\n",
        job.folder,
        job.shape,
        plural(all.len(), "run"),
        plural(shards, "shard"),
        guard::EVENTS_PER_S
    );
    text += &format!(
        "{:>7}  {:>6}  {:>9}  {:>8}  {:>6}\n",
        "shard", "runs", "events", "cpu_s", "share"
    );
    for (i, &(runs, events)) in loads.iter().enumerate() {
        let share = if total > 0.0 {
            100.0 * events / total
        } else {
            0.0
        };
        text += &format!(
            "{:>7}  {runs:>6}  {events:>9.2e}  {:>8.1}  {share:>5.1}%\n",
            format!("{}/{shards}", i + 1),
            events / guard::EVENTS_PER_S
        );
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_lists_stay_short() {
        assert_eq!(run_list(&[]), "none");
        assert_eq!(run_list(&[0, 3, 6]), "0, 3, 6");
        let many: Vec<usize> = (0..20).collect();
        assert_eq!(run_list(&many), "0, 1, 2, 3, 4, 5, 6, 7, ... (20 in all)");
    }

    #[test]
    fn the_hash_is_sha256_in_hex() {
        assert_eq!(
            sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
