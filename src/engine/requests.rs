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

use super::Engine;
use crate::events::{ErrorCause, Event, Outcome, Phase, Work};
use crate::model::server::Admission;
use crate::model::sessions::{COOKIE, Lookup, NO_SERVER, NO_SESSION, store_holder, store_node};
use crate::model::store::{Op, Submitted};
use crate::model::users;
use crate::rng;
use crate::scenario::Storage;

/// A copy job in a server's worker slot or queue, in place of a user (`server_replicated`).
pub(super) const COPY: u32 = u32::MAX - 1;

impl Engine<'_> {
    /// A new visit arrives: its user sends the login at once.
    pub(super) fn arrive(&mut self) {
        let user = self.arrivals.arrive(self.sc, &mut self.users, self.now);
        self.send(user);
    }

    /// User `u` sends its next request (a login if it has no session).
    pub(super) fn send(&mut self, u: u32) {
        let now = self.now;
        let request = self.next_request;
        self.next_request += 1;
        let user = self.users.get_mut(u);
        user.draw();
        user.sent_us = now;
        user.request = request;
        user.login = user.needs_login();
        self.measure.rec.request_sent(now);
        if self.sc.storage == Storage::ServerReplicated && user.session != NO_SESSION {
            // The cookie names the session's servers: a sticky balancer fails over to them.
            let holder = self.tier.sessions.holder(user.session);
            self.tier.balancer.fail_over(&mut user.pinned, holder);
        }
        let servers = &self.tier.servers;
        let routed = self
            .tier
            .balancer
            .route(user.id, &mut user.pinned, |s| servers[s as usize].load());
        let Some(s) = routed.filter(|&s| self.tier.servers[s as usize].up) else {
            return self.end(u, Outcome::Error(ErrorCause::ServerDown));
        };
        let user = self.users.get_mut(u);
        user.server = s;
        match self.tier.servers[s as usize].admit(u, now) {
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

    /// User `u`'s request has just taken a worker. Returns false if the request ended at once
    /// (the store was down or busy), in which case the caller frees the worker.
    fn begin(&mut self, u: u32) -> bool {
        let user = self.users.get(u);
        let (server, session) = (user.server, user.session);
        match self.sc.storage {
            Storage::ServerMemory | Storage::ServerReplicated | Storage::SignedCookie => {
                let work = self.authenticate(u, server);
                self.start_service(u, work);
                true
            }
            Storage::SharedStore | Storage::CachedStore if user.needs_login() => {
                self.start_service(u, Work::Login);
                true
            }
            Storage::CachedStore
                if self.tier.sessions.aux(session) == server
                    && matches!(
                        self.tier.sessions.lookup(session, self.now),
                        Lookup::Alive { .. }
                    ) =>
            {
                self.measure.rec.cache_hit(user.sent_us);
                let work = self.authenticate(u, server);
                self.start_service(u, work);
                true
            }
            Storage::SharedStore | Storage::CachedStore => self.store_op(u, Phase::StoreRead),
        }
    }

    /// What the request of user `u`, served at `server`, is: an authenticated request if its
    /// session is alive where this storage design can reach it from there.
    fn authenticate(&mut self, u: u32, server: u32) -> Work {
        let session = self.users.get(u).session;
        if session == NO_SESSION {
            return Work::Login;
        }
        let holder = match self.tier.sessions.lookup(session, self.now) {
            Lookup::Alive { holder } => holder,
            Lookup::Gone(cause) => return Work::ForcedLogin(cause),
        };
        let reachable = match self.sc.storage {
            Storage::ServerMemory => holder == server,
            Storage::ServerReplicated if holder == server => true,
            Storage::ServerReplicated if self.tier.sessions.aux(session) == server => {
                // The backup takes over; the old primary, if it still runs, keeps the copy.
                self.tier.sessions.move_to(session, server);
                let old = if self.tier.servers[holder as usize].up {
                    holder
                } else {
                    NO_SERVER
                };
                self.tier.sessions.set_aux(session, old);
                true
            }
            Storage::ServerReplicated => false,
            Storage::SharedStore | Storage::CachedStore => store_node(holder).is_some(),
            Storage::SignedCookie => holder == COOKIE,
        };
        if !reachable {
            return Work::ForcedLogin(crate::events::AuthFailure::Elsewhere);
        }
        self.tier.sessions.touch(session, self.now);
        Work::Authenticated
    }

    fn start_service(&mut self, u: u32, work: Work) {
        let mean_us = match work {
            Work::Authenticated => self.sc.servers.service_time_us,
            Work::Login | Work::ForcedLogin(_) => self.sc.servers.login_time_us,
        };
        let extra_us = match self.sc.storage {
            Storage::ServerReplicated => self.sc.session_costs.copy_time_us,
            Storage::SignedCookie => self.sc.session_costs.verify_time_us,
            _ => 0,
        };
        let user = self.users.get_mut(u);
        user.phase = Phase::Service;
        user.work = work;
        let (server, slot) = (user.server, user.slot);
        let done = self.now + rng::scale_us(user.draws.service, mean_us) + extra_us;
        let epoch = self.tier.servers[server as usize].epoch;
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
    fn store_op(&mut self, u: u32, phase: Phase) -> bool {
        let node = self.store_node_for(u, phase);
        if !self.tier.stores[node as usize].up {
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
        match self.tier.stores[node as usize].submit(op) {
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
    fn store_node_for(&self, u: u32, phase: Phase) -> u32 {
        let user = self.users.get(u);
        if phase == Phase::StoreRead {
            let holder = self.tier.sessions.holder(user.session);
            return store_node(holder).expect("a store session lives on a store node");
        }
        self.tier
            .store_ring
            .node(session_key(user.id, user.request))
    }

    fn schedule_store(&mut self, node: u32, slot: u32, op: Op) {
        let epoch = self.tier.stores[node as usize].epoch;
        self.queue.push(
            self.now + op.duration_us,
            Event::StoreDone { node, slot, epoch },
        );
    }

    pub(super) fn service_done(&mut self, server: u32, slot: u32, epoch: u32) {
        let s = &self.tier.servers[server as usize];
        if s.epoch != epoch {
            return; // The server crashed or left since: the request already ended.
        }
        let u = s
            .user_in(slot)
            .expect("a worker in service holds a request");
        debug_assert_eq!(self.users.get(u).phase, Phase::Service);
        let work = self.users.get(u).work;
        let needs_write = work != Work::Authenticated && self.sc.storage.uses_store();
        if needs_write {
            if !self.store_op(u, Phase::StoreWrite) {
                self.release_worker(server, slot);
            }
            return;
        }
        if work != Work::Authenticated {
            let holder = match self.sc.storage {
                Storage::SignedCookie => COOKIE,
                _ => server,
            };
            self.new_session(u, holder);
        }
        if self.sc.storage == Storage::ServerReplicated {
            self.copy_to_backup(u, server);
        }
        self.served(u, work);
    }

    pub(super) fn store_done(&mut self, node: u32, slot: u32, epoch: u32) {
        let store = &mut self.tier.stores[node as usize];
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
        match self.sc.store.network_time_us {
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
    pub(super) fn store_reply(&mut self, u: u32, request: u32) {
        if self.users.current_request(u).map(|r| r as u32) != Some(request) {
            return; // Its request ended another way while the answer travelled.
        }
        self.store_answered(u);
    }

    /// User `u`'s store operation is done: go on with its request.
    fn store_answered(&mut self, u: u32) {
        let user = self.users.get(u);
        let server = user.server;
        match user.phase {
            Phase::StoreRead => {
                let work = self.authenticate(u, server);
                if work == Work::Authenticated && self.sc.storage == Storage::CachedStore {
                    let session = self.users.get(u).session;
                    self.tier.sessions.set_aux(session, server);
                }
                self.start_service(u, work);
            }
            Phase::StoreWrite => {
                let node = self.store_node_for(u, Phase::StoreWrite);
                self.new_session(u, store_holder(node));
                if self.sc.storage == Storage::CachedStore {
                    let session = self.users.get(u).session;
                    self.tier.sessions.set_aux(session, server);
                }
                let work = self.users.get(u).work;
                self.served(u, work);
            }
            phase => unreachable!("a store answer for a request in phase {phase:?}"),
        }
    }

    /// `server_replicated`: user `u`'s session, just created or used at `server`, is copied to
    /// its backup (chosen anew if it has none or it has stopped).
    fn copy_to_backup(&mut self, u: u32, server: u32) {
        let session = self.users.get(u).session;
        let mut backup = self.tier.sessions.aux(session);
        let usable = |b: u32| b != NO_SERVER && b != server && self.tier.servers[b as usize].up;
        if !usable(backup) {
            backup = self.tier.balancer.successor(server).unwrap_or(NO_SERVER);
            if !usable(backup) {
                self.tier.sessions.set_aux(session, NO_SERVER);
                return;
            }
            self.tier.sessions.set_aux(session, backup);
        }
        self.measure.rec.session_copy(self.users.get(u).sent_us);
        match self.tier.servers[backup as usize].admit(COPY, self.now) {
            Admission::Started { slot } => self.start_copy(backup, slot),
            // A copy the backup has no room for is dropped: its copy stays as it was.
            Admission::Queued | Admission::Rejected => {}
        }
    }

    fn start_copy(&mut self, server: u32, slot: u32) {
        let epoch = self.tier.servers[server as usize].epoch;
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
    pub(super) fn copy_done(&mut self, server: u32, slot: u32, epoch: u32) {
        if self.tier.servers[server as usize].epoch != epoch {
            return; // The server stopped since: the copy went with it.
        }
        debug_assert_eq!(self.tier.servers[server as usize].user_in(slot), Some(COPY));
        self.release_worker(server, slot);
    }

    /// Gives user `u` a new session held by `holder`, replacing the one in its cookie.
    fn new_session(&mut self, u: u32, holder: u32) {
        let slot = self.tier.sessions.create(holder, self.now);
        let user = self.users.get_mut(u);
        let old = std::mem::replace(&mut user.session, slot);
        if old != NO_SESSION {
            self.tier.sessions.release(old);
        }
    }

    /// User `u`'s request was served: answer it and free its worker.
    fn served(&mut self, u: u32, work: Work) {
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
    pub(super) fn release_worker(&mut self, server: u32, slot: u32) {
        let mut next = self.tier.servers[server as usize].release(slot, self.now);
        while let Some(u) = next {
            if u == COPY {
                return self.start_copy(server, slot);
            }
            let user = self.users.get_mut(u);
            user.slot = slot;
            if self.begin(u) {
                return;
            }
            next = self.tier.servers[server as usize].release(slot, self.now);
        }
    }

    /// User `u`'s current request ended with `outcome`: record it, then think or leave.
    ///
    /// Does not touch the server or the store: freeing a worker is the caller's business.
    pub(super) fn end(&mut self, u: u32, outcome: Outcome) {
        let now = self.now;
        let user = self.users.get_mut(u);
        let was_login = user.login;
        let in_tier = user.phase != Phase::Idle;
        let served_by =
            matches!(outcome, Outcome::Ok | Outcome::FailedAuth(_)).then_some(user.server);
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
            if gone.session != NO_SESSION {
                self.tier.sessions.release(gone.session);
            }
        } else {
            self.queue.push(now + think_us, Event::Send { user: u });
        }
    }
}

/// The key that places a new session on a store node: its user and the request that created it.
fn session_key(user_id: u64, request: u64) -> u64 {
    rng::mix64(user_id.rotate_left(32) ^ request)
}
