//! The event queue alone: the hold operation (take the earliest event out, schedule one later)
//! with 1e3, 1e5 and 1e6 pending events, for the engine's radix heap and, as the reference, a
//! binary heap by (time, sequence number). Delays are exponential with a mean of one second in
//! microseconds, as think times are. Run with `cargo bench --bench queue`.

use divan::Bencher;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use tiersim::events::Event;
use tiersim::queue::EventQueue;
use tiersim::rng::{self, Stream};

fn main() {
    divan::main();
}

/// Pending-set sizes.
const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];

/// Hold operations per sample.
const HOLDS: usize = 100_000;

/// `n` delays in microseconds, exponential with a mean of one second.
fn delays(n: usize) -> Vec<u64> {
    let mut r = rng::stream(1, Stream::Arrivals);
    (0..n)
        .map(|_| (rng::exp1(&mut r) * 1e6) as u64 + 1)
        .collect()
}

#[divan::bench(args = SIZES, sample_count = 20)]
fn radix_heap(bencher: Bencher, pending: usize) {
    let d = delays(pending + HOLDS);
    let mut q = EventQueue::new();
    for (i, &delay) in d[..pending].iter().enumerate() {
        q.push(
            delay,
            Event::Send {
                user: tiersim::model::ids::UserSlot(i as u32),
            },
        );
    }
    let mut k = pending;
    bencher.bench_local(|| {
        for _ in 0..HOLDS {
            let (now, event) = q.pop().expect("pending");
            q.push(now + d[k % d.len()], event);
            k += 1;
        }
    });
}

#[divan::bench(args = SIZES, sample_count = 20)]
fn binary_heap(bencher: Bencher, pending: usize) {
    let d = delays(pending + HOLDS);
    let mut q = BinaryHeap::new();
    let mut seq = 0u64;
    for (i, &delay) in d[..pending].iter().enumerate() {
        q.push(Reverse((delay, seq, i as u32)));
        seq += 1;
    }
    let mut k = pending;
    bencher.bench_local(|| {
        for _ in 0..HOLDS {
            let Reverse((now, _, user)) = q.pop().expect("pending");
            q.push(Reverse((now + d[k % d.len()], seq, user)));
            seq += 1;
            k += 1;
        }
    });
}
