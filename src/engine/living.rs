//! A living cluster: servers and the store failing at random, and an autoscaler that adds and
//! removes servers. Each change gets a row in `events.csv` like a timed event.
//!
//! Random failures: each server fails after an exponential time with mean `failures.mtbf`,
//! counted from when it (re)started, and is repaired (restarted, empty) after an exponential time
//! with mean `failures.mttr`; likewise the store. A failure is a crash: the balancer notices it
//! after `detection_delay`. Each server id has its own random stream, derived from the seed and
//! the id, so every variant sees the same failures of the same servers.
//!
//! Autoscaling (target tracking): every `interval` it measures the mean busy fraction of the
//! workers of the servers in rotation over the last interval and wants
//! `ceil(in_rotation * busy / target_busy)` servers, within `[min, max]`. It adds servers (which
//! join the rotation after `boot_time`) or removes the highest-numbered ones in rotation, then
//! waits `cooldown` before acting again. Removal is abrupt (sessions in memory are lost), or a
//! drain: the server leaves the rotation for new users, sticky users keep reaching it, and it
//! stops when no live session is left on it (checked at each evaluation and bucket boundary) or
//! after `drain_timeout`, losing what is left. Leaves out: predictive scaling, step policies,
//! scaling the store.

use super::tier::Tier;
use super::{Engine, Mode};
use crate::events::{Event, EventAction};
use crate::model::ids::ServerId;
use crate::rng::{self, SimRng, Stream};
use crate::scenario::{Autoscale, Micros, ScaleIn, Scenario};

/// The random failures' streams and the autoscaler's memory.
#[derive(Debug)]
pub(super) struct Living {
    seed: u64,
    /// Per-server random failure streams, by id (made as ids are first used).
    server_failures: Vec<SimRng>,
    /// The store's random failure stream.
    store_failures: SimRng,
    pub autoscaler: Autoscaler,
}

impl Living {
    /// No failure drawn yet, and an autoscaler that has not acted.
    pub fn new(sc: &Scenario) -> Self {
        Living {
            seed: sc.seed,
            server_failures: Vec::new(),
            store_failures: rng::stream(sc.seed, Stream::StoreFailures),
            autoscaler: Autoscaler::default(),
        }
    }

    /// An exponential time with mean `mean_us` from server `server`'s own failure stream.
    pub fn server_draw(&mut self, server: ServerId, mean_us: Micros) -> Micros {
        while self.server_failures.len() <= server.index() {
            let id = self.server_failures.len() as u64;
            self.server_failures
                .push(rng::failure_stream(self.seed, id));
        }
        draw(&mut self.server_failures[server.index()], mean_us)
    }

    /// An exponential time with mean `mean_us` from the store's failure stream.
    pub fn store_draw(&mut self, mean_us: Micros) -> Micros {
        draw(&mut self.store_failures, mean_us)
    }
}

/// The autoscaler's memory between evaluations.
#[derive(Debug, Default)]
pub(super) struct Autoscaler {
    /// Busy worker-time of each server at the last evaluation.
    busy_at_last: Vec<u64>,
    /// When it last acted.
    last_action_us: Option<u64>,
    /// Servers decided but still booting.
    booting: u32,
    /// Servers draining, with the row of the scale-in that started their drain.
    pub draining: Vec<(ServerId, usize)>,
}

/// What an evaluation decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scale {
    /// Add this many servers (they boot first).
    Out(u32),
    /// Remove this many servers.
    In(u32),
}

impl Autoscaler {
    /// Mean busy fraction of the workers of the servers in rotation since the last evaluation
    /// (`None` if there was no capacity to measure); remembers each server's busy time.
    pub fn busy_since_last(
        &mut self,
        tier: &mut Tier,
        now: Micros,
        workers: u32,
        interval_us: Micros,
    ) -> Option<f64> {
        let (workers, interval_us) = (f64::from(workers), interval_us as f64);
        let last = &mut self.busy_at_last;
        last.resize(tier.servers.len(), 0);
        let mut busy_us = 0.0;
        let mut capacity_us = 0.0;
        for (id, server) in tier.servers.iter_mut().enumerate() {
            let total = server.busy_total_us(now);
            let delta = total - std::mem::replace(&mut last[id], total);
            if tier.balancer.contains(ServerId(id as u32)) {
                busy_us += delta as f64;
                capacity_us += workers * interval_us;
            }
        }
        (capacity_us > 0.0).then(|| busy_us / capacity_us)
    }

    /// Target tracking at `now`: `ceil(in_rotation * busy / target_busy)` servers within
    /// `[min, max]`, counting those booting; nothing while cooling down, or scaling in while
    /// servers boot. Remembers the action, and the servers it starts booting.
    pub fn decide(
        &mut self,
        a: &Autoscale,
        now: Micros,
        in_rotation: u32,
        busy: Option<f64>,
    ) -> Option<Scale> {
        let cooling = self.last_action_us.is_some_and(|t| now < t + a.cooldown_us);
        let busy = busy.filter(|_| !cooling)?;
        let planned = in_rotation + self.booting;
        let wanted =
            ((f64::from(in_rotation) * busy / a.target_busy).ceil() as u32).clamp(a.min, a.max);
        let scale = if wanted > planned {
            self.booting += wanted - planned;
            Scale::Out(wanted - planned)
        } else if wanted < in_rotation && self.booting == 0 {
            Scale::In(in_rotation - wanted)
        } else {
            return None;
        };
        self.last_action_us = Some(now);
        Some(scale)
    }

    /// A server it asked for has booted.
    pub fn booted(&mut self) {
        self.booting -= 1;
    }

    /// Whether `server` is draining.
    pub fn is_draining(&self, server: ServerId) -> bool {
        self.draining.iter().any(|&(s, _)| s == server)
    }
}

impl<M: Mode> Engine<'_, M> {
    /// Schedules the first failures and the first evaluation (at time 0).
    pub(super) fn start_living(&mut self) {
        for server in 0..self.tier.servers.len() as u32 {
            self.server_started(ServerId(server));
        }
        for m in 0..self.tier.machines.len() as u32 {
            self.store_started(m);
        }
        if let Some(a) = &self.sc.autoscale {
            self.queue.push(a.interval_us, Event::Evaluate);
        }
    }

    /// A server has just (re)started: its next random failure.
    pub(super) fn server_started(&mut self, server: ServerId) {
        let Some(mtbf_us) = self.sc.failures.server_mtbf_us else {
            return;
        };
        let epoch = self.tier.servers[server.index()].epoch;
        let at = self.now + self.living.server_draw(server, mtbf_us);
        self.queue.push(at, Event::Fail { server, epoch });
    }

    /// Store machine `machine` has just (re)started: its next random failure.
    pub(super) fn store_started(&mut self, machine: u32) {
        let life = self.tier.new_life(machine);
        let Some(mtbf_us) = self.sc.failures.store_mtbf_us else {
            return;
        };
        let at = self.now + self.living.store_draw(mtbf_us);
        self.queue.push(at, Event::StoreFail { machine, life });
    }

    /// Server `server` fails at random (unless it has stopped or restarted since).
    pub(super) fn fail(&mut self, server: ServerId, epoch: u32) {
        let s = &self.tier.servers[server.index()];
        if s.epoch != epoch || !s.up || !s.exists {
            return;
        }
        let mut row = self.open_row(EventAction::Failure, Some(server.0));
        row.sessions_lost = self.crash(server);
        self.measure.await_detection(server);
        self.close_row(row);
        let epoch = self.tier.servers[server.index()].epoch;
        let mttr_us = self.sc.failures.server_mttr_us;
        let at = self.now + self.living.server_draw(server, mttr_us);
        self.queue.push(at, Event::Repair { server, epoch });
    }

    /// A failed server is repaired (unless it was restarted or removed since).
    pub(super) fn repair(&mut self, server: ServerId, epoch: u32) {
        let s = &self.tier.servers[server.index()];
        if s.epoch != epoch || s.up || !s.exists {
            return;
        }
        if self.living.autoscaler.is_draining(server) {
            // The autoscaler was removing it: it is not brought back.
            return self.end_drain(server);
        }
        let row = self.open_row(EventAction::Repair, Some(server.0));
        self.restart(server);
        self.close_row(row);
    }

    /// A store machine fails at random (unless it has crashed or restarted since).
    pub(super) fn store_fail(&mut self, machine: u32, life: u32) {
        let m = self.tier.machines[machine as usize];
        if life != m.life || !m.up {
            return;
        }
        let target = self.tier.machine_target(machine);
        let mut row = self.open_row(EventAction::StoreFailure, target);
        row.sessions_lost = self.crash_machine(machine);
        self.close_row(row);
        let life = self.tier.new_life(machine);
        let at = self.now + self.living.store_draw(self.sc.failures.store_mttr_us);
        self.queue.push(at, Event::StoreRepair { machine, life });
    }

    /// A store machine is repaired (unless it was restarted since).
    pub(super) fn store_repair(&mut self, machine: u32, life: u32) {
        let m = self.tier.machines[machine as usize];
        if life != m.life || m.up {
            return;
        }
        let target = self.tier.machine_target(machine);
        let row = self.open_row(EventAction::StoreRepair, target);
        self.restart_machine(machine);
        self.close_row(row);
    }

    /// The autoscaler's periodic evaluation.
    pub(super) fn evaluate(&mut self) {
        let a = self
            .sc
            .autoscale
            .as_ref()
            .expect("evaluations only with an autoscaler");
        self.queue.push(self.now + a.interval_us, Event::Evaluate);
        self.finish_drains();
        let (workers, interval_us) = (self.sc.servers.workers, a.interval_us);
        let autoscaler = &mut self.living.autoscaler;
        let busy = autoscaler.busy_since_last(&mut self.tier, self.now, workers, interval_us);
        let in_rotation = self.tier.balancer.rotation().len() as u32;
        match autoscaler.decide(a, self.now, in_rotation, busy) {
            Some(Scale::Out(count)) => {
                self.measure.servers_rented.rent(self.now, count);
                for _ in 0..count {
                    self.queue.push(self.now + a.boot_time_us, Event::Boot);
                }
            }
            Some(Scale::In(count)) => self.scale_in(count),
            None => {}
        }
    }

    /// A server the autoscaler asked for has booted: it joins the rotation.
    pub(super) fn boot(&mut self) {
        self.living.autoscaler.booted();
        let row = self.open_row(EventAction::ScaleOut, Some(1));
        let id = self.tier.new_server(self.now);
        self.tier.balancer.join(id);
        self.server_started(id);
        self.close_row(row);
    }

    fn scale_in(&mut self, count: u32) {
        let a = self.sc.autoscale.as_ref().expect("an autoscaler");
        let (mode, timeout_us) = (a.scale_in, a.drain_timeout_us);
        let leaving: Vec<ServerId> = self
            .tier
            .balancer
            .rotation()
            .iter()
            .rev()
            .take(count as usize)
            .copied()
            .collect();
        let mut row = self.open_row(EventAction::ScaleIn, Some(count));
        for &server in &leaving {
            match mode {
                ScaleIn::Abrupt => {
                    self.tier.balancer.leave(server);
                    if self.tier.servers[server.index()].up {
                        row.sessions_lost += self.stop_server(server);
                    }
                    self.retire(server);
                }
                ScaleIn::Drain => {
                    self.tier.balancer.drain(server);
                    let epoch = self.tier.servers[server.index()].epoch;
                    self.queue
                        .push(self.now + timeout_us, Event::DrainEnd { server, epoch });
                }
            }
        }
        let index = self.close_row(row);
        if mode == ScaleIn::Drain {
            let draining = &mut self.living.autoscaler.draining;
            draining.extend(leaving.iter().map(|&s| (s, index)));
        }
    }

    /// Stops every draining server that has no live session left.
    pub(super) fn finish_drains(&mut self) {
        if self.living.autoscaler.draining.is_empty() {
            return;
        }
        let tier = &mut self.tier;
        tier.sessions.advance(self.now);
        let empty: Vec<ServerId> = self
            .living
            .autoscaler
            .draining
            .iter()
            .map(|&(s, _)| s)
            .filter(|&s| tier.sessions.alive_on(s) == 0 && tier.servers[s.index()].load() == 0)
            .collect();
        for server in empty {
            self.end_drain(server);
        }
    }

    /// The drain timeout of `server` has passed (unless it stopped since).
    pub(super) fn drain_timeout(&mut self, server: ServerId, epoch: u32) {
        if self.tier.servers[server.index()].epoch == epoch
            && self.living.autoscaler.is_draining(server)
        {
            self.tier.sessions.advance(self.now);
            self.end_drain(server);
        }
    }

    /// A draining server stops; sessions still on it are lost, and counted on its scale-in row.
    fn end_drain(&mut self, server: ServerId) {
        let draining = &mut self.living.autoscaler.draining;
        let Some(i) = draining.iter().position(|&(s, _)| s == server) else {
            return;
        };
        let (_, row) = draining.swap_remove(i);
        self.tier.balancer.leave(server);
        self.tier.sessions.set_cause(Some(row as u32));
        let lost = if self.tier.servers[server.index()].up {
            self.stop_server(server)
        } else {
            0
        };
        self.tier.sessions.set_cause(None);
        self.retire(server);
        self.measure.add_lost(row, lost);
    }
}

/// An exponential time with mean `mean_us`, in whole microseconds.
fn draw(rng: &mut SimRng, mean_us: u64) -> u64 {
    rng::round_u64(rng::exp1(rng) * mean_us as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::UserSlot;
    use crate::model::server::Occupant;

    /// Each server's failures come from its own stream, whatever order the servers ask in: the
    /// draws of server 2 are those of `failure_stream(seed, 2)`, scaled to the mean.
    #[test]
    fn each_server_fails_from_its_own_stream() {
        let sc = super::super::tests::tiny(&[]);
        let mut living = Living::new(&sc);
        let mut own = rng::failure_stream(sc.seed, 2);
        let first = living.server_draw(ServerId(2), 1_000_000);
        living.server_draw(ServerId(0), 1_000_000);
        let second = living.server_draw(ServerId(2), 1_000_000);
        assert_eq!(first, draw(&mut own, 1_000_000));
        assert_eq!(second, draw(&mut own, 1_000_000));
    }

    fn autoscale() -> Autoscale {
        let sc = super::super::tests::tiny(&[
            "autoscale.min=1",
            "autoscale.max=8",
            "autoscale.target_busy=0.5",
            "autoscale.interval=\"10s\"",
            "autoscale.cooldown=\"30s\"",
        ]);
        sc.autoscale.expect("an autoscaler")
    }

    /// Target 0.5. At 10 s, 4 servers busy 0.75 want ceil(4 × 0.75 / 0.5) = 6: two more. At
    /// 20 s it cools down (until 40 s). At 40 s, still 4 in rotation with 2 booting, busy 0.25
    /// wants 2, but nothing is removed while servers boot. Once they have booted, at 50 s, 6 in
    /// rotation busy 0.25 want 3: three fewer.
    #[test]
    fn target_tracking_scales_out_cools_down_then_scales_in() {
        const S: Micros = 1_000_000;
        let a = autoscale();
        let mut auto = Autoscaler::default();
        assert_eq!(auto.decide(&a, 10 * S, 4, Some(0.75)), Some(Scale::Out(2)));
        assert_eq!(auto.decide(&a, 20 * S, 4, Some(0.75)), None);
        assert_eq!(auto.decide(&a, 40 * S, 4, Some(0.25)), None);
        auto.booted();
        auto.booted();
        assert_eq!(auto.decide(&a, 50 * S, 6, Some(0.25)), Some(Scale::In(3)));
        assert_eq!(auto.decide(&a, 60 * S, 3, None), None);
    }

    /// `tiny`: 3 servers of 2 workers. Over a 10 s interval, server 0 has one worker busy for
    /// 4 s and server 1 both for 10 s, with server 2 out of rotation: (4 + 20) / (2 × 2 × 10) =
    /// 0.6.
    #[test]
    fn busy_is_measured_over_the_servers_in_rotation() {
        const S: Micros = 1_000_000;
        let sc = super::super::tests::tiny(&[]);
        let mut tier = Tier::new(&sc);
        let mut auto = Autoscaler::default();
        assert_eq!(auto.busy_since_last(&mut tier, 0, 2, 10 * S), Some(0.0));
        tier.servers[0].admit(Occupant::User(UserSlot(1)), 0);
        tier.servers[0].release(0, 4 * S);
        tier.servers[1].admit(Occupant::User(UserSlot(2)), 0);
        tier.servers[1].admit(Occupant::User(UserSlot(3)), 0);
        tier.servers[2].admit(Occupant::User(UserSlot(4)), 0);
        tier.balancer.leave(ServerId(2));
        assert_eq!(
            auto.busy_since_last(&mut tier, 10 * S, 2, 10 * S),
            Some(0.6)
        );
    }
}
