//! Colours: one fixed colour per design (where sessions live and how requests are routed), the
//! same on every chart of every scenario whatever the order of its variants, and a second palette
//! for the servers of one variant.
//!
//! The design colours are Okabe & Ito's (2008) palette with Paul Tol's "muted" indigo, wine,
//! olive and teal for the designs beyond it; servers use Paul Tol's "bright" scheme. A variant
//! that repeats a design already in the run (two shared-store variants that differ in their store)
//! takes, in variant order, the first colour of [`SPARE`] and then of the designs absent from the
//! run, so that the variants of one chart never share a colour. The table is in `docs/charts.md`.

use super::model::Colour;
use crate::scenario::{Policy, Storage};

/// A design as the charts colour it: where sessions live, and for sessions in server memory,
/// how requests are routed (the other storages behave alike under every policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Design {
    /// Sticky routing over sessions in server memory.
    StickyMemory,
    /// Any routing over a shared session store.
    SharedStore,
    /// Sessions in server memory copied to a backup server.
    Replicated,
    /// A shared store with a local cache in each server.
    CachedStore,
    /// Sessions in a signed cookie.
    SignedCookie,
    /// Hash of the user modulo N over server memory.
    HashMod,
    /// Consistent hashing over server memory.
    ConsistentHash,
    /// Random routing over server memory.
    RandomMemory,
    /// Round robin over server memory.
    RoundRobinMemory,
    /// Least connections over server memory.
    LeastConnectionsMemory,
}

impl Design {
    /// Every design, in the order of the palette table.
    pub const ALL: [Design; 10] = [
        Design::StickyMemory,
        Design::SharedStore,
        Design::Replicated,
        Design::CachedStore,
        Design::SignedCookie,
        Design::HashMod,
        Design::ConsistentHash,
        Design::RandomMemory,
        Design::RoundRobinMemory,
        Design::LeastConnectionsMemory,
    ];

    /// The design of a variant that keeps sessions in `storage` and routes by `policy`.
    pub fn of(storage: Storage, policy: Policy) -> Design {
        match (storage, policy) {
            (Storage::SharedStore, _) => Design::SharedStore,
            (Storage::ServerReplicated, _) => Design::Replicated,
            (Storage::CachedStore, _) => Design::CachedStore,
            (Storage::SignedCookie, _) => Design::SignedCookie,
            (Storage::ServerMemory, Policy::Sticky) => Design::StickyMemory,
            (Storage::ServerMemory, Policy::HashMod) => Design::HashMod,
            (Storage::ServerMemory, Policy::ConsistentHash) => Design::ConsistentHash,
            (Storage::ServerMemory, Policy::Random) => Design::RandomMemory,
            (Storage::ServerMemory, Policy::RoundRobin) => Design::RoundRobinMemory,
            (Storage::ServerMemory, Policy::LeastConnections) => Design::LeastConnectionsMemory,
        }
    }

    /// How `docs/charts.md` names it.
    pub fn label(self) -> &'static str {
        match self {
            Design::StickyMemory => "sticky + server memory",
            Design::SharedStore => "any routing + shared store",
            Design::Replicated => "server memory replicated to a backup",
            Design::CachedStore => "shared store with a local cache",
            Design::SignedCookie => "signed cookie",
            Design::HashMod => "hash mod N + server memory",
            Design::ConsistentHash => "consistent hash + server memory",
            Design::RandomMemory => "random + server memory",
            Design::RoundRobinMemory => "round robin + server memory",
            Design::LeastConnectionsMemory => "least connections + server memory",
        }
    }

    /// Its colour.
    pub fn colour(self) -> Colour {
        match self {
            Design::StickyMemory => Colour(0x00, 0x72, 0xB2), // blue
            Design::SharedStore => Colour(0xD5, 0x5E, 0x00),  // vermillion
            Design::Replicated => Colour(0x00, 0x9E, 0x73),   // bluish green
            Design::CachedStore => Colour(0xCC, 0x79, 0xA7),  // reddish purple
            Design::SignedCookie => Colour(0xE6, 0x9F, 0x00), // orange
            Design::HashMod => Colour(0x56, 0xB4, 0xE9),      // sky blue
            Design::ConsistentHash => Colour(0x44, 0xAA, 0x99), // teal
            Design::RandomMemory => Colour(0x88, 0x22, 0x55), // wine
            Design::RoundRobinMemory => Colour(0x99, 0x99, 0x33), // olive
            Design::LeastConnectionsMemory => Colour(0x33, 0x22, 0x88), // indigo
        }
    }
}

/// Colours of a variant that repeats a design of the run, before the absent designs' ones.
pub const SPARE: [Colour; 2] = [
    Colour(0x00, 0x00, 0x00), // black
    Colour(0x99, 0x99, 0x99), // mid grey
];

/// The colour of each variant of a run, from its design (see the module's doc for repeats).
pub fn colours(designs: &[Design]) -> Vec<Colour> {
    let absent = Design::ALL
        .iter()
        .filter(|d| !designs.contains(d))
        .map(|d| d.colour());
    let mut spare = SPARE.into_iter().chain(absent).cycle();
    designs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            if designs[..i].contains(d) {
                spare.next().unwrap_or(INK)
            } else {
                d.colour()
            }
        })
        .collect()
}

/// Paul Tol's "bright", without its grey (kept for neutral things).
const SERVERS: [Colour; 6] = [
    Colour(0x44, 0x77, 0xAA), // blue
    Colour(0xEE, 0x66, 0x77), // red
    Colour(0x22, 0x88, 0x33), // green
    Colour(0xCC, 0xBB, 0x44), // yellow
    Colour(0x66, 0xCC, 0xEE), // cyan
    Colour(0xAA, 0x33, 0x77), // purple
];

/// Neutral dark grey: event markers, legend keys that are not a variant.
pub const INK: Colour = Colour(0x33, 0x33, 0x33);

/// Light grey: grid lines.
pub const GRID: Colour = Colour(0xDD, 0xDD, 0xDD);

/// The colour of the variant at position `index` when the designs are not known (a run's
/// results alone): the design colours in palette order.
pub fn variant(index: usize) -> Colour {
    Design::ALL[index % Design::ALL.len()].colour()
}

/// The colour of server `id` (cycles after 6; [`server_is_dashed`] tells the second round apart).
pub fn server(id: u32) -> Colour {
    SERVERS[id as usize % SERVERS.len()]
}

/// Whether server `id` is drawn dashed: ids from the second round of the palette on.
pub fn server_is_dashed(id: u32) -> bool {
    id as usize / SERVERS.len() % 2 == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_design_keeps_its_colour_whatever_the_variant_order() {
        let a = [Design::SharedStore, Design::StickyMemory];
        let b = [Design::StickyMemory, Design::SharedStore];
        assert_eq!(
            colours(&a),
            [Design::SharedStore.colour(), Design::StickyMemory.colour()]
        );
        assert_eq!(
            colours(&b),
            [Design::StickyMemory.colour(), Design::SharedStore.colour()]
        );
        let all: Vec<Colour> = Design::ALL.iter().map(|d| d.colour()).collect();
        for (i, c) in all.iter().enumerate() {
            assert!(!all[i + 1..].contains(c), "distinct colours");
        }
    }

    #[test]
    fn a_repeated_design_takes_a_colour_no_other_variant_has() {
        let designs = [
            Design::SharedStore,
            Design::SharedStore,
            Design::SharedStore,
        ];
        let c = colours(&designs);
        assert_eq!(c[0], Design::SharedStore.colour());
        assert_eq!(c[1], SPARE[0]);
        assert_eq!(c[2], SPARE[1]);
    }

    #[test]
    fn servers_beyond_the_palette_are_dashed() {
        assert!(!server_is_dashed(5));
        assert!(server_is_dashed(6));
        assert_eq!(server(6), server(0));
    }
}
