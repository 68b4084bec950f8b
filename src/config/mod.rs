//! Scenario files: the TOML text of an experiment in, a validated [`Experiment`] out, or every
//! problem found, each with its `file:line:column`, its dotted key and what is allowed.
//!
//! The format is documented key by key in `docs/scenario-format.md`. The parse runs in stages:
//!
//! 1. the `toml` crate parses the text into a tree whose values keep their byte spans (a syntax
//!    error stops the parse here);
//! 2. `schema` checks the tree's keys and shapes, reporting (and dropping) unknown keys;
//! 3. `overrides` collects each variant's `set` and the `--set` arguments;
//! 4. per variant, the overrides are written into a copy of the tree, `raw` reads it into serde
//!    structs that mirror the file, and `build` (with `check` and `timeline`) turns those into a
//!    `Scenario`, the one place where defaults and ranges live;
//! 5. the problems of all stages are reported together, each once, in file order.
//!
//! `locate` turns spans into places; `duration` parses `"250ms"` and friends. Nothing here reads
//! a file: the caller passes the text, and the name to show in messages.

mod build;
mod check;
mod cost;
mod duration;
mod error;
mod geo;
mod living;
mod locate;
mod overrides;
mod raw;
mod schema;
mod store;
#[cfg(test)]
mod tests;
mod timeline;

use toml::Spanned;
use toml::de::DeTable;

pub use check::MAX_NAME_BYTES;
pub use duration::{MAX_DURATION, format_duration, parse_duration};
pub use error::{ConfigError, Origin, Problem};

use crate::scenario::{Experiment, Scenario, Variant};
use error::Report;
use locate::Locator;
use overrides::Override;

/// Parses and validates a scenario file.
///
/// `source` is the file name to show in messages (e.g. `"scenarios/02-server-crash.toml"`),
/// `text` its contents, `overrides` the command line's `--set KEY=VALUE` strings (applied after
/// each variant's `set`, so they win), and `seed` the command line's `--seed` (which replaces the
/// file's seed in every variant).
pub fn parse(
    source: &str,
    text: &str,
    overrides: &[String],
    seed: Option<u64>,
) -> Result<Experiment, ConfigError> {
    let locator = Locator::new(source, text, overrides);
    let mut report = Report::new(&locator);
    let flags = overrides::from_flags(overrides, &locator, &mut report);
    let Some((doc, base)) = read_document(text, &mut report) else {
        return finish(report, None);
    };
    let head = build::head(&base, &mut report);
    let names = build::variant_names(&base, &mut report);
    let sets: Vec<Vec<Override<'_>>> = match base.variants.len() {
        0 => vec![Vec::new()],
        count => (0..count)
            .map(|index| overrides::from_set(doc.get_ref(), index, &mut report))
            .collect(),
    };
    let (scenarios, problems): (Vec<_>, Vec<_>) = sets
        .iter()
        .map(|set| build_variant(&doc, set, &flags, seed, &locator))
        .unzip();
    report.merge_variants(&names, problems);
    let experiment = head.and_then(|head| assemble(head, names, scenarios));
    finish(report, experiment)
}

/// One warning per `--set KEY=VALUE` whose key some variants' `set` also gives: the override
/// wins in every variant, so those variants no longer differ in that key, though they keep their
/// names (e.g. `--set balancer.policy=sticky` on a file whose `random` variant sets the policy).
/// None when the text does not parse (the parse itself reports that).
pub fn erased_differences(text: &str, overrides: &[String]) -> Vec<String> {
    let Ok(doc) = DeTable::parse(text) else {
        return Vec::new();
    };
    overrides::erased(doc.get_ref(), overrides)
        .into_iter()
        .map(|(flag, names)| {
            let (noun, verb) = match names.len() {
                1 => ("variant", "sets"),
                _ => ("variants", "set"),
            };
            let key = flag
                .split_once('=')
                .map_or(flag.as_str(), |(k, _)| k.trim());
            format!(
                "warning: --set {flag} overrides `{key}`, which the {noun} {} {verb}: in this \
                 run they all have the value of --set, so their difference in `{key}` is erased \
                 (they keep their names)",
                names.join(", ")
            )
        })
        .collect()
}

/// The text of a scenario file read as bytes, or a problem naming the place of the first byte
/// that is not UTF-8 (TOML files are UTF-8), so a file saved as Latin-1 is reported like any
/// other mistake: `file:line:column`, then what is wrong and what is allowed.
pub fn decode<'b>(source: &str, bytes: &'b [u8]) -> Result<&'b str, ConfigError> {
    let error = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(error) => error,
    };
    let at = error.valid_up_to();
    // The bytes before `at` are valid, so the place can be counted in them.
    let before = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
    let locator = Locator::new(source, before, &[]);
    let mut report = Report::new(&locator);
    let message = format!(
        "invalid UTF-8: byte 0x{:02x} is not UTF-8; scenario files are TOML, which must be saved as UTF-8",
        bytes[at]
    );
    report.add(at..at, "", message);
    Err(report.into_error())
}

/// Parses the text and checks its keys and shape: the tree (unknown keys removed) and the file
/// as written, without overrides. `None` if it cannot be read further.
fn read_document<'t>(
    text: &'t str,
    report: &mut Report<'_>,
) -> Option<(Spanned<DeTable<'t>>, raw::RawFile)> {
    let mut doc = match DeTable::parse(text) {
        Ok(doc) => doc,
        Err(error) => {
            let span = error.span().unwrap_or(0..0);
            report.add(span, "", format!("invalid TOML: {}", error.message()));
            return None;
        }
    };
    if !schema::check_document(doc.get_mut(), report) {
        return None;
    }
    let base = raw::read(doc.clone(), report)?;
    Some((doc, base))
}

/// Builds the scenario of one variant: the document with the variant's `set`, then the `--set`
/// overrides, written in. Returns it (if valid) and the problems found.
fn build_variant<'i>(
    doc: &Spanned<DeTable<'i>>,
    set: &[Override<'i>],
    flags: &[Override<'i>],
    seed: Option<u64>,
    locator: &Locator<'_>,
) -> (Option<Scenario>, Vec<Problem>) {
    let mut report = Report::new(locator);
    let mut tree = doc.clone();
    overrides::apply(tree.get_mut(), set);
    overrides::apply(tree.get_mut(), flags);
    let scenario =
        raw::read(tree, &mut report).and_then(|raw| build::scenario(&raw, seed, &mut report));
    (scenario, report.into_problems())
}

/// The experiment, if every variant's scenario is valid.
fn assemble(
    head: build::Head,
    names: Vec<String>,
    scenarios: Vec<Option<Scenario>>,
) -> Option<Experiment> {
    let variants = names.into_iter().zip(scenarios);
    let variants = variants.map(|(name, scenario)| {
        Some(Variant {
            name,
            scenario: scenario?,
        })
    });
    Some(Experiment {
        name: head.name,
        title: head.title,
        description: head.description,
        variants: variants.collect::<Option<_>>()?,
    })
}

/// The experiment if nothing is wrong, else every problem.
fn finish(
    mut report: Report<'_>,
    experiment: Option<Experiment>,
) -> Result<Experiment, ConfigError> {
    match experiment {
        Some(experiment) if report.is_clean() => Ok(experiment),
        _ => {
            if report.is_clean() {
                report.add(
                    0..0,
                    "",
                    "internal error: the scenario was refused without a reason; please report this",
                );
            }
            Err(report.into_error())
        }
    }
}
