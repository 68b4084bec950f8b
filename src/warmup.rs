//! Is the warm-up long enough? A check on the measured period's first and second halves.
//!
//! The tier starts empty, so the load grows while the first users are still in their visits. If
//! `warmup` is too short, the start of the measured period still shows that ramp: its request
//! rate is lower than later. The check compares the mean request rate of the buckets in the first
//! and second halves of the measured period before the first timed event (which changes the world
//! on purpose), and calls the warm-up too short when the first half is lower by more than
//! [`TOLERANCE_PCT`] and by more than the 95 % interval of the difference (a Welch-type
//! comparison of the bucket means, with the smaller half's degrees of freedom).

use crate::metrics::RunResult;
use crate::stats;

/// A drift smaller than this (in percent of the second half's rate) is never reported.
pub const TOLERANCE_PCT: f64 = 2.0;

/// Buckets needed in each half for the check.
const MIN_BUCKETS: usize = 3;

/// The verdict on one run's warm-up.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Drift {
    /// 100 × (second-half rate − first-half rate) / second-half rate.
    pub pct: f64,
    /// Whether the first half is significantly and noticeably lower.
    pub too_short: bool,
}

/// The warm-up check of one run (`None` with fewer than 6 buckets before the first event).
pub fn drift(r: &RunResult) -> Option<Drift> {
    let first_event = r.events.iter().map(|e| e.at_us).min().unwrap_or(u64::MAX);
    let rates: Vec<f64> = r
        .buckets
        .iter()
        .filter(|b| b.start_us + b.len_us <= first_event && b.len_us > 0)
        .map(|b| b.counts.ended() as f64 / (b.len_us as f64 / 1e6))
        .collect();
    let half = rates.len() / 2;
    if half < MIN_BUCKETS {
        return None;
    }
    let (a, b) = (&rates[..half], &rates[rates.len() - half..]);
    let (ia, ib) = (stats::interval(a)?, stats::interval(b)?);
    if ib.mean <= 0.0 {
        return None;
    }
    let pct = 100.0 * (ib.mean - ia.mean) / ib.mean;
    let spread =
        (ia.half_width? / stats::t975(half - 1)).hypot(ib.half_width? / stats::t975(half - 1));
    let significant = ib.mean - ia.mean > stats::t975(half - 1) * spread;
    Some(Drift {
        pct,
        too_short: significant && pct > TOLERANCE_PCT,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{BucketRow, Counts};

    fn run_with_rates(rates: &[u64]) -> RunResult {
        let buckets = rates
            .iter()
            .enumerate()
            .map(|(i, &n)| BucketRow {
                start_us: i as u64 * 10_000_000,
                len_us: 10_000_000,
                counts: Counts {
                    logins: n,
                    ..Counts::default()
                },
                ..BucketRow::default()
            })
            .collect();
        RunResult {
            buckets,
            ..RunResult::default()
        }
    }

    #[test]
    fn a_ramp_is_a_short_warmup_and_noise_is_not() {
        let ramp = drift(&run_with_rates(&[500, 600, 700, 800, 990, 1000, 1010, 995])).unwrap();
        assert!(ramp.too_short, "{ramp:?}");
        assert!(ramp.pct > 20.0);
        let flat = drift(&run_with_rates(&[
            1000, 990, 1010, 1005, 995, 1000, 1002, 998,
        ]))
        .unwrap();
        assert!(!flat.too_short, "{flat:?}");
        assert_eq!(
            drift(&run_with_rates(&[1, 2, 3, 4, 5])),
            None,
            "too few buckets"
        );
    }
}
