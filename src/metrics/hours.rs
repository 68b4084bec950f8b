//! Machine-hours: how many machines a run rented, integrated over the measured period.
//!
//! A machine is rented from the start of its boot until it is removed, whether it runs or not in
//! between (a crashed server is still rented, as a cloud machine is billed until it is
//! terminated). Only the time from `warmup` to `duration` counts, the period every other total
//! is measured over.
//!
//! Leaves out: billing granularity (per-second billing with a minimum, or whole hours) and
//! anything but the machines themselves (disks, traffic, licences).

use crate::scenario::Micros;

/// Microseconds in an hour.
const US_PER_HOUR: f64 = 3.6e9;

/// The count of machines rented over time, integrated from `from_us` on.
#[derive(Clone, Debug)]
pub struct MachineHours {
    /// Machines rented now.
    rented: u32,
    /// Machine-microseconds rented from `from_us` to `since_us`.
    area_us: u128,
    /// Up to when `area_us` is integrated.
    since_us: Micros,
    /// Start of the measured period.
    from_us: Micros,
}

impl MachineHours {
    /// `rented` machines from time 0, counted from `from_us` on.
    pub fn new(rented: u32, from_us: Micros) -> Self {
        MachineHours {
            rented,
            area_us: 0,
            since_us: 0,
            from_us,
        }
    }

    /// `count` more machines are rented from `now` (a server starts booting).
    pub fn rent(&mut self, now: Micros, count: u32) {
        self.integrate(now);
        self.rented += count;
    }

    /// One machine is given back at `now` (a server is removed).
    pub fn release(&mut self, now: Micros) {
        self.integrate(now);
        assert!(self.rented > 0, "a machine given back was rented");
        self.rented -= 1;
    }

    /// Machine-hours rented from the start of the measured period until `until_us`.
    pub fn hours(&self, until_us: Micros) -> f64 {
        let mut total = self.clone();
        total.integrate(until_us);
        total.area_us as f64 / US_PER_HOUR
    }

    fn integrate(&mut self, now: Micros) {
        debug_assert!(now >= self.since_us, "time never goes back");
        let start = self.since_us.max(self.from_us);
        if now > start {
            self.area_us += u128::from(self.rented) * u128::from(now - start);
        }
        self.since_us = self.since_us.max(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: Micros = 3_600_000_000;

    /// Measured from 1 h: 3 machines to 2 h (3 machine-hours), a fourth rented at 2 h and one
    /// given back at 3.5 h (4 × 1.5 = 6), then 3 to 4 h (1.5): 10.5 machine-hours. The half hour
    /// before 1 h, with a change in it, does not count.
    #[test]
    fn machines_count_from_rent_to_release_within_the_measured_period() {
        let mut m = MachineHours::new(3, H);
        m.rent(H / 4, 1);
        m.release(H / 2);
        m.rent(2 * H, 1);
        m.release(7 * H / 2);
        assert_eq!(m.hours(4 * H), 10.5);
        assert_eq!(MachineHours::new(3, H).hours(H), 0.0);
        assert_eq!(MachineHours::new(0, 0).hours(4 * H), 0.0);
    }
}
