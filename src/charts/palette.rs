//! Colours: one fixed colour per variant (by its position in the scenario file), the same on
//! every chart of a run, and a second palette for the servers of one variant.
//!
//! Both palettes are safe for the common forms of colour blindness: variants use Okabe & Ito's
//! (2008) palette, in an order that puts the colours with the most contrast on white (and on a
//! washed-out projector) first, and yellow last; servers use Paul Tol's "bright" scheme.

use super::model::Colour;

/// Okabe-Ito, most legible on white first.
const VARIANTS: [Colour; 8] = [
    Colour(0x00, 0x72, 0xB2), // blue
    Colour(0xD5, 0x5E, 0x00), // vermillion
    Colour(0x00, 0x9E, 0x73), // bluish green
    Colour(0xCC, 0x79, 0xA7), // reddish purple
    Colour(0xE6, 0x9F, 0x00), // orange
    Colour(0x56, 0xB4, 0xE9), // sky blue
    Colour(0x00, 0x00, 0x00), // black
    Colour(0xF0, 0xE4, 0x42), // yellow
];

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

/// The colour of the variant at position `index` in the scenario (cycles after 8).
pub fn variant(index: usize) -> Colour {
    VARIANTS[index % VARIANTS.len()]
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
    fn a_variant_keeps_its_colour_by_position() {
        assert_eq!(variant(0), Colour(0x00, 0x72, 0xB2));
        assert_eq!(variant(1), Colour(0xD5, 0x5E, 0x00));
        assert_eq!(variant(8), variant(0), "cycles after the eighth");
        let first_four: Vec<Colour> = (0..4).map(variant).collect();
        for (i, c) in first_four.iter().enumerate() {
            assert!(!first_four[i + 1..].contains(c), "distinct colours");
        }
    }

    #[test]
    fn servers_beyond_the_palette_are_dashed() {
        assert!(!server_is_dashed(5));
        assert!(server_is_dashed(6));
        assert_eq!(server(6), server(0));
    }
}
