//! Timed events: crashes, restarts, servers added and removed, store outages; and what each one
//! cost (a row of `events.csv`).
//!
//! A crash is seen by the balancer only `detection_delay` later (the `Detect` event); a restart,
//! an addition and a removal change the rotation at once (the operator tells the balancer). Users
//! remapped by a change of rotation are counted on the row of the event that caused it; for a
//! crash that is at its detection.

use super::Engine;
use super::requests::COPY;
use crate::events::{ErrorCause, Event, EventAction, Outcome};
use crate::metrics::EventRow;
use crate::model::server::Server;
use crate::model::sessions::{NO_SESSION, store_holder};
use crate::scenario::{Action, Storage};

impl Engine<'_> {
    /// Opens the row of a change of membership: the state just before it.
    pub(super) fn open_row(&mut self, action: EventAction, target: Option<u32>) -> EventRow {
        self.sessions.advance(self.now);
        let logged_in = self
            .users
            .iter()
            .filter(|(_, u)| u.session != NO_SESSION)
            .count();
        self.snapshot_targets();
        EventRow {
            at_us: self.now,
            action,
            target,
            servers_before: self.servers_up(),
            sessions_alive: self.sessions.alive(),
            users_logged_in: logged_in as u64,
            ..EventRow::default()
        }
    }

    /// Closes the row of a change: the state just after it, and the users it remapped. Returns
    /// the row's index.
    pub(super) fn close_row(&mut self, mut row: EventRow) -> usize {
        row.servers_after = self.servers_up();
        row.users_remapped = self.count_remapped();
        self.event_rows.push(row);
        self.event_rows.len() - 1
    }

    /// Carries out one timed event and records its row. An event that no longer applies (a
    /// crash of a server that random failures or the autoscaler have already taken down) changes
    /// nothing and gets a row that says so (no server or session changes).
    pub(super) fn timed(&mut self, action: Action) {
        let target = match action {
            Action::Crash { server } | Action::Restart { server } => Some(server),
            Action::AddServers { count } | Action::RemoveServers { count } => Some(count),
            Action::StoreCrash { node } | Action::StoreRestart { node } => node,
        };
        let mut row = self.open_row(action.into(), target);
        let up = |s: u32| {
            self.servers
                .get(s as usize)
                .is_some_and(|s| s.exists && s.up)
        };
        let down = |s: u32| {
            self.servers
                .get(s as usize)
                .is_some_and(|s| s.exists && !s.up)
        };
        match action {
            Action::Crash { server } if up(server) => {
                row.sessions_lost = self.crash(server);
                self.detect_row[server as usize] = Some(self.event_rows.len());
            }
            Action::Restart { server } if down(server) => self.restart(server),
            Action::AddServers { count } => self.add_servers(count),
            Action::RemoveServers { count } => row.sessions_lost = self.remove_servers(count),
            Action::StoreCrash { node } => {
                for m in self.store_machines(node, true) {
                    row.sessions_lost += self.crash_machine(m);
                }
            }
            Action::StoreRestart { node } => {
                for m in self.store_machines(node, false) {
                    self.restart_machine(m);
                }
            }
            _ => {}
        }
        self.close_row(row);
    }

    /// Restarts a stopped server, empty, and puts it back in rotation.
    pub(super) fn restart(&mut self, server: u32) {
        self.servers[server as usize].start(self.now);
        self.balancer.join(server);
        self.server_started(server);
    }

    /// The balancer's health checks notice that `server` is down.
    pub(super) fn detect(&mut self, server: u32, epoch: u32) {
        if self.servers[server as usize].epoch != epoch {
            return; // Restarted (or removed) before the health checks noticed.
        }
        self.snapshot_targets();
        self.balancer.leave(server);
        let remapped = self.count_remapped();
        if let Some(row) = self.detect_row[server as usize].take() {
            let row = &mut self.event_rows[row];
            row.users_remapped = row.users_remapped.map(|n| n + remapped.unwrap_or(0));
        }
    }

    /// Server `server` crashes. Loses its queue and in-flight requests (errors for their users)
    /// and every session in its memory; returns how many sessions. It stays in rotation until
    /// detected.
    pub(super) fn crash(&mut self, server: u32) -> u64 {
        let lost = self.stop_server(server);
        let epoch = self.servers[server as usize].epoch;
        let at = self.now + self.sc.balancer.detection_delay_us;
        self.queue.push(at, Event::Detect { server, epoch });
        lost
    }

    /// Stops a running server: fails its requests and loses its sessions; returns how many.
    pub(super) fn stop_server(&mut self, server: u32) -> u64 {
        let mut lost = std::mem::take(&mut self.scratch_users);
        self.servers[server as usize].stop(self.now, &mut lost);
        for &u in lost.iter().filter(|&&u| u != COPY) {
            self.end(u, Outcome::Error(ErrorCause::ServerDown));
        }
        lost.clear();
        self.scratch_users = lost;
        match self.sc.storage {
            Storage::ServerReplicated => {
                let servers = &self.servers;
                let up = |b: u32| servers[b as usize].exists && servers[b as usize].up;
                self.sessions.fail_replicated(server, up)
            }
            Storage::CachedStore => {
                self.sessions.forget_server(server);
                0
            }
            _ => self.sessions.lose_all_of(server),
        }
    }

    fn add_servers(&mut self, count: u32) {
        let (first, last) = (self.server_count, self.server_count + count);
        for id in first..last {
            match self.servers.get_mut(id as usize) {
                Some(s) => s.start(self.now),
                None => {
                    let new = self.new_server();
                    debug_assert_eq!(new, id);
                }
            }
            self.balancer.join(id);
            self.server_started(id);
        }
        self.server_count = last;
    }

    /// The `count` highest-numbered servers leave at once; returns the sessions lost.
    fn remove_servers(&mut self, count: u32) -> u64 {
        let first = self.server_count - count;
        let mut lost = 0;
        for id in first..self.server_count {
            self.balancer.leave(id);
            if self.servers[id as usize].up {
                lost += self.stop_server(id);
            }
            self.servers[id as usize].retire();
            self.detect_row[id as usize] = None;
        }
        self.server_count = first;
        lost
    }

    /// The machines a store event acts on: of node `node`, the first one that is up (`up`) or
    /// down; of the whole store (`None`), every one that is.
    fn store_machines(&self, node: Option<u32>, up: bool) -> Vec<u32> {
        let replicas = self.sc.store.replicas;
        let matching = |m: &u32| self.machines[*m as usize].up == up;
        match node {
            Some(k) => (k * replicas..(k + 1) * replicas)
                .find(matching)
                .into_iter()
                .collect(),
            None => (0..self.machines.len() as u32).filter(matching).collect(),
        }
    }

    /// Store machine `m` crashes. If it was serving its node, the node's operations fail (errors
    /// for their requests, whose workers are freed) and the next machine up takes over. If it
    /// was the node's last machine up and the store is not durable, the node's sessions are
    /// lost. Returns the sessions lost.
    pub(super) fn crash_machine(&mut self, m: u32) -> u64 {
        let replicas = self.sc.store.replicas;
        let node = m / replicas;
        let first = node * replicas;
        let serving = (first..first + replicas).find(|&x| self.machines[x as usize].up);
        debug_assert!(self.machines[m as usize].up);
        self.machines[m as usize].up = false;
        let another_up = (first..first + replicas).any(|x| self.machines[x as usize].up);
        if serving == Some(m) {
            let mut ops = std::mem::take(&mut self.scratch_ops);
            self.stores[node as usize].crash(&mut ops, another_up);
            for op in &ops {
                if self.users.current_request(op.user) != Some(op.request) {
                    continue; // Its request already ended another way.
                }
                let (server, slot) = {
                    let user = self.users.get(op.user);
                    (user.server, user.slot)
                };
                self.end(op.user, Outcome::Error(ErrorCause::StoreDown));
                self.release_worker(server, slot);
            }
            ops.clear();
            self.scratch_ops = ops;
        }
        if another_up || self.sc.store.durable {
            0
        } else {
            self.sessions.lose_all_of(store_holder(node))
        }
    }

    /// A new server with the next id, running but not yet in rotation; returns its id.
    pub(super) fn new_server(&mut self) -> u32 {
        let (workers, queue_limit) = (self.sc.servers.workers, self.sc.servers.queue_limit);
        self.servers
            .push(Server::new(workers, queue_limit, self.now));
        let id = self.servers.len() as u32 - 1;
        self.sessions.grow_servers(self.servers.len());
        self.detect_row.resize(self.servers.len(), None);
        id
    }

    /// Store machine `m` comes back (with a copy of its node's sessions from the machines still
    /// up, or empty if there were none); its node answers again.
    pub(super) fn restart_machine(&mut self, m: u32) {
        let node = (m / self.sc.store.replicas) as usize;
        self.machines[m as usize].up = true;
        if !self.stores[node].up {
            self.stores[node].restart();
        }
        self.store_started(m);
    }

    pub(super) fn servers_up(&self) -> u32 {
        self.servers.iter().filter(|s| s.exists && s.up).count() as u32
    }

    /// Remembers where each logged-in user would be routed now (policies that map users only).
    fn snapshot_targets(&mut self) {
        self.scratch_targets.clear();
        if !self.balancer.policy().maps_users() {
            return;
        }
        for (slot, user) in self.users.iter() {
            if user.session != NO_SESSION {
                let target = self.balancer.target(user.id, user.pinned);
                self.scratch_targets.push((slot, user.id, target));
            }
        }
    }

    /// How many users of the last snapshot, still in their visit, would now be routed elsewhere.
    fn count_remapped(&self) -> Option<u64> {
        if !self.balancer.policy().maps_users() {
            return None;
        }
        let moved = self.scratch_targets.iter().filter(|&&(slot, id, before)| {
            self.users
                .try_get(slot)
                // A user with no server before (a sticky user whose server had already left)
                // was counted when it left; nobody moves when a server comes back.
                .is_some_and(|u| {
                    u.id == id && before.is_some() && self.balancer.target(u.id, u.pinned) != before
                })
        });
        Some(moved.count() as u64)
    }
}
