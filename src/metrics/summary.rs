//! A run's totals, assembled once for the engine and the live mode.
//!
//! Both hand over what they counted (a [`Summary`] whose derived totals are left to this
//! module) with their bucket and event rows; [`assemble`] derives what is computed the same way
//! for both: the mean imbalance over buckets, how long each event took to rebalance, the users
//! remapped (summed over the event rows when the policy maps users) and the length of the
//! measured period. [`busy_fraction`] is
//! the one definition of a server's busy share in a bucket.
//!
//! Leaves out: how each side counts (the engine's recorder and session table, the live mode's
//! client records); those numbers arrive already counted.

use super::{BucketRow, EventRow, Summary};
use crate::scenario::Micros;

/// Completes the summary of a run measured for `measured_us` (duration minus warm-up): `counted`
/// holds what the run counted, and this fills in the derived totals (`imbalance`,
/// `users_remapped`, `measured_s`, whatever `counted` says of them) and each event row's
/// `rebalance_s`. `users_remapped` is the sum of the rows' when `maps_users` (the policy maps
/// users to servers), else `None`.
pub fn assemble(
    counted: Summary,
    buckets: &[BucketRow],
    events: &mut [EventRow],
    measured_us: Micros,
    maps_users: bool,
) -> Summary {
    for row in events.iter_mut() {
        row.rebalance_s = super::rebalance_s(row.at_us, buckets);
    }
    Summary {
        imbalance: mean_imbalance(buckets),
        least_loaded_share: mean_of(buckets, |b| b.least_loaded_share),
        users_remapped: maps_users.then(|| events.iter().filter_map(|r| r.users_remapped).sum()),
        measured_s: measured_us as f64 / 1e6,
        ..counted
    }
}

/// The mean over buckets of their imbalance (`None` when no bucket had any request).
pub fn mean_imbalance(buckets: &[BucketRow]) -> Option<f64> {
    mean_of(buckets, |b| b.imbalance)
}

/// The mean over buckets of `value`, over the buckets where it exists (`None` in none).
fn mean_of(buckets: &[BucketRow], value: impl Fn(&BucketRow) -> Option<f64>) -> Option<f64> {
    let values: Vec<f64> = buckets.iter().filter_map(value).collect();
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Busy worker-time over capacity (`workers` × `len_us`) of a server in a bucket; 0 for a bucket
/// without capacity.
pub fn busy_fraction(busy_us: u64, workers: u32, len_us: Micros) -> f64 {
    let capacity_us = u64::from(workers) * len_us;
    if capacity_us == 0 {
        0.0
    } else {
        busy_us as f64 / capacity_us as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(start_s: u64, imbalance: Option<f64>) -> BucketRow {
        BucketRow {
            start_us: start_s * 1_000_000,
            imbalance,
            ..BucketRow::default()
        }
    }

    fn event(at_s: u64, remapped: Option<u64>) -> EventRow {
        EventRow {
            at_us: at_s * 1_000_000,
            users_remapped: remapped,
            ..EventRow::default()
        }
    }

    #[test]
    fn the_summary_derives_imbalance_rebalance_remapped_and_the_measured_period() {
        // Imbalances 2.0, (none), 1.0, 1.1, 1.2: mean of the four present = 5.3 / 4 = 1.325.
        let buckets: Vec<BucketRow> = [Some(2.0), None, Some(1.0), Some(1.1), Some(1.2)]
            .into_iter()
            .enumerate()
            .map(|(i, x)| bucket(10 * i as u64, x))
            .collect();
        let mut events = vec![event(5, Some(7)), event(45, Some(3))];
        let counted = Summary {
            sent: 12,
            imbalance: Some(9.0),
            ..Summary::default()
        };
        let s = assemble(counted.clone(), &buckets, &mut events, 50_000_000, true);
        assert_eq!(s.sent, 12);
        assert!((s.imbalance.unwrap() - 1.325).abs() < 1e-12);
        assert_eq!(s.users_remapped, Some(10));
        assert_eq!(s.measured_s, 50.0);
        // From 5 s the buckets at 10, 20, 30 s (none, 1.0, 1.1) are balanced: 5 s later. From
        // 45 s only one bucket is left: never.
        assert_eq!(events[0].rebalance_s, Some(5.0));
        assert_eq!(events[1].rebalance_s, None);
        let s = assemble(counted, &[], &mut events, 0, false);
        assert_eq!((s.imbalance, s.users_remapped), (None, None));
    }

    #[test]
    fn busy_fraction_is_busy_time_over_workers_times_length() {
        // 2 workers × 10 s = 20 s of capacity, 5 s busy.
        assert_eq!(busy_fraction(5_000_000, 2, 10_000_000), 0.25);
        assert_eq!(busy_fraction(5, 0, 10), 0.0);
    }
}
