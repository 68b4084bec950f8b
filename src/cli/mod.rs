//! The command line: the ten subcommands, their flags, and what each prints. `run` and `sweep`
//! (`run.rs`, `sweep.rs`) simulate, through the orchestration they share (`simulate.rs`: the
//! resource guard, Ctrl-C, progress bars, the books check, the files of a run); with `--shard`
//! they run one shard of their runs (`shard.rs`), and `merge` (`merge.rs`) joins the shards
//! through the same writers (`run::write`, `sweep::write`); `live` and
//! `validate` (`live.rs`) run the scenario on a real loopback cluster, and compare it with the
//! simulation, with the judgement in `crate::live::validate`; `completions` and `man`
//! (`shells.rs`) print what the shell and `man` read; `worksheet` (`worksheet.rs`) runs a scenario once and writes
//! its printable worksheet; `lab` (`lab.rs`) serves `crate::lab`; `check` and `list` are here. Each parses,
//! calls the use case and prints. What is read as a scenario, and how, is in `input.rs`.
//!
//! Mistakes a user can make (a bad scenario, an unknown variant, a missing file) are
//! [`BadInput`] or `config::ConfigError`, which `main` turns into exit status 2; anything else is
//! status 1. Standard output gets the results; standard error gets progress and diagnostics.

mod input;
mod lab;
mod live;
mod merge;
mod progress;
mod run;
mod shard;
mod shells;
mod simulate;
mod sweep;
mod worksheet;

pub use input::MAX_SCENARIO_BYTES;
pub use simulate::csv_files;

use crate::config::{self, format_duration};
use crate::metrics::RunResult;
use crate::scenario::{Experiment, Variant};
use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A mistake in what the user asked for (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

pub use crate::interrupt::Interrupted;

/// `validate` ran and judged, and at least one judged metric disagrees: exit status 1 (the
/// table and the disagreements are printed above the message).
#[derive(Debug, thiserror::Error)]
#[error("{}", disagreement_message(*.0))]
pub struct Disagrees(pub usize);

fn disagreement_message(n: usize) -> String {
    let verb = if n == 1 { "disagrees" } else { "disagree" };
    format!(
        "{} {verb} between the simulation and the live cluster (see the table above)",
        plural(n, "judged metric")
    )
}

/// tiersim: what keeping sessions in web servers costs, compared with a shared session store.
#[derive(Debug, Parser)]
#[command(name = "tiersim", version = env!("TIERSIM_VERSION"), long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every variant of a scenario, print a comparison and write CSV files.
    Run(RunArgs),
    /// Run a scenario over a grid of parameter values and write `sweep.csv`.
    Sweep(SweepArgs),
    /// Join the shard folders of a `run --shard` or `sweep --shard` job into the files the
    /// whole job writes.
    Merge(merge::MergeArgs),
    /// Validate scenario files and say what each would run; writes nothing.
    Check(CheckArgs),
    /// List the scenarios of a folder (its regular `*.toml` files) with their titles.
    List(ListArgs),
    /// Run a scenario on a real cluster on this machine (HTTP servers, balancer, session store,
    /// load generator, all on 127.0.0.1) and write `<out>/<name>-live/`.
    Live(live::LiveArgs),
    /// Run a scenario in the simulator and on the live cluster and compare the key metrics.
    ///
    /// Exit status: 0 when every judged metric agrees, 1 when any disagrees (or the run
    /// fails), 2 for a mistake in the input, 130 when interrupted.
    Validate(live::ValidateArgs),
    /// Simulate a scenario once and write a printable "predict, then run" worksheet:
    /// `<out>/<name>-worksheet/worksheet.html` (questions first; the answers from the run and
    /// from theory on a page of their own).
    Worksheet(worksheet::WorksheetArgs),
    /// Serve an interactive lab on 127.0.0.1: change a scenario's knobs in the browser and
    /// compare the variants (Ctrl-C stops it).
    Lab(lab::LabArgs),
    /// Print the completion script of a shell (bash, zsh, fish, powershell, elvish).
    Completions(shells::CompletionsArgs),
    /// Print the man page (roff): `tiersim man | man -l -`.
    Man,
}

/// What every subcommand that runs a scenario shares: the scenario and what to change in it.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// The scenario file (TOML, a regular file of at most 1 MiB), or `-` for standard input.
    pub scenario: PathBuf,
    /// Seed of every random stream (replaces the file's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run only this variant (repeatable).
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
    /// Override a key by its dotted path, e.g. `--set servers.count=8` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

impl ScenarioArgs {
    /// Reads and validates the scenario with the `--set`s, then `extra` sets, and `--seed`.
    pub fn load(&self, extra: &[String]) -> Result<Experiment> {
        self.parse(&self.read()?, extra)
    }

    /// Reads the scenario's bytes (once: standard input cannot be read twice).
    /// Warns on standard error of every `--set` that erases a difference between variants
    /// ([`config::erased_differences`]).
    pub fn read(&self) -> Result<input::ScenarioText> {
        let scenario = input::read_scenario(&self.scenario)?;
        warn_erased(&scenario, &self.sets);
        Ok(scenario)
    }

    /// Validates a scenario read by [`ScenarioArgs::read`] with the `--set`s, then `extra` sets,
    /// and `--seed`.
    pub fn parse(&self, scenario: &input::ScenarioText, extra: &[String]) -> Result<Experiment> {
        let sets: Vec<String> = self.sets.iter().chain(extra).cloned().collect();
        parse(scenario, &sets, self.seed)
    }
}

/// What `run` and `sweep` print on standard output (status lines go to standard error).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The comparison table (a sweep: one row per point and variant).
    Table,
    /// One JSON object: the scenario and every `summary.csv` column of every variant.
    Json,
    /// The text of `summary.csv` (a sweep: of `sweep.csv`).
    Csv,
}

/// Where `run`, `sweep` and `live` write.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Folder under which the results are written (`<name>/`; `live`: `<name>-live/`).
    #[arg(long, default_value = "output", display_order = 0)]
    pub out: PathBuf,
}

/// Flags of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenario and what to change in it.
    #[command(flatten)]
    pub common: ScenarioArgs,
    /// Where to write.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Run each variant this many times, on seeds derived from (seed, i), and report means with
    /// 95 % confidence intervals.
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub replications: Option<u32>,
    /// Write only the CSV files: no charts and no `report.html`.
    #[arg(long)]
    pub no_charts: bool,
    /// Print one line of engine statistics per variant to standard error.
    #[arg(long)]
    pub stats: bool,
    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// No progress bars and no chatter: print only the comparison table.
    #[arg(long, short)]
    pub quiet: bool,
    /// Run only shard I of N of the runs and write `<out>/<folder>-shard-I-of-N/` for `tiersim
    /// merge`, which writes the results (see docs/scaling.md for the rule that splits the runs).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Print how the runs split into N shards, and each shard's expected cost; run nothing.
    #[arg(long, value_name = "N", conflicts_with = "shard",
          value_parser = clap::value_parser!(u32).range(1..=crate::shard::MAX_SHARDS as i64))]
    pub print_shards: Option<u32>,
}

/// Flags of `sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The scenario and what to change in it (`--set` applies at every point; `sweep.csv` and
    /// the charts go to `<out>/<name>-sweep/`).
    #[command(flatten)]
    pub common: ScenarioArgs,
    /// Where to write.
    #[command(flatten)]
    pub output: OutputArgs,
    /// A swept key: `KEY=A..B`, `KEY=A..B:STEP` or `KEY=V1,V2,...` (repeatable: every
    /// combination runs).
    #[arg(long = "param", value_name = "KEY=SPEC", required = true)]
    pub params: Vec<String>,
    /// Runs of each point and variant, on seeds derived from (seed, i).
    #[arg(long, value_name = "R", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub replications: u32,
    /// Write only `sweep.csv`: no `sweep-<metric>.png/.svg` charts.
    #[arg(long)]
    pub no_charts: bool,
    /// What to print on standard output after writing.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// No progress bar and no status lines.
    #[arg(long, short)]
    pub quiet: bool,
    /// Run only shard I of N of the runs and write `<out>/<folder>-shard-I-of-N/` for `tiersim
    /// merge`, which writes the results (see docs/scaling.md for the rule that splits the runs).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Print how the runs split into N shards, and each shard's expected cost; run nothing.
    #[arg(long, value_name = "N", conflicts_with = "shard",
          value_parser = clap::value_parser!(u32).range(1..=crate::shard::MAX_SHARDS as i64))]
    pub print_shards: Option<u32>,
}

/// What `run`, `sweep` and `merge` do with the results once the runs are done.
pub(crate) struct Finish<'a> {
    /// Folder under which the results are written.
    pub out: &'a Path,
    /// What to print on standard output.
    pub format: Format,
    /// Whether to leave out the charts and the report.
    pub no_charts: bool,
    /// Whether to leave out the status lines.
    pub quiet: bool,
}

/// Flags of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario files (TOML, regular files of at most 1 MiB each), or `-` for standard input.
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// Override a key by its dotted path (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

/// Flags of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Folder to list.
    #[arg(default_value = "scenarios")]
    pub dir: PathBuf,
}

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Sweep(args) => sweep::run(&args),
        Command::Merge(args) => merge::run(&args),
        Command::Check(args) => check(&args),
        Command::List(args) => list(&args),
        Command::Live(args) => live::run(&args),
        Command::Validate(args) => live::validate(&args),
        Command::Lab(args) => lab::run(&args),
        Command::Completions(args) => shells::completions(&args),
        Command::Worksheet(args) => worksheet::worksheet(&args),
        Command::Man => shells::man(),
    }
}

/// Reads and validates a scenario file (`-`: standard input); see [`input`] for what is read.
pub fn load(path: &Path, sets: &[String], seed: Option<u64>) -> Result<Experiment> {
    let scenario = input::read_scenario(path)?;
    warn_erased(&scenario, sets);
    parse(&scenario, sets, seed)
}

/// Prints on standard error a warning per `--set` that erases a difference between variants
/// ([`config::erased_differences`]).
fn warn_erased(scenario: &input::ScenarioText, sets: &[String]) {
    if let Ok(text) = std::str::from_utf8(&scenario.bytes) {
        for warning in config::erased_differences(text, sets) {
            let _ = writeln!(std::io::stderr(), "{warning}");
        }
    }
}

/// Validates a scenario's bytes.
fn parse(scenario: &input::ScenarioText, sets: &[String], seed: Option<u64>) -> Result<Experiment> {
    let text = config::decode(&scenario.source, &scenario.bytes)?;
    Ok(config::parse(&scenario.source, text, sets, seed)?)
}

/// The variants to run: all, or those named (in file order); an unknown name is bad input.
pub(crate) fn select<'a>(experiment: &'a Experiment, names: &[String]) -> Result<Vec<&'a Variant>> {
    if let Some(unknown) = names
        .iter()
        .find(|n| !experiment.variants.iter().any(|v| &v.name == *n))
    {
        let known: Vec<&str> = experiment
            .variants
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        return Err(BadInput(format!(
            "--variant {unknown}: no such variant in {}; it has: {}",
            experiment.name,
            known.join(", ")
        ))
        .into());
    }
    Ok(experiment
        .variants
        .iter()
        .filter(|v| names.is_empty() || names.contains(&v.name))
        .collect())
}

/// `stats: variant=<v> events=<n> wall_s=<x> events_per_s=<y> requests=<r> requests_per_s=<z>
/// requests_simulated=<a> simulated_per_s=<b>`: `requests` are those counted (sent after
/// warm-up), `requests_simulated` every request the engine simulated, warm-up included.
pub(crate) fn stats_line(result: &RunResult, wall_s: f64) -> String {
    let s = &result.summary;
    let requests = s.sent;
    let per_s = |n: u64| if wall_s > 0.0 { n as f64 / wall_s } else { 0.0 };
    format!(
        "stats: variant={} events={} wall_s={wall_s:.3} events_per_s={:.0} requests={requests} requests_per_s={:.0} requests_simulated={} simulated_per_s={:.0}",
        result.variant,
        result.events_processed,
        per_s(result.events_processed),
        per_s(requests),
        result.requests_simulated,
        per_s(result.requests_simulated),
    )
}

fn check(args: &CheckArgs) -> Result<()> {
    let (mut failed, mut refused) = (Vec::new(), Vec::new());
    let mut out = std::io::stdout().lock();
    for path in &args.scenarios {
        match load(path, &args.sets, None) {
            // The same guard as `run`: a valid scenario that `run` would refuse is not ok.
            Ok(experiment) => match simulate::refusal(&experiment, 1) {
                None => write!(out, "{}", describe(path, &experiment))?,
                Some(why) => {
                    status(&format!("{}: {why}\n", path.display()));
                    refused.push(path.display().to_string());
                }
            },
            Err(e) => {
                // `eprintln!` would panic on a standard error that cannot be written.
                let _ = writeln!(std::io::stderr(), "{e:#}");
                failed.push(path.display().to_string());
            }
        }
    }
    let mut problems = Vec::new();
    if !failed.is_empty() {
        problems.push(format!("invalid scenario: {}", failed.join(", ")));
    }
    if !refused.is_empty() {
        problems.push(format!("`run` would refuse: {}", refused.join(", ")));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(BadInput(problems.join("; ")).into())
    }
}

/// What `check` says about a valid scenario.
fn describe(path: &Path, e: &Experiment) -> String {
    let shown = if path.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    };
    let mut text = format!("{shown}: ok, `{}`: {}\n", e.name, e.title);
    for v in &e.variants {
        let sc = &v.scenario;
        let visits = sc.users.visits_per_s * sc.duration_us as f64 / 1e6;
        let requests = visits * (1.0 + sc.users.requests_per_visit);
        text += &format!(
            "  variant {}: {} servers, {} + {}, {} (warm-up {}), {} timed events, about {:.0} visits and {:.0} requests\n",
            v.name,
            sc.servers.count,
            sc.balancer.policy.as_str(),
            sc.storage.as_str(),
            format_duration(sc.duration_us),
            format_duration(sc.warmup_us),
            sc.events.len(),
            visits,
            requests,
        );
    }
    text
}

fn list(args: &ListArgs) -> Result<()> {
    let entries = std::fs::read_dir(&args.dir)
        .map_err(|e| BadInput(format!("cannot list {}: {e}", args.dir.display())))?;
    // A FIFO, device or folder named `*.toml` is skipped: reading it could hang.
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && input::is_regular_file(p))
        .collect();
    paths.sort();
    let rows: Vec<(String, String)> = paths
        .iter()
        .map(|path| {
            let title = match load(path, &[], None) {
                Ok(e) => e.title,
                Err(_) => "(invalid: see `tiersim check`)".to_string(),
            };
            (path.display().to_string(), title)
        })
        .collect();
    let mut out = std::io::stdout().lock();
    write!(out, "{}", aligned(&rows)).context("writing the list")?;
    Ok(())
}

/// Two columns, the second starting two spaces after the longest first.
fn aligned(rows: &[(String, String)]) -> String {
    let width = rows
        .iter()
        .map(|(a, _)| a.chars().count())
        .max()
        .unwrap_or(0);
    rows.iter()
        .map(|(a, b)| format!("{a:<width$}  {b}\n"))
        .collect()
}

/// Writes a status line (what was written, a note, a warning) to standard error. A standard
/// error that cannot be written is not a failure of the command (`eprint!` would panic).
pub(crate) fn status(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// The width of the terminal that standard output is, if it is one: tables are wrapped to it
/// there, and stay complete when piped.
pub(crate) fn terminal_width() -> Option<u16> {
    comfy_table::Table::new().width()
}

/// `1 point`, `2 points`: a count and its noun.
pub(crate) fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The exit status for an error: 2 for the user's mistakes, 130 for an interruption, 1 for
/// anything else (a failure, or `validate`'s [`Disagrees`]).
pub fn exit_code(error: &anyhow::Error) -> i32 {
    if error.chain().any(|e| e.is::<Interrupted>()) {
        return 130;
    }
    let user_mistake = error
        .chain()
        .any(|e| e.is::<BadInput>() || e.is::<config::ConfigError>());
    if user_mistake { 2 } else { 1 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn list_titles_start_in_one_column_and_counts_agree_with_their_nouns() {
        let rows = [
            ("a.toml".to_string(), "A".to_string()),
            ("long.toml".into(), "B".into()),
        ];
        assert_eq!(aligned(&rows), "a.toml     A\nlong.toml  B\n");
        assert_eq!(plural(1, "point"), "1 point");
        assert_eq!(plural(0, "variant"), "0 variants");
        assert_eq!(plural(3, "replication"), "3 replications");
    }
}
