//! The pending-event set: a priority queue ordered by (time, sequence number).
//!
//! The sequence number is assigned when an event is scheduled, so events due at the same time run
//! in the order they were scheduled, whatever the heap does internally. This is a binary heap;
//! it does not try to be fast with millions of pending events (the model keeps the pending set
//! small: session expiry lives in `model::sessions`, not here).

use crate::events::Event;
use crate::scenario::Micros;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// One scheduled event.
#[derive(Clone, Copy, Debug)]
struct Entry {
    time: Micros,
    seq: u64,
    event: Event,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    /// Reversed, so that the max-heap pops the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// Pending events, earliest first.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Entry>,
    next_seq: u64,
}

impl EventQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `event` at `time`.
    #[inline]
    pub fn push(&mut self, time: Micros, event: Event) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { time, seq, event });
    }

    /// The time of the earliest pending event.
    #[inline]
    pub fn peek_time(&self) -> Option<Micros> {
        self.heap.peek().map(|e| e.time)
    }

    /// Removes and returns the earliest pending event.
    #[inline]
    pub fn pop(&mut self) -> Option<(Micros, Event)> {
        self.heap.pop().map(|e| (e.time, e.event))
    }

    /// How many events are pending.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
}
