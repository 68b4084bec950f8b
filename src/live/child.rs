//! Programs the live mode starts and owns (`redis-server`, `haproxy`): found on `PATH` or in the
//! system folders, and started so that they die with tiersim.
//!
//! Leaves out: what each program is for (`store.rs`, `haproxy.rs`).

use std::path::{Path, PathBuf};

/// Where `program` is: the first match on `PATH`, then `/usr/sbin` and `/sbin` (where Debian
/// installs `haproxy`, often not on a user's `PATH`).
pub fn find(program: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&paths)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// The command that starts `program` (a name to find, or a path) so that it dies with tiersim: through util-linux's
/// `setpriv --pdeathsig KILL` where it is installed (the kernel then kills it when the thread
/// that started it ends, even if tiersim itself is killed with SIGKILL), else directly. Setting
/// the parent-death signal from tiersim itself would need `pre_exec`, which is `unsafe` (and
/// this crate forbids unsafe code); `kill_on_drop`, which the callers set, covers every ending
/// of tiersim but SIGKILL. A `program` that is not installed is spawned directly, so that the
/// spawn fails with the caller's message.
pub fn command(program: impl AsRef<Path>) -> tokio::process::Command {
    let program = program.as_ref();
    let path = if program.components().count() > 1 {
        Some(program.to_path_buf())
    } else {
        program.to_str().and_then(find)
    };
    let setpriv = path.as_ref().and_then(|_| find("setpriv"));
    match (path, setpriv.filter(|_| cfg!(target_os = "linux"))) {
        (Some(path), Some(setpriv)) => {
            let mut command = tokio::process::Command::new(setpriv);
            command.args(["--pdeathsig", "KILL", "--"]).arg(path);
            command
        }
        (Some(path), None) => tokio::process::Command::new(path),
        (None, _) => tokio::process::Command::new(program),
    }
}
