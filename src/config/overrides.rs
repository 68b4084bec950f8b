//! Overrides: a variant's `set` table and the command line's `--set KEY=VALUE` arguments, each a
//! dotted key and a TOML value that replaces the file's before the raw structs are read.
//!
//! Keys are checked once, when the overrides are collected (an unknown key is reported with a
//! did-you-mean and dropped); values are checked later with everything else, and since each keeps
//! the span where it was written, a bad value is reported there, not at the key it replaces.

use std::borrow::Cow;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::Report;
use super::locate::Locator;
use super::raw;
use super::schema::{check_override, join};

/// One value to write into the document.
pub(super) struct Override<'i> {
    /// The dotted key, known to be overridable.
    path: String,
    /// Where the key is written.
    key_span: Range<usize>,
    /// The value, with the span where it is written.
    value: Spanned<DeValue<'i>>,
}

/// The overrides in the `set` of variant `index` of `doc`. Nested tables become dotted keys, so
/// `set = { servers = { count = 2 } }` means `set = { "servers.count" = 2 }`.
pub(super) fn from_set<'i>(
    doc: &DeTable<'i>,
    index: usize,
    report: &mut Report<'_>,
) -> Vec<Override<'i>> {
    let Some(set) = variant_set(doc, index) else {
        return Vec::new();
    };
    let mut spelled = Vec::new();
    flatten(set, "", "", &mut spelled);
    let place = format!("variants[{index}].set");
    let mut entries: Vec<Override<'i>> = Vec::new();
    let mut spellings: Vec<String> = Vec::new();
    for (entry, spelling) in spelled {
        if let Err(message) = check_override(&entry.path) {
            report.add(entry.key_span.clone(), place.as_str(), message);
        } else if let Some(first) = entries.iter().position(|e| e.path == entry.path) {
            let message = format!(
                "`{}` is given twice, as {} and as {}; give it once",
                entry.path, spellings[first], spelling
            );
            report.add(entry.key_span.clone(), place.as_str(), message);
        } else {
            entries.push(entry);
            spellings.push(spelling);
        }
    }
    entries
}

/// `doc.variants[index].set`, if it is a table.
fn variant_set<'d, 'i>(doc: &'d DeTable<'i>, index: usize) -> Option<&'d DeTable<'i>> {
    let DeValue::Array(variants) = doc.get("variants")?.get_ref() else {
        return None;
    };
    let DeValue::Table(variant) = variants.get(index)?.get_ref() else {
        return None;
    };
    match variant.get("set")?.get_ref() {
        DeValue::Table(set) => Some(set),
        _ => None,
    }
}

/// Appends the leaves of `table` under `prefix` as overrides, each with its key as written
/// under `spelled` (`"servers.count"` as a quoted key, `servers.count` through tables).
fn flatten<'i>(
    table: &DeTable<'i>,
    prefix: &str,
    spelled: &str,
    out: &mut Vec<(Override<'i>, String)>,
) {
    for (key, value) in table.iter() {
        let path = join(prefix, key.get_ref());
        let part = match key.get_ref().contains('.') {
            true => format!("\"{}\"", key.get_ref()),
            false => key.get_ref().to_string(),
        };
        let spelling = join(spelled, &part);
        match value.get_ref() {
            DeValue::Table(inner) => flatten(inner, &path, &spelling, out),
            _ => {
                let entry = Override {
                    path,
                    key_span: key.span(),
                    value: value.clone(),
                };
                let kind = match spelling.contains('"') {
                    true => "the quoted key",
                    false => "the nested key",
                };
                out.push((entry, format!("{kind} `{spelling}`")));
            }
        }
    }
}

/// The `--set` arguments whose key some variant's `set` also gives (or a key above or below it):
/// each flag as written and the names of those variants, in the order of the flags. The flag
/// wins in every variant, so what told those variants apart in that key is gone.
pub(super) fn erased(doc: &DeTable<'_>, flags: &[String]) -> Vec<(String, Vec<String>)> {
    let count = match doc.get("variants").map(Spanned::get_ref) {
        Some(DeValue::Array(variants)) => variants.len(),
        _ => 0,
    };
    let sets: Vec<(String, Vec<String>)> = (0..count)
        .map(|index| {
            let mut spelled = Vec::new();
            if let Some(set) = variant_set(doc, index) {
                flatten(set, "", "", &mut spelled);
            }
            let paths = spelled.into_iter().map(|(o, _)| o.path).collect();
            (variant_name(doc, index), paths)
        })
        .collect();
    let overlaps = |a: &str, b: &str| {
        a == b || a.starts_with(&format!("{b}.")) || b.starts_with(&format!("{a}."))
    };
    flags
        .iter()
        .filter_map(|flag| {
            let key = flag.split_once('=')?.0.trim();
            let names: Vec<String> = sets
                .iter()
                .filter(|(_, paths)| paths.iter().any(|p| overlaps(p, key)))
                .map(|(name, _)| name.clone())
                .collect();
            (!names.is_empty()).then(|| (flag.clone(), names))
        })
        .collect()
}

/// The `name` of variant `index` as written, else `variants[index]`.
fn variant_name(doc: &DeTable<'_>, index: usize) -> String {
    let name = match doc.get("variants").map(Spanned::get_ref) {
        Some(DeValue::Array(variants)) => match variants.get(index).map(Spanned::get_ref) {
            Some(DeValue::Table(variant)) => variant.get("name").and_then(|n| match n.get_ref() {
                DeValue::String(s) => Some(s.to_string()),
                _ => None,
            }),
            _ => None,
        },
        _ => None,
    };
    name.unwrap_or_else(|| format!("variants[{index}]"))
}

/// The overrides of the `--set` arguments, with the synthetic spans of `locator`.
pub(super) fn from_flags<'f>(
    flags: &'f [String],
    locator: &Locator<'_>,
    report: &mut Report<'_>,
) -> Vec<Override<'f>> {
    let parsed = flags
        .iter()
        .enumerate()
        .map(|(index, flag)| from_flag(flag, locator.flag_start(index), report));
    parsed.flatten().collect()
}

/// One `--set KEY=VALUE` argument, placed at `start`. The value is TOML if it parses as TOML,
/// else the text itself as a string, so `--set balancer.policy=random` needs no quotes.
fn from_flag<'f>(flag: &'f str, start: usize, report: &mut Report<'_>) -> Option<Override<'f>> {
    let whole = start..start + flag.len();
    let Some((key, text)) = flag
        .split_once('=')
        .filter(|(key, _)| !key.trim().is_empty())
    else {
        report.add(whole, "", "expected KEY=VALUE, e.g. --set servers.count=8");
        return None;
    };
    let path = key.trim();
    if let Err(message) = check_override(path) {
        report.add(whole, "", message);
        return None;
    }
    // Spans inside the parsed value count from the start of the trimmed text.
    let offset = start + key.len() + 1 + (text.len() - text.trim_start().len());
    let text = text.trim();
    let mut value = match DeValue::parse(text) {
        Ok(value) => shifted(value.into_inner(), offset),
        Err(_) => DeValue::String(Cow::Borrowed(text)),
    };
    raw::tag_too_large(&mut value);
    let value_span = start + key.len() + 1..whole.end;
    Some(Override {
        path: path.to_string(),
        key_span: start..start + key.len(),
        value: Spanned::new(value_span, value),
    })
}

/// `value` with every span inside it (the items of an array, the keys and values of a table)
/// moved by `offset`, so that a problem deep inside a `--set` value (`users.profile=[1]`) is
/// placed on that argument, not at the same offset of the file.
fn shifted(value: DeValue<'_>, offset: usize) -> DeValue<'_> {
    let moved = |span: Range<usize>| span.start + offset..span.end + offset;
    match value {
        DeValue::Array(items) => {
            DeValue::Array(items.into_iter().map(|item| shift(item, offset)).collect())
        }
        DeValue::Table(table) => DeValue::Table(
            table
                .into_iter()
                .map(|(key, item)| {
                    let key = Spanned::new(moved(key.span()), key.into_inner());
                    (key, shift(item, offset))
                })
                .collect(),
        ),
        other => other,
    }
}

/// `item` and everything inside it moved by `offset`.
fn shift(item: Spanned<DeValue<'_>>, offset: usize) -> Spanned<DeValue<'_>> {
    let span = item.span().start + offset..item.span().end + offset;
    Spanned::new(span, shifted(item.into_inner(), offset))
}

/// Writes the overrides into `doc`, in order (a later one wins), creating sections as needed.
pub(super) fn apply<'i>(doc: &mut DeTable<'i>, overrides: &[Override<'i>]) {
    for entry in overrides {
        let (table, key) = match entry.path.split_once('.') {
            None => (Some(&mut *doc), entry.path.as_str()),
            Some((section, key)) => (section_table(doc, section, entry.value.span()), key),
        };
        // The shape check made every existing section a table, so `None` cannot happen here.
        if let Some(table) = table {
            table.insert(
                Spanned::new(entry.key_span.clone(), Cow::Owned(key.to_string())),
                entry.value.clone(),
            );
        }
    }
}

/// The table of `section` in `doc`, created (at `span`) if absent.
fn section_table<'d, 'i>(
    doc: &'d mut DeTable<'i>,
    section: &str,
    span: Range<usize>,
) -> Option<&'d mut DeTable<'i>> {
    let key = Spanned::new(span.clone(), Cow::Owned(section.to_string()));
    let value = doc
        .entry(key)
        .or_insert_with(|| Spanned::new(span, DeValue::Table(DeTable::new())));
    match value.get_mut() {
        DeValue::Table(table) => Some(table),
        _ => None,
    }
}
