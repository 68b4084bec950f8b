//! What a chart shows, as plain data: series of numbers, labels and colours, no engine types.
//!
//! [`from_results`](super::from_results) builds these from a run's results; the renderers draw
//! them. Times are seconds of simulated time since the start of the run.

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Colour(pub u8, pub u8, pub u8);

/// How a line is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stroke {
    /// A continuous line.
    Solid,
    /// A dashed line (e.g. the p99 beside a solid p50).
    Dashed,
}

/// One line of a time chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// What the legend calls it.
    pub label: String,
    /// Its colour.
    pub colour: Colour,
    /// Solid or dashed.
    pub stroke: Stroke,
    /// Line width in pixels of the 1600 × 900 canvas.
    pub width: u32,
    /// `(time_s, value)`, in time order; a `None` value breaks the line (nothing to show there).
    pub points: Vec<(f64, Option<f64>)>,
}

/// A timed event, drawn as a labelled vertical line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Marker {
    /// When it happened, in whole microseconds (kept exact so that markers sort and compare).
    pub at_us: u64,
    /// Its label, e.g. `crash s1`.
    pub label: String,
}

impl Marker {
    /// When it happened, in seconds.
    pub fn at_s(&self) -> f64 {
        self.at_us as f64 / 1e6
    }
}

/// One entry of a legend.
#[derive(Clone, Debug, PartialEq)]
pub struct LegendItem {
    /// Its text.
    pub label: String,
    /// The colour of its swatch.
    pub colour: Colour,
    /// The swatch's line style.
    pub stroke: Stroke,
}

/// One plotting area of a time chart: a y axis and the lines drawn against it.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    /// The y axis's description, with its unit.
    pub y_label: String,
    /// The lines.
    pub series: Vec<Series>,
    /// Whether the y axis counts whole things (servers): ticks at integers only.
    pub whole_numbers: bool,
    /// Whether the series are parts of a whole, drawn as filled bands stacked in order (the
    /// first at the bottom); values missing at a time count as zero there.
    pub stacked: bool,
    /// Lines drawn over the series, never stacked (a total to compare the bands with).
    pub overlay: Vec<Series>,
    /// Drawn instead of the series when present: one row per server, shaded by value.
    pub heat: Option<Box<Heat>>,
}

/// A heatmap: one row per server, one cell per bucket, the shade telling the value.
#[derive(Clone, Debug, PartialEq)]
pub struct Heat {
    /// The rows, bottom first.
    pub rows: Vec<HeatRow>,
    /// The value of the darkest shade.
    pub max: f64,
    /// The colour of the darkest shade (white is zero).
    pub colour: Colour,
}

/// One server's row of a heatmap: its id and its cells, each `(from_s, to_s, value)`.
pub type HeatRow = (u32, Vec<(f64, f64, f64)>);

/// Many events as ticks in a strip under the plot: one row per variant, ticks coloured by kind.
#[derive(Clone, Debug, PartialEq)]
pub struct Strip {
    /// The rows' labels (variants), from the top.
    pub rows: Vec<String>,
    /// The kinds: label (e.g. `scale in`) and colour.
    pub kinds: Vec<(String, Colour)>,
    /// `(time in µs, row, kind)` of each event.
    pub ticks: Vec<(u64, usize, usize)>,
}

/// A chart with simulated time across: one main panel and an optional small one below it.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeChart {
    /// File name without extension, e.g. `failed_auth` or `servers-sticky`.
    pub name: String,
    /// The title drawn at the top.
    pub title: String,
    /// The time axis's range, in seconds.
    pub x_range_s: (f64, f64),
    /// The main panel.
    pub main: Panel,
    /// A small panel under the main one, sharing its time axis (servers in rotation).
    pub lower: Option<Panel>,
    /// Timed events, drawn across every panel.
    pub markers: Vec<Marker>,
    /// Events too many to label, as ticks under the plot.
    pub strip: Option<Box<Strip>>,
    /// The legend, in order.
    pub legend: Vec<LegendItem>,
    /// How the time axis reads.
    pub time: super::format::TimeFormat,
}

/// One bar of a bar panel.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// Whose bar (the variant).
    pub label: String,
    /// Its colour.
    pub colour: Colour,
    /// Its height (with replications, the mean); `None` when the value does not exist (no bar,
    /// `text` says so).
    pub value: Option<f64>,
    /// With replications, the half-width of the 95 % interval of the mean, drawn as a whisker
    /// from `value - half_width` to `value + half_width`; `None` draws none.
    pub half_width: Option<f64>,
    /// The value as written above the bar, without its unit (the panel's title has it), e.g.
    /// `3,027` or `0.041`.
    pub text: String,
}

/// One small multiple of a bar chart: one metric, one bar per variant.
#[derive(Clone, Debug, PartialEq)]
pub struct Bars {
    /// The metric and its unit, e.g. `p99 latency (ms)`.
    pub title: String,
    /// Where bars start (0, or 1 for a ratio whose ideal is 1).
    pub baseline: f64,
    /// Whether the metric counts whole things: ticks at integers only.
    pub whole_numbers: bool,
    /// The bars, in variant order.
    pub bars: Vec<Bar>,
}

/// Small multiples of bar panels, side by side.
#[derive(Clone, Debug, PartialEq)]
pub struct BarChart {
    /// File name without extension, e.g. `summary`.
    pub name: String,
    /// The title drawn at the top.
    pub title: String,
    /// The panels, left to right, top to bottom.
    pub panels: Vec<Bars>,
    /// The legend (one item per variant).
    pub legend: Vec<LegendItem>,
}

/// One line of a sweep chart: one variant's mean at each swept value.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSeries {
    /// What the legend calls it (the variant).
    pub label: String,
    /// Its colour.
    pub colour: Colour,
    /// Line width in pixels of the 1600 × 900 canvas.
    pub width: u32,
    /// `(x, mean, half-width of the 95 % interval)`, in x order; no half-width (one replication)
    /// draws no band.
    pub points: Vec<(f64, f64, Option<f64>)>,
}

/// A metric's mean against a swept parameter, one line per variant with its 95 % band.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepChart {
    /// File name without extension, e.g. `sweep-remapped_pct`.
    pub name: String,
    /// The title drawn at the top.
    pub title: String,
    /// The x axis's description (the swept key).
    pub x_label: String,
    /// The y axis's description (the metric, with its unit).
    pub y_label: String,
    /// Tick labels of a parameter whose values are not numbers: `(x, text)`, the values being
    /// placed at their index. Empty for a numeric parameter (round ticks).
    pub x_ticks: Vec<(f64, String)>,
    /// The lines, in variant order.
    pub series: Vec<SweepSeries>,
    /// What theory predicts, as dashed curves with their label.
    pub theory: Vec<TheoryCurve>,
}

/// A curve of theory on a sweep chart: dashed, in its variant's colour, labelled at its end.
#[derive(Clone, Debug, PartialEq)]
pub struct TheoryCurve {
    /// Its label, e.g. `theory N/(N+1)`.
    pub label: String,
    /// Its colour.
    pub colour: Colour,
    /// `(x, y)` in x order.
    pub points: Vec<(f64, f64)>,
}

/// Any chart.
#[derive(Clone, Debug, PartialEq)]
pub enum Chart {
    /// Lines over simulated time.
    Time(TimeChart),
    /// Small multiples of bars.
    Bars(BarChart),
    /// A metric against a swept parameter.
    Sweep(SweepChart),
}

impl Chart {
    /// File name without extension.
    pub fn name(&self) -> &str {
        match self {
            Chart::Time(c) => &c.name,
            Chart::Bars(c) => &c.name,
            Chart::Sweep(c) => &c.name,
        }
    }

    /// The chart's title.
    pub fn title(&self) -> &str {
        match self {
            Chart::Time(c) => &c.title,
            Chart::Bars(c) => &c.title,
            Chart::Sweep(c) => &c.title,
        }
    }
}
