//! Line charts over simulated time: a main panel (lines, stacked bands or a heatmap of servers),
//! an optional small panel below it sharing the time axis, a few timed events as dashed vertical
//! lines with their label at the top, and many events as ticks in a strip at the bottom.

use super::axis::Linear;
use super::format::tick;
use super::layout::{
    DrawResult, MARGIN, Swatch, WIDTH, font, legend, nice_step, place_labels, rgb, size, ticks,
    time_step, title, top_left,
};
use super::model::{Heat, Panel, Series, Strip, Stroke, TimeChart};
use super::palette::INK;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Width of the y axis's tick labels and description.
const Y_AREA: i32 = 150;
/// Height of the x axis's tick labels and description.
const X_AREA: i32 = 90;
/// Space right of the plot.
const RIGHT: i32 = 36;
/// Space above the plot.
const TOP: i32 = 8;
/// Height of one row of event labels.
const LABEL_ROW: i32 = size::TICK as i32 + 16;
/// Height of the lower panel's plot, when there is one.
const LOWER_PLOT: u32 = 150;
/// Most intervals on the time axis.
const TIME_TICKS: usize = 12;
/// Height of one row of the event strip.
const STRIP_ROW: u32 = 26;
/// Most tick labels on a heatmap's server axis.
const HEAT_LABELS: usize = 10;

/// Draws `chart` on `root`.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &TimeChart,
) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    let below_title = title(root, &chart.title)?;
    let below_legend = legend(
        root,
        &chart.legend,
        if chart.main.stacked {
            Swatch::Square
        } else {
            Swatch::Line
        },
        (MARGIN + 8, below_title),
        WIDTH as i32 - MARGIN,
    )?;
    let body = root.margin(below_legend + 4, MARGIN / 2, MARGIN / 2, MARGIN / 2);
    let (body, strip_area) = match &chart.strip {
        None => (body, None),
        Some(strip) => {
            let (_, body_h) = body.dim_in_pixel();
            let strip_h = STRIP_ROW * strip.rows.len().max(1) as u32 + TOP as u32 + X_AREA as u32;
            let (top, bottom) = body.split_vertically(body_h.saturating_sub(strip_h));
            (top, Some((bottom, strip)))
        }
    };
    let last_axis = strip_area.is_none();
    match &chart.lower {
        None => panel(&body, &chart.main, chart, last_axis, true)?,
        Some(lower) => {
            let (_, body_h) = body.dim_in_pixel();
            let lower_h = LOWER_PLOT + TOP as u32 + if last_axis { X_AREA as u32 } else { 0 };
            let (top, bottom) = body.split_vertically(body_h.saturating_sub(lower_h));
            panel(&top, &chart.main, chart, false, true)?;
            panel(&bottom, lower, chart, last_axis, false)?;
        }
    }
    match strip_area {
        Some((area, strip)) => event_strip(&area, strip, chart),
        None => Ok(()),
    }
}

/// The time axis of `chart`: its ticks' step and positions.
fn time_axis(chart: &TimeChart) -> (f64, Vec<f64>) {
    let (x0, x1) = chart.x_range_s;
    let step = time_step(x1 - x0, TIME_TICKS);
    (step, ticks(x0, x1, step))
}

/// Draws the event strip: one row per variant, a tick per event in its kind's colour, the time
/// axis below.
fn event_strip<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    strip: &Strip,
    chart: &TimeChart,
) -> DrawResult<(), DB> {
    let (x0, x1) = chart.x_range_s;
    let (x_step, x_ticks) = time_axis(chart);
    let rows = strip.rows.len().max(1);
    let row_ticks: Vec<f64> = (0..rows).map(|r| r as f64 + 0.5).collect();
    let mut cc = ChartBuilder::on(area)
        .margin_top(TOP)
        .margin_right(RIGHT)
        .x_label_area_size(X_AREA)
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d(
            Linear::new(x0, x1, x_ticks),
            Linear::new(0.0, rows as f64, row_ticks),
        )?;
    let range = x1;
    let time = chart.time;
    let x_fmt = |t: &f64| time.tick(*t, x_step, range);
    let y_fmt = |y: &f64| match rows {
        1 => "events".to_string(),
        _ => {
            let row = rows - 1 - (*y - 0.5).round().max(0.0) as usize;
            strip.rows.get(row).cloned().unwrap_or_default()
        }
    };
    let label_size = if rows > 1 {
        size::TICK - 6.0
    } else {
        size::TICK
    };
    cc.configure_mesh()
        .disable_mesh()
        .axis_style(rgb(INK).stroke_width(2))
        .label_style(font(size::TICK, INK))
        .y_label_style(font(label_size, INK))
        .axis_desc_style(font(size::AXIS, INK))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc(time.axis_title(x_step, range))
        .draw()?;
    for &(at_us, row, kind) in &strip.ticks {
        let t = at_us as f64 / 1e6;
        let y = (rows - 1 - row) as f64;
        let colour = strip.kinds.get(kind).map_or(INK, |k| k.1);
        cc.draw_series(std::iter::once(PathElement::new(
            vec![(t, y + 0.12), (t, y + 0.88)],
            rgb(colour).stroke_width(2),
        )))?;
    }
    Ok(())
}

/// Draws a heatmap: a row per server, a cell per bucket shaded by its value.
fn heatmap<DB: DrawingBackend>(
    cc: &mut ChartContext<'_, DB, impl CoordTranslate<From = (f64, f64)>>,
    heat: &Heat,
) -> DrawResult<(), DB> {
    for (i, (_, cells)) in heat.rows.iter().enumerate() {
        if crate::interrupt::requested() {
            break;
        }
        let y = i as f64;
        cc.draw_series(cells.iter().filter(|c| c.2 > 0.0).map(|&(from, to, v)| {
            let share = if heat.max > 0.0 { v / heat.max } else { 0.0 };
            let colour = super::from_results::shade(heat.colour, share);
            Rectangle::new([(from, y), (to, y + 1.0)], rgb(colour).filled())
        }))?;
    }
    Ok(())
}

/// A heatmap's server axis: its range and labelled rows (at most [`HEAT_LABELS`]).
fn heat_axis(heat: &Heat) -> (f64, f64, Vec<f64>) {
    let n = heat.rows.len().max(1);
    let every = n.div_ceil(HEAT_LABELS).max(1);
    let at = (0..n).step_by(every).map(|i| i as f64 + 0.5).collect();
    (0.0, n as f64, at)
}

/// The vertical extent of a panel's value axis: bottom, top and tick step.
fn value_range(panel: &Panel, plot_h: i32, band_px: i32) -> (f64, f64, f64) {
    let highest = |series: &[Series]| {
        series
            .iter()
            .flat_map(|s| s.points.iter().filter_map(|p| p.1))
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max)
    };
    let max = if panel.stacked {
        stack(&panel.series)
            .last()
            .map_or(0.0, |band| band.iter().map(|p| p.2).fold(0.0, f64::max))
    } else {
        highest(&panel.series)
    };
    let max = max.max(highest(&panel.overlay));
    // Keep the data below the band of event labels at the top.
    let free = (1.0 - f64::from(band_px) / f64::from(plot_h.max(1))).max(0.3);
    if panel.whole_numbers {
        let top = ((max + 0.5) / free).ceil().max(1.0);
        let step = nice_step(top, 4).max(1.0);
        return (-0.25 * (top / 6.0).max(1.0), top, step);
    }
    let wanted = if max > 0.0 { max * 1.08 / free } else { 1.0 };
    let step = nice_step(wanted, 6);
    let top = (wanted / step).ceil() * step;
    // A little room below zero so that a line at zero is not hidden by the axis.
    (-0.015 * top, top, step)
}

/// Draws one panel; `x_axis`: with the time axis's labels; `labels`: with the event labels.
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    chart: &TimeChart,
    x_axis: bool,
    labels: bool,
) -> DrawResult<(), DB> {
    let (x0, x1) = chart.x_range_s;
    let (area_w, area_h) = area.dim_in_pixel();
    let x_area = if x_axis { X_AREA } else { 0 };
    let plot_w = area_w as i32 - Y_AREA - RIGHT;
    let plot_h = area_h as i32 - TOP - x_area;
    let x_px = |t: f64| ((t - x0) / (x1 - x0) * f64::from(plot_w - 1)).round() as i32;

    let label_style = top_left(font(size::TICK, INK));
    let spots = if labels {
        let widths = chart
            .markers
            .iter()
            .map(|m| Ok(area.estimate_text_size(&m.label, &label_style)?.0 as i32 + 12))
            .collect::<DrawResult<Vec<i32>, DB>>()?;
        let xs: Vec<i32> = chart.markers.iter().map(|m| x_px(m.at_s())).collect();
        place_labels(&xs, &widths, plot_w, 8)
            .into_iter()
            .zip(widths)
            .collect()
    } else {
        Vec::new()
    };
    let rows = spots.iter().map(|(s, _)| s.row + 1).max().unwrap_or(0) as i32;
    let (y0, y1, y_step, y_ticks) = match &panel.heat {
        Some(heat) => {
            let (y0, y1, at) = heat_axis(heat);
            (y0, y1, 1.0, at)
        }
        None => {
            let (y0, y1, step) = value_range(panel, plot_h, rows * LABEL_ROW + 8);
            (y0, y1, step, ticks(0.0, y1, step))
        }
    };

    let (x_step, x_ticks) = time_axis(chart);
    let mut cc = ChartBuilder::on(area)
        .margin_top(TOP)
        .margin_right(RIGHT)
        .x_label_area_size(x_area)
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d(Linear::new(x0, x1, x_ticks), Linear::new(y0, y1, y_ticks))?;
    let range = x1;
    let time = chart.time;
    let x_fmt = |t: &f64| time.tick(*t, x_step, range);
    let y_fmt = |y: &f64| match &panel.heat {
        Some(heat) => heat
            .rows
            .get(y.floor().max(0.0) as usize)
            .map_or_else(String::new, |(id, _)| format!("s{id}")),
        None => tick(*y, y_step),
    };
    let mut mesh = cc.configure_mesh();
    mesh.disable_x_mesh()
        .bold_line_style(rgb(super::palette::GRID).stroke_width(1))
        .axis_style(rgb(INK).stroke_width(2))
        .label_style(font(size::TICK, INK))
        .axis_desc_style(font(size::AXIS, INK))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .y_desc(panel.y_label.as_str());
    if x_axis {
        mesh.x_desc(time.axis_title(x_step, range));
    }
    if panel.heat.is_some() {
        mesh.disable_y_mesh();
    }
    mesh.draw()?;

    if let Some(heat) = &panel.heat {
        heatmap(&mut cc, heat)?;
    } else if panel.stacked {
        bands(&mut cc, &panel.series)?;
    } else {
        // Ctrl-C stops the drawing between two series (`render` then discards it).
        for s in panel
            .series
            .iter()
            .take_while(|_| !crate::interrupt::requested())
        {
            line(&mut cc, s)?;
        }
    }
    for s in &panel.overlay {
        line(&mut cc, s)?;
    }
    // Event lines over the data, so that filled bands cannot hide them.
    for m in &chart.markers {
        let t = m.at_s();
        cc.draw_series(DashedLineSeries::new(
            [(t, y0), (t, y1)],
            12,
            8,
            rgb(INK).stroke_width(2),
        ))?;
    }

    let plot = cc.plotting_area().strip_coord_spec();
    for ((spot, w), m) in spots.iter().zip(&chart.markers) {
        let top = 6 + spot.row as i32 * LABEL_ROW;
        plot.draw(&Rectangle::new(
            [(spot.left, top), (spot.left + w, top + LABEL_ROW - 6)],
            WHITE.filled(),
        ))?;
        plot.draw(&Text::new(
            m.label.clone(),
            (spot.left + 6, top + 4),
            label_style.clone(),
        ))?;
    }
    Ok(())
}

/// Draws one series, broken where it has no value.
fn line<DB: DrawingBackend>(
    cc: &mut ChartContext<'_, DB, impl CoordTranslate<From = (f64, f64)>>,
    s: &Series,
) -> DrawResult<(), DB> {
    let style = rgb(s.colour).stroke_width(s.width);
    for run in runs(&s.points).iter().flat_map(|run| pieces(run)) {
        if crate::interrupt::requested() {
            break;
        }
        match (run.len(), s.stroke) {
            (1, _) => {
                cc.draw_series(std::iter::once(Circle::new(
                    run[0],
                    s.width,
                    style.filled(),
                )))?;
            }
            (_, Stroke::Solid) => {
                cc.draw_series(LineSeries::new(run.iter().copied(), style))?;
            }
            (_, Stroke::Dashed) => {
                cc.draw_series(DashedLineSeries::new(run.iter().copied(), 14, 9, style))?;
            }
        }
    }
    Ok(())
}

/// Most points drawn between two checks of Ctrl-C: a longer run of points is drawn in pieces
/// that share their end points (charts of up to this many buckets are drawn in one piece, as
/// before).
pub const PIECE: usize = 1 << 16;

/// `run` in overlapping pieces of at most [`PIECE`] points.
fn pieces(run: &[(f64, f64)]) -> impl Iterator<Item = &[(f64, f64)]> {
    let starts = (0..run.len().saturating_sub(1).max(1)).step_by(PIECE - 1);
    starts.map(move |start| &run[start..(start + PIECE).min(run.len())])
}

/// Draws `series` as filled bands stacked in order, each edged with a white line on top.
fn bands<DB: DrawingBackend>(
    cc: &mut ChartContext<'_, DB, impl CoordTranslate<From = (f64, f64)>>,
    series: &[Series],
) -> DrawResult<(), DB> {
    let go_on = |_: &_| !crate::interrupt::requested();
    for (s, band) in series.iter().zip(stack(series)).take_while(go_on) {
        let upper = band.iter().map(|&(x, _, hi)| (x, hi));
        let lower = band.iter().rev().map(|&(x, lo, _)| (x, lo));
        let outline: Vec<(f64, f64)> = upper.clone().chain(lower).collect();
        cc.draw_series(std::iter::once(Polygon::new(
            outline,
            rgb(s.colour).filled(),
        )))?;
        cc.draw_series(LineSeries::new(upper, WHITE.stroke_width(2)))?;
    }
    Ok(())
}

/// Stacks `series` over the union of their times: for each series, `(time, lower, upper)`
/// where `lower` is the sum of the series before it and `upper` adds its own value (a value
/// missing at a time counts as zero).
pub fn stack(series: &[Series]) -> Vec<Vec<(f64, f64, f64)>> {
    // Times are non-negative, so their bit patterns sort like the numbers.
    let times: std::collections::BTreeSet<u64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0.max(0.0).to_bits()))
        .collect();
    let mut below: Vec<f64> = vec![0.0; times.len()];
    series
        .iter()
        .map(|s| {
            let own: std::collections::BTreeMap<u64, f64> = s
                .points
                .iter()
                .map(|&(x, y)| {
                    (
                        x.max(0.0).to_bits(),
                        y.filter(|y| y.is_finite()).unwrap_or(0.0),
                    )
                })
                .collect();
            times
                .iter()
                .zip(below.iter_mut())
                .map(|(t, lo)| {
                    let hi = *lo + own.get(t).copied().unwrap_or(0.0);
                    let point = (f64::from_bits(*t), *lo, hi);
                    *lo = hi;
                    point
                })
                .collect()
        })
        .collect()
}

/// The stretches of `points` that have values.
pub fn runs(points: &[(f64, Option<f64>)]) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current = Vec::new();
    for &(x, y) in points {
        match y.filter(|y| y.is_finite()) {
            Some(y) => current.push((x, y)),
            None if !current.is_empty() => out.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(points: &[(f64, Option<f64>)]) -> Series {
        Series {
            label: String::new(),
            colour: INK,
            stroke: Stroke::Solid,
            width: 1,
            points: points.to_vec(),
        }
    }

    #[test]
    fn stacked_bands_sit_on_the_ones_before() {
        // A server that joins at t=2 counts as zero before.
        let a = series(&[(1.0, Some(10.0)), (2.0, Some(20.0))]);
        let b = series(&[(2.0, Some(5.0))]);
        let bands = stack(&[a, b]);
        assert_eq!(bands[0], vec![(1.0, 0.0, 10.0), (2.0, 0.0, 20.0)]);
        assert_eq!(bands[1], vec![(1.0, 10.0, 10.0), (2.0, 20.0, 25.0)]);
    }

    #[test]
    fn a_long_line_is_drawn_in_pieces_that_share_their_ends() {
        let run: Vec<(f64, f64)> = (0..2 * PIECE).map(|i| (i as f64, 0.0)).collect();
        let all: Vec<&[(f64, f64)]> = pieces(&run).collect();
        // 2 PIECE points: PIECE, then PIECE - 1 more after the shared one, then the last 2.
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].len(), PIECE);
        assert_eq!(all[1][0], all[0][PIECE - 1]);
        assert_eq!(all[2], &run[2 * PIECE - 2..]);
        let short = [(0.0, 1.0)];
        assert_eq!(pieces(&short).collect::<Vec<_>>(), vec![&short[..]]);
        let two = [(0.0, 1.0), (1.0, 2.0)];
        assert_eq!(pieces(&two).collect::<Vec<_>>(), vec![&two[..]]);
    }

    #[test]
    fn a_missing_value_breaks_the_line() {
        let points = [
            (0.0, Some(1.0)),
            (1.0, None),
            (2.0, Some(2.0)),
            (3.0, Some(3.0)),
        ];
        assert_eq!(
            runs(&points),
            vec![vec![(0.0, 1.0)], vec![(2.0, 2.0), (3.0, 3.0)]]
        );
    }
}
