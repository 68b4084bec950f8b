//! `tiersim worksheet`: simulate every variant of a scenario once (its own seed, like `run`) and
//! write `<out>/<name>-worksheet/worksheet.html`, a printable "predict, then run" page
//! (`crate::worksheet`); the path written goes to standard error.

use super::simulate::{Bars, simulate};
use super::{OutputArgs, ScenarioArgs, select};
use crate::output::files;
use anyhow::Result;
use clap::Args;

/// Flags of `worksheet`.
#[derive(Debug, Args)]
pub struct WorksheetArgs {
    /// The scenario and what to change in it.
    #[command(flatten)]
    pub common: ScenarioArgs,
    /// Where to write (`<out>/<name>-worksheet/worksheet.html`).
    #[command(flatten)]
    pub output: OutputArgs,
    /// No progress bars and no chatter.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `tiersim worksheet`.
pub fn worksheet(args: &WorksheetArgs) -> Result<()> {
    let scenario = args.common.read()?;
    let experiment = args.common.parse(&scenario, &[])?;
    let variants = select(&experiment, &args.common.variants)?;
    let name = format!("{}-worksheet", experiment.name);
    let (runs, _) = simulate(
        (&args.output.out, &name),
        &[&experiment],
        &variants,
        1,
        args.quiet,
        Bars::PerVariant,
        None,
    )?;
    let page = crate::worksheet::html(&experiment, &runs.by_replication[0]);
    let file = files::OutputFile {
        name: "worksheet.html".into(),
        bytes: page.into_bytes(),
    };
    let folder = files::write_folder(&args.output.out, &name, &[file])?;
    if !args.quiet {
        super::status(&format!(
            "wrote {}\n",
            folder.join("worksheet.html").display()
        ));
    }
    Ok(())
}
