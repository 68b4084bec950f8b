//! What every chart shares: the canvas, fonts, the title, the legend, tick choices, and where
//! event labels go so that they do not overlap.

use super::font::FAMILY;
use super::model::{Colour, LegendItem, Stroke};
use super::palette::INK;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Canvas width in pixels (PNG) and user units (SVG).
pub const WIDTH: u32 = 1600;
/// Canvas height.
pub const HEIGHT: u32 = 900;
/// Space around the canvas's content.
pub const MARGIN: i32 = 28;

/// Text sizes in pixels of the 1600 × 900 canvas: legible from the back of a room when the chart
/// fills a slide (a 1600-pixel slide shown 3 m wide makes 24 px about 4.5 cm).
pub mod size {
    /// Chart title.
    pub const TITLE: f64 = 46.0;
    /// Legend entries and axis descriptions.
    pub const LEGEND: f64 = 30.0;
    /// Axis descriptions.
    pub const AXIS: f64 = 28.0;
    /// Tick labels and event labels.
    pub const TICK: f64 = 26.0;
    /// Values written on bars.
    pub const VALUE: f64 = 30.0;
}

/// Drawing errors of backend `DB`.
pub type DrawResult<T, DB> = Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A plotters colour.
pub fn rgb(c: Colour) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// The chart font at `px`, in `colour`.
pub fn font(px: f64, colour: Colour) -> TextStyle<'static> {
    (FAMILY, px).into_font().color(&rgb(colour))
}

/// Text anchored by its top-left corner.
pub fn top_left(style: TextStyle<'static>) -> TextStyle<'static> {
    style.pos(Pos::new(HPos::Left, VPos::Top))
}

/// Draws the title in the top-left corner; returns the y just below it.
pub fn title<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, text: &str) -> DrawResult<i32, DB> {
    let style = top_left(font(size::TITLE, INK));
    root.draw(&Text::new(text.to_string(), (MARGIN, MARGIN), style))?;
    Ok(MARGIN + size::TITLE as i32 + 12)
}

/// How a legend entry shows its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Swatch {
    /// A short line, solid or dashed, for line charts.
    Line,
    /// A filled square, for bar charts and stacked bands; a dashed item among them is a line
    /// drawn over the bands and shows as two short dashes.
    Square,
}

/// Draws `items` left to right from (`x`, `y`), wrapping before `right`; returns the y below the
/// last row.
pub fn legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    items: &[LegendItem],
    swatch: Swatch,
    (x, y): (i32, i32),
    right: i32,
) -> DrawResult<i32, DB> {
    let style = top_left(font(size::LEGEND, INK));
    let row_h = size::LEGEND as i32 + 14;
    let swatch_w = match swatch {
        Swatch::Line => 52,
        Swatch::Square => 28,
    };
    let (mut cx, mut cy) = (x, y);
    for item in items {
        let (text_w, _) = root.estimate_text_size(&item.label, &style)?;
        let item_w = swatch_w + 12 + text_w as i32;
        if cx > x && cx + item_w > right {
            (cx, cy) = (x, cy + row_h);
        }
        let mid = cy + size::LEGEND as i32 / 2;
        draw_swatch(root, item, swatch, (cx, mid), swatch_w)?;
        root.draw(&Text::new(
            item.label.clone(),
            (cx + swatch_w + 12, cy),
            style.clone(),
        ))?;
        cx += item_w + 44;
    }
    Ok(cy + row_h)
}

fn draw_swatch<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    item: &LegendItem,
    swatch: Swatch,
    (x, mid): (i32, i32),
    w: i32,
) -> DrawResult<(), DB> {
    let colour = rgb(item.colour);
    match (swatch, item.stroke) {
        (Swatch::Square, Stroke::Solid) => root.draw(&Rectangle::new(
            [(x, mid - w / 2), (x + w, mid + w / 2)],
            colour.filled(),
        )),
        (Swatch::Square, Stroke::Dashed) => {
            for x0 in [x, x + w - 10] {
                root.draw(&PathElement::new(
                    vec![(x0, mid), (x0 + 10, mid)],
                    colour.stroke_width(5),
                ))?;
            }
            Ok(())
        }
        (Swatch::Line, Stroke::Solid) => root.draw(&PathElement::new(
            vec![(x, mid), (x + w, mid)],
            colour.stroke_width(6),
        )),
        (Swatch::Line, Stroke::Dashed) => {
            for i in 0..3 {
                let x0 = x + i * 20;
                root.draw(&PathElement::new(
                    vec![(x0, mid), (x0 + 12, mid)],
                    colour.stroke_width(6),
                ))?;
            }
            Ok(())
        }
    }
}

/// A round tick step (1, 2 or 5 times a power of ten) giving at most `max_ticks` intervals over
/// `range`.
pub fn nice_step(range: f64, max_ticks: usize) -> f64 {
    if range <= 0.0 || !range.is_finite() {
        return 1.0;
    }
    let raw = range / max_ticks.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|&step| step >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude)
}

/// The multiples of `step` in `[lo, hi]`.
pub fn ticks(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// Tick step of a time axis in seconds: a round unit of the clock (10 s to a week: whole
/// minutes, hours, days) giving at most `max_ticks` intervals.
pub fn time_step(range_s: f64, max_ticks: usize) -> f64 {
    const DAY: f64 = 86_400.0;
    const STEPS: [f64; 20] = [
        10.0,
        15.0,
        30.0,
        60.0,
        120.0,
        300.0,
        600.0,
        900.0,
        1800.0,
        3600.0,
        7200.0,
        10_800.0,
        14_400.0,
        21_600.0,
        43_200.0,
        DAY,
        2.0 * DAY,
        7.0 * DAY,
        14.0 * DAY,
        28.0 * DAY,
    ];
    STEPS
        .into_iter()
        .find(|&step| range_s / step <= max_ticks as f64)
        .unwrap_or_else(|| (nice_step(range_s / DAY, max_ticks) * DAY).max(DAY))
}

/// Where one event label goes: its left x, its row (0 at the top), and whether it sits to the
/// left of its line (near the right edge).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabelSpot {
    /// Left edge of the label box, in pixels.
    pub left: i32,
    /// Row, counted from the top of the plot.
    pub row: usize,
}

/// Places event labels (line at `xs[i]`, label `widths[i]` wide) in rows so that none overlaps
/// another: each goes right of its line (left of it if it would cross `right`), in the first row
/// where it clears the labels already there by `gap` pixels. Markers must be in time order.
pub fn place_labels(xs: &[i32], widths: &[i32], right: i32, gap: i32) -> Vec<LabelSpot> {
    let mut row_ends: Vec<i32> = Vec::new();
    xs.iter()
        .zip(widths)
        .map(|(&x, &w)| {
            let left = if x + 8 + w > right { x - 8 - w } else { x + 8 };
            let row = row_ends
                .iter()
                .position(|&end| left >= end + gap)
                .unwrap_or(row_ends.len());
            if row == row_ends.len() {
                row_ends.push(left + w);
            } else {
                row_ends[row] = left + w;
            }
            LabelSpot { left, row }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(100.0, 5), 20.0);
        assert_eq!(nice_step(7.0, 6), 2.0);
        assert_eq!(nice_step(0.9, 6), 0.2);
        assert_eq!(
            ticks(0.0, 100.0, 20.0),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        assert_eq!(ticks(-1.0, 5.0, 2.0), vec![0.0, 2.0, 4.0]);
    }

    #[test]
    fn time_ticks_fall_on_the_clock() {
        // 18 minutes: at most 12 intervals → every 2 minutes.
        assert_eq!(time_step(1080.0, 12), 120.0);
        assert_eq!(time_step(60.0, 12), 10.0);
        // 24 hours of 02 (after its warm-up): every 3 hours, not every 100,000 s.
        assert_eq!(time_step(86_400.0, 12), 7200.0);
        assert_eq!(time_step(93_600.0, 12), 10_800.0);
        // A week: every day.
        assert_eq!(time_step(7.0 * 86_400.0, 12), 86_400.0);
    }

    #[test]
    fn close_event_labels_go_on_separate_rows() {
        // Lines at 100 and 130 with 80-pixel labels: the second cannot sit beside the first.
        let spots = place_labels(&[100, 130, 400], &[80, 80, 80], 1000, 10);
        assert_eq!(spots[0], LabelSpot { left: 108, row: 0 });
        assert_eq!(spots[1], LabelSpot { left: 138, row: 1 });
        assert_eq!(spots[2], LabelSpot { left: 408, row: 0 });
        // Near the right edge a label goes left of its line.
        assert_eq!(place_labels(&[990], &[80], 1000, 10)[0].left, 902);
    }
}
