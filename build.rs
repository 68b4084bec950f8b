//! Build script: `TIERSIM_VERSION`, what `tiersim --version` prints: the crate's version and, in
//! a release build made from a git checkout of tiersim, the commit (`git rev-parse --short
//! HEAD`), as `0.1.0 (commit 1a2b3c4)`. Without git, outside a checkout, or in a debug or test
//! build (so that a commit does not rebuild the crate for the tests), the version alone.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let version = std::env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");
    let release = std::env::var("PROFILE").as_deref() == Ok("release");
    match commit().filter(|_| release) {
        Some(commit) => {
            println!("cargo::rustc-env=TIERSIM_VERSION={version} (commit {commit})");
            rerun_on_new_commit();
        }
        None => println!("cargo::rustc-env=TIERSIM_VERSION={version}"),
    }
}

/// The short commit, if this crate's folder is the top of a git checkout.
fn commit() -> Option<String> {
    let top = git(&["rev-parse", "--show-toplevel"])?;
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").ok()?;
    let same =
        Path::new(&top).canonicalize().ok()? == Path::new(&manifest_dir).canonicalize().ok()?;
    if !same {
        return None;
    }
    git(&["rev-parse", "--short", "HEAD"])
}

/// A new commit or a checkout changes HEAD, the ref it names, or the packed refs.
fn rerun_on_new_commit() {
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    let paths = [
        git(&["rev-parse", "--git-path", "HEAD"]),
        git(&["rev-parse", "--git-path", "packed-refs"]),
        branch.and_then(|r| git(&["rev-parse", "--git-path", &r])),
    ];
    for path in paths.into_iter().flatten() {
        if Path::new(&path).exists() {
            println!("cargo::rerun-if-changed={path}");
        }
    }
}

/// What `git ARGS` prints (trimmed), if git runs and succeeds.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    (output.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}
