//! `tiersim completions SHELL` and `tiersim man`: the shell completion script and the man page,
//! both generated from the command line's own definition and written to standard output.

use super::Cli;
use anyhow::{Context, Result};
use clap::{Args, CommandFactory};
use std::io::Write;

/// Flags of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Writes the completion script of `args.shell` to standard output.
pub fn completions(args: &CompletionsArgs) -> Result<()> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "tiersim", &mut script);
    write_out(&script)
}

/// Writes the man page (roff, section 1) to standard output: `tiersim man | man -l -`.
pub fn man() -> Result<()> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .context("rendering the man page")?;
    write_out(&page)
}

/// Writes `bytes` to standard output.
fn write_out(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .context("writing to standard output")
}
