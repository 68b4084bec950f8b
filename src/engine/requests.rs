//! The life of a request: sent, routed, queued, authenticated, served, answered; and the user's
//! next step.
//!
//! Stateful tier (`server_memory`): the server looks the session up in its own memory when a
//! worker takes the request; a login, or a failed authentication served as a forced re-login,
//! creates the session in that server's memory when its service ends.
//!
//! Stateless tier (`shared_store`): an authenticated request first reads its session from the
//! store (holding its worker), then is served; a login is served, then writes its new session to
//! the store before the response. A failed authentication (session gone from the store) is served
//! as a login and writes a new session.

use super::Engine;
use crate::events::{ErrorCause, Event, Outcome, Phase, Work};
use crate::model::server::Admission;
use crate::model::sessions::{Lookup, NO_SESSION, STORE};
use crate::model::store::Op;
use crate::rng;
use crate::scenario::Storage;

/// The shortest time between an error and the user's next request.
pub const MIN_RETRY_US: u64 = 1_000;

impl Engine<'_> {
    /// A new visit arrives: its user sends the login at once.
    pub(super) fn arrive(&mut self) {
        let id = self.visits;
        self.visits += 1;
        let requests =
            rng::geometric_with_mean(&mut self.lengths, self.sc.users.requests_per_visit);
        let user = self.users.arrive(id, requests, self.sc.seed);
        let (users, end) = (&self.sc.users, self.sc.duration_us);
        self.next_visit_us = super::next_visit(&mut self.arrivals, users, self.now, end);
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
        self.rec.request_sent(now);
        let servers = &self.servers;
        let routed = self
            .balancer
            .route(user.id, &mut user.pinned, |s| servers[s as usize].load());
        let Some(s) = routed.filter(|&s| self.servers[s as usize].up) else {
            return self.end(u, Outcome::Error(ErrorCause::ServerDown));
        };
        let user = self.users.get_mut(u);
        user.server = s;
        match self.servers[s as usize].admit(u, now) {
            Admission::Started { slot } => {
                user.slot = slot;
                user.tier_since_us = now;
                // In the tier from now on; `begin` moves it to its first phase of work.
                user.phase = Phase::Queued;
                self.rec.enter_tier(now);
                if !self.begin(u) {
                    self.release_worker(s, slot);
                }
            }
            Admission::Queued => {
                user.phase = Phase::Queued;
                user.tier_since_us = now;
                self.rec.enter_tier(now);
            }
            Admission::Rejected => self.end(u, Outcome::Error(ErrorCause::QueueFull)),
        }
    }

    /// User `u`'s request has just taken a worker. Returns false if the request ended at once
    /// (the store was down), in which case the caller frees the worker.
    fn begin(&mut self, u: u32) -> bool {
        let user = self.users.get(u);
        match self.sc.storage {
            Storage::ServerMemory => {
                let work = self.authenticate(u, user.server);
                self.start_service(u, work);
                true
            }
            Storage::SharedStore if user.needs_login() => {
                self.start_service(u, Work::Login);
                true
            }
            Storage::SharedStore => self.store_op(u, Phase::StoreRead),
        }
    }

    /// What the request of user `u` is, given where its session must be (`holder`).
    fn authenticate(&mut self, u: u32, holder: u32) -> Work {
        let session = self.users.get(u).session;
        if session == NO_SESSION {
            return Work::Login;
        }
        match self.sessions.lookup(session, self.now) {
            Lookup::Alive { holder: h } if h == holder => {
                self.sessions.touch(session, self.now);
                Work::Authenticated
            }
            Lookup::Alive { .. } => Work::ForcedLogin(crate::events::AuthFailure::Elsewhere),
            Lookup::Gone(cause) => Work::ForcedLogin(cause),
        }
    }

    fn start_service(&mut self, u: u32, work: Work) {
        let mean_us = match work {
            Work::Authenticated => self.sc.servers.service_time_us,
            Work::Login | Work::ForcedLogin(_) => self.sc.servers.login_time_us,
        };
        let user = self.users.get_mut(u);
        user.phase = Phase::Service;
        user.work = work;
        let (server, slot) = (user.server, user.slot);
        let done = self.now + rng::scale_us(user.draws.service, mean_us);
        let epoch = self.servers[server as usize].epoch;
        self.queue.push(
            done,
            Event::ServiceDone {
                server,
                slot,
                epoch,
            },
        );
    }

    /// Asks the store for a read or a write for user `u`. Returns false if the store is down (the
    /// request has then ended with an error; the caller frees the worker).
    fn store_op(&mut self, u: u32, phase: Phase) -> bool {
        if !self.store.up {
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
        if let Some(slot) = self.store.submit(op) {
            self.schedule_store(slot, op);
        }
        true
    }

    fn schedule_store(&mut self, slot: u32, op: Op) {
        let epoch = self.store.epoch;
        self.queue
            .push(self.now + op.duration_us, Event::StoreDone { slot, epoch });
    }

    pub(super) fn service_done(&mut self, server: u32, slot: u32, epoch: u32) {
        let s = &self.servers[server as usize];
        if s.epoch != epoch {
            return; // The server crashed or left since: the request already ended.
        }
        let u = s
            .user_in(slot)
            .expect("a worker in service holds a request");
        debug_assert_eq!(self.users.get(u).phase, Phase::Service);
        let work = self.users.get(u).work;
        let needs_write = work != Work::Authenticated && self.sc.storage == Storage::SharedStore;
        if needs_write {
            if !self.store_op(u, Phase::StoreWrite) {
                self.release_worker(server, slot);
            }
            return;
        }
        if work != Work::Authenticated {
            self.new_session(u, server);
        }
        self.served(u, work);
    }

    pub(super) fn store_done(&mut self, slot: u32, epoch: u32) {
        if self.store.epoch != epoch {
            return; // The store crashed since: its operations already failed.
        }
        let (op, next) = self.store.complete(slot);
        if let Some(next) = next {
            self.schedule_store(slot, next);
        }
        let live = self.users.current_request(op.user) == Some(op.request);
        let phase = if live {
            self.users.get(op.user).phase
        } else {
            Phase::Idle
        };
        self.rec.store_op(self.now, op.write);
        match phase {
            Phase::StoreRead => {
                let work = self.authenticate(op.user, STORE);
                self.start_service(op.user, work);
            }
            Phase::StoreWrite => {
                self.new_session(op.user, STORE);
                let work = self.users.get(op.user).work;
                self.served(op.user, work);
            }
            // A stale operation: its request ended another way (its server crashed).
            _ => {}
        }
    }

    /// Gives user `u` a new session held by `holder`, replacing the one in its cookie.
    fn new_session(&mut self, u: u32, holder: u32) {
        let slot = self.sessions.create(holder, self.now);
        let user = self.users.get_mut(u);
        let old = std::mem::replace(&mut user.session, slot);
        if old != NO_SESSION {
            self.sessions.release(old);
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
        let mut next = self.servers[server as usize].release(slot, self.now);
        while let Some(u) = next {
            let user = self.users.get_mut(u);
            user.slot = slot;
            if self.begin(u) {
                return;
            }
            next = self.servers[server as usize].release(slot, self.now);
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
        self.rec
            .request_ended(user.sent_us, now, outcome, was_login, served_by);
        if in_tier {
            self.rec.leave_tier(now, user.tier_since_us);
        }
        user.phase = Phase::Idle;
        user.work = Work::Login;
        user.request = u64::MAX;
        // A login is not one of the visit's requests (an errored one is tried again); any other
        // request counts, whatever its outcome.
        if !was_login {
            user.remaining -= 1;
        }
        // At least 1 us after a response, and at least 1 ms after an error: a retry always lands
        // later than the failure it retries, and an error loop cannot stall the clock.
        let floor_us = if matches!(outcome, Outcome::Error(_)) {
            MIN_RETRY_US
        } else {
            1
        };
        let think_us = rng::scale_us(user.draws.think, self.sc.users.think_time_us).max(floor_us);
        let done = !user.needs_login() && user.remaining == 0;
        if done {
            let gone = self.users.leave(u);
            if gone.session != NO_SESSION {
                self.sessions.release(gone.session);
            }
        } else {
            self.queue.push(now + think_us, Event::Send { user: u });
        }
    }
}
