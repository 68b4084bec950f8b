//! The charts of every shipped scenario, read back from their SVG text: few enough labels and
//! legend entries to read, one colour per design across scenarios, and theory drawn on the
//! rebalance sweep.

use crate::support::shipped_scenarios;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use tiersim::charts::layout::size;
use tiersim::charts::look::Look;
use tiersim::charts::model::Chart;
use tiersim::charts::{from_results, svg};
use tiersim::engine::simulate;
use tiersim::scenario::Experiment;

/// Most text labels in one plot area (event labels, values on bars).
const MOST_PLOT_LABELS: usize = 30;
/// Most legend entries of a chart.
const MOST_LEGEND: usize = 15;

/// Every shipped scenario's charts as SVG text: `(file, chart name) → svg`, simulated once.
fn shipped_svgs() -> &'static BTreeMap<(String, String), String> {
    static SVGS: OnceLock<BTreeMap<(String, String), String>> = OnceLock::new();
    SVGS.get_or_init(|| {
        let mut out = BTreeMap::new();
        for path in shipped_scenarios() {
            let file = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let experiment: Experiment =
                tiersim::config::parse(&file, &text, &[], None).unwrap_or_else(|e| panic!("{e}"));
            let results: Vec<_> = experiment
                .variants
                .iter()
                .map(|v| simulate(&v.name, &v.scenario))
                .collect();
            let look = Look::of(&experiment, &results);
            for chart in from_results::charts(&look, &results) {
                let text = svg(&chart).unwrap_or_else(|e| panic!("{file}: {e}"));
                out.insert((file.clone(), chart.name().to_string()), text);
            }
        }
        out
    })
}

/// One `<text>` element of an SVG: its anchor, font size (SVG units) and content.
struct Text {
    anchor: String,
    size: f64,
    content: String,
}

/// The `<text>` elements of `svg`, with the position in the text where each starts.
fn texts(svg: &str) -> Vec<(usize, Text)> {
    let attr = |tag: &str, name: &str| -> String {
        let key = format!("{name}=\"");
        tag.find(&key)
            .map(|i| {
                let rest = &tag[i + key.len()..];
                rest[..rest.find('"').unwrap_or(0)].to_string()
            })
            .unwrap_or_default()
    };
    svg.match_indices("<text ")
        .map(|(at, _)| {
            let tag_end = at + svg[at..].find('>').unwrap();
            let tag = &svg[at..tag_end];
            let body_end = tag_end + svg[tag_end..].find("</text>").unwrap();
            let text = Text {
                anchor: attr(tag, "text-anchor"),
                size: attr(tag, "font-size").parse().unwrap_or(0.0),
                content: svg[tag_end + 1..body_end].trim().to_string(),
            };
            (at, text)
        })
        .collect()
}

/// Whether an SVG font size is the chart font size `px` (plotters writes px / 1.24).
fn is_size(svg_size: f64, px: f64) -> bool {
    (svg_size - px / 1.24).abs() < 0.01
}

/// Legend entries: text anchored at its start in the legend's size.
fn legend_entries(svg: &str) -> Vec<String> {
    texts(svg)
        .into_iter()
        .filter(|(_, t)| t.anchor == "start" && is_size(t.size, size::LEGEND))
        .map(|(_, t)| t.content)
        .collect()
}

/// The most text labels in one plot area: event labels (start-anchored, tick size) of a time or
/// sweep chart; values on bars (middle-anchored) per panel (panel titles: start-anchored, axis
/// size) of the summary.
fn most_plot_labels(name: &str, svg: &str) -> usize {
    let all = texts(svg);
    if name == "summary" {
        let values = all.iter().filter(|(_, t)| t.anchor == "middle").count();
        let panels = all
            .iter()
            .filter(|(_, t)| t.anchor == "start" && is_size(t.size, size::AXIS))
            .count();
        return values.div_ceil(panels.max(1));
    }
    all.iter()
        .filter(|(_, t)| t.anchor == "start" && is_size(t.size, size::TICK))
        .count()
}

#[test]
fn every_shipped_chart_has_few_labels_and_a_short_legend() {
    let svgs = shipped_svgs();
    assert!(svgs.len() >= 8 * 10, "every shipped scenario's charts");
    for ((file, name), svg) in svgs {
        let legend = legend_entries(svg);
        assert!(
            !legend.is_empty() && legend.len() <= MOST_LEGEND,
            "{file} {name}: {} legend entries: {legend:?}",
            legend.len()
        );
        let labels = most_plot_labels(name, svg);
        assert!(
            labels <= MOST_PLOT_LABELS,
            "{file} {name}: {labels} labels in a plot area"
        );
    }
    // 05's day of autoscaling: its 600 actions are ticks in a strip, counted in the legend, and
    // its 108 servers a heatmap.
    let servers = &svgs[&("05-autoscaling.toml".into(), "servers-sticky-abrupt".into())];
    assert!(
        legend_entries(servers)
            .iter()
            .any(|l| l.starts_with("scale in ×"))
    );
    assert!(!servers.contains(">\ns50\n<"), "no legend entry per server");
}

/// The colour of legend entry `label` in `svg`: the stroke (line swatch) or fill (square) of
/// the last shape drawn before its text.
fn legend_colour(svg: &str, label: &str) -> String {
    let (at, _) = texts(svg)
        .into_iter()
        .find(|(_, t)| t.content == label && t.anchor == "start" && is_size(t.size, size::LEGEND))
        .unwrap_or_else(|| panic!("a legend entry {label}"));
    let before = &svg[..at];
    let shape = before
        .rfind("<polyline")
        .max(before.rfind("<rect"))
        .unwrap();
    let shape = &before[shape..];
    let key = if shape.starts_with("<rect") {
        "fill=\""
    } else {
        "stroke=\""
    };
    let i = shape.find(key).unwrap() + key.len();
    shape[i..i + 7].to_string()
}

#[test]
fn a_design_has_the_same_colour_in_01_02_and_08() {
    let svgs = shipped_svgs();
    let colour = |file: &str, chart: &str, variant: &str| {
        legend_colour(&svgs[&(file.to_string(), chart.to_string())], variant)
    };
    for chart in ["failed_auth", "summary"] {
        // Sticky over server memory: `sticky` in 01 (third) and 02 (first), `server-memory` in
        // 08 (first).
        let sticky = colour("01-why-sticky.toml", chart, "sticky");
        assert_eq!(
            sticky,
            colour("02-server-crash.toml", chart, "sticky"),
            "{chart}"
        );
        assert_eq!(
            sticky,
            colour("08-keeping-state.toml", chart, "server-memory"),
            "{chart}"
        );
        // A shared store: fourth in 01, second in 02, third in 08.
        let store = colour("01-why-sticky.toml", chart, "shared-store");
        assert_eq!(
            store,
            colour("02-server-crash.toml", chart, "shared-store"),
            "{chart}"
        );
        assert_eq!(
            store,
            colour("08-keeping-state.toml", chart, "shared-store"),
            "{chart}"
        );
        assert_ne!(sticky, store);
        assert_eq!(sticky, "#0072B2", "blue, as docs/charts.md says");
        assert_eq!(store, "#D55E00", "vermillion, as docs/charts.md says");
    }
}

#[test]
fn the_rebalance_sweep_draws_n_over_n_plus_1_and_1_over_n_plus_1() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/rebalance.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let experiment = tiersim::config::parse("rebalance.toml", &text, &[], None).unwrap();
    let params = [tiersim::sweep::parse_param("servers.count=2,4").unwrap()];
    let points = tiersim::sweep::points(&params).unwrap();
    let results: Vec<Vec<Vec<_>>> = points
        .iter()
        .map(|point| {
            let sets: Vec<String> = point.clone();
            let e = tiersim::config::parse("rebalance.toml", &text, &sets, None).unwrap();
            e.variants
                .iter()
                .map(|v| vec![simulate(&v.name, &v.scenario)])
                .collect()
        })
        .collect();
    let names = tiersim::charts::from_sweep::variant_names(&results);
    let look = Look::named(&experiment, &names);
    let charts = tiersim::charts::from_sweep::charts(&look, &params, &points, &results);
    let Some(Chart::Sweep(c)) = charts.iter().find(|c| c.name() == "sweep-remapped_pct") else {
        panic!("a remapped chart");
    };
    let curve = |label: &str| {
        c.theory
            .iter()
            .find(|t| t.label == label)
            .unwrap_or_else(|| panic!("{label} in {:?}", c.theory))
            .points
            .clone()
    };
    // N = 2 and 4 servers, one joins: hash mod N moves N/(N+1), consistent hashing 1/(N+1).
    let pct = |x: f64| (x * 1e6).round() / 1e6;
    let hash: Vec<(f64, f64)> = curve("hash-mod: theory N/(N+1)");
    assert_eq!(
        hash.iter().map(|p| pct(p.1)).collect::<Vec<_>>(),
        [pct(200.0 / 3.0), 80.0]
    );
    let ring = curve("consistent-hash: theory 1/(N+1)");
    assert_eq!(
        ring.iter().map(|p| pct(p.1)).collect::<Vec<_>>(),
        [pct(100.0 / 3.0), 20.0]
    );
    assert_eq!(c.title, "Logged-in users remapped (%) by number of servers");
    let svg = svg(&Chart::Sweep(c.clone())).unwrap();
    assert!(legend_entries(&svg).contains(&"hash-mod: theory N/(N+1)".to_string()));
}
