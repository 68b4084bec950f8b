//! Charts of a run for slides and handouts: results in, SVG text and PNG bytes out.
//!
//! Pure functions: nothing here touches a file or reads the clock, and the same results always
//! give byte-identical files (no timestamps in the PNGs, no hash-map order). Chart code takes
//! plain data ([`model`]); [`from_results`] is the adapter from a run's [`RunResult`]s and
//! [`from_sweep`] the one from a sweep's. Every chart is drawn once per backend from the same
//! description: SVG (plotters' SVG backend) and a 1600 × 900 PNG (plotters' bitmap backend into
//! an RGB buffer, encoded by the pure-Rust `png` crate). Text uses the bundled DejaVu Sans ([`font`]), so no system font library is needed.
//!
//! The charts and what each is for are described in `docs/charts.md`.
//!
//! The one thing read from outside is Ctrl-C's flag (`crate::interrupt`): a drawing stops between
//! two series (or pieces of a long series) when it is set, and so does the gathering of a chart's
//! per-server rows; [`render`] then answers [`ChartError::Interrupted`] instead of a half-drawn
//! chart.

mod axis;
mod bars;
pub mod cost;
pub mod datacenters;
pub mod font;
pub mod format;
pub mod from_results;
pub mod from_sweep;
pub mod layout;
pub mod look;
pub mod model;
pub mod palette;
mod sweep;
mod time;

#[cfg(test)]
pub(crate) mod tests;

use crate::metrics::RunResult;
use layout::{HEIGHT, WIDTH};
use model::Chart;
use plotters::coord::Shift;
use plotters::prelude::*;

pub use model::{BarChart, SweepChart, TimeChart};

/// One file of a run's charts: its name (e.g. `failed_auth.svg`) and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartFile {
    /// File name with its extension.
    pub name: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// A chart could not be drawn or encoded (a bug, or a value plotters cannot place).
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// plotters failed to draw.
    #[error("cannot draw the chart {chart}: {message}")]
    Draw {
        /// File name without extension.
        chart: String,
        /// What plotters said.
        message: String,
    },
    /// The user interrupted the command (Ctrl-C or SIGTERM) while charts were drawn.
    #[error("interrupted while drawing the charts")]
    Interrupted,
    /// The PNG encoder failed.
    #[error("cannot encode the chart {chart} as PNG: {message}")]
    Png {
        /// File name without extension.
        chart: String,
        /// What the encoder said.
        message: String,
    },
}

/// Every chart of a run, each as `<name>.png` and `<name>.svg`, in report order.
pub fn render_all(look: &look::Look, results: &[RunResult]) -> Result<Vec<ChartFile>, ChartError> {
    let mut files = Vec::new();
    for chart in from_results::charts(look, results) {
        interrupted()?;
        files.extend(render(&chart)?);
    }
    Ok(files)
}

/// One chart as `[<name>.png, <name>.svg]`.
pub fn render(chart: &Chart) -> Result<[ChartFile; 2], ChartError> {
    let png = png(chart)?;
    interrupted()?;
    let svg = svg(chart)?;
    interrupted()?;
    Ok([
        ChartFile {
            name: format!("{}.png", chart.name()),
            bytes: png,
        },
        ChartFile {
            name: format!("{}.svg", chart.name()),
            bytes: svg.into_bytes(),
        },
    ])
}

/// `Err(Interrupted)` once the user asked to stop.
fn interrupted() -> Result<(), ChartError> {
    crate::interrupt::check().map_err(|_| ChartError::Interrupted)
}

/// One chart as SVG text (1600 × 900 user units, with a `viewBox` so that it scales).
pub fn svg(chart: &Chart) -> Result<String, ChartError> {
    font::register();
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, chart)?;
        root.present().map_err(|e| draw_error(chart, e))?;
    }
    Ok(text)
}

/// One chart as a 1600 × 900 RGB PNG.
pub fn png(chart: &Chart) -> Result<Vec<u8>, ChartError> {
    font::register();
    let mut rgb = vec![0u8; WIDTH as usize * HEIGHT as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, chart)?;
        root.present().map_err(|e| draw_error(chart, e))?;
    }
    encode_png(&rgb, WIDTH, HEIGHT).map_err(|e| ChartError::Png {
        chart: chart.name().to_string(),
        message: e.to_string(),
    })
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
) -> Result<(), ChartError> {
    match chart {
        Chart::Time(c) => time::draw(root, c),
        Chart::Bars(c) => bars::draw(root, c),
        Chart::Sweep(c) => sweep::draw(root, c),
    }
    .map_err(|e| draw_error(chart, e))
}

fn draw_error<E: std::fmt::Display>(chart: &Chart, e: E) -> ChartError {
    ChartError::Draw {
        chart: chart.name().to_string(),
        message: e.to_string(),
    }
}

/// An 8-bit RGB buffer as PNG: only the chunks the image needs (no time, no text chunks), so the
/// same pixels always give the same bytes. Fast compression (`fdeflate`, adaptive row filters):
/// the eight charts of a run cost about 0.37 G instructions instead of 1.6 G with the default
/// level, for files about 2.5 times larger (about 90 kB each).
fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}
