//! Closed forms the model is checked against, the charts draw and the lab shows beside a result:
//! Erlang C for an M/M/c queue, (N-1)/N failed authentications when nothing routes a user back
//! to the server holding their session, and the share of users a change of membership remaps
//! under hash mod N and under a hash ring.
//!
//! Pure functions of their arguments; the integration tests (`tests/it/theory.rs`) compare the
//! simulator with them, `charts` draws Erlang C where a scenario is a plain M/M/c queue, and
//! [`expected`] lists what theory says of one variant for `tiersim lab`. Left out: anything
//! without a closed form here (crashes under load, autoscaling, stores).

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
}
