//! What a user can get wrong in a scenario, and where: [`ConfigError`] holds every problem found,
//! each with its place in the file (or the `--set` argument), the dotted key and a message.
//!
//! [`Report`] collects problems during a parse; it turns byte spans into places with a
//! [`Locator`] and keeps each problem once.

use std::fmt;
use std::ops::Range;

use super::locate::Locator;

/// Where a problem is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// In the scenario file.
    File {
        /// The file name given to [`parse`](super::parse).
        source: String,
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
    },
    /// In a `--set KEY=VALUE` argument of the command line.
    Flag {
        /// 0-based position among the `--set` arguments.
        index: usize,
        /// The argument as given (`servers.count=abc`).
        text: String,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File {
                source,
                line,
                column,
            } => write!(f, "{source}:{line}:{column}"),
            Origin::Flag { text, .. } => write!(f, "--set {text}"),
        }
    }
}

/// One mistake in a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where it is.
    pub origin: Origin,
    /// The dotted key it concerns (`servers.count`, `events[2].server`); empty for the whole file.
    pub path: String,
    /// What is wrong, and what is allowed.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.path.as_str() {
            "" => write!(f, "{}: {}", self.origin, self.message),
            path => write!(f, "{}: {path}: {}", self.origin, self.message),
        }
    }
}

/// A scenario that cannot be run: every problem found, in file order, then the `--set` ones.
#[derive(Debug, thiserror::Error)]
#[error("{}", lines(.problems))]
pub struct ConfigError {
    /// The problems, at least one.
    pub problems: Vec<Problem>,
}

/// The problems, one per line.
fn lines(problems: &[Problem]) -> String {
    let lines: Vec<String> = problems.iter().map(Problem::to_string).collect();
    lines.join("\n")
}

/// Collects the problems of one parse (or of one variant of it).
pub(super) struct Report<'a> {
    locator: &'a Locator<'a>,
    problems: Vec<Problem>,
}

impl<'a> Report<'a> {
    /// An empty report whose spans are resolved by `locator`.
    pub(super) fn new(locator: &'a Locator<'a>) -> Self {
        Report {
            locator,
            problems: Vec::new(),
        }
    }

    /// Records a problem at `span`, unless the same one is already recorded.
    pub(super) fn add(
        &mut self,
        span: Range<usize>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) {
        let problem = Problem {
            origin: self.locator.origin(span),
            path: path.into(),
            message: message.into(),
        };
        if !self.problems.contains(&problem) {
            self.problems.push(problem);
        }
    }

    /// Whether nothing is wrong so far.
    pub(super) fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// The problems so far, to merge into another report.
    pub(super) fn into_problems(self) -> Vec<Problem> {
        self.problems
    }

    /// Adds the problems of each variant (named by `names`). A problem found in some variants but
    /// not all says which ones, so that a file with ten variants reports a shared mistake once.
    pub(super) fn merge_variants(&mut self, names: &[String], per_variant: Vec<Vec<Problem>>) {
        let mut seen: Vec<(Problem, Vec<&str>)> = Vec::new();
        for (name, problems) in names.iter().zip(per_variant) {
            for problem in problems {
                match seen.iter_mut().find(|(known, _)| *known == problem) {
                    Some((_, variants)) => variants.push(name),
                    None => seen.push((problem, vec![name])),
                }
            }
        }
        for (mut problem, variants) in seen {
            if variants.len() < names.len() {
                problem.message.push_str(&in_variants(&variants));
            }
            if !self.problems.contains(&problem) {
                self.problems.push(problem);
            }
        }
    }

    /// The error holding every problem, sorted by place (file order, then the `--set` ones).
    pub(super) fn into_error(self) -> ConfigError {
        let mut problems = self.problems;
        problems.sort_by(|a, b| a.origin.cmp(&b.origin));
        ConfigError { problems }
    }
}

/// ` (in variant `a`)`, ` (in variants `a`, `b`)`.
fn in_variants(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    let noun = if names.len() == 1 {
        "variant"
    } else {
        "variants"
    };
    format!(" (in {noun} {})", quoted.join(", "))
}
