//! The malformed scenario files of `tests/malformed/`: each is refused by `tiersim run` and
//! `tiersim check` with exit status 2, a message at the line of each mistake naming its key, no
//! panic and no output folder.
//!
//! Each file says what it expects in a header of comments:
//!
//! ```text
//! # expect: servers.count @ 7      (a message names `servers.count` at line 7; one per mistake)
//! # says: must be at least 1       (and some message says this)
//! ```
//!
//! The key is what the message names after `FILE:LINE:COLUMN:` (`invalid TOML` for a syntax
//! error; `invalid UTF-8` for a file not saved as UTF-8).

use crate::support::{Cli, scratch_dir};
use std::path::Path;

/// What one malformed file expects.
struct Case {
    /// Its path from the crate root, as messages show it (`tests/malformed/x.toml`).
    path: String,
    /// The keys and lines that messages must name.
    expects: Vec<(String, usize)>,
    /// Text that messages must contain.
    says: Vec<String>,
}

/// The malformed files, sorted, with their headers read.
fn cases() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/malformed exists")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".toml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(dir.join(&name)).unwrap();
            header(&format!("tests/malformed/{name}"), &bytes)
        })
        .collect()
}

/// Reads the header comments of one file (which are ASCII even when the rest is not UTF-8).
fn header(path: &str, bytes: &[u8]) -> Case {
    let text = String::from_utf8_lossy(bytes);
    let mut case = Case {
        path: path.to_string(),
        expects: Vec::new(),
        says: Vec::new(),
    };
    for line in text.lines().take_while(|line| line.starts_with('#')) {
        if let Some(expect) = line.strip_prefix("# expect: ") {
            let (key, at) = expect
                .rsplit_once(" @ ")
                .unwrap_or_else(|| panic!("{path}: `# expect: KEY @ LINE`, got {line:?}"));
            let at = at
                .parse()
                .unwrap_or_else(|_| panic!("{path}: bad line in {line:?}"));
            case.expects.push((key.to_string(), at));
        } else if let Some(says) = line.strip_prefix("# says: ") {
            case.says.push(says.to_string());
        }
    }
    assert!(
        !case.expects.is_empty(),
        "{path}: a malformed file states what it expects (`# expect: KEY @ LINE`)"
    );
    case
}

/// The expected keys and lines of `case` that `messages` (one per line) do not name: each needs
/// a message `PATH:LINE:COLUMN: KEY: ...`.
fn unnamed(case: &Case, messages: &str) -> Vec<String> {
    let mut missing = Vec::new();
    for (key, at) in &case.expects {
        let place = format!("{}:{at}:", case.path);
        let named = messages
            .lines()
            .any(|line| line.contains(&place) && line.contains(&format!(": {key}: ")));
        if !named {
            missing.push(format!("no message names `{key}` at {place}"));
        }
    }
    missing
}

/// The `says` of `case` that `messages` do not say.
fn unsaid(case: &Case, messages: &str) -> Vec<String> {
    let unsaid = case
        .says
        .iter()
        .filter(|says| !messages.contains(says.as_str()));
    unsaid
        .map(|says| format!("no message says {says:?}"))
        .collect()
}

#[test]
fn every_malformed_file_is_refused_with_its_key_and_line() {
    let cases = cases();
    let several = cases.iter().filter(|case| case.expects.len() > 1).count();
    assert!(
        cases.len() >= 50 && several >= 5,
        "{} files, {several} with several mistakes",
        cases.len()
    );
    let scratch = scratch_dir("malformed");
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let out = scratch.join(format!("out-{i}"));
        let out_arg = out.display().to_string();
        let run = Cli::new(&["run", &case.path, "--out", &out_arg]).expect_code(2);
        assert!(!out.exists(), "{}: no output folder is created", case.path);
        let check = Cli::new(&["check", &case.path]).expect_code(2);
        for (command, stderr) in [("run", &run.stderr), ("check", &check.stderr)] {
            let mut problems = unsaid(case, stderr);
            problems.extend(unnamed(case, stderr));
            for problem in problems {
                failures.push(format!("{} ({command}): {problem}\n{stderr}", case.path));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_empty_file_is_refused_for_its_missing_name() {
    // A file of zero bytes cannot carry a header, so it is written here.
    let dir = scratch_dir("malformed_empty");
    std::fs::write(dir.join("empty.toml"), "").unwrap();
    let run = Cli::new(&["run", "empty.toml", "--out", "out"])
        .in_dir(&dir)
        .expect_code(2);
    run.stderr_has(&["empty.toml:1:1: name: missing; every scenario needs one"]);
    assert!(!dir.join("out").exists());
    Cli::new(&["check", "empty.toml"])
        .in_dir(&dir)
        .expect_code(2)
        .stderr_has(&["empty.toml:1:1: name: missing"]);
}
