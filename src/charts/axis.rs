//! A linear axis with ticks where we put them (whole minutes, round values).
//!
//! plotters' own `with_key_points` wrapper loses the value formatting of `f64` axes, so the mesh
//! cannot be drawn with it; this small axis keeps plotters' default formatting option (the
//! labels are formatted by our own formatters anyway).

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use std::ops::Range;

/// `lo..hi`, mapped linearly, with ticks at `ticks`.
#[derive(Clone, Debug)]
pub struct Linear {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Linear {
    /// An axis over `lo..hi` with ticks at `ticks`.
    pub fn new(lo: f64, hi: f64, ticks: Vec<f64>) -> Self {
        Linear { lo, hi, ticks }
    }
}

impl Ranged for Linear {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, (from, to): (i32, i32)) -> i32 {
        if self.hi == self.lo {
            return (from + to) / 2;
        }
        let share = (value - self.lo) / (self.hi - self.lo);
        from + (f64::from(to - from) * share + 1e-3).floor() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Only bold points: no light grid lines.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}
