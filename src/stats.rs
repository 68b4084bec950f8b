//! Statistics over independent replications: means, Student-t 95 % confidence intervals, and
//! paired differences between variants that share their random numbers.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// A sample mean and the half-width of its 95 % confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// Sample mean.
    pub mean: f64,
    /// Half-width of the Student-t 95 % interval (`None` with fewer than 2 values).
    pub half_width: Option<f64>,
}

impl Interval {
    /// Whether the interval excludes `x` (false when there is no interval).
    pub fn excludes(&self, x: f64) -> bool {
        self.half_width.is_some_and(|h| (self.mean - x).abs() > h)
    }
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom.
pub fn t975(df: usize) -> f64 {
    assert!(df >= 1, "at least one degree of freedom");
    StudentsT::new(0.0, 1.0, df as f64)
        .expect("valid Student-t parameters")
        .inverse_cdf(0.975)
}

/// Mean and 95 % interval of independent values (`None` if there are none).
pub fn interval(values: &[f64]) -> Option<Interval> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return Some(Interval {
            mean,
            half_width: None,
        });
    }
    let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half_width = t975(n - 1) * (var / n as f64).sqrt();
    Some(Interval {
        mean,
        half_width: Some(half_width),
    })
}

/// Mean and 95 % interval of the paired differences `a[i] - b[i]` (pairs where either is missing
/// are left out).
pub fn paired(a: &[Option<f64>], b: &[Option<f64>]) -> Option<Interval> {
    let diffs: Vec<f64> = a
        .iter()
        .zip(b)
        .filter_map(|(x, y)| Some((*x)? - (*y)?))
        .collect();
    interval(&diffs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_the_tables() {
        // Standard table values of t(0.975).
        for (df, t) in [
            (1, 12.706),
            (4, 2.776),
            (9, 2.262),
            (29, 2.045),
            (1000, 1.962),
        ] {
            assert!((t975(df) - t).abs() < 1e-3, "df {df}: {}", t975(df));
        }
    }

    #[test]
    fn interval_of_a_small_sample_by_hand() {
        // 1, 2, 3, 4, 5: mean 3, s^2 = 10/4 = 2.5, s/sqrt(5) = 0.7071, t(4) = 2.7764.
        let i = interval(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!(i.mean, 3.0);
        assert!((i.half_width.unwrap() - 2.7764 * (2.5f64 / 5.0).sqrt()).abs() < 1e-3);
        assert!(i.excludes(0.0) && !i.excludes(4.0));
        assert_eq!(interval(&[7.0]).unwrap().half_width, None);
        assert_eq!(interval(&[]), None);
    }

    #[test]
    fn paired_differences_skip_missing_pairs() {
        let a = [Some(10.0), Some(12.0), None, Some(11.0)];
        let b = [Some(9.0), Some(10.0), Some(1.0), Some(10.0)];
        let i = paired(&a, &b).unwrap();
        // Differences 1, 2, 1: mean 4/3.
        assert!((i.mean - 4.0 / 3.0).abs() < 1e-12);
    }
}
