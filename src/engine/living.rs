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

use super::Engine;
use crate::events::{Event, EventAction};
use crate::rng::{self, SimRng};
use crate::scenario::ScaleIn;

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
    draining: Vec<(u32, usize)>,
}

impl Engine<'_> {
    /// Schedules the first failures and the first evaluation (at time 0).
    pub(super) fn start_living(&mut self) {
        for server in 0..self.servers.len() as u32 {
            self.server_started(server);
        }
        for m in 0..self.machines.len() as u32 {
            self.store_started(m);
        }
        if let Some(a) = &self.sc.autoscale {
            self.queue.push(a.interval_us, Event::Evaluate);
        }
    }

    /// A server has just (re)started: its next random failure.
    pub(super) fn server_started(&mut self, server: u32) {
        let Some(mtbf_us) = self.sc.failures.server_mtbf_us else {
            return;
        };
        let epoch = self.servers[server as usize].epoch;
        let at = self.now + draw(self.failure_rng(server), mtbf_us);
        self.queue.push(at, Event::Fail { server, epoch });
    }

    /// Store machine `machine` has just (re)started: its next random failure.
    pub(super) fn store_started(&mut self, machine: u32) {
        let life = {
            let m = &mut self.machines[machine as usize];
            m.life += 1;
            m.life
        };
        let Some(mtbf_us) = self.sc.failures.store_mtbf_us else {
            return;
        };
        let at = self.now + draw(&mut self.store_failures, mtbf_us);
        self.queue.push(at, Event::StoreFail { machine, life });
    }

    /// The target of a store machine's row in `events.csv`: its node, when the store has more
    /// than one machine.
    fn machine_target(&self, machine: u32) -> Option<u32> {
        (self.machines.len() > 1).then(|| machine / self.sc.store.replicas)
    }

    fn failure_rng(&mut self, server: u32) -> &mut SimRng {
        let seed = self.sc.seed;
        while self.failure_rngs.len() <= server as usize {
            let id = self.failure_rngs.len() as u64;
            self.failure_rngs.push(rng::failure_stream(seed, id));
        }
        &mut self.failure_rngs[server as usize]
    }

    /// Server `server` fails at random (unless it has stopped or restarted since).
    pub(super) fn fail(&mut self, server: u32, epoch: u32) {
        let s = &self.servers[server as usize];
        if s.epoch != epoch || !s.up || !s.exists {
            return;
        }
        let mut row = self.open_row(EventAction::Failure, Some(server));
        row.sessions_lost = self.crash(server);
        self.detect_row[server as usize] = Some(self.event_rows.len());
        self.close_row(row);
        let epoch = self.servers[server as usize].epoch;
        let mttr_us = self.sc.failures.server_mttr_us;
        let at = self.now + draw(self.failure_rng(server), mttr_us);
        self.queue.push(at, Event::Repair { server, epoch });
    }

    /// A failed server is repaired (unless it was restarted or removed since).
    pub(super) fn repair(&mut self, server: u32, epoch: u32) {
        let s = &self.servers[server as usize];
        if s.epoch != epoch || s.up || !s.exists {
            return;
        }
        if self.autoscaler.draining.iter().any(|&(s, _)| s == server) {
            // The autoscaler was removing it: it is not brought back.
            return self.end_drain(server);
        }
        let row = self.open_row(EventAction::Repair, Some(server));
        self.restart(server);
        self.close_row(row);
    }

    /// A store machine fails at random (unless it has crashed or restarted since).
    pub(super) fn store_fail(&mut self, machine: u32, life: u32) {
        let m = self.machines[machine as usize];
        if life != m.life || !m.up {
            return;
        }
        let target = self.machine_target(machine);
        let mut row = self.open_row(EventAction::StoreFailure, target);
        row.sessions_lost = self.crash_machine(machine);
        self.close_row(row);
        let life = {
            let m = &mut self.machines[machine as usize];
            m.life += 1;
            m.life
        };
        let at = self.now + draw(&mut self.store_failures, self.sc.failures.store_mttr_us);
        self.queue.push(at, Event::StoreRepair { machine, life });
    }

    /// A store machine is repaired (unless it was restarted since).
    pub(super) fn store_repair(&mut self, machine: u32, life: u32) {
        let m = self.machines[machine as usize];
        if life != m.life || m.up {
            return;
        }
        let target = self.machine_target(machine);
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
        let busy = self.busy_since_last_evaluation();
        let cooling = self
            .autoscaler
            .last_action_us
            .is_some_and(|t| self.now < t + a.cooldown_us);
        let Some(busy) = busy.filter(|_| !cooling) else {
            return;
        };
        let in_rotation = self.balancer.rotation().len() as u32;
        let planned = in_rotation + self.autoscaler.booting;
        let wanted =
            ((f64::from(in_rotation) * busy / a.target_busy).ceil() as u32).clamp(a.min, a.max);
        if wanted > planned {
            self.scale_out(wanted - planned);
        } else if wanted < in_rotation && self.autoscaler.booting == 0 {
            self.scale_in(in_rotation - wanted);
        }
    }

    /// Mean busy fraction of the workers in rotation since the last evaluation (`None` if there
    /// was no capacity to measure).
    fn busy_since_last_evaluation(&mut self) -> Option<f64> {
        let (now, workers) = (self.now, f64::from(self.sc.servers.workers));
        let interval_us = self.sc.autoscale.as_ref().map_or(0, |a| a.interval_us) as f64;
        let last = &mut self.autoscaler.busy_at_last;
        last.resize(self.servers.len(), 0);
        let mut busy_us = 0.0;
        let mut capacity_us = 0.0;
        for (id, server) in self.servers.iter_mut().enumerate() {
            let total = server.busy_total_us(now);
            let delta = total - std::mem::replace(&mut last[id], total);
            if self.balancer.contains(id as u32) {
                busy_us += delta as f64;
                capacity_us += workers * interval_us;
            }
        }
        (capacity_us > 0.0).then(|| busy_us / capacity_us)
    }

    fn scale_out(&mut self, count: u32) {
        let a = self.sc.autoscale.as_ref().expect("an autoscaler");
        self.autoscaler.booting += count;
        self.autoscaler.last_action_us = Some(self.now);
        for _ in 0..count {
            self.queue.push(self.now + a.boot_time_us, Event::Boot);
        }
    }

    /// A server the autoscaler asked for has booted: it joins the rotation.
    pub(super) fn boot(&mut self) {
        self.autoscaler.booting -= 1;
        let row = self.open_row(EventAction::ScaleOut, Some(1));
        let id = self.new_server();
        self.balancer.join(id);
        self.server_started(id);
        self.close_row(row);
    }

    fn scale_in(&mut self, count: u32) {
        let a = self.sc.autoscale.as_ref().expect("an autoscaler");
        let (mode, timeout_us) = (a.scale_in, a.drain_timeout_us);
        self.autoscaler.last_action_us = Some(self.now);
        let leaving: Vec<u32> = self
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
                    self.balancer.leave(server);
                    if self.servers[server as usize].up {
                        row.sessions_lost += self.stop_server(server);
                    }
                    self.servers[server as usize].retire();
                }
                ScaleIn::Drain => {
                    self.balancer.drain(server);
                    let epoch = self.servers[server as usize].epoch;
                    self.queue
                        .push(self.now + timeout_us, Event::DrainEnd { server, epoch });
                }
            }
        }
        let index = self.close_row(row);
        if mode == ScaleIn::Drain {
            self.autoscaler
                .draining
                .extend(leaving.iter().map(|&s| (s, index)));
        }
    }

    /// Stops every draining server that has no live session left.
    pub(super) fn finish_drains(&mut self) {
        if self.autoscaler.draining.is_empty() {
            return;
        }
        self.sessions.advance(self.now);
        let empty: Vec<u32> = self
            .autoscaler
            .draining
            .iter()
            .map(|&(s, _)| s)
            .filter(|&s| self.sessions.alive_on(s) == 0 && self.servers[s as usize].load() == 0)
            .collect();
        for server in empty {
            self.end_drain(server);
        }
    }

    /// The drain timeout of `server` has passed (unless it stopped since).
    pub(super) fn drain_timeout(&mut self, server: u32, epoch: u32) {
        if self.servers[server as usize].epoch == epoch
            && self.autoscaler.draining.iter().any(|&(s, _)| s == server)
        {
            self.sessions.advance(self.now);
            self.end_drain(server);
        }
    }

    /// A draining server stops; sessions still on it are lost, and counted on its scale-in row.
    fn end_drain(&mut self, server: u32) {
        let Some(i) = self
            .autoscaler
            .draining
            .iter()
            .position(|&(s, _)| s == server)
        else {
            return;
        };
        let (_, row) = self.autoscaler.draining.swap_remove(i);
        self.balancer.leave(server);
        let lost = if self.servers[server as usize].up {
            self.stop_server(server)
        } else {
            0
        };
        self.servers[server as usize].retire();
        self.event_rows[row].sessions_lost += lost;
    }
}

/// An exponential time with mean `mean_us`, in whole microseconds.
fn draw(rng: &mut SimRng, mean_us: u64) -> u64 {
    rng::round_u64(rng::exp1(rng) * mean_us as f64)
}
