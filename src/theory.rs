//! Closed forms the model is checked against, the charts draw and the lab shows beside a result:
//! Erlang C for an M/M/c queue, (N-1)/N failed authentications when nothing routes a user back
//! to the server holding their session, the share of users a change of membership remaps under
//! hash mod N and under a hash ring, and the requests that fail while the geo DNS catches up with
//! a failed data centre.
//!
//! Pure functions of their arguments; the integration tests (`tests/it/theory.rs`,
//! `tests/it/datacenters.rs`) compare the simulator with them, `charts` draws Erlang C where a
//! scenario is a plain M/M/c queue, and [`expected`] lists what theory says of one variant for
//! `tiersim lab`. Left out: anything without a closed form here (crashes under load,
//! autoscaling, stores).

use crate::charts::look::Mmc;
use crate::scenario::{Policy, Scenario, Storage};

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

/// Random or round-robin routing with sessions in server memory: the share of authenticated
/// requests that reach a server other than the one holding the session, `(N-1)/N` (each request
/// lands on any of the `n` servers alike, whatever the previous one did).
pub fn unrouted_share(n: u32) -> f64 {
    f64::from(n.saturating_sub(1)) / f64::from(n.max(1))
}

/// Hash mod N, the tier going from `from` to `to` servers: the share of users whose server
/// changes. A hash `h` keeps its server when `h mod from == h mod to`, which holds for
/// `min(from, to)` residues out of every `lcm(from, to)` (one per residue below both, by the
/// Chinese remainder theorem): `1 - min / lcm` (`N/(N+1)` when one server joins `N`).
pub fn hash_mod_remapped_share(from: u32, to: u32) -> f64 {
    let (from, to) = (u64::from(from.max(1)), u64::from(to.max(1)));
    let lcm = from / gcd(from, to) * to;
    1.0 - from.min(to) as f64 / lcm as f64
}

/// A hash ring, the tier going from `from` to `to` servers: the expected share of users whose
/// server changes, the ring's share of the servers that joined or left, `|to - from| / max`
/// (`1/(N+1)` when one server joins `N`).
pub fn ring_remapped_share(from: u32, to: u32) -> f64 {
    f64::from(from.abs_diff(to)) / f64::from(from.max(to).max(1))
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// What theory says of one summary metric of a variant.
#[derive(Clone, Debug, PartialEq)]
pub struct Expected {
    /// The metric's name, as in `summary.csv`.
    pub metric: &'static str,
    /// The value theory gives, in the metric's unit.
    pub value: f64,
    /// The formula with its numbers, e.g. `(N-1)/N, N = 4`.
    pub formula: String,
}

/// What theory says of a variant's summary, where it applies: failed authentications when the
/// balancer ignores where sessions live in a stable tier, and Erlang C's mean time for a plain
/// M/M/c queue. (Remapping is per change of membership: [`remapped`].)
pub fn expected(s: &Scenario) -> Vec<Expected> {
    let mut list = Vec::new();
    let unrouted = matches!(s.balancer.policy, Policy::Random | Policy::RoundRobin)
        && s.storage == Storage::ServerMemory;
    let stable = s.events.is_empty()
        && s.autoscale.is_none()
        && s.failures.server_mtbf_us.is_none()
        && s.failures.store_mtbf_us.is_none();
    if unrouted && stable && s.servers.count > 1 {
        let n = s.servers.count;
        list.push(Expected {
            metric: "failed_auth_pct",
            value: 100.0 * unrouted_share(n),
            formula: format!("(N-1)/N, N = {n}"),
        });
    }
    if let Some(q) = Mmc::of(s)
        && let Some(mean_ms) = q.mean_ms()
    {
        list.push(Expected {
            metric: "latency_mean_ms",
            value: mean_ms,
            formula: format!(
                "Erlang C mean of M/M/c, c = {}, \u{3bb} = {}/s, \u{3bc} = {}/s",
                q.c, q.lambda, q.mu
            ),
        });
    }
    list
}

/// The share of users a change of membership from `from` to `to` servers remaps under
/// `policy`, with its formula; `None` for a policy that remaps nobody by hashing.
pub fn remapped(policy: Policy, from: u32, to: u32) -> Option<(f64, String)> {
    match policy {
        Policy::HashMod if to == from + 1 => Some((
            hash_mod_remapped_share(from, to),
            format!("N/(N+1), N = {from}"),
        )),
        Policy::HashMod => Some((
            hash_mod_remapped_share(from, to),
            format!("1 - min/lcm of {from} and {to} servers"),
        )),
        Policy::ConsistentHash if to == from + 1 => Some((
            ring_remapped_share(from, to),
            format!("1/(N+1), N = {from}"),
        )),
        Policy::ConsistentHash => Some((
            ring_remapped_share(from, to),
            format!("|{to} - {from}| / {} servers", from.max(to)),
        )),
        _ => None,
    }
}

/// A data centre that fails, as [`errors_dc_down`] sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DcOutage {
    /// Visits in progress in the data centre when it fails (`users_in_visit` of
    /// `datacenters.csv`; about `visits_per_s × requests_per_visit × cycle_s` in steady state).
    pub in_visit: f64,
    /// New visits per second whose nearest data centre it is (`users.visits_per_s` × its
    /// `users_share`).
    pub visits_per_s: f64,
    /// `users.requests_per_visit`: authenticated requests after the login, on average.
    pub requests_per_visit: f64,
    /// The time from one failed request to the next of the same user: `think_time` +
    /// `rtt_local`.
    pub cycle_s: f64,
    /// `geo.detection_delay`, in seconds.
    pub detection_s: f64,
    /// `geo.dns_ttl`, in seconds.
    pub ttl_s: f64,
}

/// The mean and variance of a count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeanAndVariance {
    /// The expected count.
    pub mean: f64,
    /// Its variance (so `sqrt` is the sampling error of one run).
    pub variance: f64,
}

/// Requests that fail with `errors_dc_down`: sent to a failed data centre before their user's
/// cached DNS answer moves them, `detection_delay + U` after the failure (`U` uniform over the
/// TTL, drawn per user).
///
/// Two kinds of visits send them (docs/model.md, "Several data centres"):
/// - the `in_visit` visits already there keep their pace; each failed request counts as one of
///   the visit's, so each ends after a geometric number of requests as it would have (mean
///   `requests_per_visit + 1` from any point, by memorylessness), or at its move:
///   `(1 - e^(-q μ Y)) / q` each on average over a window `Y`, with `q = 1 / (1 +
///   requests_per_visit)` and `μ = 1 / cycle_s`;
/// - the visits that begin during the window (`visits_per_s`) retry their failing login every
///   cycle and never end until they move: `1 + μ w` each for a visit that has `w` left.
///
/// Assumed: a user's requests are a Poisson process of rate `μ` (think times exponential, the
/// round trip small beside them); requests in service at the failure are left out (they fail as
/// `errors_server_down`). As visits grow long (`requests_per_visit → ∞`) the second kind fades
/// and the first tends to the formula: the request rate × (`detection_delay` +
/// `dns_ttl` / 2).
pub fn errors_dc_down(o: &DcOutage) -> MeanAndVariance {
    const STEPS: u32 = 400;
    let q = 1.0 / (1.0 + o.requests_per_visit);
    let mu = 1.0 / o.cycle_s;
    let (mut x, mut x2, mut new, mut new2) = (0.0, 0.0, 0.0, 0.0);
    for i in 0..STEPS {
        // The window of a user whose DNS answer expires `U` after detection, midpoint rule.
        let y = o.detection_s + o.ttl_s * (f64::from(i) + 0.5) / f64::from(STEPS);
        let (one, one2) = present_visit(q, mu * y);
        x += one;
        x2 += one2;
        // Visits arriving `w` before the move, `w` over (0, y): `1 + μ w` failures each, a
        // Poisson count whose second moment is `1 + 3 μ w + (μ w)²`.
        new += y + mu * y * y / 2.0;
        new2 += y + 1.5 * mu * y * y + mu * mu * y.powi(3) / 3.0;
    }
    let n = f64::from(STEPS);
    let (x, x2, new, new2) = (x / n, x2 / n, new / n, new2 / n);
    MeanAndVariance {
        mean: o.in_visit * x + o.visits_per_s * new,
        variance: o.in_visit * (x2 - x * x) + o.visits_per_s * new2,
    }
}

/// The first two moments of `min(G, J)`: the failed requests of a visit in progress, `G`
/// geometric on 1, 2, ... (ending after each request with probability `q`), `J` Poisson with
/// mean `sends` (its requests before it moves).
fn present_visit(q: f64, sends: f64) -> (f64, f64) {
    let e = (-q * sends).exp();
    let mean = (1.0 - e) / q;
    let second = 2.0 * (1.0 - e * (1.0 + q * sends * (1.0 - q))) / (q * q) - mean;
    (mean, second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remapping_shares_match_the_textbook_cases() {
        // One server joins 4: hash mod moves 4 in 5, a ring 1 in 5.
        assert!((hash_mod_remapped_share(4, 5) - 0.8).abs() < 1e-12);
        assert!((ring_remapped_share(4, 5) - 0.2).abs() < 1e-12);
        // 6 to 4: h mod 6 == h mod 4 for 4 residues of 12, so 2 in 3 move; a ring moves the
        // users of the 2 servers that left, 2 in 6.
        assert!((hash_mod_remapped_share(6, 4) - 2.0 / 3.0).abs() < 1e-12);
        assert!((ring_remapped_share(6, 4) - 1.0 / 3.0).abs() < 1e-12);
        // 4 to 8: h mod 8 keeps h mod 4 for half of the hashes.
        assert!((hash_mod_remapped_share(4, 8) - 0.5).abs() < 1e-12);
        assert_eq!(hash_mod_remapped_share(4, 4), 0.0);
        assert!((unrouted_share(4) - 0.75).abs() < 1e-12);
    }

    fn outage(requests_per_visit: f64) -> DcOutage {
        // Steady state: in visit = visits/s × (requests per visit) × cycle.
        DcOutage {
            in_visit: 3.0 * requests_per_visit * 2.0,
            visits_per_s: 3.0,
            requests_per_visit,
            cycle_s: 2.0,
            detection_s: 20.0,
            ttl_s: 40.0,
        }
    }

    /// The formula is the limit of long visits: request rate 3 × (m + 1) / s over
    /// 20 + 40 / 2 = 40 s.
    #[test]
    fn long_visits_tend_to_the_request_rate_times_the_mean_window() {
        for (m, within) in [(2000.0, 0.02), (20_000.0, 0.002)] {
            let formula = 3.0 * (m + 1.0) * 40.0;
            let e = errors_dc_down(&outage(m)).mean;
            assert!(
                (e / formula - 1.0).abs() < within,
                "m {m}: {e} vs {formula}"
            );
        }
    }

    /// Short visits (20 requests, 42 s) fail more often than the formula says: the visits that
    /// begin in the window retry their login instead of ending (+17 % here).
    #[test]
    fn short_visits_fail_more_than_the_formula() {
        let formula = 3.0 * 21.0 * 40.0;
        let e = errors_dc_down(&outage(20.0));
        assert!((1.1..1.25).contains(&(e.mean / formula)), "{e:?}");
        assert!(e.variance.sqrt() < 0.1 * e.mean, "{e:?}");
    }

    /// `min(G, J)` with `J` always 0 or `G` always 1 (`q` = 1).
    #[test]
    fn a_visit_in_progress_degenerates_as_it_should() {
        assert_eq!(present_visit(0.5, 0.0), (0.0, 0.0));
        let (m, s) = present_visit(1.0, 3.0);
        let p = 1.0 - (-3.0f64).exp();
        assert!((m - p).abs() < 1e-12 && (s - p).abs() < 1e-12, "{m} {s}");
    }
}
