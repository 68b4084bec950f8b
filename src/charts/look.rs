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
    /// The M/M/c queue the variant is, when it is a plain one (see [`Mmc::of`]).
    pub mmc: Option<Mmc>,
}

/// A plain M/M/c queue: Poisson arrivals of logins (visits of no further request) at one
/// server with `c` workers and exponential service, nothing else happening.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mmc {
    /// Workers.
    pub c: u32,
    /// Arrivals per second.
    pub lambda: f64,
    /// Services per second of one worker.
    pub mu: f64,
}

impl Mmc {
    /// The queue of `s`, when it is plain: one server, login-only visits at a constant rate, no
    /// event, autoscaler, failure or extra work per request.
    pub fn of(s: &crate::scenario::Scenario) -> Option<Mmc> {
        let plain = s.servers.count == 1
            && s.users.requests_per_visit == 0.0
            && s.users.profile.is_empty()
            && s.events.is_empty()
            && s.autoscale.is_none()
            && s.failures.server_mtbf_us.is_none()
            && s.failures.store_mtbf_us.is_none()
            && s.storage.extra_work().is_none()
            && !s.storage.uses_store()
            && s.servers.login_time_us > 0;
        plain.then(|| Mmc {
            c: s.servers.workers,
            lambda: s.users.visits_per_s,
            mu: 1e6 / s.servers.login_time_us as f64,
        })
    }

    /// Erlang C's mean time in the system, in milliseconds (`None`: not stable).
    pub fn mean_ms(&self) -> Option<f64> {
        crate::theory::mmc_mean_sojourn_s(self.c, self.lambda, self.mu).map(|s| s * 1e3)
    }
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
        mmc: Mmc::of(s),
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
        mmc: None,
    }
}
