//! `tiersim merge SHARD_DIR...`: joins the shard folders of a `run --shard` or `sweep --shard`
//! job into the folder the whole job writes, through the same writer (`run::write`,
//! `sweep::write`), so the files are byte for byte those of the unsharded command.
//!
//! A SHARD_DIR is a shard folder (it holds `shard.json`) or a folder holding shard folders (what
//! each shard's `--out` was given). Before anything is written, the shards must be of one job
//! (same [`Work`]: scenario bytes, flags, version), every shard from 1 to N given once, and every
//! run of the job found exactly once; each problem is bad input (exit status 2) naming the shard
//! and what differs. The format is [`crate::shard`]'s.

use super::input::ScenarioText;
use super::sweep::Grid;
use super::{BadInput, Finish, Format, OutputArgs, ScenarioArgs, plural, select};
use crate::metrics::RunResult;
use crate::runner::{Runs, replication_seed};
use crate::scenario::Variant;
use crate::shard::{FORMAT, Header, RunRecord, VERSION, Work};
use anyhow::Result;
use clap::Args;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Flags of `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard folders, or the folders holding them (what each shard's `--out` was given).
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub shards: Vec<PathBuf>,
    /// Where to write (`<name>/` or `<name>-sweep/`, as the whole job would).
    #[command(flatten)]
    pub output: OutputArgs,
    /// Write only the CSV files: no charts and no report.
    #[arg(long)]
    pub no_charts: bool,
    /// What to print on standard output after writing.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// No status lines.
    #[arg(long, short)]
    pub quiet: bool,
}

/// A shard folder and its `shard.json`.
struct Shard {
    folder: PathBuf,
    header: Header,
}

/// Runs `tiersim merge`.
pub fn run(args: &MergeArgs) -> Result<()> {
    let mut shards = Vec::new();
    for folder in find(&args.shards)? {
        let header = read_header(&folder)?;
        shards.push(Shard { folder, header });
    }
    let work = together(&shards)?;
    let scenario = read_scenario(&shards[0])?;
    let results = read_runs(&shards, &work)?;
    if !args.quiet {
        super::status(&found(&shards, &work));
    }
    let common = ScenarioArgs {
        scenario: PathBuf::from(&shards[0].header.source),
        seed: work.seed,
        variants: work.variants.clone(),
        sets: work.sets.clone(),
    };
    let finish = Finish {
        out: &args.output.out,
        format: args.format,
        no_charts: args.no_charts,
        quiet: args.quiet,
    };
    if work.command == "sweep" {
        let grid = Grid::new(&common, &scenario, work.params.clone())?;
        let variants = grid.variants(&work.variants)?;
        let runs = runs(&variants, &work, results)?;
        super::sweep::write(&grid, &runs, &finish)
    } else {
        let experiment = common.parse(&scenario, &[])?;
        let variants = select(&experiment, &work.variants)?;
        let runs = runs(&variants, &work, results)?;
        super::run::write(&experiment, &runs, &finish)
    }
}

/// The shard folders: each argument that holds `shard.json`, else the folders inside it that do
/// (in name order); the same folder named twice counts once.
fn find(arguments: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = Vec::new();
    for dir in arguments {
        let inside = if dir.join("shard.json").is_file() {
            vec![dir.clone()]
        } else {
            shards_inside(dir)?
        };
        if inside.is_empty() {
            return Err(BadInput(format!(
                "merge: {} holds no shard (no shard.json in it or in the folders inside it); give \
                 a shard folder, or the folder a shard's --out was given",
                dir.display()
            ))
            .into());
        }
        for folder in inside {
            let canonical = folder.canonicalize().unwrap_or_else(|_| folder.clone());
            let seen = found
                .iter()
                .any(|f| f.canonicalize().unwrap_or_else(|_| f.clone()) == canonical);
            if !seen {
                found.push(folder);
            }
        }
    }
    Ok(found)
}

/// The folders inside `dir` that hold `shard.json`, in name order.
fn shards_inside(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        BadInput(format!(
            "merge: cannot read {}: {e}; give a shard folder, or the folder a shard's --out \
                 was given",
            dir.display()
        ))
    })?;
    let mut folders: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("shard.json").is_file())
        .collect();
    folders.sort();
    Ok(folders)
}

/// Reads and checks `shard.json` of `folder`.
fn read_header(folder: &Path) -> Result<Header> {
    let path = folder.join("shard.json");
    let bad = |why: String| BadInput(format!("merge: {}: {why}", path.display()));
    let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let format = value.get("format").and_then(|f| f.as_str());
    let version = value.get("version").and_then(serde_json::Value::as_u64);
    if format != Some(FORMAT) || version != Some(u64::from(VERSION)) {
        return Err(bad(format!(
            "not a {FORMAT} of version {VERSION} (format {}, version {}); merge shards with the \
             tiersim that ran them",
            format.unwrap_or("none"),
            version.map_or("none".into(), |v| v.to_string())
        ))
        .into());
    }
    let header: Header = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
    if header.shard == 0 || header.shard > header.work.shards {
        return Err(bad(format!(
            "shard {}/{} is not a shard number",
            header.shard, header.work.shards
        ))
        .into());
    }
    Ok(header)
}

/// The work every shard shares, once each shard from 1 to N is given exactly once.
fn together(shards: &[Shard]) -> Result<Work> {
    let first = &shards[0];
    let work = &first.header.work;
    for shard in &shards[1..] {
        let differences = work.differences(&shard.header.work);
        if !differences.is_empty() {
            return Err(BadInput(format!(
                "merge: {} is not a shard of the same job as {}: they differ in {}",
                shard.folder.display(),
                first.folder.display(),
                differences.join(", ")
            ))
            .into());
        }
    }
    let mut by_number: BTreeMap<usize, &Shard> = BTreeMap::new();
    for shard in shards {
        if let Some(other) = by_number.insert(shard.header.shard, shard) {
            return Err(BadInput(format!(
                "merge: shard {}/{} is given twice: {} and {}",
                shard.header.shard,
                work.shards,
                other.folder.display(),
                shard.folder.display()
            ))
            .into());
        }
    }
    let missing: Vec<String> = (1..=work.shards)
        .filter(|i| !by_number.contains_key(i))
        .map(|i| format!("{i}/{}", work.shards))
        .collect();
    if !missing.is_empty() {
        let (noun, verb) = if missing.len() == 1 {
            ("shard", "is")
        } else {
            ("shards", "are")
        };
        return Err(BadInput(format!(
            "merge: {noun} {} of `{}` {verb} missing (run it with --shard {} and the same flags)",
            missing.join(", "),
            work.scenario,
            missing[0]
        ))
        .into());
    }
    let listed: usize = shards.iter().map(|s| s.header.runs.len()).sum();
    if listed != work.runs {
        return Err(BadInput(format!(
            "merge: the shards of `{}` list {listed} runs, but the job has {}: the shards were \
             not split by one rule",
            work.scenario, work.runs
        ))
        .into());
    }
    Ok(work.clone())
}

/// The scenario of the job: `scenario.toml` of the first shard, checked against the hash.
fn read_scenario(shard: &Shard) -> Result<ScenarioText> {
    let path = shard.folder.join("scenario.toml");
    let bytes = std::fs::read(&path)
        .map_err(|e| BadInput(format!("merge: cannot read {}: {e}", path.display())))?;
    if super::shard::sha256(&bytes) != shard.header.work.scenario_sha256 {
        return Err(BadInput(format!(
            "merge: {} is not the scenario the shard ran (its SHA-256 differs from shard.json's)",
            path.display()
        ))
        .into());
    }
    Ok(ScenarioText {
        source: shard.header.source.clone(),
        bytes,
    })
}

/// Every run of the job, in run order, each found exactly once in the shards' `runs.jsonl`.
fn read_runs(shards: &[Shard], work: &Work) -> Result<Vec<RunResult>> {
    let mut runs: Vec<Option<(RunRecord, &Path)>> = vec![None; work.runs];
    for shard in shards {
        let path = shard.folder.join("runs.jsonl");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| BadInput(format!("merge: cannot read {}: {e}", path.display())))?;
        let mut held = Vec::new();
        for (line, text) in text.lines().enumerate() {
            let record: RunRecord = serde_json::from_str(text)
                .map_err(|e| BadInput(format!("merge: {}:{}: {e}", path.display(), line + 1)))?;
            held.push(record.run);
            place(&mut runs, record, &shard.folder, &path, line + 1)?;
        }
        if held != shard.header.runs {
            return Err(BadInput(format!(
                "merge: {} does not hold the runs its shard.json lists ({} of {}): the shard \
                 is incomplete; run it again",
                path.display(),
                held.len(),
                shard.header.runs.len()
            ))
            .into());
        }
    }
    if let Some(k) = runs.iter().position(Option::is_none) {
        return Err(BadInput(format!(
            "merge: run {k} of the job is in no shard (the shards were not split by one rule)"
        ))
        .into());
    }
    Ok(runs.into_iter().flatten().map(|(r, _)| r.result).collect())
}

/// Puts `record` at its run number, refusing a number outside the job or found twice.
fn place<'a>(
    runs: &mut [Option<(RunRecord, &'a Path)>],
    record: RunRecord,
    folder: &'a Path,
    path: &Path,
    line: usize,
) -> Result<()> {
    let total = runs.len();
    let Some(slot) = runs.get_mut(record.run) else {
        return Err(BadInput(format!(
            "merge: {}:{line}: run {} is outside the job's {total} runs",
            path.display(),
            record.run
        ))
        .into());
    };
    if let Some((_, other)) = slot {
        return Err(BadInput(format!(
            "merge: run {} is in two shards: {} and {}",
            record.run,
            other.display(),
            folder.display()
        ))
        .into());
    }
    *slot = Some((record, folder));
    Ok(())
}

/// The runs as one process would hold them, after checking that each run is the replication,
/// variant and seed its number says.
fn runs(variants: &[&Variant], work: &Work, results: Vec<RunResult>) -> Result<Runs> {
    let count = variants.len();
    if count * work.replications != results.len() {
        return Err(BadInput(format!(
            "merge: the shards hold {} runs, but {} x {} replications are {}",
            results.len(),
            plural(count, "variant"),
            work.replications,
            count * work.replications
        ))
        .into());
    }
    let seeds: Vec<u64> = (0..work.replications)
        .map(|i| replication_seed(variants[0].scenario.seed, i))
        .collect();
    let mut results = results.into_iter();
    let by_replication: Vec<Vec<RunResult>> = (0..work.replications)
        .map(|_| results.by_ref().take(count).collect())
        .collect();
    for row in &by_replication {
        for (result, variant) in row.iter().zip(variants) {
            if result.variant != variant.name {
                return Err(BadInput(format!(
                    "merge: a run of variant {} stands where {} should: the shards do not \
                     match their scenario",
                    result.variant, variant.name
                ))
                .into());
            }
        }
    }
    Ok(Runs {
        seeds,
        by_replication,
        traces: Vec::new(),
    })
}

/// What `merge` found (on standard error).
fn found(shards: &[Shard], work: &Work) -> String {
    let mut text = format!(
        "merge: {} of `{}` ({}, {}, tiersim {}), every run found once:\n",
        plural(shards.len(), "shard"),
        work.scenario,
        work.command,
        plural(work.runs, "run"),
        work.tiersim
    );
    let mut sorted: Vec<&Shard> = shards.iter().collect();
    sorted.sort_by_key(|s| s.header.shard);
    for shard in sorted {
        text += &format!(
            "  {}/{}: {} in {}\n",
            shard.header.shard,
            work.shards,
            plural(shard.header.runs.len(), "run"),
            shard.folder.display()
        );
    }
    text
}
