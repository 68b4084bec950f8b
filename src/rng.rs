//! Every random number of a run, and where it comes from.
//!
//! One seed per run; each kind of randomness draws from its own stream derived from it, so that
//! changing one part of the model (the routing policy, the storage) does not change who arrives
//! when, how long their visits are, or how long they think (common random numbers across
//! variants). Each user gets a generator of its own, seeded from (seed, user number): a user
//! draws the same think and service times in every variant, whatever the interleaving of events.
//!
//! The generator is PCG (`rand_pcg::Pcg64Mcg`), whose output is value-stable across versions and
//! platforms; `rand_distr` is built with `std_math` so that samples do not depend on which other
//! crates are linked. Hashes used for routing are a fixed integer mixer, never `std`'s `RandomState`.

use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Exp1, Geometric};
use rand_pcg::Pcg64Mcg;

/// The generator used everywhere in the model.
pub type SimRng = Pcg64Mcg;

/// The independent random streams of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    /// Times between visit arrivals.
    Arrivals = 1,
    /// Number of requests in each visit.
    VisitLengths = 2,
    /// Routing decisions of the `random` policy.
    Routing = 3,
    /// Per-user generators are derived from this stream's key and the user number.
    Users = 4,
    /// Per-server failure generators are derived from this stream's key and the server id.
    Failures = 5,
    /// Random failures of the store.
    StoreFailures = 6,
    /// The registered user who makes each visit (`users.population`).
    Population = 7,
}

/// A generator for one stream of a run.
pub fn stream(seed: u64, stream: Stream) -> SimRng {
    SimRng::seed_from_u64(mix64(seed ^ mix64(stream as u64)))
}

/// The generator of user number `user` (think, service and store times of its requests).
pub fn user_stream(seed: u64, user: u64) -> SimRng {
    SimRng::seed_from_u64(mix64(mix64(seed ^ mix64(Stream::Users as u64)) ^ user))
}

/// The random failure generator of server `server`.
pub fn failure_stream(seed: u64, server: u64) -> SimRng {
    SimRng::seed_from_u64(mix64(mix64(seed ^ mix64(Stream::Failures as u64)) ^ server))
}

/// A uniform integer in `0..n` (`n` > 0).
pub fn below(rng: &mut SimRng, n: u64) -> u64 {
    rng.random_range(0..n)
}

/// A sample of the standard exponential distribution (mean 1).
#[inline]
pub fn exp1(rng: &mut SimRng) -> f64 {
    Exp1.sample(rng)
}

/// A uniform sample in [0, 1).
#[inline]
pub fn uniform(rng: &mut SimRng) -> f64 {
    rng.random::<f64>()
}

/// A geometric count on 0, 1, 2, ... with the given mean (0 gives 0).
pub fn geometric_with_mean(rng: &mut SimRng, mean: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    // P(K = k) = (1-p)^k p has mean (1-p)/p, so p = 1/(1+mean).
    let dist = Geometric::new(1.0 / (1.0 + mean)).expect("p is in (0, 1] for a finite mean >= 0");
    dist.sample(rng)
}

/// A uniform index in `0..n` (n > 0).
#[inline]
pub fn index(rng: &mut SimRng, n: usize) -> usize {
    rng.random_range(0..n)
}

/// Scales a standard exponential sample by a mean in microseconds, rounding to whole microseconds.
#[inline]
pub fn scale_us(sample: f32, mean_us: u64) -> u64 {
    round_u64(f64::from(sample) * mean_us as f64)
}

/// `x.round() as u64`, bit for bit, without a call into the maths library (the hot path draws
/// a few of these per request): below 2^52 the truncation and the fraction `x - trunc(x)` are
/// exact, so rounding half away from zero is a comparison; anything else takes `round`.
#[inline]
pub fn round_u64(x: f64) -> u64 {
    if (0.0..4_503_599_627_370_496.0).contains(&x) {
        let t = x as u64;
        if x - t as f64 >= 0.5 { t + 1 } else { t }
    } else {
        x.round() as u64
    }
}

/// A fixed 64-bit mixer (the SplitMix64 finaliser): stable, fast, well spread.
#[inline]
pub fn mix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4)
            .map(|_| stream(7, Stream::Arrivals).random())
            .collect();
        assert!(
            a.windows(2).all(|w| w[0] == w[1]),
            "same seed, same first draw"
        );
        let mut x = stream(7, Stream::Arrivals);
        let mut y = stream(7, Stream::Routing);
        let mut z = stream(8, Stream::Arrivals);
        let (vx, vy, vz): (u64, u64, u64) = (x.random(), y.random(), z.random());
        assert_ne!(vx, vy);
        assert_ne!(vx, vz);
    }

    #[test]
    fn geometric_mean_is_close() {
        let mut rng = stream(1, Stream::VisitLengths);
        let n = 200_000;
        let sum: u64 = (0..n).map(|_| geometric_with_mean(&mut rng, 10.0)).sum();
        let mean = sum as f64 / n as f64;
        // Standard deviation of one draw is sqrt(m(m+1)) ~ 10.5, of the mean ~ 0.023.
        assert!((mean - 10.0).abs() < 0.1, "mean {mean}");
        assert_eq!(geometric_with_mean(&mut rng, 0.0), 0);
    }

    #[test]
    fn round_u64_is_round() {
        let edges = [
            0.0,
            -0.0,
            0.49999999999999994,
            0.5,
            1.5,
            2.5,
            -0.7,
            -2.5,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            9_007_199_254_740_993.0,
            1e19,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
        ];
        for x in edges {
            assert_eq!(round_u64(x), x.round() as u64, "{x}");
        }
        let mut rng = user_stream(3, 9);
        for i in 0..200_000 {
            let x = exp1(&mut rng) * [1.0, 20_000.0, 2e6, 1e15][i % 4];
            assert_eq!(round_u64(x), x.round() as u64, "{x}");
            let half = (x * 2.0).floor() / 2.0;
            assert_eq!(round_u64(half), half.round() as u64, "{half}");
        }
    }

    #[test]
    fn exponential_mean_is_close() {
        let mut rng = user_stream(1, 42);
        let n = 200_000;
        let mean = (0..n).map(|_| exp1(&mut rng)).sum::<f64>() / n as f64;
        assert!((mean - 1.0).abs() < 0.01, "mean {mean}");
    }
}
