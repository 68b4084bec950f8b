//! Periodic measurement: at each bucket boundary, one row per bucket and one per server.
//!
//! Buckets start at `warmup` and are `bucket` long; the last one ends at `duration` and may be
//! shorter. The boundary at `warmup` only starts the measured period.

use super::Engine;
use crate::metrics::{self, BucketRow, Counts, ServerRow};

impl Engine<'_> {
    /// A bucket boundary at `self.now`. Returns true when it is the end of the run.
    pub(super) fn tick(&mut self) -> bool {
        let now = self.now;
        self.sessions.advance(now);
        self.finish_drains();
        match self.bucket_start_us {
            None => self.start_measuring(),
            Some(start) => self.close_bucket(start),
        }
        self.bucket_start_us = Some(now);
        if now >= self.sc.duration_us {
            return true;
        }
        self.next_tick_us = (now + self.sc.bucket_us).min(self.sc.duration_us);
        false
    }

    fn start_measuring(&mut self) {
        let now = self.now;
        self.bucket_busy = self
            .servers
            .iter_mut()
            .map(|s| s.busy_total_us(now))
            .collect();
        self.rec.served_in_bucket.iter_mut().for_each(|x| *x = 0);
        self.rec.store_ops_in_bucket = 0;
        self.sessions_at_warmup = self.sessions.totals();
    }

    fn close_bucket(&mut self, start: u64) {
        let now = self.now;
        let len_us = now - start;
        let served = &mut self.rec.served_in_bucket;
        served.resize(self.servers.len().max(served.len()), 0);
        for (id, server) in self.servers.iter_mut().enumerate() {
            let total = server.busy_total_us(now);
            if self.bucket_busy.len() <= id {
                self.bucket_busy.resize(id + 1, 0);
            }
            let busy_us = total - std::mem::replace(&mut self.bucket_busy[id], total);
            let capacity_us = u64::from(server.workers()) * len_us;
            self.result.servers.push(ServerRow {
                start_us: start,
                server: id as u32,
                up: server.exists && server.up,
                requests: served[id],
                busy_fraction: if capacity_us == 0 {
                    0.0
                } else {
                    busy_us as f64 / capacity_us as f64
                },
                sessions: self.sessions.alive_on(id as u32),
            });
        }
        let rotation = self.balancer.rotation();
        let imbalance = metrics::imbalance(rotation.iter().map(|&s| served[s as usize]));
        let row = BucketRow {
            start_us: start,
            len_us,
            counts: std::mem::take(&mut self.rec.bucket),
            latency: self.rec.take_bucket_latency(),
            servers_in_rotation: rotation.len() as u32,
            sessions_alive: self.sessions.alive(),
            store_ops: std::mem::take(&mut self.rec.store_ops_in_bucket),
            imbalance,
        };
        self.result.buckets.push(row);
        self.rec.served_in_bucket.iter_mut().for_each(|x| *x = 0);
        debug_assert_eq!(self.rec.bucket, Counts::default());
    }
}
