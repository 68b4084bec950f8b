//! Closed forms the model is checked against and the charts draw: Erlang C for an M/M/c queue.
//!
//! Pure functions of their arguments; the integration tests (`tests/it/theory.rs`) compare the
//! simulator with them, and `charts` draws them where a scenario is a plain M/M/c queue.

/// Erlang C: the probability that an arrival waits in an M/M/c queue with offered load `a`
/// (in Erlangs) and `c` servers, `a < c`.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let rho = a / f64::from(c);
    let mut term = 1.0; // a^k / k!
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / f64::from(k);
        }
        sum += term;
    }
    let last = term * a / f64::from(c) / (1.0 - rho); // a^c / c! / (1 - rho)
    last / (sum + last)
}

/// Mean time in an M/M/c system, in seconds: waiting (Erlang C / (c mu - lambda)) plus service
/// (1 / mu). `None` when the queue is not stable (`lambda >= c mu`) or a rate is not positive.
pub fn mmc_mean_sojourn_s(c: u32, lambda: f64, mu: f64) -> Option<f64> {
    let capacity = f64::from(c) * mu;
    (c > 0 && lambda > 0.0 && mu > 0.0 && lambda < capacity)
        .then(|| erlang_c(c, lambda / mu) / (capacity - lambda) + 1.0 / mu)
}
