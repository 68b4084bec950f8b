//! The pending-event set: earliest time first, and events due at the same time in the order
//! they were scheduled.
//!
//! A radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, 1990) over integer microseconds: it relies on
//! the clock never going back (every event is scheduled at or after the time of the last event
//! taken out, which the engine guarantees). Bucket 0 holds the events due exactly at that last
//! time; bucket `i` those whose time first differs from it at bit `i - 1`. Taking an event out
//! only ever looks at the lowest non-empty bucket, and each event moves down a bucket at most
//! 64 times in its life, so a push and a pop cost a few nanoseconds plus that amortised move,
//! whatever the number of pending events (a binary heap pays a cache miss per level with
//! millions of them). Events with the same time always share a bucket and keep the order in which
//! they were scheduled, so the order is exactly that of a heap by (time, sequence number); a
//! test checks it against one.

use crate::events::Event;
use crate::scenario::Micros;

/// Buckets: 0 for the last time taken out, 1 to 64 by the highest bit that differs from it.
const BUCKETS: usize = 65;

/// Pending events, earliest first.
#[derive(Debug)]
pub struct EventQueue {
    buckets: Vec<Vec<(Micros, Event)>>,
    /// Bucket 0 is read from here on (its earlier entries are taken).
    head: usize,
    /// The time of the last event taken out (every pending event is at or after it).
    last: Micros,
    /// The earliest time in each bucket (`Micros::MAX` when empty), so that taking the lowest
    /// bucket apart needs no search for its minimum.
    earliest: [Micros; BUCKETS],
    /// Bit `i - 1` set: bucket `i` (1 to 64) is not empty.
    nonempty: u64,
    len: usize,
}

impl Default for EventQueue {
    fn default() -> Self {
        EventQueue {
            buckets: vec![Vec::new(); BUCKETS],
            head: 0,
            last: 0,
            earliest: [Micros::MAX; BUCKETS],
            nonempty: 0,
            len: 0,
        }
    }
}

/// The bucket of `time` relative to `last`.
#[inline]
fn bucket(time: Micros, last: Micros) -> usize {
    (u64::BITS - (time ^ last).leading_zeros()) as usize
}

impl EventQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `event` at `time`, which is not before the last event taken out.
    #[inline]
    pub fn push(&mut self, time: Micros, event: Event) {
        debug_assert!(
            time >= self.last,
            "an event in the past: {time} < {}",
            self.last
        );
        self.place(time, event);
        self.len += 1;
    }

    /// Puts an event in its bucket.
    #[inline]
    fn place(&mut self, time: Micros, event: Event) {
        let b = bucket(time, self.last);
        self.buckets[b].push((time, event));
        self.earliest[b] = self.earliest[b].min(time);
        if b > 0 {
            self.nonempty |= 1 << (b - 1);
        }
    }

    /// The lowest non-empty bucket above 0.
    #[inline]
    fn lowest(&self) -> Option<usize> {
        (self.nonempty != 0).then(|| self.nonempty.trailing_zeros() as usize + 1)
    }

    /// The time of the earliest pending event.
    #[inline]
    pub fn peek_time(&mut self) -> Option<Micros> {
        if self.head < self.buckets[0].len() {
            return Some(self.last);
        }
        Some(self.earliest[self.lowest()?])
    }

    /// Removes and returns the earliest pending event.
    #[inline]
    pub fn pop(&mut self) -> Option<(Micros, Event)> {
        if self.head == self.buckets[0].len() {
            self.refill()?;
        }
        let entry = self.buckets[0][self.head];
        self.head += 1;
        if self.head == self.buckets[0].len() {
            self.buckets[0].clear();
            self.head = 0;
        }
        self.len -= 1;
        Some(entry)
    }

    /// Bucket 0 is empty: moves the earliest time's events into it by spreading the lowest
    /// non-empty bucket over the buckets below it (in order). `None` if nothing is pending.
    #[cold]
    fn refill(&mut self) -> Option<()> {
        self.buckets[0].clear();
        self.head = 0;
        self.earliest[0] = Micros::MAX;
        let i = self.lowest()?;
        self.last = self.earliest[i];
        self.earliest[i] = Micros::MAX;
        self.nonempty &= !(1 << (i - 1));
        let mut moving = std::mem::take(&mut self.buckets[i]);
        for (time, event) in moving.drain(..) {
            self.place(time, event);
        }
        self.buckets[i] = moving;
        Some(())
    }

    /// How many events are pending.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_by_scheduling_order() {
        let mut q = EventQueue::new();
        q.push(5, Event::Send { user: 1 });
        q.push(3, Event::Send { user: 2 });
        q.push(5, Event::Send { user: 3 });
        q.push(3, Event::Send { user: 4 });
        let order: Vec<(Micros, Event)> = std::iter::from_fn(|| q.pop()).collect();
        let users: Vec<u32> = order
            .iter()
            .map(|(_, e)| match e {
                Event::Send { user } => *user,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(users, vec![2, 4, 1, 3]);
        assert!(q.is_empty());
    }

    /// The order of a binary heap by (time, sequence number), under the same monotone use as
    /// the engine's: pushes at or after the last time popped, pops and peeks interleaved.
    #[test]
    fn pops_in_exactly_the_order_of_a_heap_by_time_and_sequence() {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let mut rng = crate::rng::stream(7, crate::rng::Stream::Routing);
        let mut q = EventQueue::new();
        let mut heap = BinaryHeap::new();
        let (mut now, mut seq) = (0u64, 0u32);
        for step in 0..200_000u32 {
            let r = crate::rng::uniform(&mut rng);
            if r < 0.55 || heap.is_empty() {
                // Delays from 0 (same time) to ~2^40 us, to reach every bucket.
                let shift = (crate::rng::uniform(&mut rng) * 41.0) as u32;
                let delay = (crate::rng::uniform(&mut rng) * (1u64 << shift) as f64) as u64;
                let delay = if step % 7 == 0 { 0 } else { delay };
                q.push(now + delay, Event::Send { user: seq });
                heap.push(Reverse((now + delay, seq)));
                seq += 1;
            } else {
                assert_eq!(q.peek_time(), heap.peek().map(|r| r.0.0));
                let Reverse((time, user)) = heap.pop().unwrap();
                assert_eq!(q.pop(), Some((time, Event::Send { user })), "step {step}");
                now = time;
            }
            assert_eq!(q.len(), heap.len());
        }
        while let Some(Reverse((time, user))) = heap.pop() {
            assert_eq!(q.pop(), Some((time, Event::Send { user })));
        }
        assert_eq!(q.pop(), None);
        assert_eq!(q.peek_time(), None);
    }
}
