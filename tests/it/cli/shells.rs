//! `--version`, `completions` and `man`: what a newcomer installs beside the binary.

use crate::support::{Cli, scratch_dir};

/// Every subcommand, as the completions and the man page must name them.
const SUBCOMMANDS: [&str; 10] = [
    "run",
    "sweep",
    "merge",
    "check",
    "list",
    "live",
    "validate",
    "worksheet",
    "completions",
    "man",
];

#[test]
fn version_prints_the_crate_version() {
    // Test builds carry the version alone; release builds from a checkout add the commit.
    let ran = Cli::new(&["--version"]).expect_code(0);
    assert_eq!(
        ran.stdout,
        format!("tiersim {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn bash_completions_parse_with_bash_n_and_name_every_subcommand() {
    let ran = Cli::new(&["completions", "bash"]).expect_code(0);
    let dir = scratch_dir("completions_bash");
    let script = dir.join("tiersim.bash");
    std::fs::write(&script, &ran.stdout).unwrap();
    let parsed = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("bash runs");
    assert!(
        parsed.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    for sub in SUBCOMMANDS {
        assert!(
            ran.stdout.contains(&format!("tiersim__subcmd__{sub}")),
            "{sub}"
        );
    }
}

#[test]
fn every_shell_gets_completions_and_an_unknown_shell_is_bad_input() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let ran = Cli::new(&["completions", shell]).expect_code(0);
        assert!(ran.stdout.contains("tiersim"), "{shell}");
        assert!(ran.stdout.contains("validate"), "{shell}");
    }
    Cli::new(&["completions", "tcsh"])
        .expect_code(2)
        .stderr_has(&["tcsh", "bash", "elvish"]);
}

#[test]
fn the_man_page_starts_with_th_and_names_every_subcommand() {
    let ran = Cli::new(&["man"]).expect_code(0);
    // After the preamble's string definitions (`.ie`, `.el`), the title.
    let first = ran
        .stdout
        .lines()
        .find(|l| !l.starts_with(".ie") && !l.starts_with(".el"));
    assert!(
        first.is_some_and(|l| l.starts_with(".TH tiersim 1")),
        "{first:?}"
    );
    for sub in SUBCOMMANDS {
        assert!(
            ran.stdout.contains(&format!("tiersim\\-{sub}")),
            "the man page names {sub}"
        );
    }
}
