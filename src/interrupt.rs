//! Ctrl-C and SIGTERM: one flag that every long phase of a command reads.
//!
//! [`install`] sets the handler once per process (`run`, `sweep`, `live` and `validate` all call
//! it); the handler only sets the flag and wakes a live run waiting on [`notified`]. Each phase
//! checks the flag often enough to answer within about 100 ms: the simulation every
//! `engine::PROGRESS_EVERY` events (through the runner's progress callback), the charts between
//! charts and between the series of one chart, the output files between two files and before
//! the folder swap, and the command between its phases. A phase that sees the flag stops with
//! [`Interrupted`] (exit status 130): the output folder is swapped in whole or not at all, so the
//! previous results stay as they were. From the simulation of `run` and `sweep` to their report,
//! where nothing is half-written, the signal's own thread ends the process at once
//! ([`NothingToLose`]): no phase there has to check the flag to answer within 100 ms.
//!
//! Nothing reads the flag unless [`install`] was called: library users and unit tests never see
//! it set. What is not covered: the consistent-hash ring is built before the simulation's first
//! check (a bucket sort: about 30 ms for 10,000 servers × 128 points).
//!
//! With `TIERSIM_PHASES` set in the environment, [`phase`] reports each phase on standard error
//! (`phase: charts`): the hook the tests and `benches/interrupt.sh` use to send a signal in a
//! given phase.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

/// Set by the signal handler.
static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Wakes a live run (or the next one to start) when the flag is set.
static NOTIFY: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// The user interrupted the command (Ctrl-C or a termination signal): exit status 130.
#[derive(Debug, thiserror::Error)]
#[error("interrupted: nothing was written")]
pub struct Interrupted;

/// Installs the handler of Ctrl-C and SIGTERM (once; later calls do nothing).
pub fn install() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        // Another handler set by the embedding program is left alone.
        let _ = ctrlc::set_handler(|| {
            REQUESTED.store(true, Ordering::SeqCst);
            // Keeps a permit when no live run is waiting, so a Ctrl-C between variants is kept.
            NOTIFY.notify_one();
            // Held while exiting: the command cannot leave its safe stretch meanwhile.
            let safe = AT_ONCE.lock().unwrap_or_else(|e| e.into_inner());
            if *safe {
                exit_interrupted();
            }
        });
    });
}

/// Whether the user asked to stop (one relaxed load: cheap enough for any loop).
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// `Err(Interrupted)` if the user asked to stop.
pub fn check() -> Result<(), Interrupted> {
    if requested() {
        Err(Interrupted)
    } else {
        Ok(())
    }
}

/// Whether a signal may end the process at once (see [`NothingToLose`]).
static AT_ONCE: Mutex<bool> = Mutex::new(false);

/// While one lives, a Ctrl-C or SIGTERM ends the process at once from the signal's thread, with
/// status 130 and the message `main` would print: for the command line's stretches where nothing
/// is half-written, no child process runs and no temporary file exists (a `run` or `sweep` from
/// its simulation to its report; the output folder's probe is made and removed before). The
/// command then answers in a few milliseconds whatever it is doing (building a ring, copying a
/// chart into the page) and does not free its results first. Dropping it waits for a signal
/// being answered, so the process cannot go on to write while it exits.
#[must_use = "the stretch ends when this is dropped"]
pub struct NothingToLose(());

impl NothingToLose {
    /// Starts a stretch where a signal ends the process at once (only once [`install`]ed).
    pub fn begin() -> Self {
        *AT_ONCE.lock().unwrap_or_else(|e| e.into_inner()) = true;
        exit_if_requested();
        NothingToLose(())
    }
}

impl Drop for NothingToLose {
    fn drop(&mut self) {
        *AT_ONCE.lock().unwrap_or_else(|e| e.into_inner()) = false;
    }
}

fn exit_interrupted() -> ! {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "error: {Interrupted}");
    std::process::exit(130);
}

/// Ends the process at once with status 130 (after the message `main` would print) if the user
/// asked to stop. For the command line's phases between the simulation and the writing (CSV,
/// charts, report), where nothing is half-written, no child process runs and no temporary file
/// exists: returning [`Interrupted`] from there would first free the results, the charts and
/// the page (hundreds of MB for a large run, tens of milliseconds), which the kernel does at
/// once on exit.
pub fn exit_if_requested() {
    if requested() {
        exit_interrupted();
    }
}

/// What a live run waits on to stop early.
pub fn notified() -> &'static tokio::sync::Notify {
    &NOTIFY
}

/// Reports that the command enters `name` (on standard error, only with `TIERSIM_PHASES` set).
pub fn phase(name: &str) {
    static REPORT: OnceLock<bool> = OnceLock::new();
    if *REPORT.get_or_init(|| std::env::var_os("TIERSIM_PHASES").is_some()) {
        use std::io::Write;
        let _ = writeln!(std::io::stderr().lock(), "phase: {name}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_requested_unless_a_signal_came() {
        assert!(!requested());
        assert!(check().is_ok());
    }
}
