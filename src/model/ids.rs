//! The identifiers of the model: newtypes over `u32` indices, so that a server id cannot be
//! passed where a user slot or a session slot is meant, and `Option` where an id may be absent
//! (no sentinel numbers).
//!
//! Leaves out: generations (a slot is reused; staleness is the epoch's or the request number's
//! business, see `events.rs`).

use std::fmt;
use std::num::NonZeroU32;

/// A web server's id: `0..` in order of creation, never reused for another server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ServerId(pub u32);

impl ServerId {
    /// The index of this server in per-server vectors.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for ServerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The slot of a user in a visit (`Users`); reused once its user has left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserSlot(pub u32);

impl UserSlot {
    /// The index of this user in per-user vectors.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A store node's id: `0..store.nodes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StoreNodeId(pub u32);

impl StoreNodeId {
    /// The index of this node in per-node vectors.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The slot of a session in `Sessions`; reused once nothing refers to its session.
///
/// Stored as the bitwise complement of the index in a `NonZeroU32` (any index but `u32::MAX`),
/// so that `Option<SessionSlot>`, a cookie that may hold no session, is 4 bytes like the slot
/// itself: every user carries one, and a million of them are in memory at once.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionSlot(NonZeroU32);

impl SessionSlot {
    /// The slot with index `index` (below `u32::MAX`).
    #[inline]
    pub fn new(index: u32) -> Self {
        SessionSlot(NonZeroU32::new(!index).expect("a session slot below u32::MAX"))
    }

    /// The index of this slot.
    #[inline]
    pub fn index(self) -> usize {
        (!self.0.get()) as usize
    }
}

impl fmt::Debug for SessionSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionSlot({})", self.index())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_optional_session_slot_is_as_small_as_a_slot() {
        assert_eq!(std::mem::size_of::<Option<SessionSlot>>(), 4);
        assert_eq!(SessionSlot::new(0).index(), 0);
        assert_eq!(
            SessionSlot::new(u32::MAX - 1).index(),
            u32::MAX as usize - 1
        );
    }
}
