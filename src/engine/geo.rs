//! Several data centres: where each user's request goes (the geo DNS and the client's cached
//! answer), the round trip it pays, whether its session is in the data centre that serves it,
//! and the rows of `datacenters.csv`.
//!
//! Each data centre is a slice of the one tier: servers `first..first + servers` with a
//! balancer of their own (the scenario's policy over local ids), and store nodes
//! `dc * store.nodes..(dc + 1) * store.nodes`. Absent (`Scenario::geo` is `None`), nothing here
//! exists and the run takes the engine's `Plain` loop, where every test for data centres is a
//! constant `false` (a request costs what it did before data centres existed).
//!
//! The DNS: a user's nearest data centre (`home`) is a pure function of their id, the seed
//! and the shares. A client keeps a DNS answer `dns_ttl`; each user refreshes it at its own
//! phase (`hash(seed, id) mod dns_ttl`), and the DNS answers what it knew `detection_delay`
//! earlier. So a request sent at `t` goes where the data centres stood at `last refresh -
//! detection_delay`: home if up then, else the first data centre (in file order) that was up.
//! Left out: DNS servers that fail, clients that ignore the TTL, a new visit looking the name
//! up afresh.

use std::collections::VecDeque;

use super::Engine;
use crate::events::{AuthFailure, EventAction, Outcome};
use crate::metrics::DcRow;
use crate::model::balancer::Balancer;
use crate::model::ids::{ServerId, SessionSlot, StoreNodeId, UserSlot};
use crate::model::sessions::Holder;
use crate::rng::{self, Stream};
use crate::scenario::{Micros, Replication, Scenario};

/// No data centre yet (a user slot that has not sent a request in its visit).
const NOWHERE: u8 = u8::MAX;

/// A session whose last write did not reach the other data centres (`async`).
const UNREPLICATED: Micros = Micros::MAX;

/// Where one request goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Hop {
    /// The data centre the client sends it to.
    pub dc: usize,
    /// The round trip it pays: `rtt_local` to the user's nearest data centre, else `rtt_remote`.
    pub rtt_us: Micros,
}

/// One data centre's state.
#[derive(Debug)]
struct Dc {
    up: bool,
    first_server: u32,
    servers: u32,
    balancer: Balancer,
    /// Counts of the current bucket: served, failed authentications, errors.
    served: u64,
    failed_auth: u64,
    errors: u64,
    /// `async`: sessions written here, oldest first, with their write time.
    recent: VecDeque<(SessionSlot, Micros)>,
}

/// The data centres of a run.
#[derive(Debug)]
pub(super) struct Geo {
    dcs: Vec<Dc>,
    names: Vec<String>,
    /// Cumulative users' shares, for the nearest data centre of a user.
    cumulative: Vec<f64>,
    /// Mixed with a user's id for their nearest data centre and their DNS phase: derived from
    /// the seed, so that runs of other seeds (replications) draw other geographies too.
    home_key: u64,
    phase_key: u64,
    /// (time, data centre, up) of the scenario's `dc_down` and `dc_up`, in time order.
    history: Vec<(Micros, usize, bool)>,
    /// Per user slot: the data centre of its current or last request in this visit.
    route: Vec<u8>,
    /// Per session slot (`async`): when it was written, or [`UNREPLICATED`].
    written: Vec<Micros>,
    /// The row of `events.csv` of the last `dc_down` or `dc_up`.
    last_row: Option<usize>,
    rtt_local_us: Micros,
    rtt_remote_us: Micros,
    detection_us: Micros,
    ttl_us: Micros,
    replication: Replication,
    lag_us: Micros,
    nodes_per_dc: u32,
    global: usize,
    rows: Vec<DcRow>,
}

impl Geo {
    /// The data centres at time 0 (`None` for one data centre): all up, no request routed.
    pub fn new(sc: &Scenario) -> Option<Self> {
        let g = sc.geo.as_ref()?;
        let mut first = 0;
        let mut dcs = Vec::new();
        for (d, dc) in g.datacenters.iter().enumerate() {
            let stream = rng::stream(rng::mix64(sc.seed ^ (d as u64 + 1)), Stream::Routing);
            let balancer = Balancer::new(
                sc.balancer.policy,
                sc.balancer.virtual_nodes,
                dc.servers,
                stream,
            );
            dcs.push(Dc {
                up: true,
                first_server: first,
                servers: dc.servers,
                balancer,
                served: 0,
                failed_auth: 0,
                errors: 0,
                recent: VecDeque::new(),
            });
            first += dc.servers;
        }
        let mut sum = 0.0;
        let cumulative = g
            .datacenters
            .iter()
            .map(|d| {
                sum += d.users_share;
                sum
            })
            .collect();
        let history = sc
            .events
            .iter()
            .filter_map(|e| match e.action {
                crate::scenario::Action::DcDown { dc } => Some((e.at_us, dc as usize, false)),
                crate::scenario::Action::DcUp { dc } => Some((e.at_us, dc as usize, true)),
                _ => None,
            })
            .collect();
        Some(Geo {
            dcs,
            names: g.datacenters.iter().map(|d| d.name.clone()).collect(),
            cumulative,
            home_key: rng::mix64(sc.seed ^ 0x6765_6f5f_686f_6d65),
            phase_key: rng::mix64(sc.seed ^ 0x6474_6c5f_7068_6173),
            history,
            route: Vec::new(),
            written: Vec::new(),
            last_row: None,
            rtt_local_us: g.rtt_local_us,
            rtt_remote_us: g.rtt_remote_us,
            detection_us: g.detection_delay_us,
            ttl_us: g.dns_ttl_us,
            replication: g.replication,
            lag_us: g.replication_lag_us,
            nodes_per_dc: sc.store.nodes,
            global: g.global_store,
            rows: Vec::new(),
        })
    }

    /// The nearest data centre of user `id`.
    pub fn home(&self, id: u64) -> usize {
        let x = (rng::mix64(id ^ self.home_key) >> 11) as f64 / (1u64 << 53) as f64;
        let last = self.cumulative.len() - 1;
        self.cumulative.iter().position(|&c| x < c).unwrap_or(last)
    }

    /// When the client of user `id` last refreshed its DNS answer, at or before `now`.
    fn refreshed(&self, id: u64, now: Micros) -> Micros {
        if self.ttl_us == 0 {
            return now;
        }
        let phase = rng::mix64(id ^ self.phase_key) % self.ttl_us;
        if now < phase {
            return 0;
        }
        now - (now - phase) % self.ttl_us
    }

    /// Whether data centre `dc` was up at `at` (by the scenario's events).
    fn was_up(&self, dc: usize, at: Micros) -> bool {
        self.history
            .iter()
            .take_while(|&&(t, _, _)| t <= at)
            .filter(|&&(_, d, _)| d == dc)
            .last()
            .is_none_or(|&(_, _, up)| up)
    }

    /// Where user `id`'s request sent at `now` goes.
    pub fn hop(&self, id: u64, now: Micros) -> Hop {
        let home = self.home(id);
        let seen = self.refreshed(id, now).checked_sub(self.detection_us);
        let up = |d: usize| seen.is_none_or(|at| self.was_up(d, at));
        let dc = match up(home) {
            true => home,
            false => (0..self.dcs.len()).find(|&d| up(d)).unwrap_or(home),
        };
        Hop {
            dc,
            rtt_us: self.rtt(home, dc),
        }
    }

    fn rtt(&self, home: usize, dc: usize) -> Micros {
        match home == dc {
            true => self.rtt_local_us,
            false => self.rtt_remote_us,
        }
    }

    /// The round trip of user `u` (id `id`)'s current request.
    pub fn rtt_of(&self, u: UserSlot, id: u64) -> Micros {
        match self.route.get(u.index()).copied() {
            Some(dc) if dc != NOWHERE => self.rtt(self.home(id), dc as usize),
            _ => 0,
        }
    }

    /// The data centre of server `s`.
    pub fn dc_of_server(&self, s: ServerId) -> usize {
        self.dcs
            .iter()
            .position(|d| s.0 < d.first_server + d.servers)
            .unwrap_or(self.dcs.len() - 1)
    }

    fn dc_of_node(&self, node: StoreNodeId) -> usize {
        (node.0 / self.nodes_per_dc) as usize
    }

    /// Whether the session in `slot`, held by `holder`, is in data centre `dc`.
    pub fn holds(&self, slot: SessionSlot, holder: Holder, dc: usize) -> bool {
        match holder {
            Holder::Cookie => true,
            Holder::Server(s) => self.dc_of_server(s) == dc,
            Holder::Store(node) => match self.replication {
                Replication::None => self.dc_of_node(node) == dc,
                Replication::Sync | Replication::Global => true,
                Replication::Async => {
                    self.dc_of_node(node) == dc
                        || self.written.get(slot.index()) != Some(&UNREPLICATED)
                }
            },
        }
    }

    /// The store node that a read of a session held on `node` goes to from data centre `dc`:
    /// the global store, or the same node of the local store.
    pub fn read_node(&self, node: StoreNodeId, dc: usize) -> StoreNodeId {
        match self.replication {
            Replication::Global => node,
            _ => StoreNodeId(node.0 % self.nodes_per_dc + dc as u32 * self.nodes_per_dc),
        }
    }

    /// The store node that a new session placed on `node` (of one store) is written to from
    /// data centre `dc`.
    pub fn write_node(&self, node: StoreNodeId, dc: usize) -> StoreNodeId {
        let home = match self.replication {
            Replication::Global => self.global,
            _ => dc,
        };
        StoreNodeId(node.0 + home as u32 * self.nodes_per_dc)
    }

    /// The round trip a store operation on `node` from data centre `dc` adds: `rtt_remote` to
    /// the global store from elsewhere, or for a synchronous write while another data centre
    /// is up.
    pub fn store_rtt_us(&self, node: StoreNodeId, dc: usize, write: bool) -> Micros {
        let far = match self.replication {
            Replication::Global => self.dc_of_node(node) != dc,
            Replication::Sync => write && self.dcs.iter().enumerate().any(|(d, x)| d != dc && x.up),
            Replication::None | Replication::Async => false,
        };
        if far { self.rtt_remote_us } else { 0 }
    }

    /// The bucket's counts of data centre `dc` take `outcome`.
    fn count(&mut self, dc: usize, outcome: Outcome) {
        let d = &mut self.dcs[dc];
        match outcome {
            Outcome::Ok => {}
            Outcome::FailedAuth(_) => d.failed_auth += 1,
            Outcome::Error(_) => d.errors += 1,
        }
        if !matches!(outcome, Outcome::Error(_)) {
            d.served += 1;
        }
    }
}

impl<M: super::Mode> Engine<'_, M> {
    /// A new visit in slot `u`: no data centre yet.
    #[cold]
    pub(super) fn geo_arrive(&mut self, u: UserSlot) {
        if let Some(g) = self.geo.as_mut() {
            if g.route.len() <= u.index() {
                g.route.resize(u.index() + 1, NOWHERE);
            }
            g.route[u.index()] = NOWHERE;
        }
    }

    /// Routes user `u`'s request, sent to `hop.dc`, within that data centre; `None` if the data
    /// centre is down (the request then fails with `errors_dc_down`). A user who changes data
    /// centre loses their sticky pin and, if logged in, is counted as moved on the last data
    /// centre event.
    /// Where user `u`'s request sent now goes.
    #[cold]
    pub(super) fn geo_hop(&self, u: UserSlot) -> Hop {
        let g = self.geo.as_ref().expect("several data centres");
        g.hop(self.users.get(u).id, self.now)
    }

    #[cold]
    pub(super) fn route_in_dc(&mut self, u: UserSlot, hop: Hop) -> Option<Option<ServerId>> {
        let g = self.geo.as_mut().expect("several data centres");
        let user = self.users.get_mut(u);
        if g.route.len() <= u.index() {
            g.route.resize(u.index() + 1, NOWHERE);
        }
        let before = std::mem::replace(&mut g.route[u.index()], hop.dc as u8);
        if before != hop.dc as u8 {
            user.pinned = None;
            // Moved: a logged-in user sent elsewhere than their last request (as the
            // `users_remapped` of any event counts the logged-in users a change moves).
            if before != NOWHERE
                && user.session.is_some()
                && let Some(row) = g.last_row
            {
                let n = &mut self.measure.event_rows[row].users_remapped;
                *n = Some(n.unwrap_or(0) + 1);
            }
        }
        let dc = &mut g.dcs[hop.dc];
        if !dc.up {
            return None;
        }
        let (first, servers) = (dc.first_server, &self.tier.servers);
        let local = dc.balancer.route(user.id, &mut user.pinned, |s| {
            servers[(first + s.0) as usize].load()
        });
        Some(local.map(|s| ServerId(first + s.0)))
    }

    /// Server `s` joins (`join`) or leaves its data centre's balancer: a restart, or the
    /// health checks noticing a crash.
    #[cold]
    pub(super) fn geo_membership(&mut self, s: ServerId, join: bool) {
        let g = self.geo.as_mut().expect("several data centres");
        let d = g.dc_of_server(s);
        let dc = &mut g.dcs[d];
        let local = ServerId(s.0 - dc.first_server);
        match join {
            true => dc.balancer.join(local),
            false => dc.balancer.leave(local),
        }
    }

    /// Whether server `s` is in a data centre that is down (with one data centre: never).
    pub(super) fn in_down_dc(&self, s: ServerId) -> bool {
        self.geo
            .as_ref()
            .is_some_and(|g| !g.dcs[g.dc_of_server(s)].up)
    }

    /// Whether store machine `m` is in a data centre that is down.
    pub(super) fn machine_in_down_dc(&self, m: u32) -> bool {
        let node = self.tier.node_of(m);
        self.geo
            .as_ref()
            .is_some_and(|g| !g.dcs[g.dc_of_node(node)].up)
    }

    /// The data centre of user `u`'s current request.
    pub(super) fn dc_of_user(&self, u: UserSlot) -> usize {
        let g = self.geo.as_ref().expect("several data centres");
        g.route[u.index()] as usize
    }

    /// Whether user `u`'s session, in `slot`, is in the data centre serving its request.
    pub(super) fn session_here(&self, u: UserSlot, slot: SessionSlot) -> bool {
        let g = self.geo.as_ref().expect("several data centres");
        let holder = self.tier.sessions.holder(slot);
        g.holds(slot, holder, g.route[u.index()] as usize)
    }

    /// A session was just written in `slot` by user `u` (`async` remembers when).
    #[cold]
    pub(super) fn geo_written(&mut self, u: UserSlot, slot: SessionSlot) {
        let Some(g) = self.geo.as_mut() else { return };
        if g.replication != Replication::Async {
            return;
        }
        if g.written.len() <= slot.index() {
            g.written.resize(slot.index() + 1, 0);
        }
        g.written[slot.index()] = self.now;
        let dc = g.route[u.index()] as usize;
        let recent = &mut g.dcs[dc].recent;
        recent.push_back((slot, self.now));
        while recent
            .front()
            .is_some_and(|&(_, t)| t + g.lag_us < self.now)
        {
            recent.pop_front();
        }
    }

    /// User `u`'s request ended with `outcome` (counted for `datacenters.csv` if measured),
    /// and a failed authentication `other_dc` is a forced login of the last data centre event.
    /// Returns the request's round trip.
    #[cold]
    pub(super) fn geo_ended(&mut self, u: UserSlot, outcome: Outcome) -> Micros {
        let user = self.users.get(u);
        let measured = self.measure.rec.measuring(user.sent_us);
        let g = self.geo.as_mut().expect("several data centres");
        let rtt_us = g.rtt_of(u, user.id);
        let dc = g.route.get(u.index()).copied().unwrap_or(NOWHERE);
        if measured && dc != NOWHERE {
            g.count(dc as usize, outcome);
        }
        if let (Outcome::FailedAuth(AuthFailure::OtherDc), Some(row)) = (outcome, g.last_row) {
            self.measure.forced_login_by(row as u32);
        }
        if let (true, Some(row)) = (rtt_us > g.rtt_local_us, g.last_row) {
            // Sent to another data centre than its user's nearest: the event's penalty.
            let extra_s = (rtt_us - g.rtt_local_us) as f64 / 1e6;
            let penalty = &mut self.measure.event_rows[row].latency_penalty_s;
            *penalty = Some(penalty.unwrap_or(0.0) + extra_s);
        }
        rtt_us
    }

    /// `dc_down` or `dc_up` of data centre `dc`: carries it out and records its row.
    pub(super) fn datacenter_event(&mut self, dc: usize, up: bool) {
        let action = if up {
            EventAction::DcUp
        } else {
            EventAction::DcDown
        };
        let mut row = self.open_row(action, Some(dc as u32));
        let index = self.measure.event_rows.len();
        self.geo.as_mut().expect("several data centres").last_row = Some(index);
        row.sessions_lost = match up {
            true => self.dc_up(dc),
            false => self.dc_down(dc),
        };
        let i = self.close_row(row);
        // Users move over time, as their DNS answers expire: counted as they do.
        self.measure.event_rows[i].users_remapped = Some(0);
        self.measure.event_rows[i].latency_penalty_s = Some(0.0);
    }

    /// Data centre `dc` goes down: its servers stop, its store's machines crash. Returns the
    /// sessions lost: those in its servers' memory, those of its store when they exist nowhere
    /// else (`none`, or the global store, unless `store.durable`), and under `async` those
    /// written in the last `replication_lag`, which never reached the other data centres.
    fn dc_down(&mut self, dc: usize) -> u64 {
        let g = self.geo.as_mut().expect("several data centres");
        g.dcs[dc].up = false;
        let (first, count) = (g.dcs[dc].first_server, g.dcs[dc].servers);
        let (replication, global) = (g.replication, g.global);
        let mut lost = self.unreplicated(dc);
        for s in (first..first + count).map(ServerId) {
            self.tier.balancer.leave(s);
            if self.tier.is_up(s) {
                lost += self.stop_server(s);
            }
        }
        let only_copy = match replication {
            Replication::None => true,
            Replication::Global => dc == global,
            Replication::Async | Replication::Sync => false,
        };
        for m in self.dc_machines(dc, true) {
            lost += self.crash_dc_machine(m, only_copy);
        }
        lost
    }

    /// `async`: the sessions data centre `dc` wrote in the last `replication_lag`, still alive
    /// there, stay there only. Returns how many.
    fn unreplicated(&mut self, dc: usize) -> u64 {
        let g = self.geo.as_mut().expect("several data centres");
        if g.replication != Replication::Async {
            return 0;
        }
        let since = self.now.saturating_sub(g.lag_us);
        let recent = std::mem::take(&mut g.dcs[dc].recent);
        let mut lost = 0;
        for &(slot, t) in recent.iter().filter(|&&(_, t)| t >= since) {
            let alive = matches!(
                self.tier.sessions.lookup(slot, self.now),
                crate::model::sessions::Lookup::Alive {
                    holder: Holder::Store(_)
                }
            );
            if alive && g.written.get(slot.index()) == Some(&t) {
                g.written[slot.index()] = UNREPLICATED;
                lost += 1;
            }
        }
        lost
    }

    /// The store machines of data centre `dc` that are up (`up`) or down.
    fn dc_machines(&self, dc: usize, up: bool) -> Vec<u32> {
        let g = self.geo.as_ref().expect("several data centres");
        let per_dc = g.nodes_per_dc * self.sc.store.replicas;
        let first = dc as u32 * per_dc;
        (first..first + per_dc)
            .filter(|&m| self.tier.machines[m as usize].up == up)
            .collect()
    }

    /// A machine of a data centre going down crashes; its node's sessions are lost with it only
    /// if they are the `only_copy` and the store is not durable. Returns the sessions lost.
    fn crash_dc_machine(&mut self, m: u32, only_copy: bool) -> u64 {
        let mut ops = std::mem::take(&mut self.scratch.ops);
        let keeps = self.tier.crash_machine(m, &mut ops);
        for op in &ops {
            if self.users.current_request(op.user) != Some(op.request) {
                continue;
            }
            let (server, slot) = {
                let user = self.users.get(op.user);
                (user.server, user.slot)
            };
            self.end(
                op.user,
                Outcome::Error(crate::events::ErrorCause::StoreDown),
            );
            self.release_worker(server, slot);
        }
        ops.clear();
        self.scratch.ops = ops;
        match keeps || !only_copy {
            true => 0,
            false => self.tier.lose_store_node(self.tier.node_of(m)),
        }
    }

    /// Data centre `dc` comes back: its servers start empty, its store's machines restart
    /// (with their sessions if durable or replicated from elsewhere). Loses nothing.
    fn dc_up(&mut self, dc: usize) -> u64 {
        let g = self.geo.as_mut().expect("several data centres");
        g.dcs[dc].up = true;
        let (first, count) = (g.dcs[dc].first_server, g.dcs[dc].servers);
        for s in (first..first + count).map(ServerId) {
            if self.tier.is_down(s) {
                self.restart(s);
            }
        }
        for m in self.dc_machines(dc, false) {
            self.restart_machine(m);
        }
        0
    }

    /// A bucket just closed (`start_us`, the server rows of the bucket in `servers`): one row
    /// of `datacenters.csv` per data centre.
    pub(super) fn geo_bucket(&mut self, start_us: Micros) {
        let in_visit = self.users_in_visit_by_dc();
        let g = self.geo.as_mut().expect("several data centres");
        let per_dc = g.nodes_per_dc;
        for (d, dc) in g.dcs.iter_mut().enumerate() {
            let range = dc.first_server..dc.first_server + dc.servers;
            let sessions: u64 = range
                .clone()
                .map(|s| self.tier.sessions.alive_on(ServerId(s)))
                .sum::<u64>()
                + (d as u32 * per_dc..(d as u32 + 1) * per_dc)
                    .map(|n| self.tier.sessions.alive_in_node(StoreNodeId(n)))
                    .sum::<u64>();
            let up = range.filter(|&s| self.tier.is_up(ServerId(s))).count() as u32;
            g.rows.push(DcRow {
                start_us,
                datacenter: d as u32,
                up: dc.up,
                requests: std::mem::take(&mut dc.served),
                failed_auth: std::mem::take(&mut dc.failed_auth),
                errors: std::mem::take(&mut dc.errors),
                users_in_visit: in_visit[d],
                sessions,
                servers_up: up,
            });
        }
    }

    /// Users in a visit whose last request went to each data centre (home if none yet).
    fn users_in_visit_by_dc(&self) -> Vec<u64> {
        let g = self.geo.as_ref().expect("several data centres");
        let mut counts = vec![0; g.dcs.len()];
        for (slot, user) in self.users.iter() {
            let dc = match g.route.get(slot.index()).copied() {
                Some(d) if d != NOWHERE => d as usize,
                _ => g.home(user.id),
            };
            counts[dc] += 1;
        }
        counts
    }

    /// The rows of `datacenters.csv` and the data centres' names, for the result.
    pub(super) fn geo_result(&mut self) -> (Vec<DcRow>, Vec<String>) {
        match self.geo.as_mut() {
            Some(g) => (std::mem::take(&mut g.rows), g.names.clone()),
            None => (Vec::new(), Vec::new()),
        }
    }
}
