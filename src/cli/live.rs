//! `tiersim live` and `tiersim validate`: the scenario on a real cluster on this machine, and the
//! simulation and the live cluster side by side.
//!
//! Each variant runs in turn on a fresh cluster (its own ports, store and tasks), on a tokio
//! runtime that exists only for this command. Ctrl-C stops the cluster (every task is aborted, a
//! managed Redis is killed) and nothing is written (exit status 130).

use super::progress::Progress;
use super::simulate::{check_books, run_files};
use super::{BadInput, Disagrees, Interrupted, OutputArgs, ScenarioArgs, select};
use crate::live::{self, BalancerChoice, Capacity, LiveRun, StoreChoice, validate};
use crate::metrics::RunResult;
use crate::output::{files, table};
use crate::runner::{self, Runs};
use crate::scenario::{Action, Experiment, Variant};
use anyhow::Result;
use clap::{Args, ValueEnum};
use std::io::Write;

/// `--balancer`: what stands in front of the servers.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum BalancerArg {
    /// The built-in reverse proxy, routing with the model's own balancer.
    Builtin,
    /// Debian's HAProxy (package `haproxy`), configured from the scenario.
    Haproxy,
}

impl BalancerArg {
    fn choice(self) -> BalancerChoice {
        match self {
            BalancerArg::Builtin => BalancerChoice::Builtin,
            BalancerArg::Haproxy => BalancerChoice::Haproxy,
        }
    }
}

/// Flags of `live` and `validate` that choose the balancer.
#[derive(Debug, Args)]
pub struct BalancerArgs {
    /// Balancer in front of the servers: `builtin` (the model's routing in a reverse proxy) or
    /// `haproxy` (tiersim writes an `haproxy.cfg` from the scenario and runs `haproxy` on
    /// 127.0.0.1; `live` keeps each variant's configuration in its output folder).
    #[arg(long, value_enum, value_name = "BALANCER", default_value = "builtin")]
    pub balancer: BalancerArg,
    /// Print the `haproxy.cfg` of each chosen variant (with `--balancer haproxy`) and exit
    /// without running anything.
    #[arg(long)]
    pub print_config: bool,
}

impl BalancerArgs {
    /// Prints the configurations when `--print-config` asks for them; returns whether it did.
    fn print_config(&self, variants: &[&Variant], time_scale: f64) -> Result<bool> {
        if !self.print_config {
            return Ok(false);
        }
        if !matches!(self.balancer, BalancerArg::Haproxy) {
            return Err(BadInput(
                "--print-config shows HAProxy's configuration: use it with --balancer haproxy"
                    .into(),
            )
            .into());
        }
        let mut out = std::io::stdout().lock();
        for v in variants {
            writeln!(out, "# variant {}", v.name)?;
            writeln!(out, "{}", live::haproxy_config(&v.scenario, time_scale))?;
        }
        Ok(true)
    }
}

/// Flags of `live` and `validate` that set the pace: the time scale and the longest wall time.
#[derive(Debug, Args)]
pub struct PaceArgs {
    /// Simulated seconds per wall second (service, think and all other times are divided by
    /// it; default: the largest of 20, 10, 5, 4, 3, 2 and 1 at which this machine carries every
    /// chosen variant on time and all of them fit --max-wall, from its cores and the CPU a
    /// request costs, measured at start-up by a burst of at most 0.4 s through a loopback
    /// cluster; 0.17 ms when that fails).
    #[arg(long, value_name = "X")]
    pub time_scale: Option<f64>,
    /// Longest wall time of all chosen variants together, such as `30m` or `1h` (at most a day;
    /// default 10m for `live`, 30m for `validate`): a run that would take longer is refused
    /// before anything starts.
    #[arg(long, value_name = "DURATION", value_parser = parse_max_wall)]
    pub max_wall: Option<f64>,
}

/// `--max-wall`: a duration as scenarios write them, from 1 s to a day, in seconds.
fn parse_max_wall(text: &str) -> Result<f64, String> {
    let us = crate::config::parse_duration(text)?;
    let s = us as f64 / 1e6;
    if (1.0..=live::LONGEST_MAX_WALL_S).contains(&s) {
        Ok(s)
    } else {
        Err(format!(
            "expected a duration from 1s to 24h, got \"{text}\""
        ))
    }
}

/// Flags of `live`.
#[derive(Debug, Args)]
pub struct LiveArgs {
    /// The scenario and what to change in it (results go to `<out>/<name>-live/`).
    #[command(flatten)]
    pub common: ScenarioArgs,
    /// Where to write.
    #[command(flatten)]
    pub output: OutputArgs,
    /// The time scale and the longest wall time.
    #[command(flatten)]
    pub pace: PaceArgs,
    /// Session store of shared-store variants: `embedded`, `redis-managed` (tiersim starts
    /// `redis-server` on a free loopback port) or `redis://HOST:PORT` (loopback only).
    #[arg(long, value_name = "STORE", default_value = "embedded")]
    pub store: String,
    /// The balancer.
    #[command(flatten)]
    pub front: BalancerArgs,
    /// Write only the CSV files: no charts and no `report.html`.
    #[arg(long)]
    pub no_charts: bool,
    /// Print only the comparison table.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Flags of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The scenario and what to change in it.
    #[command(flatten)]
    pub common: ScenarioArgs,
    /// The time scale and the longest wall time of the live run (as for `live`).
    #[command(flatten)]
    pub pace: PaceArgs,
    /// Session store of the live run (as for `live`).
    #[arg(long, value_name = "STORE", default_value = "embedded")]
    pub store: String,
    /// The balancer of the live run (as for `live`).
    #[command(flatten)]
    pub front: BalancerArgs,
}

/// How fast and how long the live runs go: the time scale, whether it was chosen (no
/// `--time-scale`), the longest wall time allowed, and what this machine carries.
struct Pace {
    time_scale: f64,
    chosen: bool,
    max_wall_s: f64,
    capacity: Capacity,
}

impl Pace {
    /// The time scale and what this machine carries: `--time-scale` as given (the documented
    /// cost of a request assumed), or else the largest at which every variant stays on time
    /// within `--max-wall` (or `default_max_wall_s`), with the cost of a request measured now (`live::calibrate`, with a
    /// cluster like the first variant keeping sessions in the store, or the first variant),
    /// unless `print_only` (`--print-config` starts no cluster: the documented cost).
    fn new(
        args: &PaceArgs,
        default_max_wall_s: f64,
        variants: &[&Variant],
        print_only: bool,
    ) -> Pace {
        let cores = live::cores();
        let max_wall_s = args.max_wall.unwrap_or(default_max_wall_s);
        if let Some(time_scale) = args.time_scale {
            return Pace {
                time_scale,
                chosen: false,
                max_wall_s,
                capacity: Capacity::assumed(cores),
            };
        }
        let heaviest = variants
            .iter()
            .find(|v| v.scenario.storage.uses_store())
            .or(variants.first());
        let capacity = match heaviest {
            Some(v) if !print_only => live::calibrate(&v.scenario, cores),
            _ => Capacity::assumed(cores),
        };
        let on_time = capacity.on_time_requests_per_s();
        Pace {
            time_scale: validate::time_scale(variants, on_time, max_wall_s),
            chosen: true,
            max_wall_s,
            capacity,
        }
    }

    /// When the time scale was chosen and the scale that keeps every variant on time takes
    /// longer than `--max-wall` (and no longer than a day): that scale, and the `--max-wall` it
    /// needs (in whole minutes).
    fn on_time_beyond_the_limit(&self, variants: &[&Variant]) -> Option<(f64, String)> {
        if !self.chosen {
            return None;
        }
        let scale = validate::on_time_scale(variants, self.capacity.on_time_requests_per_s())?;
        let wall_s = validate::wall_s(variants, scale);
        let fits_the_flag = wall_s <= live::LONGEST_MAX_WALL_S;
        (wall_s > self.max_wall_s && fits_the_flag)
            .then(|| (scale, format!("{}m", (wall_s / 60.0).ceil())))
    }

    /// The line that says which time scale `live` and `validate` chose, and from what figure.
    fn chosen_line(&self, variants: &[&Variant]) -> String {
        let capacity = &self.capacity;
        let why = match &capacity.source {
            live::calibrate::Source::Fallback(why) => format!(" (the measurement failed: {why})"),
            _ => String::new(),
        };
        let time_scale = self.time_scale;
        let on_time = variants.iter().all(|v| {
            live::wall_requests_per_s(&v.scenario, time_scale) <= capacity.on_time_requests_per_s()
        });
        let wall = self.max_wall_s;
        let scales = validate::time_scales_text();
        let how = if on_time {
            format!(
                "the largest of {scales} that keeps every variant under it and all within \
                 {wall:.0} s of wall time"
            )
        } else {
            let beyond = match self.on_time_beyond_the_limit(variants) {
                Some((scale, max_wall)) => format!(
                    " (--time-scale {scale} would keep them on time, with --max-wall {max_wall})"
                ),
                None => String::new(),
            };
            format!(
                "none of {scales} keeps every variant under it within {wall:.0} s of wall \
                 time: the smallest that fits {wall:.0} s{beyond}"
            )
        };
        format!(
            "live: {}{why}; --time-scale {time_scale}, {how}\n",
            capacity.describe()
        )
    }
}

/// What `live` and `validate` run: the chosen variants, at which pace, behind which balancer,
/// with which store, all checked before anything starts.
struct Plan<'e> {
    variants: Vec<&'e Variant>,
    pace: Pace,
    front: BalancerChoice,
    choice: StoreChoice,
}

impl<'e> Plan<'e> {
    /// The plan of `experiment` as the flags ask (`--max-wall` defaulting to
    /// `default_max_wall_s`), or `None` when `--print-config` printed the configurations
    /// instead.
    fn new(
        experiment: &'e Experiment,
        common: &ScenarioArgs,
        pace: &PaceArgs,
        front: &BalancerArgs,
        store: &str,
        default_max_wall_s: f64,
    ) -> Result<Option<Plan<'e>>> {
        let variants = select(experiment, &common.variants)?;
        let pace = Pace::new(pace, default_max_wall_s, &variants, front.print_config);
        if front.print_config(&variants, pace.time_scale)? {
            return Ok(None);
        }
        let balancer = front.balancer.choice();
        let choice = prepare(experiment, &variants, &pace, store, balancer)?;
        Ok(Some(Plan {
            variants,
            pace,
            front: balancer,
            choice,
        }))
    }
}

/// Checks the time scale, the store and every variant before anything starts; raises the limit
/// of open files to the hard limit and refuses a variant whose users would exceed it.
fn prepare(
    experiment: &Experiment,
    variants: &[&Variant],
    pace: &Pace,
    store: &str,
    front: BalancerChoice,
) -> Result<StoreChoice> {
    let time_scale = pace.time_scale;
    if !(time_scale.is_finite() && (0.1..=1000.0).contains(&time_scale)) {
        return Err(BadInput(format!(
            "--time-scale {time_scale}: expected a number from 0.1 to 1000"
        ))
        .into());
    }
    let choice = StoreChoice::parse(store).map_err(BadInput)?;
    if variants.iter().any(|v| v.scenario.storage.uses_store()) {
        choice.probe().map_err(BadInput)?;
    }
    // The rows and memory of the results, as `run` prices them.
    if let Some(why) = super::simulate::refusal(experiment, 1) {
        return Err(BadInput(why).into());
    }
    if front == BalancerChoice::Haproxy {
        // Before anything runs (the simulation of `validate` included).
        live::haproxy::program()?;
    }
    let refused = |why: String| Err(BadInput(format!("{}: {why}", experiment.name)).into());
    // What the live mode does not build, at any pace; then the wall time of all variants.
    if let Some(why) = variants
        .iter()
        .find_map(|v| live::unsupported(&v.name, &v.scenario))
    {
        return refused(why);
    }
    let wall_s = validate::wall_s(variants, time_scale);
    if wall_s > pace.max_wall_s {
        let limit = pace.max_wall_s;
        let why = match pace.on_time_beyond_the_limit(variants) {
            // Chosen: nothing faster keeps them on time within the limit and the live mode's
            // rate (`validate::time_scale`).
            Some((scale, max_wall)) if scale == time_scale => format!(
                "the variants together take {wall_s:.0} s of wall time at --time-scale \
                 {time_scale}, the largest at which this machine carries every variant on time \
                 ({}), above the limit of {limit:.0} s (--max-wall): give --max-wall {max_wall}, \
                 or pick variants with --variant",
                pace.capacity.describe(),
            ),
            _ => format!(
                "the variants together take {wall_s:.0} s of wall time at --time-scale \
                 {time_scale}, above the limit of {limit:.0} s (--max-wall); raise --time-scale \
                 or --max-wall, pick variants with --variant or shorten `duration`"
            ),
        };
        return refused(why);
    }
    let open_files = live::raise_open_files_limit();
    for v in variants {
        let too_many_files =
            || open_files.and_then(|limit| live::too_many_files(&v.name, &v.scenario, limit));
        let why = live::refuse(&v.name, &v.scenario, time_scale, pace.max_wall_s);
        if let Some(why) = why.or_else(too_many_files) {
            return refused(why);
        }
    }
    Ok(choice)
}

/// Runs every variant on a live cluster, in turn. Ctrl-C, during a variant or between two, stops
/// the cluster and returns `Interrupted`.
fn run_live(
    variants: &[&Variant],
    pace: &Pace,
    choice: &StoreChoice,
    front: BalancerChoice,
    quiet: bool,
) -> Result<Vec<LiveRun>> {
    let time_scale = pace.time_scale;
    // Ctrl-C sets the flag and wakes the variant running (or the next one to start).
    crate::interrupt::install();
    let runtime = live::cluster_runtime()?;
    let bars = variants
        .iter()
        .map(|v| (v.name.clone(), v.scenario.duration_us / 1_000_000))
        .collect();
    let progress = Progress::with_bars(bars, quiet);
    // Where the cluster listens is printed above the bars, through them: a line written to
    // standard error beside them would interleave with their redrawing.
    let announce = |line: &str| progress.println(&format!("{line}\n"));
    let mut results = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        if crate::interrupt::requested() {
            break;
        }
        if !quiet {
            progress.println(&notices(v, time_scale, choice, &pace.capacity));
        }
        // On Ctrl-C the run stops its timeline and cleans up as at its end (a managed Redis is
        // stopped and waited for, keys in someone else's Redis are removed).
        let outcome = runtime.block_on(live::run_variant(
            &v.name,
            &v.scenario,
            time_scale,
            choice,
            front,
            live::Watch {
                announce: (!quiet).then_some(&announce as &dyn Fn(&str)),
                stop: crate::interrupt::notified(),
                progress: &|at| progress.set(i, at),
            },
        ));
        if crate::interrupt::requested() {
            break;
        }
        let run = outcome?;
        for warning in &run.warnings {
            // Through `status`: a closed standard error must not end the run.
            progress.println(&format!("warning: variant {}: {warning}\n", v.name));
        }
        results.push(run);
    }
    progress.clear();
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    if crate::interrupt::requested() {
        return Err(Interrupted.into());
    }
    Ok(results)
}

/// What `live` says before it runs a variant: its length in wall time, and warnings when the
/// machine will not carry it on time or its store events cannot act on an external Redis.
fn notices(v: &Variant, time_scale: f64, choice: &StoreChoice, capacity: &Capacity) -> String {
    let sc = &v.scenario;
    let mut text = format!(
        "live: variant {} ({} + {}), {:.0} s of wall time\n",
        v.name,
        sc.balancer.policy.as_str(),
        sc.storage.as_str(),
        sc.duration_us as f64 / 1e6 / time_scale
    );
    let rate = live::wall_requests_per_s(sc, time_scale);
    if rate > capacity.on_time_requests_per_s() {
        text += &format!(
            "live: about {rate:.0} requests per wall second, more than this machine carries on \
             time ({}): latencies will include its own overload; a lower --time-scale measures \
             the scenario\n",
            capacity.describe()
        );
    }
    let store_events = sc.events.iter().any(|e| {
        matches!(
            e.action,
            Action::StoreCrash { .. } | Action::StoreRestart { .. }
        )
    });
    if store_events && matches!(choice, StoreChoice::Redis(_)) {
        text += "live: store_crash/store_restart events are not applicable to an external Redis \
                 (use --store redis-managed): they are recorded but do nothing\n";
    }
    text
}

/// The line under the live table: latency split into the servers' part and the HTTP hops.
fn latency_split(runs: &[LiveRun]) -> String {
    let mut out = String::from(
        "latency inside the servers (what the model calls latency) and added by the HTTP hops, \
         simulated ms:\n",
    );
    for r in runs {
        let f = |us: Option<u64>| us.map_or("-".into(), |u| format!("{:.1}", u as f64 / 1000.0));
        out += &format!(
            "  {}: inside p50 {} p99 {} (of which beyond the model's service and store times p50 {} p99 {}); \
             hops p50 {} p99 {}\n",
            r.result.variant,
            f(r.at_server.p50_us),
            f(r.at_server.p99_us),
            f(r.late.p50_us),
            f(r.late.p99_us),
            f(r.hops.p50_us),
            f(r.hops.p99_us)
        );
    }
    out
}

/// Runs `tiersim live`.
pub fn run(args: &LiveArgs) -> Result<()> {
    let experiment = args.common.load(&[])?;
    let wall = live::DEFAULT_MAX_WALL_S;
    let Some(plan) = Plan::new(
        &experiment,
        &args.common,
        &args.pace,
        &args.front,
        &args.store,
        wall,
    )?
    else {
        return Ok(());
    };
    let Plan {
        variants,
        pace,
        front,
        choice,
    } = plan;
    let time_scale = pace.time_scale;
    let name = format!("{}-live", experiment.name);
    super::simulate::check_out(&args.output.out, &name)?;
    if pace.chosen && !args.quiet {
        super::status(&pace.chosen_line(&variants));
    }
    if let Some(busy) = busy_machine().filter(|_| !args.quiet) {
        super::status(&busy);
    }
    let live_runs = run_live(&variants, &pace, &choice, front, args.quiet)?;
    let results: Vec<RunResult> = live_runs.iter().map(|r| r.result.clone()).collect();
    let seed = variants.first().map_or(0, |v| v.scenario.seed);
    let runs = Runs {
        seeds: vec![seed],
        by_replication: vec![results],
        traces: Vec::new(),
    };
    let shown = as_measured(&experiment, time_scale, &choice, front, &live_runs);
    let mut out_files = run_files(&shown, &runs, args.no_charts)?;
    out_files.extend(live_runs.iter().filter_map(|r| {
        let config = r.haproxy_config.clone()?;
        Some(files::OutputFile {
            name: format!("haproxy-{}.cfg", r.result.variant),
            bytes: config.into_bytes(),
        })
    }));
    let folder = files::write_folder(&args.output.out, &name, &out_files)?;
    let mut out = std::io::stdout().lock();
    if !args.quiet {
        writeln!(
            out,
            "{} (live, --time-scale {}, store {}{})\n",
            experiment.title,
            time_scale,
            choice.label(),
            balancer_label(front)
        )?;
    }
    let width = super::terminal_width();
    write!(out, "{}", table::render(&runs.by_variant(), width))?;
    if !args.quiet {
        write!(out, "\n{}", latency_split(&live_runs))?;
        out.flush()?;
        super::status(&format!("\nwrote {}\n", folder.display()));
    }
    Ok(())
}

/// The experiment as the live report presents it: measured on the live cluster, and how its
/// latency splits.
fn as_measured(
    experiment: &Experiment,
    time_scale: f64,
    choice: &StoreChoice,
    front: BalancerChoice,
    live_runs: &[LiveRun],
) -> Experiment {
    let mut shown = experiment.clone();
    shown.title = format!(
        "{} (live cluster, --time-scale {}, store {}{})",
        experiment.title,
        time_scale,
        choice.label(),
        balancer_label(front)
    );
    shown.description = format!(
        "{}\n\nMeasured on a real cluster on one machine (HTTP servers, a balancer, a \
         session store and the scenario's users, on 127.0.0.1), from what the clients saw, \
         in simulated time (wall time × {}). Its latency includes two HTTP hops the model \
         does not have. {}",
        experiment.description.trim_end(),
        time_scale,
        latency_split(live_runs).replace('\n', " ")
    );
    shown
}

/// How the titles name a balancer other than the built-in one.
fn balancer_label(front: BalancerChoice) -> &'static str {
    match front {
        BalancerChoice::Builtin => "",
        BalancerChoice::Haproxy => ", balancer haproxy",
    }
}

/// A warning when the one-minute load average is above the cores before the live runs: other
/// work then competes with the cluster, and the burst's cost per request cannot see it.
fn busy_machine() -> Option<String> {
    busy_note(&load_average()?, live::cores())
}

/// [`busy_machine`]'s warning for a load average as `/proc/loadavg` writes it.
fn busy_note(load: &str, cores: usize) -> Option<String> {
    let busy = load.parse::<f64>().is_ok_and(|l| l > cores as f64);
    busy.then(|| {
        format!(
            "live: load average {load} on {cores} cores before the live runs: other work \
             competes with the cluster (the measured cost of a request cannot see it), so its \
             latencies may measure the machine; a quiet machine or a smaller --time-scale \
             measures the scenario\n"
        )
    })
}

/// The one-minute load average (Linux `/proc/loadavg`), as written there.
fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next().map(str::to_string)
}

/// Runs `tiersim validate`.
pub fn validate(args: &ValidateArgs) -> Result<()> {
    let experiment = args.common.load(&[])?;
    let wall = live::VALIDATE_MAX_WALL_S;
    let Some(plan) = Plan::new(
        &experiment,
        &args.common,
        &args.pace,
        &args.front,
        &args.store,
        wall,
    )?
    else {
        return Ok(());
    };
    let Plan {
        variants,
        pace,
        front,
        choice,
    } = plan;
    let time_scale = pace.time_scale;
    if pace.chosen {
        super::status(&pace.chosen_line(&variants));
    }
    crate::interrupt::install();
    let sim =
        runner::run(&variants, 1, &|_, _, _| !crate::interrupt::requested()).ok_or(Interrupted)?;
    check_books(&sim)?;
    if let Some(busy) = busy_machine() {
        super::status(&busy);
    }
    let load_before = load_average();
    let live = run_live(&variants, &pace, &choice, front, false)?;
    let load_after = load_average();
    let rows = validate::compare(&sim.by_replication[0], &live, time_scale);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: simulation vs live cluster (--time-scale {}, store {}{})\n",
        experiment.name,
        time_scale,
        choice.label(),
        balancer_label(front)
    )?;
    write!(out, "{}", validate::render(&rows))?;
    write!(out, "\n{}", latency_split(&live))?;
    write!(
        out,
        "{}",
        validate::remapping(&variants, &sim.by_replication[0], &live)
    )?;
    if let (Some(before), Some(after)) = (load_before, load_after) {
        let cores = live::cores();
        writeln!(out, "{}", validate::machine_note(cores, &before, &after))?;
    }
    write!(out, "{}", validate::verdict(&rows))?;
    out.flush()?;
    match validate::disagreements(&rows) {
        0 => Ok(()),
        n => Err(Disagrees(n).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::busy_note;

    #[test]
    fn a_load_above_the_cores_is_a_warning_and_one_below_is_not() {
        assert_eq!(busy_note("1.95", 2), None);
        assert_eq!(busy_note("2.00", 2), None);
        let note = busy_note("7.87", 2).expect("busy");
        assert!(
            note.starts_with("live: load average 7.87 on 2 cores before the live runs"),
            "{note}"
        );
        assert_eq!(busy_note("7.87", 8), None);
        assert_eq!(busy_note("-", 2), None);
    }
}
