//! The one font every chart is drawn with, compiled into the binary.
//!
//! plotters is built with `ab_glyph` and without `ttf`, so it never looks for system fonts
//! (no fontconfig, no freetype): text is drawn with DejaVu Sans (`assets/fonts/DejaVuSans.ttf`,
//! Bitstream Vera licence, `assets/fonts/LICENSE`), registered once per process.
//!
//! The family is registered under [`FAMILY`], a CSS font list: plotters lays text out with
//! DejaVu's metrics and writes the family name into SVG `font-family` attributes, so a browser
//! draws the SVG with DejaVu Sans where it has it and with a font of similar width otherwise.

use plotters::style::{FontStyle, register_font};
use std::sync::Once;

/// The family name charts ask for; also what SVG files name as their font.
pub const FAMILY: &str = "DejaVu Sans, Verdana, sans-serif";

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// Registers the font with plotters (only the first call does anything).
pub fn register() {
    REGISTER.call_once(|| {
        // `FAMILY` for our own text, `sans-serif` for any default plotters may fall back on.
        for name in [FAMILY, "sans-serif"] {
            if register_font(name, FontStyle::Normal, FONT).is_err() {
                panic!("the bundled DejaVu Sans is a valid TrueType font");
            }
        }
    });
}
