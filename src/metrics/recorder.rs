//! The recorder the engine feeds while a run goes on: outcome counts, latency histograms (HDR,
//! 3 significant digits, one record per request), store operations and the number of requests in
//! the web tier, over the measured period (requests sent at or after warm-up) and per bucket.
//!
//! Leaves out: anything about where requests went beyond the server that served them; the engine
//! turns what it records into the result rows of [`super`].

use super::{Counts, Latency};
use crate::events::Outcome;
use crate::scenario::Micros;
use hdrhistogram::Histogram;

/// Latencies above this (one day) are recorded as this in the percentiles (the mean stays exact).
pub const MAX_LATENCY_US: u64 = 86_400_000_000;

/// Records outcomes as the engine reports them.
#[derive(Debug)]
pub struct Recorder {
    warmup_us: Micros,
    /// Requests sent since warm-up.
    sent: u64,
    /// Totals since warm-up.
    total: Counts,
    /// Counts of the current bucket.
    bucket: Counts,
    /// Latencies since warm-up, up to the end of the last bucket taken.
    hist_total: Histogram<u64>,
    /// Latencies of the current bucket.
    hist_bucket: Histogram<u64>,
    /// The current bucket's first [`FEW_LATENCIES`] latencies, recorded one by one into
    /// `hist_total` when the bucket is taken if it has no more (else the bucket histogram is
    /// added whole): one histogram record per request, and no pass over a whole histogram for a
    /// bucket of a handful of requests.
    bucket_latencies: Vec<u64>,
    latency_sum_us: u128,
    latency_n: u64,
    /// Requests served by each server in the current bucket.
    served_in_bucket: Vec<u64>,
    /// Store operations completed in the current bucket.
    store_ops_in_bucket: u64,
    /// Store reads completed since warm-up.
    store_reads: u64,
    /// Store writes completed since warm-up.
    store_writes: u64,
    /// Requests authenticated from a local cache since warm-up.
    cache_hits: u64,
    /// Session copies sent to backups since warm-up.
    session_copies: u64,
    in_tier: u64,
    in_tier_area: u128,
    in_tier_since: Micros,
    tier_sojourn_us: u128,
}

impl Recorder {
    /// A recorder that ignores requests sent before `warmup_us`.
    pub fn new(warmup_us: Micros) -> Self {
        let hist =
            || Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("valid histogram bounds");
        Recorder {
            warmup_us,
            sent: 0,
            total: Counts::default(),
            bucket: Counts::default(),
            hist_total: hist(),
            hist_bucket: hist(),
            bucket_latencies: Vec::new(),
            latency_sum_us: 0,
            latency_n: 0,
            served_in_bucket: Vec::new(),
            store_ops_in_bucket: 0,
            store_reads: 0,
            store_writes: 0,
            cache_hits: 0,
            session_copies: 0,
            in_tier: 0,
            in_tier_area: 0,
            in_tier_since: warmup_us,
            tier_sojourn_us: 0,
        }
    }

    /// Starts the measured period: forgets what the current bucket counted of store operations
    /// and served requests before it.
    pub fn start_measuring(&mut self) {
        self.served_in_bucket.iter_mut().for_each(|x| *x = 0);
        self.store_ops_in_bucket = 0;
    }

    /// Requests served by each server in the current bucket, for server ids `0..servers` at
    /// least (ids nothing was served by read 0).
    pub fn served_in_bucket(&mut self, servers: usize) -> &[u64] {
        if self.served_in_bucket.len() < servers {
            self.served_in_bucket.resize(servers, 0);
        }
        &self.served_in_bucket
    }

    /// Closes the current bucket: returns its counts, latency and store operations, and starts
    /// the next one from zero (served requests too).
    pub fn close_bucket(&mut self) -> ClosedBucket {
        let closed = ClosedBucket {
            counts: std::mem::take(&mut self.bucket),
            latency: self.take_bucket_latency(),
            store_ops: std::mem::take(&mut self.store_ops_in_bucket),
        };
        self.served_in_bucket.iter_mut().for_each(|x| *x = 0);
        closed
    }

    /// A request sent at `sent_us` was authenticated from a server's local cache.
    #[inline]
    pub fn cache_hit(&mut self, sent_us: Micros) {
        if self.measuring(sent_us) {
            self.cache_hits += 1;
        }
    }

    /// A request sent at `sent_us` copied its session to a backup server.
    #[inline]
    pub fn session_copy(&mut self, sent_us: Micros) {
        if self.measuring(sent_us) {
            self.session_copies += 1;
        }
    }

    /// Requests sent since warm-up.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// Outcome counts since warm-up.
    pub fn total(&self) -> Counts {
        self.total
    }

    /// Store reads completed since warm-up.
    pub fn store_reads(&self) -> u64 {
        self.store_reads
    }

    /// Store writes completed since warm-up.
    pub fn store_writes(&self) -> u64 {
        self.store_writes
    }

    /// Requests authenticated from a local cache since warm-up.
    pub fn cache_hits(&self) -> u64 {
        self.cache_hits
    }

    /// Session copies sent to backups since warm-up.
    pub fn session_copies(&self) -> u64 {
        self.session_copies
    }

    /// Whether `now` is in the measured period.
    #[inline]
    pub fn measuring(&self, now: Micros) -> bool {
        now >= self.warmup_us
    }

    /// A request sent at `sent_us` ended at `now` with `outcome`, at `server` if it was served.
    /// Always inlined: called once per request, from the engine's one place where requests end
    /// (compiled once per kind of run) and from the live mode.
    #[inline(always)]
    pub fn request_ended(
        &mut self,
        sent_us: Micros,
        now: Micros,
        outcome: Outcome,
        was_login: bool,
        server: Option<u32>,
    ) {
        if sent_us < self.warmup_us {
            return;
        }
        self.total.add(outcome, was_login);
        self.bucket.add(outcome, was_login);
        if let Some(s) = server {
            let latency = now - sent_us;
            self.hist_bucket.saturating_record(latency);
            if self.bucket_latencies.len() < FEW_LATENCIES {
                self.bucket_latencies.push(latency);
            }
            self.latency_sum_us += u128::from(latency);
            self.latency_n += 1;
            if self.served_in_bucket.len() <= s as usize {
                self.served_in_bucket.resize(s as usize + 1, 0);
            }
            self.served_in_bucket[s as usize] += 1;
        }
    }

    /// A request was sent at `now`.
    #[inline]
    pub fn request_sent(&mut self, now: Micros) {
        if self.measuring(now) {
            self.sent += 1;
        }
    }

    /// A store operation completed at `now`.
    #[inline]
    pub fn store_op(&mut self, now: Micros, write: bool) {
        if !self.measuring(now) {
            return;
        }
        self.store_ops_in_bucket += 1;
        if write {
            self.store_writes += 1;
        } else {
            self.store_reads += 1;
        }
    }

    /// A request entered the web tier (queued, or took a worker) at `now`.
    #[inline]
    pub fn enter_tier(&mut self, now: Micros) {
        self.account_tier(now);
        self.in_tier += 1;
    }

    /// A request that entered the web tier at `since` left it at `now`.
    #[inline]
    pub fn leave_tier(&mut self, now: Micros, since: Micros) {
        self.account_tier(now);
        self.in_tier -= 1;
        self.tier_sojourn_us += u128::from(now.saturating_sub(since.max(self.warmup_us)));
    }

    fn account_tier(&mut self, now: Micros) {
        if now > self.in_tier_since {
            self.in_tier_area += u128::from(self.in_tier) * u128::from(now - self.in_tier_since);
            self.in_tier_since = now;
        }
    }

    /// Requests in the tier now.
    pub fn in_tier(&self) -> u64 {
        self.in_tier
    }

    /// The area under the number of requests in the tier over the measured period, and the sum
    /// of the times requests spent in the tier within it, up to `end`, given the entry times of
    /// the requests still inside. Little's law on a sample path says they are equal.
    pub fn tier_books(
        &mut self,
        end: Micros,
        inside_since: impl Iterator<Item = Micros>,
    ) -> (u128, u128) {
        self.account_tier(end);
        let inside: u128 = inside_since
            .map(|since| u128::from(end.saturating_sub(since.max(self.warmup_us))))
            .sum();
        (self.in_tier_area, self.tier_sojourn_us + inside)
    }

    /// Latency of the current bucket; starts a new bucket's histogram.
    fn take_bucket_latency(&mut self) -> Latency {
        let latency = latency_of(&self.hist_bucket, None);
        merge_into(
            &mut self.hist_total,
            &self.hist_bucket,
            &self.bucket_latencies,
        );
        self.hist_bucket.reset();
        self.bucket_latencies.clear();
        latency
    }

    /// Latency since warm-up.
    pub fn total_latency(&self) -> Latency {
        let mean = (self.latency_n > 0).then(|| self.latency_sum_us as f64 / self.latency_n as f64);
        if self.hist_bucket.is_empty() {
            return latency_of(&self.hist_total, mean);
        }
        let mut total = self.hist_total.clone();
        merge_into(&mut total, &self.hist_bucket, &self.bucket_latencies);
        latency_of(&total, mean)
    }

    /// Time-average of requests in the tier from warm-up to `end`.
    pub fn mean_in_tier(&mut self, end: Micros) -> f64 {
        self.account_tier(end);
        if end <= self.warmup_us {
            return 0.0;
        }
        self.in_tier_area as f64 / (end - self.warmup_us) as f64
    }
}

/// What a bucket recorded, handed over when it closes.
#[derive(Clone, Debug)]
pub struct ClosedBucket {
    /// Outcome counts of requests sent since warm-up that ended in the bucket.
    pub counts: Counts,
    /// Their latency.
    pub latency: Latency,
    /// Store operations completed in the bucket.
    pub store_ops: u64,
}

/// A bucket whose latencies are at most this many is merged into the total value by value.
const FEW_LATENCIES: usize = 1024;

/// Adds a bucket's latencies (its histogram, and its first [`FEW_LATENCIES`] values) to `total`.
fn merge_into(total: &mut Histogram<u64>, bucket: &Histogram<u64>, first: &[u64]) {
    if bucket.len() as usize <= first.len() {
        for &latency in first {
            total.saturating_record(latency);
        }
    } else {
        total
            .add(bucket)
            .expect("histograms of the same bounds add up");
    }
}

/// The latency of `values` (microseconds) read from the same kind of histogram as the
/// recorder's (HDR, 3 significant digits, up to [`MAX_LATENCY_US`]), with their exact mean if
/// `mean`: what the live mode reports beside the simulation's latency.
pub fn latency_of_values(values: impl IntoIterator<Item = u64>, mean: bool) -> Latency {
    let mut h = Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("valid histogram bounds");
    let (mut sum, mut n) = (0u128, 0u64);
    for v in values {
        h.saturating_record(v);
        sum += u128::from(v);
        n += 1;
    }
    let mut latency = latency_of(&h, Some(sum as f64 / n.max(1) as f64));
    if !mean {
        latency.mean_us = None;
    }
    latency
}

fn latency_of(h: &Histogram<u64>, mean_us: Option<f64>) -> Latency {
    if h.is_empty() {
        return Latency::default();
    }
    Latency {
        mean_us: mean_us.or_else(|| Some(h.mean())),
        p50_us: Some(h.value_at_quantile(0.50)),
        p95_us: Some(h.value_at_quantile(0.95)),
        p99_us: Some(h.value_at_quantile(0.99)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_before_warmup_are_not_counted() {
        let mut r = Recorder::new(100);
        r.request_ended(99, 150, Outcome::Ok, true, Some(0));
        r.request_ended(100, 150, Outcome::Ok, true, Some(0));
        assert_eq!(r.total().logins, 1);
        assert_eq!(r.total_latency().p50_us, Some(50));
    }

    /// The total histogram is built from the buckets' (value by value for small buckets, whole
    /// for large ones): it must be the histogram of every latency recorded once.
    #[test]
    fn total_latency_is_the_histogram_of_every_request() {
        let mut r = Recorder::new(0);
        let mut all = Histogram::<u64>::new_with_bounds(1, MAX_LATENCY_US, 3).unwrap();
        let mut rng = crate::rng::user_stream(5, 5);
        for bucket in [3, 0, 5000, 1024, 1025, 17] {
            for _ in 0..bucket {
                let latency = 1 + (crate::rng::exp1(&mut rng) * 30_000.0) as u64;
                r.request_ended(0, latency, Outcome::Ok, false, Some(0));
                all.saturating_record(latency);
            }
            if bucket != 17 {
                r.close_bucket();
            }
        }
        let expected = latency_of(&all, Some(all.mean()));
        let got = r.total_latency();
        assert_eq!(got.p50_us, expected.p50_us);
        assert_eq!(got.p95_us, expected.p95_us);
        assert_eq!(got.p99_us, expected.p99_us);
        r.close_bucket();
        let mut total = r.hist_total.clone();
        total.reset();
        total.add(&all).unwrap();
        assert_eq!(r.hist_total, total);
    }
}
