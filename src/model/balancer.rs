//! The load balancer: which server each request goes to.
//!
//! Models: the rotation (the servers the balancer routes to) and six policies over it: random,
//! round robin, least connections, sticky (cookie affinity: placed round robin, then pinned until
//! the pinned server leaves the rotation), hash of the user id modulo the rotation size, and a
//! consistent-hash ring with `virtual_nodes` points per server. A crashed server stays in the
//! rotation until the health checks notice (the engine removes it after `detection_delay`).
//!
//! Leaves out: the balancer's own capacity and latency (routing is instantaneous), connection
//! reuse, retries by the balancer, and weights.

use crate::model::ids::ServerId;
use crate::rng::{self, SimRng};
use crate::scenario::Policy;

/// The balancer's state.
#[derive(Debug)]
pub struct Balancer {
    policy: Policy,
    virtual_nodes: u32,
    /// Server ids in rotation, ascending.
    rotation: Vec<ServerId>,
    /// `member[s]`: whether server `s` is in rotation.
    member: Vec<bool>,
    /// `draining[s]`: whether server `s` is out of rotation but still serves its sticky users.
    draining: Vec<bool>,
    /// Next position of round robin (and of sticky placement).
    next: usize,
    /// Consistent-hash ring of (point, server), sorted; empty for other policies.
    ring: Vec<(u64, ServerId)>,
    rng: SimRng,
}

impl Balancer {
    /// A balancer with servers `0..servers` in rotation. The ring (consistent hashing) is built
    /// at once from its N·V points (a bucket sort, linear on average), not by N merges.
    pub fn new(policy: Policy, virtual_nodes: u32, servers: u32, rng: SimRng) -> Self {
        let rotation: Vec<ServerId> = (0..servers).map(ServerId).collect();
        let ring = if policy == Policy::ConsistentHash {
            ring_of(&rotation, virtual_nodes)
        } else {
            Vec::new()
        };
        Balancer {
            policy,
            virtual_nodes,
            member: vec![true; rotation.len()],
            rotation,
            draining: Vec::new(),
            next: 0,
            ring,
            rng,
        }
    }

    /// The routing policy.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Servers in rotation, ascending.
    pub fn rotation(&self) -> &[ServerId] {
        &self.rotation
    }

    /// Whether server `s` is in rotation.
    pub fn contains(&self, s: ServerId) -> bool {
        self.member.get(s.index()).copied().unwrap_or(false)
    }

    /// Puts server `s` in rotation (no effect if it is already).
    pub fn join(&mut self, s: ServerId) {
        if self.contains(s) {
            return;
        }
        if self.member.len() <= s.index() {
            self.member.resize(s.index() + 1, false);
        }
        self.member[s.index()] = true;
        let at = self.rotation.partition_point(|&x| x < s);
        self.rotation.insert(at, s);
        if self.policy == Policy::ConsistentHash {
            // Merge the new server's sorted points into the sorted ring: linear, not a re-sort.
            let points = ring_of(&[s], self.virtual_nodes);
            let old = std::mem::take(&mut self.ring);
            self.ring.reserve(old.len() + points.len());
            let (mut a, mut b) = (old.into_iter().peekable(), points.into_iter().peekable());
            while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
                let next = if x <= y { a.next() } else { b.next() };
                self.ring.extend(next);
            }
            self.ring.extend(a.chain(b));
        }
    }

    /// Whether sticky users pinned to server `s` still reach it (in rotation, or draining).
    pub fn keeps_pinned(&self, s: ServerId) -> bool {
        self.contains(s) || self.draining.get(s.index()).copied().unwrap_or(false)
    }

    /// Whether a sticky cookie `pinned` still takes its user to its server.
    fn keeps(&self, pinned: Option<ServerId>) -> bool {
        pinned.is_some_and(|s| self.keeps_pinned(s))
    }

    /// Takes server `s` out of rotation for new users; users pinned to it keep reaching it.
    pub fn drain(&mut self, s: ServerId) {
        self.leave(s);
        if self.draining.len() <= s.index() {
            self.draining.resize(s.index() + 1, false);
        }
        self.draining[s.index()] = true;
    }

    /// Takes server `s` out of rotation (no effect if it is not in it), and ends its drain.
    pub fn leave(&mut self, s: ServerId) {
        if let Some(d) = self.draining.get_mut(s.index()) {
            *d = false;
        }
        if !self.contains(s) {
            return;
        }
        self.member[s.index()] = false;
        self.rotation.retain(|&x| x != s);
        self.ring.retain(|&(_, x)| x != s);
    }

    /// Picks the server for a request of user `user_id`; `pinned` is the user's sticky cookie
    /// (`None`: not pinned), which sticky routing reads and sets. `load(s)` is the number of
    /// requests at server `s`. `None` when no server is in rotation.
    ///
    /// Always inlined: each caller's `load` makes an instance of its own, called once per request.
    #[inline(always)]
    pub fn route(
        &mut self,
        user_id: u64,
        pinned: &mut Option<ServerId>,
        load: impl Fn(ServerId) -> u32,
    ) -> Option<ServerId> {
        let n = self.rotation.len();
        if n == 0 {
            return None;
        }
        let server = match self.policy {
            Policy::Random => self.rotation[rng::index(&mut self.rng, n)],
            Policy::RoundRobin => self.round_robin(),
            Policy::LeastConnections => {
                // Fewest requests; ties go to the lowest id (the rotation is ascending).
                *self
                    .rotation
                    .iter()
                    .min_by_key(|&&s| load(s))
                    .expect("rotation is not empty")
            }
            Policy::Sticky => match *pinned {
                Some(s) if self.keeps_pinned(s) => s,
                _ => *pinned.insert(self.round_robin()),
            },
            Policy::HashMod | Policy::ConsistentHash => {
                self.hashed(user_id).expect("rotation is not empty")
            }
        };
        Some(server)
    }

    /// Where user `user_id` with sticky cookie `pinned` would go now, for policies where that is a
    /// function of the user (`None` for the others, and for a sticky user who must be re-placed).
    pub fn target(&self, user_id: u64, pinned: Option<ServerId>) -> Option<ServerId> {
        match self.policy {
            Policy::Sticky => pinned.filter(|_| self.keeps(pinned)),
            Policy::HashMod | Policy::ConsistentHash => self.hashed(user_id),
            Policy::Random | Policy::RoundRobin | Policy::LeastConnections => None,
        }
    }

    /// The server after `s` in rotation order (wrapping), other than `s`: where
    /// `server_replicated` puts the backup copy of a session held by `s`. `None` if no other
    /// server is in rotation.
    pub fn successor(&self, s: ServerId) -> Option<ServerId> {
        let i = self.rotation.partition_point(|&x| x <= s);
        let next = self.rotation.get(i).or(self.rotation.first()).copied()?;
        (next != s).then_some(next)
    }

    /// A sticky cookie naming a server that no longer takes its users is pointed at `backup`, if
    /// `backup` is in rotation (the balancer fails over to the session's backup server, whose id
    /// the cookie carries, as with in-memory session replication).
    pub fn fail_over(&self, pinned: &mut Option<ServerId>, backup: ServerId) {
        if self.policy == Policy::Sticky && !self.keeps(*pinned) && self.contains(backup) {
            *pinned = Some(backup);
        }
    }

    fn round_robin(&mut self) -> ServerId {
        let s = self.rotation[self.next % self.rotation.len()];
        self.next = self.next.wrapping_add(1);
        s
    }

    fn hashed(&self, user_id: u64) -> Option<ServerId> {
        if self.rotation.is_empty() {
            return None;
        }
        let h = user_hash(user_id);
        match self.policy {
            Policy::ConsistentHash => {
                let i = self.ring.partition_point(|&(p, _)| p < h);
                Some(self.ring.get(i).unwrap_or(&self.ring[0]).1)
            }
            _ => Some(self.rotation[(h % self.rotation.len() as u64) as usize]),
        }
    }
}

/// The hash of a user id used by `hash_mod` and `consistent_hash`.
fn user_hash(user_id: u64) -> u64 {
    rng::mix64(user_id ^ 0x5EED_F00D_5E55_10B5)
}

/// The ring of `servers`, `virtual_nodes` points each, sorted by (point, server). The points
/// are distinct (`ring_point` is a bijection of (server, node)), so the order is the same
/// however the ring was put together.
///
/// The points are uniform over `u64` (`rng::mix64`), so they are first placed by their top bits
/// into about one bucket per 16 points (a counting sort), then each bucket is sorted alone:
/// linear time on average, 10,000 servers × 128 points in a few tens of milliseconds instead of
/// the 60 to 100 of one sort of the whole ring (which Ctrl-C would have to wait for).
fn ring_of(servers: &[ServerId], virtual_nodes: u32) -> Vec<(u64, ServerId)> {
    let points = || {
        servers
            .iter()
            .flat_map(move |&s| (0..virtual_nodes).map(move |v| (ring_point(s, v), s)))
    };
    let n = servers.len() * virtual_nodes as usize;
    let bits = (n / 16).max(1).ilog2().min(24);
    if bits < 4 {
        let mut ring: Vec<(u64, ServerId)> = points().collect();
        ring.sort_unstable();
        return ring;
    }
    let shift = 64 - bits;
    // starts[b]: where bucket b begins in the ring; starts[b + 1] - starts[b] points go there.
    let mut starts = vec![0usize; (1 << bits) + 1];
    for (p, _) in points() {
        starts[(p >> shift) as usize + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    let mut ring = vec![(0u64, ServerId(0)); n];
    let mut next = starts.clone();
    for (p, s) in points() {
        let b = (p >> shift) as usize;
        ring[next[b]] = (p, s);
        next[b] += 1;
    }
    for bucket in starts.windows(2) {
        ring[bucket[0]..bucket[1]].sort_unstable();
    }
    ring
}

/// The ring position of virtual node `v` of server `s`.
fn ring_point(s: ServerId, v: u32) -> u64 {
    rng::mix64((u64::from(s.0) << 32) | u64::from(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_of_ten_thousand_servers_is_sorted_and_whole() {
        let (n, v) = (10_000u32, 128u32);
        let b = Balancer::new(
            Policy::ConsistentHash,
            v,
            n,
            rng::stream(1, rng::Stream::Routing),
        );
        assert_eq!(b.ring.len(), (n * v) as usize);
        assert!(
            b.ring.windows(2).all(|w| w[0].0 < w[1].0),
            "points strictly ascending"
        );
        let mut per_server = vec![0u32; n as usize];
        for &(_, s) in &b.ring {
            per_server[s.index()] += 1;
        }
        assert!(per_server.iter().all(|&c| c == v), "V points per server");
        assert_eq!(b.rotation.len(), n as usize);
        assert!(b.contains(ServerId(n - 1)) && !b.contains(ServerId(n)));
    }

    #[test]
    fn the_ring_built_at_once_is_the_ring_built_by_joins() {
        let at_once = Balancer::new(
            Policy::ConsistentHash,
            16,
            40,
            rng::stream(1, rng::Stream::Routing),
        );
        let mut joined = Balancer::new(
            Policy::ConsistentHash,
            16,
            0,
            rng::stream(1, rng::Stream::Routing),
        );
        for s in 0..40 {
            joined.join(ServerId(s));
        }
        assert_eq!(at_once.ring, joined.ring);
        assert_eq!(at_once.rotation, joined.rotation);
        assert_eq!(at_once.member, joined.member);
    }

    #[test]
    fn the_successor_is_the_next_server_in_rotation_wrapping() {
        let mut b = balancer(Policy::Sticky, 4);
        assert_eq!(b.successor(ServerId(0)), Some(ServerId(1)));
        assert_eq!(b.successor(ServerId(3)), Some(ServerId(0)));
        b.leave(ServerId(1));
        assert_eq!(b.successor(ServerId(0)), Some(ServerId(2)));
        // A server out of rotation still has a successor.
        assert_eq!(b.successor(ServerId(1)), Some(ServerId(2)));
        let one = balancer(Policy::Sticky, 1);
        assert_eq!(one.successor(ServerId(0)), None);
    }

    fn balancer(policy: Policy, n: u32) -> Balancer {
        Balancer::new(policy, 64, n, rng::stream(1, rng::Stream::Routing))
    }

    fn route(b: &mut Balancer, user: u64, pinned: &mut Option<ServerId>) -> u32 {
        b.route(user, pinned, |_| 0).expect("a server").0
    }

    #[test]
    fn round_robin_cycles_over_the_rotation() {
        let mut b = balancer(Policy::RoundRobin, 3);
        b.leave(ServerId(1));
        let got: Vec<u32> = (0..4).map(|u| route(&mut b, u, &mut None)).collect();
        assert_eq!(got, vec![0, 2, 0, 2]);
    }

    #[test]
    fn sticky_pins_and_repins_when_the_server_leaves() {
        let mut b = balancer(Policy::Sticky, 3);
        let mut pin = None;
        assert_eq!(route(&mut b, 9, &mut pin), 0);
        assert_eq!(route(&mut b, 9, &mut pin), 0);
        b.leave(ServerId(0));
        assert_eq!(b.target(9, pin), None);
        let again = route(&mut b, 9, &mut pin);
        assert_ne!(again, 0);
        assert_eq!(pin, Some(ServerId(again)));
    }

    #[test]
    fn least_connections_picks_the_least_loaded_lowest_id() {
        let mut b = balancer(Policy::LeastConnections, 4);
        let loads = [3, 1, 1, 2];
        let got = b.route(0, &mut None, |s| loads[s.index()]);
        assert_eq!(got, Some(ServerId(1)));
    }

    #[test]
    fn no_server_in_rotation_means_no_route() {
        let mut b = balancer(Policy::HashMod, 1);
        b.leave(ServerId(0));
        assert_eq!(b.route(1, &mut None, |_| 0), None);
        assert_eq!(b.target(1, None), None);
    }

    /// Fraction of 20,000 users whose hashed server changes when server `n` joins `n` servers.
    fn moved_on_join(policy: Policy, n: u32) -> f64 {
        let mut b = balancer(policy, n);
        let before: Vec<Option<ServerId>> = (0..20_000).map(|u| b.target(u, None)).collect();
        b.join(ServerId(n));
        let moved = (0..20_000u64)
            .filter(|&u| b.target(u, None) != before[u as usize])
            .count();
        moved as f64 / 20_000.0
    }

    #[test]
    fn hash_mod_moves_most_users_and_consistent_hash_few() {
        for n in [4, 8] {
            let expected_mod = f64::from(n) / f64::from(n + 1);
            let expected_ring = 1.0 / f64::from(n + 1);
            let m = moved_on_join(Policy::HashMod, n);
            let c = moved_on_join(Policy::ConsistentHash, n);
            assert!((m - expected_mod).abs() < 0.02, "hash_mod n={n}: {m}");
            assert!((c - expected_ring).abs() < 0.05, "consistent n={n}: {c}");
        }
    }
}
