//! What the charts of a run need to know about its scenario beyond the results: each variant's
//! design (its colour), the time convention, the warm-up, and the numbers theory needs.
//!
//! Built once from the experiment ([`Look::of`]); [`Look::plain`] stands in when only the
//! results are known (tests, replays of results).

use super::format::TimeFormat;
use super::model::Colour;
use super::palette::{self, Design};
use crate::metrics::RunResult;
use crate::scenario::{Experiment, Micros, Policy, Storage, Variant};

/// One variant as the charts see it.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantLook {
    /// Its name.
    pub name: String,
    /// Its colour on every chart (from its design).
    pub colour: Colour,
    /// Its design, when known.
    pub design: Option<Design>,
    /// Where it keeps sessions, when known.
    pub storage: Option<Storage>,
    /// How it routes, when known.
    pub policy: Option<Policy>,
    /// Servers at the start.
    pub servers: u32,
    /// Workers per server.
    pub workers: u32,
    /// Mean service time of a request, in seconds.
    pub service_s: f64,
    /// Whether the scenario is a plain M/M/c queue for theory (one constant rate, no events,
    /// no autoscaler, no failures, no extra work per request).
    pub plain_queue: bool,
}

/// The scenario's side of a run's charts.
#[derive(Clone, Debug, PartialEq)]
pub struct Look {
    /// One per variant, in result order.
    pub variants: Vec<VariantLook>,
    /// How times read.
    pub time: TimeFormat,
    /// Events before this are in the warm-up: not drawn.
    pub warmup_us: Micros,
}

impl Look {
    /// The look of the variants of `experiment` that gave `results`, in result order.
    pub fn of(experiment: &Experiment, results: &[RunResult]) -> Look {
        let names: Vec<&str> = results.iter().map(|r| r.variant.as_str()).collect();
        Look::named(experiment, &names)
    }

    /// The look of the variants of `experiment` named `names`, in that order (a name the
    /// experiment does not have takes the colour of its position).
    pub fn named(experiment: &Experiment, names: &[&str]) -> Look {
        let found: Vec<Option<&Variant>> = names
            .iter()
            .map(|n| experiment.variants.iter().find(|v| v.name == *n))
            .collect();
        let designs: Vec<Design> = found
            .iter()
            .flatten()
            .map(|v| Design::of(v.scenario.storage, v.scenario.balancer.policy))
            .collect();
        let mut colours = palette::colours(&designs).into_iter();
        let variants = found
            .iter()
            .zip(names)
            .enumerate()
            .map(|(i, (v, name))| match v {
                Some(v) => variant_look(v, colours.next().unwrap_or_else(|| palette::variant(i))),
                None => unknown(i, name),
            })
            .collect();
        let first = experiment.variants.first().map(|v| &v.scenario);
        Look {
            variants,
            time: first.map_or_else(TimeFormat::default, TimeFormat::of),
            warmup_us: first.map_or(0, |s| s.warmup_us),
        }
    }

    /// A look from the results alone: colours by position, elapsed time, every event drawn.
    pub fn plain(results: &[RunResult]) -> Look {
        Look {
            variants: results
                .iter()
                .enumerate()
                .map(|(i, r)| unknown(i, &r.variant))
                .collect(),
            time: TimeFormat::Elapsed,
            warmup_us: 0,
        }
    }

    /// The colour of variant `index` (position colours past the known variants).
    pub fn colour(&self, index: usize) -> Colour {
        self.variants
            .get(index)
            .map_or_else(|| palette::variant(index), |v| v.colour)
    }
}

/// The look of a variant of the experiment, in `colour`.
fn variant_look(v: &Variant, colour: Colour) -> VariantLook {
    let s = &v.scenario;
    VariantLook {
        name: v.name.clone(),
        colour,
        design: Some(Design::of(s.storage, s.balancer.policy)),
        storage: Some(s.storage),
        policy: Some(s.balancer.policy),
        servers: s.servers.count,
        workers: s.servers.workers,
        service_s: s.servers.service_time_us as f64 / 1e6,
        plain_queue: s.events.is_empty()
            && s.autoscale.is_none()
            && s.failures.server_mtbf_us.is_none()
            && s.failures.store_mtbf_us.is_none()
            && s.users.profile.is_empty()
            && s.storage.extra_work().is_none()
            && s.servers.login_time_us == s.servers.service_time_us,
    }
}

/// A variant known by its name and position only.
fn unknown(index: usize, name: &str) -> VariantLook {
    VariantLook {
        name: name.to_string(),
        colour: palette::variant(index),
        design: None,
        storage: None,
        policy: None,
        servers: 0,
        workers: 0,
        service_s: 0.0,
        plain_queue: false,
    }
}
