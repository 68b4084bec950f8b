//! Each design's extra work per request, as the model counts it: store operations, copies to a
//! backup server, local cache hits, signed-cookie checks; and what it does not count.
//!
//! The summary chart shows the work as one panel (operations per request, whatever their kind);
//! [`caption`] says per variant which work it is and names the drawback the model leaves out
//! (revoking a signed cookie, the memory of a backup copy...), for the report to print under the
//! chart.

use super::format::number;
use super::look::Look;
use super::model::Bars;
use crate::metrics::RunResult;
use crate::scenario::Storage;

/// The work one variant did per request sent in the measured period.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Work {
    /// Reads and writes of the shared store.
    pub store_ops: f64,
    /// Copies of a session sent to a backup server.
    pub copies: f64,
    /// Sessions read from a server's local cache (a store read saved, a cache lookup paid).
    pub cache_hits: f64,
    /// Signed cookies checked (served requests of a signed-cookie design).
    pub cookie_checks: f64,
}

impl Work {
    /// The work of `r`, variant `storage` (when known).
    pub fn of(r: &RunResult, storage: Option<Storage>) -> Work {
        let s = &r.summary;
        let per = |n: u64| n as f64 / s.sent.max(1) as f64;
        Work {
            store_ops: per(s.store_reads + s.store_writes),
            copies: per(s.session_copies),
            cache_hits: per(s.cache_hits),
            cookie_checks: match storage {
                Some(Storage::SignedCookie) => per(s.counts.ok()),
                _ => 0.0,
            },
        }
    }

    /// Every operation, whatever its kind.
    pub fn total(&self) -> f64 {
        self.store_ops + self.copies + self.cache_hits + self.cookie_checks
    }

    /// The work in words, e.g. `0.41 store operations + 0.9 local cache hits per request`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            (self.store_ops, "store operations"),
            (self.copies, "copies to a backup server"),
            (self.cache_hits, "local cache hits"),
            (self.cookie_checks, "signed-cookie checks"),
        ]
        .into_iter()
        .filter(|(x, _)| *x > 0.0)
        .map(|(x, what)| format!("{} {what}", number(x)))
        .collect();
        match parts.is_empty() {
            true => "no extra work per request".into(),
            false => format!("{} per request", parts.join(" + ")),
        }
    }
}

/// What the model does not count for a storage design.
pub fn uncounted(storage: Storage) -> &'static str {
    match storage {
        Storage::ServerMemory => "the memory each server gives to sessions",
        Storage::SharedStore => {
            "the store's own failure modes beyond its outages, and its network bytes"
        }
        Storage::ServerReplicated => {
            "the memory of the backup copies and the network bytes of each copy"
        }
        Storage::CachedStore => "the memory of the local caches and a cached session going stale",
        Storage::SignedCookie => {
            "the bytes of the cookie carried by every request and the impossibility of revoking \
             a signed cookie before it expires (a stolen cookie stays valid)"
        }
    }
}

/// The summary panel of the work per request, when some variant does any: one bar per variant
/// (`variants[v]`: its replications), their mean with a whisker for its 95 % interval when
/// there are several.
pub fn panel(look: &Look, variants: &[&[RunResult]]) -> Option<Bars> {
    let work = |i: usize, r: &RunResult| Work::of(r, look.variants.get(i).and_then(|v| v.storage));
    let any = variants
        .iter()
        .enumerate()
        .any(|(i, runs)| runs.iter().any(|r| work(i, r).total() > 0.0));
    if !any {
        return None;
    }
    let value = |i: usize, runs: &[RunResult]| {
        let totals: Vec<f64> = runs.iter().map(|r| work(i, r).total()).collect();
        match totals.as_slice() {
            [one] => (Some(*one), None, format!("{one:.2}")),
            many => match crate::stats::interval(many) {
                Some(c) => (Some(c.mean), c.half_width, format!("{:.2}", c.mean)),
                None => (None, None, "–".to_string()),
            },
        }
    };
    Some(super::from_results::bars(
        look,
        variants,
        "extra operations per request",
        0.0,
        false,
        value,
    ))
}

/// One sentence per variant: its extra work per request and what the model does not count of
/// its design, e.g. `signed-cookie: 1 signed-cookie checks per request; not counted: ...`.
pub fn caption(look: &Look, results: &[RunResult]) -> String {
    results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let storage = look.variants.get(i).and_then(|v| v.storage);
            let work = Work::of(r, storage).describe();
            match storage {
                Some(s) => format!("{}: {work}; not counted: {}.", r.variant, uncounted(s)),
                None => format!("{}: {work}.", r.variant),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
