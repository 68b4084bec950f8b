//! The `tiersim` binary: parses the command line, runs it, prints the error chain and picks the
//! exit status (0 success, 2 bad input, 130 interrupted by Ctrl-C or SIGTERM, 1 anything else).

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;
use tiersim::cli;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            // A standard error that cannot be written (`2>/dev/full`) must not turn the exit
            // status into a panic's: the message is dropped, the status stays.
            let _ = writeln!(std::io::stderr(), "error: {error:#}");
            ExitCode::from(cli::exit_code(&error) as u8)
        }
    }
}

/// A closed standard output (`tiersim list | head -1`) is not an error.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
