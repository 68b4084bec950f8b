//! The scenario file as written: serde structs that mirror its tables, before any check.
//!
//! Every key is optional here, `name` included, and every leaf is a [`RawValue`] of whatever TOML
//! type the file has, with its span: `build` checks types, units and ranges and reports all
//! mistakes together, instead of serde stopping at the first. Unknown keys are refused here too
//! (`deny_unknown_fields`), but `schema` has already reported and removed them, so serde fails
//! only on what the crate did not foresee.
//!
//! Numbers that no machine type holds (an integer beyond 128 bits, a float beyond `f64` such as
//! `1e400`) would stop serde; [`tag_too_large`] rewrites them first into tagged strings that read
//! back as [`RawValue::TooLarge`], so they are checked like any value and reported with the range
//! of their key.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::Report;

/// One optional leaf: what the file has for a key, if anything, and where.
pub(super) type Field = Option<Spanned<RawValue>>;

/// A whole scenario file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    /// String, `[a-z0-9-]+`; required.
    pub name: Field,
    /// String.
    pub title: Field,
    /// String.
    pub description: Field,
    /// Integer >= 0.
    pub seed: Field,
    /// Duration string.
    pub duration: Field,
    /// Duration string.
    pub warmup: Field,
    /// Duration string.
    pub bucket: Field,
    /// Integer hour 0..=23: the time of day at which the run starts (display only).
    pub clock_start: Field,
    /// `[users]`.
    #[serde(default)]
    pub users: RawUsers,
    /// `[servers]`.
    #[serde(default)]
    pub servers: RawServers,
    /// `[balancer]`.
    #[serde(default)]
    pub balancer: RawBalancer,
    /// `[sessions]`.
    #[serde(default)]
    pub sessions: RawSessions,
    /// `[store]`.
    #[serde(default)]
    pub store: RawStore,
    /// `[autoscale]`, if present.
    #[serde(default)]
    pub autoscale: Option<RawAutoscale>,
    /// `[failures]`.
    #[serde(default)]
    pub failures: RawFailures,
    /// `[cost]`.
    #[serde(default)]
    pub cost: RawCost,
    /// `[[datacenters]]`, in file order (none: one data centre).
    #[serde(default)]
    pub datacenters: Vec<Spanned<RawDatacenter>>,
    /// `[geo]`.
    #[serde(default)]
    pub geo: RawGeo,
    /// `[[events]]`, in file order.
    #[serde(default)]
    pub events: Vec<Spanned<RawEvent>>,
    /// `[[variants]]`, in file order.
    #[serde(default)]
    pub variants: Vec<Spanned<RawVariant>>,
}

/// `[users]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUsers {
    /// Number (integer or float).
    pub visits_per_s: Field,
    /// Number (integer or float).
    pub requests_per_visit: Field,
    /// Duration string.
    pub think_time: Field,
    /// Duration string.
    pub session_ttl: Field,
    /// Integer.
    pub population: Field,
    /// `"uniform"` or `"zipf"`.
    pub popularity: Field,
    /// Number.
    pub zipf_s: Field,
    /// A traffic profile: a preset's name, or a list of rate points.
    pub profile: Option<Spanned<RawProfile>>,
}

/// `[servers]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServers {
    /// Integer.
    pub count: Field,
    /// Integer.
    pub workers: Field,
    /// Duration string.
    pub service_time: Field,
    /// Duration string.
    pub login_time: Field,
    /// Integer.
    pub queue_limit: Field,
}

/// `[balancer]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBalancer {
    /// String naming a `Policy`.
    pub policy: Field,
    /// Integer.
    pub virtual_nodes: Field,
    /// Duration string.
    pub detection_delay: Field,
}

/// `[sessions]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSessions {
    /// String naming a `Storage`.
    pub storage: Field,
    /// Duration string.
    pub copy_time: Field,
    /// Duration string.
    pub verify_time: Field,
    /// String naming a `Replication`.
    pub replication: Field,
    /// Duration string.
    pub replication_lag: Field,
    /// String naming a data centre.
    pub global_store: Field,
}

/// One `[[datacenters]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDatacenter {
    /// String, `[a-z0-9-]+`; required.
    pub name: Field,
    /// Number in (0, 1]; required.
    pub users_share: Field,
    /// Integer (default `servers.count`).
    pub servers: Field,
}

/// `[geo]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGeo {
    /// Duration string.
    pub rtt_local: Field,
    /// Duration string.
    pub rtt_remote: Field,
    /// Duration string.
    pub detection_delay: Field,
    /// Duration string.
    pub dns_ttl: Field,
}

/// `[store]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStore {
    /// String naming a `StoreKind`.
    pub kind: Field,
    /// Integer.
    pub workers: Field,
    /// Duration string.
    pub read_time: Field,
    /// Duration string.
    pub write_time: Field,
    /// Boolean.
    pub durable: Field,
    /// Duration string.
    pub network_time: Field,
    /// Integer.
    pub nodes: Field,
    /// Integer.
    pub replicas: Field,
    /// Integer.
    pub max_sessions: Field,
    /// Integer.
    pub queue_limit: Field,
}

/// `[autoscale]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAutoscale {
    /// Integer.
    pub min: Field,
    /// Integer.
    pub max: Field,
    /// Number in (0, 1).
    pub target_busy: Field,
    /// Duration string.
    pub interval: Field,
    /// Duration string.
    pub cooldown: Field,
    /// Duration string.
    pub boot_time: Field,
    /// String: `abrupt` or `drain`.
    pub scale_in: Field,
    /// Duration string.
    pub drain_timeout: Field,
}

/// `[failures]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFailures {
    /// Duration string.
    pub mtbf: Field,
    /// Duration string.
    pub mttr: Field,
    /// Duration string.
    pub store_mtbf: Field,
    /// Duration string.
    pub store_mttr: Field,
}

/// `[cost]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCost {
    /// Number.
    pub server_per_hour: Field,
    /// Number.
    pub store_per_hour: Field,
    /// String.
    pub currency: Field,
}

/// One `[[events]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEvent {
    /// Duration string; required.
    pub at: Field,
    /// String naming an `Action`; required.
    pub action: Field,
    /// Integer, for `crash` and `restart` only.
    pub server: Field,
    /// Integer, for `add_servers` and `remove_servers` only.
    pub count: Field,
    /// Integer, for `store_crash` and `store_restart` only (optional).
    pub node: Field,
    /// String naming a data centre, for `dc_down` and `dc_up` only.
    pub datacenter: Field,
}

/// One `[[variants]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVariant {
    /// String, `[a-z0-9-]+`; required.
    pub name: Field,
    /// Table of dotted keys to values. Its values are read from the TOML tree by `overrides`
    /// (which needs them as TOML values), so serde only skips it.
    #[expect(
        dead_code,
        reason = "accepted here, read from the TOML tree by `overrides`"
    )]
    pub set: Option<IgnoredAny>,
}

/// `users.profile`: a preset's name, a list of `{ at, visits_per_s }` points, or a value of
/// another type (reported by the check).
#[derive(Debug)]
pub(super) enum RawProfile {
    /// Any value but an array (a preset's name if it is a string).
    Value(RawValue),
    /// An array of point tables.
    Points(Vec<Spanned<RawPoint>>),
}

/// One point of a `users.profile` list.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a point like { at = \"30m\", visits_per_s = 50 }"
)]
pub(super) struct RawPoint {
    /// Duration string; required.
    pub at: Field,
    /// Number; required.
    pub visits_per_s: Field,
}

impl<'de> Deserialize<'de> for RawProfile {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawProfileVisitor)
    }
}

/// Reads a profile: an array as points, anything else as a plain value.
struct RawProfileVisitor;

impl<'de> Visitor<'de> for RawProfileVisitor {
    type Value = RawProfile;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a profile name or a list of points")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawProfile, E> {
        RawValueVisitor.visit_bool(v).map(RawProfile::Value)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawProfile, E> {
        RawValueVisitor.visit_i64(v).map(RawProfile::Value)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawProfile, E> {
        RawValueVisitor.visit_u64(v).map(RawProfile::Value)
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<RawProfile, E> {
        RawValueVisitor.visit_i128(v).map(RawProfile::Value)
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<RawProfile, E> {
        RawValueVisitor.visit_u128(v).map(RawProfile::Value)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawProfile, E> {
        RawValueVisitor.visit_f64(v).map(RawProfile::Value)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawProfile, E> {
        RawValueVisitor.visit_str(v).map(RawProfile::Value)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<RawProfile, E> {
        RawValueVisitor.visit_string(v).map(RawProfile::Value)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<RawProfile, A::Error> {
        let mut points = Vec::new();
        while let Some(point) = items.next_element()? {
            points.push(point);
        }
        Ok(RawProfile::Points(points))
    }

    fn visit_map<A: MapAccess<'de>>(self, entries: A) -> Result<RawProfile, A::Error> {
        RawValueVisitor.visit_map(entries).map(RawProfile::Value)
    }
}

/// One TOML value, whatever its type; checked later against the type its key expects.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum RawValue {
    /// An integer (TOML allows 64 bits; wider ones are kept, to be reported as out of range).
    Int(i128),
    /// A float, possibly `nan` or `inf`.
    Float(f64),
    /// A number too large for any machine type, as written (`1e400`, 45 digits).
    TooLarge {
        /// The number as the file writes it.
        text: String,
        /// Whether it is a float (else an integer).
        float: bool,
    },
    /// A string.
    Str(String),
    /// A boolean.
    Bool(bool),
    /// A date or time.
    Datetime,
    /// An array.
    Array,
    /// A table.
    Table,
}

impl RawValue {
    /// The type, as messages name it: "an integer", "a string".
    pub(super) fn kind(&self) -> &'static str {
        match self {
            RawValue::Int(_) => "an integer",
            RawValue::Float(_) | RawValue::TooLarge { float: true, .. } => "a float",
            RawValue::TooLarge { float: false, .. } => "an integer",
            RawValue::Str(_) => "a string",
            RawValue::Bool(_) => "a boolean",
            RawValue::Datetime => "a date-time",
            RawValue::Array => "an array",
            RawValue::Table => "a table",
        }
    }
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawValueVisitor)
    }
}

/// Accepts any TOML value.
struct RawValueVisitor;

impl<'de> Visitor<'de> for RawValueVisitor {
    type Value = RawValue;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any TOML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<RawValue, E> {
        Ok(RawValue::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<RawValue, E> {
        Ok(RawValue::Int(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<RawValue, E> {
        Ok(RawValue::Int(v.into()))
    }

    fn visit_i128<E>(self, v: i128) -> Result<RawValue, E> {
        Ok(RawValue::Int(v))
    }

    fn visit_u128<E>(self, v: u128) -> Result<RawValue, E> {
        Ok(RawValue::Int(i128::try_from(v).unwrap_or(i128::MAX)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<RawValue, E> {
        Ok(RawValue::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<RawValue, E> {
        Ok(untag(v).unwrap_or_else(|| RawValue::Str(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<RawValue, E> {
        Ok(untag(&v).unwrap_or(RawValue::Str(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _items: A) -> Result<RawValue, A::Error> {
        Ok(RawValue::Array)
    }

    /// The toml crate hands a date-time to serde as a map with one private key.
    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<RawValue, A::Error> {
        let first: Option<String> = entries.next_key()?;
        match first {
            Some(key) if key.starts_with("$__toml_private") => Ok(RawValue::Datetime),
            _ => Ok(RawValue::Table),
        }
    }
}

/// Reads the checked TOML tree into the raw structs. A failure (which the checks before make
/// rare: an integer wider than 128 bits, a float beyond `f64`) is recorded with its key path.
pub(super) fn read(doc: Spanned<DeTable<'_>>, report: &mut Report<'_>) -> Option<RawFile> {
    let deserializer = toml::de::Deserializer::from(doc);
    match serde_path_to_error::deserialize(deserializer) {
        Ok(raw) => Some(raw),
        Err(error) => {
            let span = error.inner().span().unwrap_or(0..0);
            report.add(span, dotted(error.path()), error.inner().message());
            None
        }
    }
}

/// The path as `events[2].server`, without the private keys of `Spanned`.
fn dotted(path: &serde_path_to_error::Path) -> String {
    let mut text = String::new();
    for segment in path.iter() {
        match segment {
            serde_path_to_error::Segment::Seq { index } => text.push_str(&format!("[{index}]")),
            serde_path_to_error::Segment::Map { key } if !key.starts_with("$__") => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
            }
            _ => {}
        }
    }
    text
}

/// The start of a tagged string that stands for a number too large to read. A NUL cannot appear
/// unescaped in a TOML string, so no file writes this by accident.
const TOO_LARGE: &str = "\u{0}tiersim-too-large:";

/// Rewrites every number in `value` (tables and arrays included) that serde could not read (an
/// integer beyond 128 bits, a float beyond `f64`) into a tagged string, which reads back as
/// [`RawValue::TooLarge`].
pub(super) fn tag_too_large(value: &mut DeValue<'_>) {
    let tagged = match value {
        DeValue::Integer(integer) => {
            let fits = i128::from_str_radix(integer.as_str(), integer.radix()).is_ok();
            (!fits).then(|| format!("{TOO_LARGE}i{integer}"))
        }
        DeValue::Float(float) => {
            let text = float.as_str();
            let fits = text
                .parse::<f64>()
                .is_ok_and(|number| number.is_finite() || text.contains("inf"));
            (!fits).then(|| format!("{TOO_LARGE}f{text}"))
        }
        DeValue::Table(table) => {
            for (_, item) in table.iter_mut() {
                tag_too_large(item.get_mut());
            }
            None
        }
        DeValue::Array(items) => {
            for item in items.iter_mut() {
                tag_too_large(item.get_mut());
            }
            None
        }
        DeValue::String(_) | DeValue::Boolean(_) | DeValue::Datetime(_) => None,
    };
    if let Some(tagged) = tagged {
        *value = DeValue::String(Cow::Owned(tagged));
    }
}

/// The number a tagged string stands for, if it is one.
pub(super) fn untag(text: &str) -> Option<RawValue> {
    let rest = text.strip_prefix(TOO_LARGE)?;
    let (float, text) = match rest.split_at_checked(1)? {
        ("f", text) => (true, text),
        ("i", text) => (false, text),
        _ => return None,
    };
    Some(RawValue::TooLarge {
        text: text.to_string(),
        float,
    })
}

/// The value of a number too large to read exactly: infinite for a float, the nearest `f64` for
/// a decimal integer (and close to it in TOML's other bases).
pub(super) fn approximate(text: &str, float: bool) -> f64 {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, text.strip_prefix('+').unwrap_or(text)),
    };
    let magnitude = if float {
        f64::INFINITY
    } else {
        let radix = match digits.get(..2) {
            Some("0x") => 16,
            Some("0o") => 8,
            Some("0b") => 2,
            _ => return digits.parse().map_or(f64::INFINITY, |x: f64| sign * x),
        };
        digits[2..]
            .chars()
            .filter_map(|c| c.to_digit(radix))
            .fold(0.0, |sum, digit| sum * f64::from(radix) + f64::from(digit))
    };
    sign * magnitude
}
