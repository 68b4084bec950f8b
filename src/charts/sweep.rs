//! A metric against a swept parameter: one line per variant through its means, with the 95 %
//! confidence interval of each mean as a lighter band around it (a bar for a lone point), and
//! theory's curves dashed, in the colour of the variant they predict.

use super::axis::Linear;
use super::format::tick;
use super::layout::{
    DrawResult, MARGIN, Swatch, WIDTH, font, legend, nice_step, rgb, size, ticks, title,
};
use super::model::{LegendItem, Stroke, SweepChart, SweepSeries, TheoryCurve};
use super::palette::{GRID, INK};
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
/// Most intervals on a numeric x axis.
const X_TICKS: usize = 10;
/// Opacity of a confidence band.
const BAND_OPACITY: f64 = 0.2;

/// Draws `chart` on `root`.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &SweepChart,
) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    let below_title = title(root, &chart.title)?;
    let mut items: Vec<LegendItem> = chart
        .series
        .iter()
        .map(|s| LegendItem {
            label: s.label.clone(),
            colour: s.colour,
            stroke: Stroke::Solid,
        })
        .collect();
    items.extend(chart.theory.iter().map(|t| LegendItem {
        label: t.label.clone(),
        colour: t.colour,
        stroke: Stroke::Dashed,
    }));
    let below_legend = legend(
        root,
        &items,
        Swatch::Line,
        (MARGIN + 8, below_title),
        WIDTH as i32 - MARGIN,
    )?;
    let area = root.margin(below_legend + 4, MARGIN / 2, MARGIN / 2, MARGIN / 2);

    let (x0, x1, x_ticks, x_step) = x_axis(chart);
    let (y0, y1, y_step) = y_axis(&chart.series, &chart.theory);
    let mut cc = ChartBuilder::on(&area)
        .margin_top(TOP)
        .margin_right(RIGHT)
        .x_label_area_size(X_AREA)
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d(
            Linear::new(x0, x1, x_ticks),
            Linear::new(y0, y1, ticks(y0.min(0.0), y1, y_step)),
        )?;
    let x_fmt = |x: &f64| match chart.x_ticks.is_empty() {
        true => tick(*x, x_step),
        false => chart
            .x_ticks
            .iter()
            .find(|(at, _)| (at - x).abs() < 1e-9)
            .map_or_else(String::new, |(_, text)| text.clone()),
    };
    let y_fmt = |y: &f64| tick(*y, y_step);
    cc.configure_mesh()
        .disable_x_mesh()
        .bold_line_style(rgb(GRID).stroke_width(1))
        .axis_style(rgb(INK).stroke_width(2))
        .label_style(font(size::TICK, INK))
        .axis_desc_style(font(size::AXIS, INK))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .draw()?;

    // Every band first, so that no band covers another variant's line.
    for s in &chart.series {
        band(&mut cc, s)?;
    }
    // Theory under the measured lines: where they agree, the line covers the dashes' middle.
    for t in &chart.theory {
        cc.draw_series(DashedLineSeries::new(
            t.points.iter().copied(),
            16,
            10,
            rgb(t.colour).stroke_width(4),
        ))?;
    }
    for s in &chart.series {
        let style = rgb(s.colour).stroke_width(s.width);
        let line: Vec<(f64, f64)> = s.points.iter().map(|&(x, m, _)| (x, m)).collect();
        if line.len() > 1 {
            cc.draw_series(LineSeries::new(line.iter().copied(), style))?;
        }
        cc.draw_series(
            line.iter()
                .map(|&p| Circle::new(p, s.width + 3, rgb(s.colour).filled())),
        )?;
    }
    Ok(())
}

/// The x axis: its range (a little wider than the values, so that points at the ends are not on
/// the frame), its ticks and their step.
fn x_axis(chart: &SweepChart) -> (f64, f64, Vec<f64>, f64) {
    let xs = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0));
    let (lo, hi) = if chart.x_ticks.is_empty() {
        xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        })
    } else {
        let last = chart.x_ticks.len().saturating_sub(1) as f64;
        (0.0, last)
    };
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let pad = if hi > lo { (hi - lo) * 0.04 } else { 1.0 };
    if !chart.x_ticks.is_empty() {
        let at = chart.x_ticks.iter().map(|t| t.0).collect();
        return (lo - pad, hi + pad, at, 1.0);
    }
    let whole = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter())
        .all(|p| p.0.fract() == 0.0);
    let mut step = nice_step(hi - lo, X_TICKS);
    if whole {
        step = step.max(1.0);
    }
    (lo - pad, hi + pad, ticks(lo, hi, step), step)
}

/// The y axis: bottom, top and tick step, with every band inside and zero in view.
fn y_axis(series: &[SweepSeries], theory: &[TheoryCurve]) -> (f64, f64, f64) {
    let curves = theory
        .iter()
        .flat_map(|t| t.points.iter().map(|&(x, y)| (x, y, None)));
    let (lo, hi) = series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .chain(curves)
        .filter(|p| p.1.is_finite())
        .fold((0.0f64, 0.0f64), |(lo, hi), (_, m, hw)| {
            let hw = hw.filter(|h: &f64| h.is_finite()).unwrap_or(0.0);
            (lo.min(m - hw), hi.max(m + hw))
        });
    let span = if hi > lo { (hi - lo) * 1.08 } else { 1.0 };
    let step = nice_step(span, 6);
    let top = if hi > 0.0 {
        (hi * 1.08 / step).ceil() * step
    } else {
        step
    };
    // A little room below zero so that a line at zero is not hidden by the axis.
    let bottom = if lo < 0.0 {
        (lo * 1.08 / step).floor() * step
    } else {
        -0.015 * (top - lo)
    };
    (bottom, top, step)
}

/// Draws the 95 % interval of `s`'s means: a lighter band over each stretch of points that have
/// one, a bar with caps for a point alone.
fn band<DB: DrawingBackend>(
    cc: &mut ChartContext<'_, DB, impl CoordTranslate<From = (f64, f64)>>,
    s: &SweepSeries,
) -> DrawResult<(), DB> {
    let fill = rgb(s.colour).mix(BAND_OPACITY);
    let mut stretches: Vec<Vec<(f64, f64, f64)>> = vec![Vec::new()];
    for &(x, m, hw) in &s.points {
        match hw.filter(|h| h.is_finite()) {
            Some(h) => stretches
                .last_mut()
                .expect("never empty")
                .push((x, m - h, m + h)),
            None => stretches.push(Vec::new()),
        }
    }
    for stretch in stretches {
        match stretch.len() {
            0 => {}
            1 => {
                let (x, lo, hi) = stretch[0];
                let style = rgb(s.colour).stroke_width(3);
                cc.draw_series(std::iter::once(PathElement::new(
                    vec![(x, lo), (x, hi)],
                    style,
                )))?;
            }
            _ => {
                let upper = stretch.iter().map(|&(x, _, hi)| (x, hi));
                let lower = stretch.iter().rev().map(|&(x, lo, _)| (x, lo));
                cc.draw_series(std::iter::once(Polygon::new(
                    upper.chain(lower).collect::<Vec<_>>(),
                    fill.filled(),
                )))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::model::Chart;
    use super::super::{palette, png, svg};
    use super::*;

    fn chart(labels: &[&str]) -> SweepChart {
        let series = labels
            .iter()
            .enumerate()
            .map(|(i, label)| SweepSeries {
                label: label.to_string(),
                colour: palette::variant(i),
                width: 3,
                points: (0..4)
                    .map(|k| {
                        let x = 2.0 + 2.0 * k as f64;
                        (x, 10.0 * i as f64 + 100.0 / x, Some(1.5 + k as f64))
                    })
                    .collect(),
            })
            .collect();
        SweepChart {
            name: "sweep-remapped_pct".into(),
            title: "remapped_pct vs servers.count".into(),
            x_label: "servers.count".into(),
            y_label: "users remapped (%)".into(),
            x_ticks: Vec::new(),
            series,
            theory: Vec::new(),
        }
    }

    #[test]
    fn a_sweep_chart_is_the_same_bytes_every_time_and_names_every_variant() {
        let labels = ["hash-mod", "consistent-hash", "sticky"];
        let chart = Chart::Sweep(chart(&labels));
        let first = (png(&chart).unwrap(), svg(&chart).unwrap());
        let second = (png(&chart).unwrap(), svg(&chart).unwrap());
        assert_eq!(first, second, "byte-identical PNG and SVG");

        let decoder = ::png::Decoder::new(std::io::Cursor::new(&first.0));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (1600, 900));
        for label in labels {
            assert!(first.1.contains(label), "the SVG names {label}");
        }
        assert!(first.1.contains("remapped_pct vs servers.count"));
    }

    #[test]
    fn the_y_axis_holds_every_band() {
        let c = chart(&["a", "b"]);
        let (y0, y1, _) = y_axis(&c.series, &c.theory);
        for s in &c.series {
            for &(_, m, hw) in &s.points {
                let hw = hw.unwrap_or(0.0);
                assert!(y0 <= m - hw && m + hw <= y1);
            }
        }
    }
}
