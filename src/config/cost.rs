//! The `[cost]` table: what one web server and one store machine cost per hour, and the currency
//! the prices are in.
//!
//! The defaults are on-demand prices of a small cloud VM and of a small managed cache node in the
//! same size class (see `docs/model.md`, "Cost", for where the figures come from).

use super::check::{Checker, Least};
use super::raw::{Field, RawCost, RawValue};
use crate::scenario::Cost;

/// Default `cost.server_per_hour`: an on-demand small VM (AWS EC2 t3.medium, Linux, US East).
pub const SERVER_PER_HOUR: f64 = 0.0416;
/// Default `cost.store_per_hour`: an on-demand small managed cache node (AWS ElastiCache
/// cache.t3.medium, US East).
pub const STORE_PER_HOUR: f64 = 0.068;
/// Default `cost.currency`.
pub const CURRENCY: &str = "USD";
/// Highest price per hour accepted (a machine costing more is a typo).
const MOST_PER_HOUR: f64 = 1e6;
/// Longest currency name, in characters.
const MOST_CURRENCY_CHARS: usize = 8;

/// `[cost]`.
pub(super) fn cost(c: &mut Checker<'_, '_>, raw: &RawCost) -> Option<Cost> {
    let server_per_hour = c.number(
        "cost.server_per_hour",
        &raw.server_per_hour,
        SERVER_PER_HOUR,
        Least::Zero,
        MOST_PER_HOUR,
    );
    let store_per_hour = c.number(
        "cost.store_per_hour",
        &raw.store_per_hour,
        STORE_PER_HOUR,
        Least::Zero,
        MOST_PER_HOUR,
    );
    let currency = currency(c, &raw.currency);
    Some(Cost {
        server_per_hour: server_per_hour?,
        store_per_hour: store_per_hour?,
        currency: currency?,
    })
}

/// `cost.currency`: 1 to 8 characters, no space or control character (`USD`, `EUR`, `€`).
fn currency(c: &mut Checker<'_, '_>, field: &Field) -> Option<String> {
    let text = c.text("cost.currency", field, CURRENCY)?;
    let fits = (1..=MOST_CURRENCY_CHARS).contains(&text.chars().count())
        && !text.chars().any(|ch| ch.is_whitespace() || ch.is_control());
    if fits {
        return Some(text);
    }
    let span = field.as_ref().map_or(0..0, |f| f.span());
    let shown = match field.as_ref().map(|f| f.get_ref()) {
        Some(RawValue::Str(s)) => format!("{s:?}"),
        _ => String::new(),
    };
    let message = format!(
        "must be 1 to {MOST_CURRENCY_CHARS} characters without spaces (a code such as \"USD\" or a \
         symbol such as \"€\"), got {shown}"
    );
    c.problem(span, "cost.currency", message);
    None
}
