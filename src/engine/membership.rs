//! Timed events: crashes, restarts, servers added and removed, store outages; and what each one
//! cost (a row of `events.csv`).
//!
//! A crash is seen by the balancer only `detection_delay` later (the `Detect` event); a restart,
//! an addition and a removal change the rotation at once (the operator tells the balancer). Users
//! remapped by a change of rotation are counted on the row of the event that caused it; for a
//! crash that is at its detection.

use super::{Engine, Mode};
use crate::events::{ErrorCause, Event, EventAction, Outcome};
use crate::metrics::EventRow;
use crate::model::ids::ServerId;
use crate::scenario::Action;

impl<M: Mode> Engine<'_, M> {
    /// Opens the row of a change of membership: the state just before it.
    pub(super) fn open_row(&mut self, action: EventAction, target: Option<u32>) -> EventRow {
        self.measure
            .open_row(action, target, self.now, &mut self.tier, &self.users)
    }

    /// Closes the row of a change: the state just after it, and the users it remapped. Returns
    /// the row's index.
    pub(super) fn close_row(&mut self, row: EventRow) -> usize {
        if self.traced() {
            self.trace_tier();
        }
        self.measure.close_row(row, &mut self.tier, &self.users)
    }

    /// Carries out one timed event and records its row. An event that no longer applies (a
    /// crash of a server that random failures or the autoscaler have already taken down) changes
    /// nothing and gets a row that says so (no server or session changes).
    pub(super) fn timed(&mut self, action: Action) {
        let target = match action {
            Action::Crash { server } | Action::Restart { server } => Some(server),
            Action::AddServers { count } | Action::RemoveServers { count } => Some(count),
            Action::StoreCrash { node } | Action::StoreRestart { node } => node,
            Action::DcDown { dc } => return self.datacenter_event(dc as usize, false),
            Action::DcUp { dc } => return self.datacenter_event(dc as usize, true),
        };
        let mut row = self.open_row(action.into(), target);
        match action {
            Action::Crash { server } if self.tier.is_up(ServerId(server)) => {
                row.sessions_lost = self.crash(ServerId(server));
                self.measure.await_detection(ServerId(server));
            }
            Action::Restart { server }
                if self.tier.is_down(ServerId(server)) && !self.in_down_dc(ServerId(server)) =>
            {
                self.restart(ServerId(server));
            }
            Action::AddServers { count } => self.add_servers(count),
            Action::RemoveServers { count } => row.sessions_lost = self.remove_servers(count),
            Action::StoreCrash { node } => {
                for m in self.tier.store_machines(node, true) {
                    row.sessions_lost += self.crash_machine(m);
                }
            }
            Action::StoreRestart { node } => {
                for m in self.tier.store_machines(node, false) {
                    if self.geo_on() && self.machine_in_down_dc(m) {
                        continue; // Its data centre's `dc_up` brings it back.
                    }
                    self.restart_machine(m);
                }
            }
            _ => {}
        }
        self.close_row(row);
    }

    /// Restarts a stopped server, empty, and puts it back in rotation.
    pub(super) fn restart(&mut self, server: ServerId) {
        self.tier.servers[server.index()].start(self.now);
        self.tier.balancer.join(server);
        if self.geo_on() {
            self.geo_membership(server, true);
        }
        self.server_started(server);
    }

    /// The balancer's health checks notice that `server` is down.
    pub(super) fn detect(&mut self, server: ServerId, epoch: u32) {
        if self.tier.servers[server.index()].epoch != epoch {
            return; // Restarted (or removed) before the health checks noticed.
        }
        self.measure.snapshot_targets(&self.tier, &self.users);
        self.tier.balancer.leave(server);
        if self.geo_on() {
            self.geo_membership(server, false);
        }
        let remapped = self.measure.count_remapped(&self.tier, &self.users);
        self.measure.detected(server, remapped);
    }

    /// Server `server` crashes. Loses its queue and in-flight requests (errors for their users)
    /// and every session in its memory; returns how many sessions. It stays in rotation until
    /// detected.
    pub(super) fn crash(&mut self, server: ServerId) -> u64 {
        let lost = self.stop_server(server);
        let epoch = self.tier.servers[server.index()].epoch;
        let at = self.now + self.sc.balancer.detection_delay_us;
        self.queue.push(at, Event::Detect { server, epoch });
        lost
    }

    /// Stops a running server: fails its requests and loses its sessions; returns how many.
    pub(super) fn stop_server(&mut self, server: ServerId) -> u64 {
        let mut lost = std::mem::take(&mut self.scratch.users);
        self.tier.stop_server(server, self.now, &mut lost);
        for &u in &lost {
            self.end(u, Outcome::Error(ErrorCause::ServerDown));
        }
        lost.clear();
        self.scratch.users = lost;
        self.tier.lose_sessions_of(server)
    }

    fn add_servers(&mut self, count: u32) {
        let (first, last) = (self.tier.server_count, self.tier.server_count + count);
        self.measure.servers_rented.rent(self.now, count);
        for id in (first..last).map(ServerId) {
            match self.tier.servers.get_mut(id.index()) {
                Some(s) => s.start(self.now),
                None => {
                    let new = self.tier.new_server(self.now);
                    debug_assert_eq!(new, id);
                }
            }
            self.tier.balancer.join(id);
            self.server_started(id);
        }
        self.tier.server_count = last;
    }

    /// The `count` highest-numbered servers leave at once; returns the sessions lost.
    fn remove_servers(&mut self, count: u32) -> u64 {
        let first = self.tier.server_count - count;
        let mut lost = 0;
        for id in (first..self.tier.server_count).map(ServerId) {
            self.tier.balancer.leave(id);
            if self.tier.servers[id.index()].up {
                lost += self.stop_server(id);
            }
            self.retire(id);
            self.measure.forget_detection(id);
        }
        self.tier.server_count = first;
        lost
    }

    /// Server `server`, stopped, is removed from the cluster: its machine is given back.
    pub(super) fn retire(&mut self, server: ServerId) {
        let s = &mut self.tier.servers[server.index()];
        let existed = s.exists;
        s.retire();
        if existed {
            self.measure.servers_rented.release(self.now);
        }
    }

    /// Store machine `m` crashes. If it was serving its node, the node's operations fail (errors
    /// for their requests, whose workers are freed) and the next machine up takes over. If it
    /// was the node's last machine up and the store is not durable, the node's sessions are
    /// lost. Returns the sessions lost.
    pub(super) fn crash_machine(&mut self, m: u32) -> u64 {
        let mut ops = std::mem::take(&mut self.scratch.ops);
        let keeps_sessions = self.tier.crash_machine(m, &mut ops);
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
        self.scratch.ops = ops;
        if keeps_sessions {
            0
        } else {
            self.tier.lose_store_node(self.tier.node_of(m))
        }
    }

    /// Store machine `m` comes back (with a copy of its node's sessions from the machines still
    /// up, or empty if there were none); its node answers again.
    pub(super) fn restart_machine(&mut self, m: u32) {
        self.tier.restart_machine(m);
        self.store_started(m);
    }
}
