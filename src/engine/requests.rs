//! The life of a request: sent, routed, queued, authenticated, served, answered; and the user's
//! next step.
//!
//! Stateful tier (`server_memory`): the server looks the session up in its own memory when a
//! worker takes the request; a login, or a failed authentication served as a forced re-login,
//! creates the session in that server's memory when its service ends.
//!
//! Stateless tier (`shared_store`): an authenticated request first reads its session from the
//! store node that holds it (holding its worker), then is served; a login is served, then writes
//! its new session to the store node the ring gives it before the response. A failed
//! authentication (session gone from the store) is served as a login and writes a new session.
//! With `store.network_time`, each operation's answer reaches the server one round trip after the
//! operation ends.
//!
//! The other designs:
//! - `server_replicated`: as `server_memory`, and every request that creates or uses a session
//!   copies it to a backup server (the next one in rotation): `copy_time` more on the serving
//!   worker, and a copy job of `copy_time` for a worker of the backup. A request that reaches the
//!   backup finds its session there, and the backup takes it over.
//! - `cached_store`: as `shared_store`, but a request served by the server whose local cache
//!   holds the session (the last one that read or wrote it) skips the store read.
//! - `signed_cookie`: the session is the cookie; every request takes `verify_time` more to check
//!   and re-sign it, and nothing is looked up or stored.

use super::{Engine, Mode};
use crate::events::{AuthFailure, ErrorCause, Event, Outcome, Phase, Work};
use crate::model::ids::{ServerId, SessionSlot, StoreNodeId, UserSlot};
use crate::model::server::{Admission, Occupant};
use crate::model::sessions::{Holder, Lookup};
use crate::model::store::{Op, Submitted};
use crate::model::users::{self, Marks};
use crate::rng;
use crate::scenario::{AuxServer, SessionHome};

impl<M: Mode> Engine<'_, M> {
    /// A new visit arrives: its user sends the login at once, or, for a registered user whose
    /// cookie names a session, their first request with it.
    pub(super) fn arrive(&mut self) {
        let Some(u) = self.arrivals.arrive(self.sc, &mut self.users, self.now) else {
            return; // Every registered user drawn was in a visit already.
        };
        if let Some(session) = self.users.get(u).session {
            self.tier.sessions.set_away(session, false);
        }
        if self.geo_on() {
            self.geo_arrive(u);
        }
        self.count_visit(u);
        self.send(u);
    }

    /// User `u` sends its next request (a login if it has no session).
    ///
    /// With several data centres, the event is the request reaching its data centre: it left
    /// the user half a round trip earlier, and its latency counts the whole round trip (its
    /// `sent_us` is `now - rtt`).
    ///
    /// Always inlined: it is the busiest handler, called from two places of the event loop.
    #[inline(always)]
    pub(super) fn send(&mut self, u: UserSlot) {
        let hop = match self.geo_on() {
            false => None,
            true => Some(self.geo_hop(u)),
        };
        let now = self.now;
        let sent = now.saturating_sub(hop.map_or(0, |h| h.rtt_us));
        let request = self.next_request;
        self.next_request += 1;
        let user = self.users.get_mut(u);
        user.draw();
        user.sent_us = sent;
        user.request = request;
        user.login = user.needs_login();
        self.measure.rec.request_sent(sent);
        self.measure.count_active(user, sent);
        let routed = match hop {
            None => self.route(u),
            Some(hop) => match self.route_in_dc(u, hop) {
                Some(routed) => routed,
                None => return self.end(u, Outcome::Error(ErrorCause::DcDown)),
            },
        };
        let Some(s) = routed.filter(|&s| self.tier.servers[s.index()].up) else {
            return self.end(u, Outcome::Error(ErrorCause::ServerDown));
        };
        let user = self.users.get_mut(u);
        user.server = s;
        match self.tier.servers[s.index()].admit(Occupant::User(u), now) {
            Admission::Started { slot } => {
                user.slot = slot;
                user.tier_since_us = now;
                // In the tier from now on; `begin` moves it to its first phase of work.
                user.phase = Phase::Queued;
                self.measure.rec.enter_tier(now);
                if !self.begin(u) {
                    self.release_worker(s, slot);
                }
            }
            Admission::Queued => {
                user.phase = Phase::Queued;
                user.tier_since_us = now;
                self.measure.rec.enter_tier(now);
            }
            Admission::Rejected => self.end(u, Outcome::Error(ErrorCause::QueueFull)),
        }
    }

    /// The server of user `u`'s request, in the one data centre.
    #[inline(always)]
    fn route(&mut self, u: UserSlot) -> Option<ServerId> {
        let user = self.users.get_mut(u);
        if let (Some(AuxServer::Backup), Some(session)) = (self.sc.storage.aux(), user.session) {
            // The cookie names the session's servers: a sticky balancer fails over to them.
            if let Holder::Server(holder) = self.tier.sessions.holder(session) {
                self.tier.balancer.fail_over(&mut user.pinned, holder);
            }
        }
        let servers = &self.tier.servers;
        self.tier
            .balancer
            .route(user.id, &mut user.pinned, |s| servers[s.index()].load())
    }

    /// User `u`'s request has just taken a worker. Returns false if the request ended at once
    /// (the store was down or busy), in which case the caller frees the worker.
    fn begin(&mut self, u: UserSlot) -> bool {
        let user = self.users.get(u);
        let (server, session, sent_us) = (user.server, user.session, user.sent_us);
        match (self.sc.storage.home(), session) {
            (SessionHome::Server | SessionHome::Cookie, _) => {
                let work = self.authenticate(u, server);
                self.start_service(u, work);
                true
            }
            (SessionHome::Store, None) => {
                self.start_service(u, Work::Login);
                true
            }
            (SessionHome::Store, Some(session)) if self.cached_at(session, server) => {
                self.measure.rec.cache_hit(sent_us);
                let work = self.authenticate(u, server);
                self.start_service(u, work);
                true
            }
            (SessionHome::Store, Some(_)) => self.store_op(u, Phase::StoreRead),
        }
    }

    /// `cached_store`: whether `server`'s local cache holds `session`, alive.
    #[inline]
    fn cached_at(&mut self, session: SessionSlot, server: ServerId) -> bool {
        matches!(self.sc.storage.aux(), Some(AuxServer::LocalCache))
            && self.tier.sessions.aux(session) == Some(server)
            && matches!(
                self.tier.sessions.lookup(session, self.now),
                Lookup::Alive { .. }
            )
    }

    /// What the request of user `u`, served at `server`, is: an authenticated request if its
    /// session is alive where this storage design can reach it from there (its server, its
    /// backup, the store, the cookie).
    fn authenticate(&mut self, u: UserSlot, server: ServerId) -> Work {
        let Some(session) = self.users.get(u).session else {
            return Work::Login;
        };
        if self.geo_on() && !self.session_here(u, session) {
            return Work::ForcedLogin(AuthFailure::OtherDc);
        }
        let holder = match self.tier.sessions.lookup(session, self.now) {
            Lookup::Alive { holder } => holder,
            Lookup::Gone(cause) => return Work::ForcedLogin(cause),
        };
        let reachable = match holder {
            Holder::Server(h) if h == server => true,
            Holder::Server(h) => self.backup_takes_over(session, h, server),
            Holder::Store(_) | Holder::Cookie => true,
        };
        if !reachable {
            return Work::ForcedLogin(AuthFailure::Elsewhere);
        }
        self.tier.sessions.touch(session, self.now);
        Work::Authenticated
    }

    /// `server_replicated`: a request for `session`, held by server `holder`, reached `server`.
    /// If `server` is its backup, it takes the session over (the old primary, if it still runs,
    /// keeps the copy) and returns true.
    fn backup_takes_over(
        &mut self,
        session: SessionSlot,
        holder: ServerId,
        server: ServerId,
    ) -> bool {
        let backup = matches!(self.sc.storage.aux(), Some(AuxServer::Backup))
            && self.tier.sessions.aux(session) == Some(server);
        if backup {
            self.tier.sessions.move_to(session, server);
            let old = Some(holder).filter(|h| self.tier.servers[h.index()].up);
            self.tier.sessions.set_aux(session, old);
        }
        backup
    }

    fn start_service(&mut self, u: UserSlot, work: Work) {
        let mean_us = match work {
            Work::Authenticated => self.sc.servers.service_time_us,
            Work::Login | Work::ForcedLogin(_) => self.sc.servers.login_time_us,
        };
        let extra_us = self.sc.storage.extra_service_us(&self.sc.session_costs);
        let user = self.users.get_mut(u);
        user.phase = Phase::Service;
        user.work = work;
        let (server, slot) = (user.server, user.slot);
        let done = self.now + rng::scale_us(user.draws.service, mean_us) + extra_us;
        let epoch = self.tier.servers[server.index()].epoch;
        self.queue.push(
            done,
            Event::ServiceDone {
                server,
                slot,
                epoch,
            },
        );
    }

    /// Asks the store for a read or a write for user `u`. Returns false if the store node is down
    /// or its queue is full (the request has then ended with an error; the caller frees the
    /// worker).
    fn store_op(&mut self, u: UserSlot, phase: Phase) -> bool {
        let node = self.store_node_for(u, phase);
        if !self.tier.stores[node.index()].up {
            self.end(u, Outcome::Error(ErrorCause::StoreDown));
            return false;
        }
        let user = self.users.get_mut(u);
        user.phase = phase;
        let (sample, mean_us) = match phase {
            Phase::StoreRead => (user.draws.read, self.sc.store.read_time_us),
            _ => (user.draws.write, self.sc.store.write_time_us),
        };
        let op = Op {
            user: u,
            request: user.request,
            write: phase == Phase::StoreWrite,
            duration_us: rng::scale_us(sample, mean_us),
        };
        match self.tier.stores[node.index()].submit(op) {
            Submitted::Started(slot) => self.schedule_store(node, slot, op),
            Submitted::Queued => {}
            Submitted::Rejected => {
                self.end(u, Outcome::Error(ErrorCause::StoreBusy));
                return false;
            }
        }
        true
    }

    /// The store node of user `u`'s read (where its session lives) or write (where the ring
    /// places the new session).
    fn store_node_for(&self, u: UserSlot, phase: Phase) -> StoreNodeId {
        let user = self.users.get(u);
        if phase == Phase::StoreRead {
            let session = user.session.expect("a store read is for a session");
            let Holder::Store(node) = self.tier.sessions.holder(session) else {
                unreachable!("a store session lives on a store node");
            };
            return match self.geo() {
                None => node,
                Some(g) => g.read_node(node, self.dc_of_user(u)),
            };
        }
        let node = self
            .tier
            .store_ring
            .node(session_key(user.id, user.request));
        match self.geo() {
            None => node,
            Some(g) => g.write_node(node, self.dc_of_user(u)),
        }
    }

    fn schedule_store(&mut self, node: StoreNodeId, slot: u32, op: Op) {
        let epoch = self.tier.stores[node.index()].epoch;
        self.queue.push(
            self.now + op.duration_us,
            Event::StoreDone { node, slot, epoch },
        );
    }

    pub(super) fn service_done(&mut self, server: ServerId, slot: u32, epoch: u32) {
        let s = &self.tier.servers[server.index()];
        if s.epoch != epoch {
            return; // The server crashed or left since: the request already ended.
        }
        let Some(Occupant::User(u)) = s.occupant(slot) else {
            unreachable!("a worker in service holds a request");
        };
        debug_assert_eq!(self.users.get(u).phase, Phase::Service);
        let work = self.users.get(u).work;
        if work != Work::Authenticated {
            match self.sc.storage.home() {
                SessionHome::Store => {
                    if !self.store_op(u, Phase::StoreWrite) {
                        self.release_worker(server, slot);
                    }
                    return;
                }
                SessionHome::Server => self.new_session(u, Holder::Server(server)),
                SessionHome::Cookie => self.new_session(u, Holder::Cookie),
            }
        }
        if let Some(AuxServer::Backup) = self.sc.storage.aux() {
            self.copy_to_backup(u, server);
        }
        self.served(u, work);
    }

    pub(super) fn store_done(&mut self, node: StoreNodeId, slot: u32, epoch: u32) {
        let store = &mut self.tier.stores[node.index()];
        if store.epoch != epoch {
            return; // The node's serving machine crashed since: its operations already failed.
        }
        let (op, next) = store.complete(slot);
        if let Some(next) = next {
            self.schedule_store(node, slot, next);
        }
        self.measure.rec.store_op(self.now, op.write);
        if self.users.current_request(op.user) != Some(op.request) {
            return; // A stale operation: its request ended another way (its server crashed).
        }
        let far_us = match self.geo() {
            None => 0,
            Some(g) => g.store_rtt_us(node, self.dc_of_user(op.user), op.write),
        };
        match self.sc.store.network_time_us + far_us {
            0 => self.store_answered(op.user),
            rtt => {
                let request = op.request as u32;
                self.queue.push(
                    self.now + rtt,
                    Event::StoreReply {
                        user: op.user,
                        request,
                    },
                );
            }
        }
    }

    /// The answer of a store operation reaches the web server.
    pub(super) fn store_reply(&mut self, u: UserSlot, request: u32) {
        if self.users.current_request(u).map(|r| r as u32) != Some(request) {
            return; // Its request ended another way while the answer travelled.
        }
        self.store_answered(u);
    }

    /// User `u`'s store operation is done: go on with its request.
    fn store_answered(&mut self, u: UserSlot) {
        let user = self.users.get(u);
        let server = user.server;
        match user.phase {
            Phase::StoreRead => {
                let work = self.authenticate(u, server);
                if work == Work::Authenticated {
                    self.cache_locally(u, server);
                }
                self.start_service(u, work);
            }
            Phase::StoreWrite => {
                let node = self.store_node_for(u, Phase::StoreWrite);
                self.new_session(u, Holder::Store(node));
                self.cache_locally(u, server);
                let work = self.users.get(u).work;
                self.served(u, work);
            }
            phase => unreachable!("a store answer for a request in phase {phase:?}"),
        }
    }

    /// `cached_store`: `server`'s local cache now holds user `u`'s session.
    fn cache_locally(&mut self, u: UserSlot, server: ServerId) {
        if let (Some(AuxServer::LocalCache), Some(session)) =
            (self.sc.storage.aux(), self.users.get(u).session)
        {
            self.tier.sessions.set_aux(session, Some(server));
        }
    }

    /// `server_replicated`: user `u`'s session, just created or used at `server`, is copied to
    /// its backup (chosen anew if it has none or it has stopped).
    fn copy_to_backup(&mut self, u: UserSlot, server: ServerId) {
        let session = self
            .users
            .get(u)
            .session
            .expect("a served request has a session");
        let servers = &self.tier.servers;
        let usable = |b: &ServerId| *b != server && servers[b.index()].up;
        let backup = match self.tier.sessions.aux(session).filter(usable) {
            Some(b) => b,
            None => {
                let chosen = self.tier.balancer.successor(server).filter(usable);
                self.tier.sessions.set_aux(session, chosen);
                let Some(b) = chosen else {
                    return;
                };
                b
            }
        };
        self.measure.rec.session_copy(self.users.get(u).sent_us);
        match self.tier.servers[backup.index()].admit(Occupant::Copy, self.now) {
            Admission::Started { slot } => self.start_copy(backup, slot),
            // A copy the backup has no room for is dropped: its copy stays as it was.
            Admission::Queued | Admission::Rejected => {}
        }
    }

    fn start_copy(&mut self, server: ServerId, slot: u32) {
        let epoch = self.tier.servers[server.index()].epoch;
        let done = self.now + self.sc.session_costs.copy_time_us;
        self.queue.push(
            done,
            Event::CopyDone {
                server,
                slot,
                epoch,
            },
        );
    }

    /// A backup server has stored a copy: its worker is free.
    pub(super) fn copy_done(&mut self, server: ServerId, slot: u32, epoch: u32) {
        if self.tier.servers[server.index()].epoch != epoch {
            return; // The server stopped since: the copy went with it.
        }
        debug_assert_eq!(
            self.tier.servers[server.index()].occupant(slot),
            Some(Occupant::Copy)
        );
        self.release_worker(server, slot);
    }

    /// Gives user `u` a new session held by `holder`, replacing the one in its cookie. A
    /// replaced session that an event destroyed is that event's forced login: this request is
    /// its user's failed authentication, served.
    fn new_session(&mut self, u: UserSlot, holder: Holder) {
        let slot = self.tier.sessions.create(holder, self.now);
        if self.geo_on() {
            self.geo_written(u, slot);
        }
        let user = self.users.get_mut(u);
        // A user moved to a data centre without their session is counted by the move
        // (`geo_ended`), not again by an event that also destroyed it where it was.
        let moved = user.work == Work::ForcedLogin(AuthFailure::OtherDc);
        if let Some(old) = user.session.replace(slot) {
            if let Some(row) = self.tier.sessions.destroyer(old).filter(|_| !moved) {
                self.measure.forced_login_by(row);
            }
            self.tier.sessions.release(old);
        }
    }

    /// User `u`'s request was served: answer it and free its worker.
    fn served(&mut self, u: UserSlot, work: Work) {
        let outcome = match work {
            Work::Login | Work::Authenticated => Outcome::Ok,
            Work::ForcedLogin(cause) => Outcome::FailedAuth(cause),
        };
        let (server, slot) = {
            let user = self.users.get(u);
            (user.server, user.slot)
        };
        self.end(u, outcome);
        self.release_worker(server, slot);
    }

    /// Frees a worker of `server` and gives it to queued requests until one keeps it.
    pub(super) fn release_worker(&mut self, server: ServerId, slot: u32) {
        let mut next = self.tier.servers[server.index()].release(slot, self.now);
        while let Some(occupant) = next {
            let u = match occupant {
                Occupant::Copy => return self.start_copy(server, slot),
                Occupant::User(u) => u,
            };
            let user = self.users.get_mut(u);
            user.slot = slot;
            if self.begin(u) {
                return;
            }
            next = self.tier.servers[server.index()].release(slot, self.now);
        }
    }

    /// User `u`'s current request ended with `outcome`: record it, then think or leave.
    ///
    /// Does not touch the server or the store: freeing a worker is the caller's business.
    pub(super) fn end(&mut self, u: UserSlot, outcome: Outcome) {
        if self.traced() {
            self.trace_request(u, outcome);
        }
        let rtt_us = match self.geo_on() {
            false => 0,
            true => self.geo_ended(u, outcome),
        };
        let now = self.now;
        let user = self.users.get_mut(u);
        self.measure.count_people(user, outcome);
        let was_login = user.login;
        let in_tier = user.phase != Phase::Idle;
        let served_by =
            matches!(outcome, Outcome::Ok | Outcome::FailedAuth(_)).then_some(user.server.0);
        self.measure
            .rec
            .request_ended(user.sent_us, now, outcome, was_login, served_by);
        if in_tier {
            self.measure.rec.leave_tier(now, user.tier_since_us);
        }
        user.phase = Phase::Idle;
        user.work = Work::Login;
        user.request = u64::MAX;
        // A login is not one of the visit's requests (an errored one is tried again); any other
        // request counts, whatever its outcome.
        if !was_login {
            user.remaining -= 1;
        }
        let think_us = users::think_us(
            user.draws.think,
            self.sc.users.think_time_us,
            matches!(outcome, Outcome::Error(_)),
        );
        let done = !user.needs_login() && user.remaining == 0;
        if done {
            let gone = self.users.leave(u);
            match (gone.session, gone.marks.has(Marks::REGISTERED)) {
                (Some(session), true) => self.tier.sessions.set_away(session, true),
                (Some(session), false) => self.tier.sessions.release(session),
                (None, _) => {}
            }
        } else {
            // The answer travels back to the user, who thinks, and the next request travels to
            // the data centre: one round trip more than with one data centre.
            self.queue
                .push(now + think_us + rtt_us, Event::Send { user: u });
        }
    }
}

/// The key that places a new session on a store node: its user and the request that created it.
fn session_key(user_id: u64, request: u64) -> u64 {
    rng::mix64(user_id.rotate_left(32) ^ request)
}
