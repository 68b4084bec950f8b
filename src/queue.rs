//! The pending-event set: earliest time first, and events due at the same time in the order
//! they were scheduled.
//!
//! A radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, 1990) over integer microseconds with 64-way
//! digits, laid out like a hierarchical timing wheel. It relies on the clock never going back:
//! every event is scheduled at or after `last`, a time no later than the engine's clock. Times
//! are read as 6-bit digits, and bucket (`level`, `digit`) holds the events whose time first
//! differs from `last` at digit `level`, where their digit is `digit`; two bit masks find the
//! lowest non-empty bucket, so taking events out never searches.
//!
//! The events about to be taken out form `current`, sorted by time: when it runs out, the lowest
//! bucket becomes the next `current` if it is small (sorted in place, up to 64 events) and is
//! otherwise spread over the buckets below it, relative to its earliest time. An event scheduled
//! before the end of `current` is inserted into it at its place. So an event moves down a few
//! times in its life (a think time of seconds about twice), whatever the number of pending
//! events (a binary heap pays a cache miss per level with millions of them).
//!
//! Order: each bucket holds its events in the order they were scheduled (a bucket only receives
//! the events of a spread, when every bucket below it is empty, then later pushes), sorting is
//! stable, and an event inserted into `current` goes after every event of its time there. So
//! events come out exactly in the order of a heap by (time, sequence number); a test checks it
//! against one.

use crate::events::Event;
use crate::scenario::Micros;

/// Bits per digit.
const DIGIT_BITS: u32 = 6;
/// Buckets per level (values of a digit).
const FANOUT: usize = 1 << DIGIT_BITS;
/// Levels: digits of a 64-bit time.
const LEVELS: usize = (u64::BITS as usize).div_ceil(DIGIT_BITS as usize);
/// Buckets, `level * FANOUT + digit`.
const BUCKETS: usize = LEVELS * FANOUT;
/// A bucket of at most this many events is sorted into `current` rather than spread.
const SORT_AT_MOST: usize = 64;

/// A bucket spread with room for more events than this frees its memory.
const KEEP_AT_MOST: usize = 4096;

/// Pending events, earliest first.
#[derive(Debug)]
pub struct EventQueue {
    /// The next events, sorted by time (in scheduling order at equal times); read from `head` on
    /// (earlier entries are taken). Every event in a bucket is later than all of them.
    current: Vec<(Micros, Event)>,
    head: usize,
    /// Room for sorting a bucket.
    scratch: Vec<(Micros, Event)>,
    /// Bucket `level * FANOUT + digit`, each in scheduling order.
    buckets: Box<[Vec<(Micros, Event)>; BUCKETS]>,
    /// No pending event is before this time (the earliest time of the last bucket taken apart).
    last: Micros,
    /// The earliest time in each bucket (`Micros::MAX` when empty), so that taking the lowest
    /// bucket apart needs no search for its minimum.
    earliest: [Micros; BUCKETS],
    /// Bit `digit` of `digits[level]` set: that bucket is not empty.
    digits: [u64; LEVELS],
    /// Bit `level` set: `digits[level]` is not zero.
    levels: u32,
    len: usize,
}

impl Default for EventQueue {
    fn default() -> Self {
        EventQueue {
            current: Vec::new(),
            scratch: Vec::new(),
            head: 0,
            buckets: Box::new(std::array::from_fn(|_| Vec::new())),
            last: 0,
            earliest: [Micros::MAX; BUCKETS],
            digits: [0; LEVELS],
            levels: 0,
            len: 0,
        }
    }
}

impl EventQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `event` at `time`, which is not before the last event taken out.
    #[inline(always)]
    pub fn push(&mut self, time: Micros, event: Event) {
        debug_assert!(
            time >= self.last,
            "an event in the past: {time} < {}",
            self.last
        );
        match self.current.last() {
            Some(&(end, _)) if time < end => self.insert_current(time, event),
            _ => self.place(time, event),
        }
        self.len += 1;
    }

    /// Puts an event due before the end of `current` in it, after every event of its time.
    #[cold]
    fn insert_current(&mut self, time: Micros, event: Event) {
        let at = self.head + self.current[self.head..].partition_point(|e| e.0 <= time);
        self.current.insert(at, (time, event));
    }

    /// Puts an event that is not before the end of `current` in `current` (if due at `last`) or
    /// its bucket.
    #[inline(always)]
    fn place(&mut self, time: Micros, event: Event) {
        let diff = time ^ self.last;
        if diff == 0 {
            self.current.push((time, event));
            return;
        }
        let level = (u64::BITS - 1 - diff.leading_zeros()) / DIGIT_BITS;
        let digit = (time >> (level * DIGIT_BITS)) as usize % FANOUT;
        let b = level as usize * FANOUT + digit;
        self.buckets[b].push((time, event));
        self.earliest[b] = self.earliest[b].min(time);
        self.digits[level as usize] |= 1 << digit;
        self.levels |= 1 << level;
    }

    /// The lowest non-empty bucket.
    #[inline]
    fn lowest(&self) -> Option<usize> {
        if self.levels == 0 {
            return None;
        }
        let level = self.levels.trailing_zeros() as usize;
        Some(level * FANOUT + self.digits[level].trailing_zeros() as usize)
    }

    /// The time of the earliest pending event.
    #[inline]
    pub fn peek_time(&mut self) -> Option<Micros> {
        if let Some(&(time, _)) = self.current.get(self.head) {
            return Some(time);
        }
        Some(self.earliest[self.lowest()?])
    }

    /// Removes and returns the earliest pending event.
    #[inline]
    pub fn pop(&mut self) -> Option<(Micros, Event)> {
        if self.head == self.current.len() {
            self.refill()?;
        }
        let entry = self.current[self.head];
        self.head += 1;
        if self.head == self.current.len() {
            self.current.clear();
            self.head = 0;
        }
        self.len -= 1;
        Some(entry)
    }

    /// `current` is empty: makes the lowest non-empty bucket the next `current` if it is small
    /// (sorted), or else spreads it over the buckets below it. `None` if nothing is pending.
    #[cold]
    fn refill(&mut self) -> Option<()> {
        self.current.clear();
        self.head = 0;
        let b = self.lowest()?;
        let (level, digit) = (b / FANOUT, b % FANOUT);
        self.last = std::mem::replace(&mut self.earliest[b], Micros::MAX);
        self.digits[level] &= !(1 << digit);
        if self.digits[level] == 0 {
            self.levels &= !(1 << level);
        }
        if level == 0 || self.buckets[b].len() <= SORT_AT_MOST {
            // A bucket of level 0 holds a single time; a small one is sorted (stably).
            std::mem::swap(&mut self.current, &mut self.buckets[b]);
            if level > 0 {
                sort_bucket(&mut self.current, level, &mut self.scratch);
            }
            return Some(());
        }
        let mut moving = std::mem::take(&mut self.buckets[b]);
        for &(time, event) in &moving {
            self.place(time, event);
        }
        // A large bucket gives its memory back: several hundred buckets each keeping the
        // largest size it ever had would hold several times the pending events.
        if moving.capacity() <= KEEP_AT_MOST {
            moving.clear();
            self.buckets[b] = moving;
        }
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

/// Sorts the events of a bucket of `level` by time, keeping the order of equal times. They
/// differ only in their digits below `level`: up to three digits, one stable counting pass per
/// digit (lowest first) unless there are only a few events (24 or fewer: 12 measured too).
fn sort_bucket(v: &mut Vec<(Micros, Event)>, level: usize, scratch: &mut Vec<(Micros, Event)>) {
    if v.len() <= 24 || level > 3 {
        v.sort_by_key(|e| e.0);
        return;
    }
    for pass in 0..level as u32 {
        let shift = pass * DIGIT_BITS;
        let digit = |e: &(Micros, Event)| (e.0 >> shift) as usize % FANOUT;
        let mut start = [0u32; FANOUT];
        for e in v.iter() {
            start[digit(e)] += 1;
        }
        let mut sum = 0;
        for s in &mut start {
            (*s, sum) = (sum, sum + *s);
        }
        scratch.clear();
        scratch.resize(v.len(), v[0]);
        for e in v.iter() {
            let d = digit(e);
            scratch[start[d] as usize] = *e;
            start[d] += 1;
        }
        std::mem::swap(v, scratch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::UserSlot;

    #[test]
    fn pops_by_time_then_by_scheduling_order() {
        let mut q = EventQueue::new();
        q.push(5, Event::Send { user: UserSlot(1) });
        q.push(3, Event::Send { user: UserSlot(2) });
        q.push(5, Event::Send { user: UserSlot(3) });
        q.push(3, Event::Send { user: UserSlot(4) });
        let order: Vec<(Micros, Event)> = std::iter::from_fn(|| q.pop()).collect();
        let users: Vec<u32> = order
            .iter()
            .map(|(_, e)| match e {
                Event::Send { user } => user.0,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(users, vec![2, 4, 1, 3]);
        assert!(q.is_empty());
    }

    #[test]
    fn sorting_a_bucket_is_a_stable_sort_by_time() {
        let mut rng = crate::rng::stream(3, crate::rng::Stream::Routing);
        let mut scratch = Vec::new();
        for round in 0..2_000u32 {
            let level = 1 + round as usize % 3;
            let n = 1 + crate::rng::index(&mut rng, 64);
            // Same digits from `level` up; few distinct values in some rounds, for equal times.
            let base = (12_345u64 << (DIGIT_BITS * level as u32)) + 7;
            let span = if round % 2 == 0 {
                1 << (DIGIT_BITS * level as u32)
            } else {
                5
            };
            let mut v: Vec<(Micros, Event)> = (0..n as u32)
                .map(|user| {
                    let t = (base & !((1 << (DIGIT_BITS * level as u32)) - 1))
                        + crate::rng::index(&mut rng, span) as u64;
                    (
                        t,
                        Event::Send {
                            user: UserSlot(user),
                        },
                    )
                })
                .collect();
            let mut expected = v.clone();
            expected.sort_by_key(|e| e.0);
            sort_bucket(&mut v, level, &mut scratch);
            assert_eq!(v, expected, "round {round}");
        }
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
        let send = |user: u32| Event::Send {
            user: UserSlot(user),
        };
        for step in 0..200_000u32 {
            let r = crate::rng::uniform(&mut rng);
            if r < 0.55 || heap.is_empty() {
                // Delays from 0 (same time) to ~2^40 us, to reach every bucket.
                let shift = (crate::rng::uniform(&mut rng) * 41.0) as u32;
                let delay = (crate::rng::uniform(&mut rng) * (1u64 << shift) as f64) as u64;
                let delay = if step % 7 == 0 { 0 } else { delay };
                q.push(now + delay, send(seq));
                heap.push(Reverse((now + delay, seq)));
                seq += 1;
            } else {
                assert_eq!(q.peek_time(), heap.peek().map(|r| r.0.0));
                let Reverse((time, user)) = heap.pop().unwrap();
                assert_eq!(q.pop(), Some((time, send(user))), "step {step}");
                now = time;
            }
            assert_eq!(q.len(), heap.len());
        }
        while let Some(Reverse((time, user))) = heap.pop() {
            assert_eq!(q.pop(), Some((time, send(user))));
        }
        assert_eq!(q.pop(), None);
        assert_eq!(q.peek_time(), None);
    }
}
