//! The tier: the web servers, the balancer in front of them, the sessions, and the store's nodes
//! and machines behind them, with the ring that places sessions on nodes.
//!
//! Owns the state of the simulated cluster and the changes that concern it alone: a server
//! started, stopped or retired, a store machine crashed or restarted, and which sessions each of
//! those loses under the run's storage design. It does not schedule events, record outcomes or
//! touch users: the engine's handlers do that with what these methods hand back (the users whose
//! requests were lost, the store operations that failed).

use crate::model::balancer::Balancer;
use crate::model::ids::{ServerId, StoreNodeId, UserSlot};
use crate::model::server::Server;
use crate::model::sessions::{self, Holder, Sessions};
use crate::model::store::{Op, Ring, Store};
use crate::rng::{self, Stream};
use crate::scenario::{CrashLoss, Micros, Scenario, Storage};

/// The simulated cluster.
#[derive(Debug)]
pub(super) struct Tier {
    /// Every server id ever used; ids `0..server_count` exist.
    pub servers: Vec<Server>,
    /// Servers that exist (the next added one gets this id).
    pub server_count: u32,
    pub balancer: Balancer,
    pub sessions: Sessions,
    /// The store's nodes.
    pub stores: Vec<Store>,
    /// The store's machines (`node * replicas + copy`).
    pub machines: Vec<Machine>,
    /// Places new sessions on store nodes.
    pub store_ring: Ring,
    /// How sessions are kept.
    storage: Storage,
    /// Machines per store node.
    replicas: u32,
    /// Whether a store node's sessions survive the loss of all its machines.
    durable: bool,
    /// (workers, queue limit) of a new server.
    server_shape: (u32, u32),
}

/// One machine of a store node.
#[derive(Clone, Copy, Debug)]
pub(super) struct Machine {
    pub up: bool,
    /// Bumped by every start and random failure.
    pub life: u32,
}

impl Tier {
    /// The cluster at time 0: `servers.count` servers in rotation, every store machine up, no
    /// session.
    pub fn new(sc: &Scenario) -> Self {
        let count = sc.servers.count;
        let (workers, queue_limit) = (sc.servers.workers, sc.servers.queue_limit);
        let st = &sc.store;
        // Several data centres: a store of `store.nodes` nodes in each.
        let dcs = sc.geo.as_ref().map_or(1, |g| g.datacenters.len() as u32);
        let nodes = st.nodes * dcs;
        let options = sessions::Options {
            store_nodes: nodes,
            max_per_node: st.max_sessions.filter(|_| sc.storage.uses_store()),
            aux: sc.storage.aux().is_some(),
        };
        let machine = Machine { up: true, life: 0 };
        Tier {
            servers: (0..count)
                .map(|_| Server::new(workers, queue_limit, 0))
                .collect(),
            server_count: count,
            balancer: Balancer::new(
                sc.balancer.policy,
                sc.balancer.virtual_nodes,
                count,
                rng::stream(sc.seed, Stream::Routing),
            ),
            sessions: Sessions::with_options(sc.users.session_ttl_us, count as usize, options),
            stores: (0..nodes)
                .map(|_| Store::with_queue_limit(st.workers, st.queue_limit))
                .collect(),
            machines: vec![machine; (nodes * st.replicas) as usize],
            store_ring: Ring::new(st.nodes),
            storage: sc.storage,
            replicas: st.replicas,
            durable: st.durable,
            server_shape: (workers, queue_limit),
        }
    }

    /// Whether server `s` exists and runs.
    pub fn is_up(&self, s: ServerId) -> bool {
        self.servers
            .get(s.index())
            .is_some_and(|s| s.exists && s.up)
    }

    /// Whether server `s` exists and is stopped.
    pub fn is_down(&self, s: ServerId) -> bool {
        self.servers
            .get(s.index())
            .is_some_and(|s| s.exists && !s.up)
    }

    /// Servers that exist and run.
    pub fn servers_up(&self) -> u32 {
        self.servers.iter().filter(|s| s.exists && s.up).count() as u32
    }

    /// A new server with the next id, running but not yet in rotation; returns its id.
    pub fn new_server(&mut self, now: Micros) -> ServerId {
        let (workers, queue_limit) = self.server_shape;
        self.servers.push(Server::new(workers, queue_limit, now));
        self.sessions.grow_servers(self.servers.len());
        ServerId(self.servers.len() as u32 - 1)
    }

    /// Stops running server `server` at once: its queued and in-service requests are appended
    /// to `lost` (copies go with it). Its sessions are not touched yet: see
    /// [`Tier::lose_sessions_of`], called once the lost requests have ended.
    pub fn stop_server(&mut self, server: ServerId, now: Micros, lost: &mut Vec<UserSlot>) {
        self.servers[server.index()].stop(now, lost);
    }

    /// What server `server`'s stop does to sessions: lost with its memory, moved to their
    /// backups (`server_replicated`), or only its local cache gone (`cached_store`). Returns the
    /// sessions lost.
    pub fn lose_sessions_of(&mut self, server: ServerId) -> u64 {
        match self.storage.crash_loses() {
            CrashLoss::Memory => self.sessions.lose_all_of(Holder::Server(server)),
            CrashLoss::MemoryUnlessBackedUp => {
                let servers = &self.servers;
                let up = |b: ServerId| servers[b.index()].exists && servers[b.index()].up;
                self.sessions.fail_replicated(server, up)
            }
            CrashLoss::LocalCache => {
                self.sessions.forget_server(server);
                0
            }
            CrashLoss::Nothing => 0,
        }
    }

    /// The store node of machine `m`.
    pub fn node_of(&self, m: u32) -> StoreNodeId {
        StoreNodeId(m / self.replicas)
    }

    /// The target of a store machine's row in `events.csv`: its node, when the store has more
    /// than one machine.
    pub fn machine_target(&self, m: u32) -> Option<u32> {
        (self.machines.len() > 1).then(|| self.node_of(m).0)
    }

    /// The machines a store event acts on: of node `node`, the first one that is up (`up`) or
    /// down; of the whole store (`None`), every one that is.
    pub fn store_machines(&self, node: Option<u32>, up: bool) -> Vec<u32> {
        let replicas = self.replicas;
        let matching = |m: &u32| self.machines[*m as usize].up == up;
        match node {
            Some(k) => (k * replicas..(k + 1) * replicas)
                .find(matching)
                .into_iter()
                .collect(),
            None => (0..self.machines.len() as u32).filter(matching).collect(),
        }
    }

    /// Store machine `m` crashes. If it was serving its node, the node's operations fail (they
    /// are appended to `failed`, for the engine to end their requests) and the next machine up
    /// takes over. Returns whether the node keeps its sessions (another machine is up, or the
    /// store is durable); if not, call [`Tier::lose_store_node`] once the failed requests ended.
    pub fn crash_machine(&mut self, m: u32, failed: &mut Vec<Op>) -> bool {
        let node = self.node_of(m);
        let first = node.0 * self.replicas;
        let copies = first..first + self.replicas;
        let serving = copies.clone().find(|&x| self.machines[x as usize].up);
        debug_assert!(self.machines[m as usize].up);
        self.machines[m as usize].up = false;
        let another_up = copies.into_iter().any(|x| self.machines[x as usize].up);
        if serving == Some(m) {
            self.stores[node.index()].crash(failed, another_up);
        }
        another_up || self.durable
    }

    /// Loses every session of store node `node`; returns how many.
    pub fn lose_store_node(&mut self, node: StoreNodeId) -> u64 {
        self.sessions.lose_all_of(Holder::Store(node))
    }

    /// Store machine `m` comes back (with a copy of its node's sessions from the machines still
    /// up, or empty if there were none); its node answers again.
    pub fn restart_machine(&mut self, m: u32) {
        let node = self.node_of(m).index();
        self.machines[m as usize].up = true;
        if !self.stores[node].up {
            self.stores[node].restart();
        }
    }

    /// Machine `m` has (re)started or failed: a new life, which events drawn in the old one no
    /// longer concern. Returns it.
    pub fn new_life(&mut self, m: u32) -> u32 {
        let machine = &mut self.machines[m as usize];
        machine.life += 1;
        machine.life
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::AuthFailure;
    use crate::model::server::{Admission, Occupant};
    use crate::model::sessions::Lookup;

    fn tier(storage: &str, set: &[&str]) -> Tier {
        let storage = format!("sessions.storage=\"{storage}\"");
        let set: Vec<&str> = set.iter().copied().chain([storage.as_str()]).collect();
        Tier::new(&super::super::tests::tiny(&set))
    }

    fn on(server: u32) -> Holder {
        Holder::Server(ServerId(server))
    }

    /// Three servers of two workers with no queue (`tiny`). Server 1 holds three sessions and
    /// two requests in service; server 2 one session. Its crash loses its two requests and its
    /// three sessions, nothing of server 2's.
    #[test]
    fn a_crash_loses_the_servers_requests_and_sessions_only() {
        let mut t = tier("server_memory", &[]);
        let on1: Vec<_> = (0..3).map(|_| t.sessions.create(on(1), 0)).collect();
        let on2 = t.sessions.create(on(2), 0);
        let user = |u| Occupant::User(UserSlot(u));
        let one = ServerId(1);
        assert_eq!(
            t.servers[1].admit(user(7), 0),
            Admission::Started { slot: 0 }
        );
        assert_eq!(
            t.servers[1].admit(user(8), 0),
            Admission::Started { slot: 1 }
        );
        let mut lost = Vec::new();
        t.stop_server(one, 10, &mut lost);
        assert_eq!(lost, vec![UserSlot(7), UserSlot(8)]);
        assert_eq!(t.lose_sessions_of(one), 3);
        assert_eq!(t.servers_up(), 2);
        assert!(t.is_down(one) && t.is_up(ServerId(2)));
        let gone = Lookup::Gone(AuthFailure::Lost);
        assert_eq!(t.sessions.lookup(on1[0], 10), gone);
        assert_eq!(t.sessions.lookup(on2, 10), Lookup::Alive { holder: on(2) });
    }

    /// `server_replicated`: a session held by server 0 with its backup on server 1 moves to
    /// server 1 when 0 stops; one with no backup is lost. One session lost of two.
    #[test]
    fn a_replicated_crash_moves_sessions_to_their_backup() {
        let mut t = tier("server_replicated", &[]);
        let backed = t.sessions.create(on(0), 0);
        t.sessions.set_aux(backed, Some(ServerId(1)));
        t.sessions.create(on(0), 0);
        t.stop_server(ServerId(0), 5, &mut Vec::new());
        assert_eq!(t.lose_sessions_of(ServerId(0)), 1);
        assert_eq!(
            t.sessions.lookup(backed, 5),
            Lookup::Alive { holder: on(1) }
        );
    }

    /// Two nodes of two machines each (machines 0, 1 for node 0; 2, 3 for node 1). Crashing
    /// machine 0 (serving node 0) fails its operation but machine 1 keeps the sessions;
    /// crashing machine 1 too leaves node 0 down and its two sessions to lose.
    #[test]
    fn a_store_node_loses_its_sessions_with_its_last_machine() {
        let mut t = tier("shared_store", &["store.nodes=2", "store.replicas=2"]);
        assert_eq!(t.store_machines(Some(1), true), vec![2]);
        let node = |n| Holder::Store(StoreNodeId(n));
        t.sessions.create(node(0), 0);
        t.sessions.create(node(0), 0);
        t.sessions.create(node(1), 0);
        let op = Op {
            user: UserSlot(4),
            request: 9,
            write: false,
            duration_us: 10,
        };
        t.stores[0].submit(op);
        let mut failed = Vec::new();
        assert!(t.crash_machine(0, &mut failed));
        assert_eq!(failed, vec![op]);
        assert!(t.stores[0].up);
        failed.clear();
        assert!(!t.crash_machine(1, &mut failed));
        assert!(failed.is_empty() && !t.stores[0].up);
        assert_eq!(t.lose_store_node(StoreNodeId(0)), 2);
        assert_eq!(t.store_machines(None, false), vec![0, 1]);
        t.restart_machine(1);
        assert!(t.stores[0].up);
        assert_eq!(t.sessions.alive(), 1);
    }
}
