//! The keys a scenario file may hold, and the first check of a parsed document against them.
//!
//! [`check_document`] walks the TOML tree before serde sees it: it reports every unknown key (with
//! the allowed ones and a did-you-mean) and drops it, so one run shows all typos and the later
//! checks still run; and it reports values of the wrong shape (a section that is not a table,
//! `events` that is not an array of tables), after which the file is not read further.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::error::Report;
use super::raw;

/// The keys at the top of the file, in documentation order.
pub(super) const TOP: &[&str] = &[
    "name",
    "title",
    "description",
    "seed",
    "duration",
    "warmup",
    "bucket",
    "clock_start",
    "users",
    "servers",
    "balancer",
    "sessions",
    "store",
    "autoscale",
    "failures",
    "cost",
    "datacenters",
    "geo",
    "events",
    "variants",
];

/// The top keys that describe the experiment as a whole: no variant or `--set` may change them.
const EXPERIMENT: &[&str] = &["name", "title", "description"];

/// The top keys that a variant or `--set` may change.
const SCENARIO_TOP: &[&str] = &["seed", "duration", "warmup", "bucket", "clock_start"];

/// Each section and its keys, in documentation order.
pub(super) const SECTIONS: &[(&str, &[&str])] = &[
    (
        "users",
        &[
            "visits_per_s",
            "requests_per_visit",
            "think_time",
            "session_ttl",
            "population",
            "popularity",
            "zipf_s",
            "profile",
        ],
    ),
    (
        "servers",
        &[
            "count",
            "workers",
            "service_time",
            "login_time",
            "queue_limit",
        ],
    ),
    ("balancer", &["policy", "virtual_nodes", "detection_delay"]),
    (
        "sessions",
        &[
            "storage",
            "copy_time",
            "verify_time",
            "replication",
            "replication_lag",
            "global_store",
        ],
    ),
    (
        "store",
        &[
            "kind",
            "workers",
            "read_time",
            "write_time",
            "network_time",
            "durable",
            "nodes",
            "replicas",
            "max_sessions",
            "queue_limit",
        ],
    ),
    (
        "autoscale",
        &[
            "min",
            "max",
            "target_busy",
            "interval",
            "cooldown",
            "boot_time",
            "scale_in",
            "drain_timeout",
        ],
    ),
    ("failures", &["mtbf", "mttr", "store_mtbf", "store_mttr"]),
    ("cost", &["server_per_hour", "store_per_hour", "currency"]),
    (
        "geo",
        &["rtt_local", "rtt_remote", "detection_delay", "dns_ttl"],
    ),
];

/// The keys of one `[[events]]` table.
pub(super) const EVENT: &[&str] = &["at", "action", "server", "count", "node", "datacenter"];

/// The keys of one `[[datacenters]]` table.
pub(super) const DATACENTER: &[&str] = &["name", "users_share", "servers"];

/// The keys of one `[[variants]]` table.
pub(super) const VARIANT: &[&str] = &["name", "set"];

/// Checks the document's keys and shape. Unknown keys are reported and removed; the result is
/// `false` if a value has a shape that the rest of the parse cannot read (already reported).
pub(super) fn check_document(doc: &mut DeTable<'_>, report: &mut Report<'_>) -> bool {
    for (_, value) in doc.iter_mut() {
        raw::tag_too_large(value.get_mut());
    }
    remove_unknown(doc, "", TOP, report);
    let mut readable = true;
    for &(section, keys) in SECTIONS {
        let Some(value) = doc.get_mut(section) else {
            continue;
        };
        let (span, found) = (value.span(), kind(value.get_ref()));
        match value.get_mut() {
            DeValue::Table(table) => remove_unknown(table, section, keys, report),
            _ => {
                report.add(
                    span,
                    section,
                    format!("expected a table (a [{section}] section), got {found}"),
                );
                readable = false;
            }
        }
    }
    readable &= check_array(doc, "datacenters", DATACENTER, report);
    readable &= check_array(doc, "events", EVENT, report);
    readable &= check_array(doc, "variants", VARIANT, report);
    readable
}

/// Checks that `doc[key]`, if present, is an array of tables with only `allowed` keys, and that
/// their `set`, if any, is a table.
fn check_array(
    doc: &mut DeTable<'_>,
    key: &str,
    allowed: &[&str],
    report: &mut Report<'_>,
) -> bool {
    let Some(value) = doc.get_mut(key) else {
        return true;
    };
    let (span, found) = (value.span(), kind(value.get_ref()));
    let DeValue::Array(items) = value.get_mut() else {
        report.add(
            span,
            key,
            format!("expected an array of tables ([[{key}]]), got {found}"),
        );
        return false;
    };
    let mut readable = true;
    for (index, item) in items.iter_mut().enumerate() {
        let path = format!("{key}[{index}]");
        let (span, found) = (item.span(), kind(item.get_ref()));
        let DeValue::Table(table) = item.get_mut() else {
            report.add(span, path, format!("expected a table, got {found}"));
            readable = false;
            continue;
        };
        remove_unknown(table, &path, allowed, report);
        if let Some(set) = table
            .get("set")
            .filter(|set| !matches!(set.get_ref(), DeValue::Table(_)))
        {
            let message = format!(
                "expected a table of dotted keys, got {}",
                kind(set.get_ref())
            );
            report.add(set.span(), format!("{path}.set"), message);
            readable = false;
        }
    }
    readable
}

/// Reports and removes the keys of `table` that are not `allowed`.
fn remove_unknown(
    table: &mut DeTable<'_>,
    prefix: &str,
    allowed: &[&str],
    report: &mut Report<'_>,
) {
    let unknown: Vec<(String, Range<usize>)> = table
        .iter()
        .filter(|(key, _)| !allowed.contains(&key.get_ref().as_ref()))
        .map(|(key, _)| (key.get_ref().to_string(), key.span()))
        .collect();
    for (key, span) in unknown {
        report.add(span, join(prefix, &key), unknown_key(&key, allowed));
        table.remove(key.as_str());
    }
}

/// `prefix.key`, or `key` at the top.
pub(super) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// The message for an unknown `key` where `allowed` are allowed.
fn unknown_key(key: &str, allowed: &[&str]) -> String {
    let mut message = format!("unknown key; allowed: {}", allowed.join(", "));
    if let Some(close) = suggest(key, allowed) {
        message.push_str(&format!(" (did you mean `{close}`?)"));
    } else if let Some(sections) = sections_with(key, allowed) {
        message.push_str(&format!(" (`{key}` is a key of {sections})"));
    }
    message
}

/// The sections other than the one of `allowed` that have `key`: `[servers], [store]`.
fn sections_with(key: &str, allowed: &[&str]) -> Option<String> {
    let sections: Vec<String> = SECTIONS
        .iter()
        .filter(|(_, keys)| keys.contains(&key) && *keys != allowed)
        .map(|(section, _)| format!("[{section}]"))
        .collect();
    (!sections.is_empty()).then(|| sections.join(", "))
}

/// Checks the dotted key of a `set` entry or a `--set` argument; the error says why it cannot be
/// overridden.
pub(super) fn check_override(path: &str) -> Result<(), String> {
    let overridable = overridable();
    if overridable.iter().any(|key| key == path) {
        return Ok(());
    }
    if EXPERIMENT.contains(&path) {
        return Err(format!(
            "`{path}` belongs to the whole experiment and cannot be overridden"
        ));
    }
    if path == "events" || path == "variants" || path == "datacenters" {
        return Err(format!(
            "`{path}` cannot be overridden; only single values can"
        ));
    }
    if let Some((_, keys)) = SECTIONS.iter().find(|(section, _)| *section == path) {
        return Err(format!(
            "`{path}` is a section; set one of its keys, e.g. `{path}.{}`",
            keys[0]
        ));
    }
    let candidates: Vec<&str> = overridable.iter().map(String::as_str).collect();
    Err(match suggest(path, &candidates) {
        Some(close) => format!("unknown key `{path}` (did you mean `{close}`?)"),
        None => format!(
            "unknown key `{path}`; keys that can be set: {}, or a key of {}",
            SCENARIO_TOP.join(", "),
            SECTIONS
                .iter()
                .map(|(section, _)| format!("{section}.*"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// Every key a `set` or `--set` may override, dotted, in documentation order.
pub(super) fn overridable() -> Vec<String> {
    let top = SCENARIO_TOP.iter().map(|key| key.to_string());
    let nested = SECTIONS
        .iter()
        .flat_map(|(section, keys)| keys.iter().map(move |key| format!("{section}.{key}")));
    top.chain(nested).collect()
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo.
///
/// Two swapped neighbours count as one edit (optimal string alignment), since they are among the
/// commonest typos: `sede` is one edit from `seed`, not two.
pub(super) fn suggest<'k>(word: &str, candidates: &[&'k str]) -> Option<&'k str> {
    candidates
        .iter()
        .map(|candidate| (strsim::osa_distance(word, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= (word.len().max(candidate.len()) / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// The type of a TOML value, as messages name it: "an integer", "a table".
pub(super) fn kind(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(text) => raw::untag(text).map_or("a string", |number| number.kind()),
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_close_or_absent() {
        assert_eq!(suggest("servres", &["servers", "store"]), Some("servers"));
        assert_eq!(suggest("sede", &["seed", "duration"]), Some("seed"));
        assert_eq!(suggest("wokrers", &["workers", "count"]), Some("workers"));
        assert_eq!(suggest("x", &["at", "action"]), None);
        assert_eq!(suggest("banana", &["seed", "duration"]), None);
    }

    #[test]
    fn every_overridable_key_is_accepted_and_the_rest_say_why_not() {
        assert_eq!(
            overridable().len(),
            5 + SECTIONS.iter().map(|(_, keys)| keys.len()).sum::<usize>()
        );
        assert!(overridable().iter().all(|key| check_override(key).is_ok()));
        assert!(
            check_override("name")
                .unwrap_err()
                .contains("whole experiment")
        );
        assert!(
            check_override("events")
                .unwrap_err()
                .contains("cannot be overridden")
        );
        assert!(
            check_override("users")
                .unwrap_err()
                .contains("`users.visits_per_s`")
        );
        assert!(
            check_override("server.count")
                .unwrap_err()
                .contains("did you mean `servers.count`?")
        );
        assert!(
            check_override("zzz")
                .unwrap_err()
                .contains("keys that can be set: seed")
        );
    }
}
