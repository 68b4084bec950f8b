//! Small multiples of bars: one panel per metric, each with its own unit and scale, one bar per
//! variant in its colour with the value written on it; the last cell holds the legend. With
//! replications a bar is a mean, and a whisker with caps shows its 95 % interval (the value is
//! written above the whisker).

use super::axis::Linear;
use super::format::tick;
use super::layout::{
    DrawResult, MARGIN, Swatch, font, legend, nice_step, rgb, size, ticks, title, top_left,
};
use super::model::{BarChart, Bars};
use super::palette::{GRID, INK};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Width of a panel's y axis labels.
const Y_AREA: i32 = 110;
/// Height of a panel's title.
const PANEL_TITLE: i32 = size::AXIS as i32 + 18;

/// Draws `chart` on `root`.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &BarChart,
) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    let below_title = title(root, &chart.title)?;
    let body = root.margin(below_title + 8, MARGIN / 2, MARGIN / 2, MARGIN);
    let cells = chart.panels.len() + 1;
    let cols = match cells {
        0..=4 => cells,
        5 | 6 => 3,
        _ => 4,
    };
    let rows = cells.div_ceil(cols);
    let areas = body.split_evenly((rows, cols));
    for (bars, area) in chart.panels.iter().zip(&areas) {
        panel(&area.margin(0, 24, 0, 24), bars)?;
    }
    let legend_area = &areas[chart.panels.len()];
    let (w, _) = legend_area.dim_in_pixel();
    // One variant per row: the legend cell is narrow.
    for (i, item) in chart.legend.iter().enumerate() {
        legend(
            legend_area,
            std::slice::from_ref(item),
            Swatch::Square,
            (40, PANEL_TITLE + 20 + i as i32 * (size::LEGEND as i32 + 22)),
            w as i32,
        )?;
    }
    Ok(())
}

/// Bottom and top of a panel's value axis and its tick step, leaving room above the tallest bar
/// for its value.
fn value_range(bars: &Bars) -> (f64, f64, f64) {
    let base = bars.baseline;
    let max = bars
        .bars
        .iter()
        .filter_map(|b| Some(b.value? + b.half_width.unwrap_or(0.0)))
        .filter(|v| v.is_finite())
        .fold(base, f64::max);
    let height = if max > base { (max - base) * 1.3 } else { 1.0 };
    let step = if bars.whole_numbers {
        nice_step(height, 5).max(1.0)
    } else {
        nice_step(height, 5)
    };
    (base, base + (height / step).ceil() * step, step)
}

fn panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, bars: &Bars) -> DrawResult<(), DB> {
    area.draw(&Text::new(
        bars.title.clone(),
        (8, 0),
        top_left(font(size::AXIS, INK)),
    ))?;
    let (y0, y1, step) = value_range(bars);
    let n = bars.bars.len().max(1) as f64;
    let mut cc = ChartBuilder::on(area)
        .margin_top(PANEL_TITLE + 10)
        .margin_right(8)
        .x_label_area_size(8)
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d(0.0..n, Linear::new(y0, y1, ticks(y0, y1, step)))?;
    let y_fmt = |y: &f64| tick(*y, step);
    cc.configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .bold_line_style(rgb(GRID).stroke_width(1))
        .axis_style(rgb(INK).stroke_width(2))
        .label_style(font(size::TICK, INK))
        .y_label_formatter(&y_fmt)
        .draw()?;
    cc.draw_series(bars.bars.iter().enumerate().filter_map(|(i, b)| {
        let v = b.value.filter(|v| v.is_finite())?.max(y0);
        let x = i as f64;
        Some(Rectangle::new(
            [(x + 0.15, y0), (x + 0.85, v)],
            rgb(b.colour).filled(),
        ))
    }))?;
    draw_whiskers(&mut cc, bars, y0)?;
    // One size for all the values of a panel: the largest at which the widest fits its slot.
    let slot = cc.backend_coord(&(1.0, y0)).0 - cc.backend_coord(&(0.0, y0)).0 - 8;
    let mut px = size::VALUE;
    while px > 16.0 {
        let style = font(px, INK);
        let widest = bars
            .bars
            .iter()
            .map(|b| {
                area.estimate_text_size(&b.text, &style)
                    .map(|(w, _)| w as i32)
            })
            .collect::<Result<Vec<i32>, _>>()?
            .into_iter()
            .max()
            .unwrap_or(0);
        if widest <= slot {
            break;
        }
        px -= 2.0;
    }
    let value_style = font(px, INK).pos(Pos::new(HPos::Center, VPos::Bottom));
    let (base_x, base_y) = area.get_base_pixel();
    for (i, b) in bars.bars.iter().enumerate() {
        let v = b.value.filter(|v| v.is_finite()).unwrap_or(y0).max(y0);
        let top = v + b.half_width.filter(|h| h.is_finite()).unwrap_or(0.0);
        let (x, y) = cc.backend_coord(&(i as f64 + 0.5, top));
        area.draw(&Text::new(
            b.text.clone(),
            (x - base_x, y - base_y - 6),
            value_style.clone(),
        ))?;
    }
    Ok(())
}

/// The whisker of each bar that has a half-width: a vertical line from `value - half_width`
/// (not below the panel's floor) to `value + half_width`, with a cap at each end, in ink.
fn draw_whiskers<DB: DrawingBackend>(
    cc: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Linear>>,
    bars: &Bars,
    floor: f64,
) -> DrawResult<(), DB> {
    let style = rgb(INK).stroke_width(3);
    for (i, b) in bars.bars.iter().enumerate() {
        let (Some(v), Some(h)) = (b.value, b.half_width) else {
            continue;
        };
        if !(v.is_finite() && h.is_finite()) || h <= 0.0 {
            continue;
        }
        let x = i as f64 + 0.5;
        let (low, high) = ((v - h).max(floor), v + h);
        cc.draw_series(std::iter::once(PathElement::new(
            vec![(x, low), (x, high)],
            style,
        )))?;
        for y in [low, high] {
            cc.draw_series(std::iter::once(PathElement::new(
                vec![(x - 0.12, y), (x + 0.12, y)],
                style,
            )))?;
        }
    }
    Ok(())
}
