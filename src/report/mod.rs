//! `report.html`: one self-contained page a teacher can hand out, print or project.
//!
//! A pure function of the experiment, its results and its charts: no network, no external files
//! (the charts are inline SVG, the style sheet is inline), no clock (the same run gives the same
//! bytes). One inline script, the replay's (`replay.rs`), draws `<section id="replay">`;
//! everything else reads with scripts off. Every piece of text that comes from the scenario file
//! or the results is escaped. The page has, in order: the title and the lesson, the comparison
//! table (`<table id="comparison">`, one `<tr>` per variant in its `<tbody>`; with replications,
//! means ± half-widths and the paired differences), what happened at each timed event, the
//! replay, every chart (`<figure class="chart">` with a caption written from the run: its
//! events, each variant's totals), and the parameters of every variant.

mod captions;
mod causes;
mod escape;
pub mod failover;
mod many;
mod parameters;
pub mod replay;
mod replicated;
pub mod sweep;
pub mod what_happened;

pub use escape::html as escape;

use crate::charts::ChartFile;
use crate::charts::format::{clock, number, thousands};
use crate::metrics::RunResult;
use crate::metrics::catalogue::{COMPARED, Metric, Unit};
use crate::scenario::Experiment;
use std::fmt::Write;

const STYLE: &str = include_str!("style.css");

/// The runs a page tells.
pub struct Shown<'a> {
    /// Replication 0 of every variant (the scenario's own seed): the time charts, the causes and
    /// the story come from it.
    pub first: &'a [RunResult],
    /// Every replication of every variant (`replicated[v][i]`), when there are several: the
    /// comparison shows their means ± the half-widths of the 95 % intervals, and their paired
    /// differences (empty with one replication).
    pub replicated: &'a [Vec<RunResult>],
    /// The seed of each replication.
    pub seeds: &'a [u64],
    /// The replay traces of replication 0, one per variant of `first`, when its runs recorded
    /// them (empty: the replay simulates them again).
    pub traces: &'a [crate::engine::Trace],
}

impl Shown<'_> {
    /// How many replications the page tells (1 without `replicated`).
    pub fn replications(&self) -> usize {
        self.replicated.first().map_or(1, Vec::len).max(1)
    }
}

/// The whole page of one replication.
pub fn html(experiment: &Experiment, results: &[RunResult], charts: &[ChartFile]) -> String {
    let shown = Shown {
        first: results,
        replicated: &[],
        seeds: &[],
        traces: &[],
    };
    html_shown(experiment, &shown, charts)
}

/// The whole page, with replications when `shown` has several.
pub fn html_shown(experiment: &Experiment, shown: &Shown<'_>, charts: &[ChartFile]) -> String {
    let results = shown.first;
    let extra: usize = charts.iter().map(|c| c.bytes.len()).sum();
    let mut page = open_page(&experiment.title, extra);
    let look = crate::charts::look::Look::of(experiment, results);
    page += &header(experiment, results);
    page += &replications_note(shown);
    if shown.replications() > 1 {
        page += &replicated::comparison(&look, shown.replicated);
        page += &replicated::differences(shown.replicated);
    } else {
        page += &comparison(&look, results);
    }
    page += &causes::section(&look, results);
    page += &what_happened(look.time, results);
    page += &failover::section(results);
    page += &replay::section_for(experiment, results, shown.traces);
    page += &figures(charts, |stem| captions::for_run(stem, experiment, shown));
    // The variants that ran (a run may select some with `--variant`), in file order.
    let ran: Vec<&crate::scenario::Variant> = experiment
        .variants
        .iter()
        .filter(|v| results.iter().any(|r| r.variant == v.name))
        .collect();
    page += &parameters_section(&ran);
    page += &close_page(&experiment.name);
    page
}

/// The start of a page: the document head with the inline style sheet, and `<body>`.
/// `extra` is the size of what will follow (to allocate once).
fn open_page(title: &str, extra: usize) -> String {
    let mut page = String::with_capacity(64 * 1024 + extra);
    page += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    let _ = writeln!(page, "<title>{}</title>", escape(title));
    let _ = writeln!(page, "<style>\n{STYLE}</style>\n</head>\n<body>");
    page
}

/// With replications, what comes from which: the comparison and the summary chart are means
/// over every replication, the rest is replication 0 (nothing with one replication).
fn replications_note(shown: &Shown<'_>) -> String {
    let n = shown.replications();
    if n < 2 {
        return String::new();
    }
    let seed = shown
        .seeds
        .first()
        .map_or(String::new(), |s| format!("seed {s}, "));
    format!(
        "<p class=\"note\" id=\"replications\">{n} replications. The comparison, the paired \
         differences and the summary chart show means over all {n}, each ± the half-width of its \
         95 % confidence interval (Student t; the same means as <code>summary.csv</code> and the \
         terminal). Where it came from, what happened and the time charts show one run: \
         replication 0 ({seed}the scenario's own seed); <code>replications.csv</code> has every \
         run.</p>\n"
    )
}

/// The "Scenario parameters" section for `variants`.
fn parameters_section(variants: &[&crate::scenario::Variant]) -> String {
    let mut out = String::from("<section id=\"parameters\">\n<h2>Scenario parameters</h2>\n");
    out +=
        "<p class=\"note\">One column per variant; highlighted rows differ between variants.</p>\n";
    out += &parameters::table(variants);
    out += "</section>\n";
    out
}

/// The end of a page: the footer naming the scenario, and the closing tags.
fn close_page(name: &str) -> String {
    format!(
        "<footer>Made with tiersim {} from the scenario <code>{}</code>. Charts use DejaVu Sans \
         (Bitstream Vera licence).</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        escape(name)
    )
}

/// The lesson: the scenario's description, one paragraph per blank-line-separated block.
fn lesson(description: &str) -> String {
    let mut out = String::from("<section class=\"lesson\" id=\"lesson\">\n<h2>The lesson</h2>\n");
    for paragraph in description.split("\n\n") {
        let text = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
        if !text.is_empty() {
            let _ = writeln!(out, "<p>{}</p>", escape(&text));
        }
    }
    out += "</section>\n";
    out
}

fn header(experiment: &Experiment, results: &[RunResult]) -> String {
    let mut out = String::from("<header>\n");
    let _ = writeln!(out, "<h1>{}</h1>", escape(&experiment.title));
    if let Some(v) = experiment
        .variants
        .iter()
        .find(|v| results.iter().any(|r| r.variant == v.name))
    {
        let s = &v.scenario;
        let variants: Vec<String> = results.iter().map(|r| escape(&r.variant)).collect();
        let _ = writeln!(
            out,
            "<p class=\"meta\">Scenario <code>{}</code>: {} of simulated time, measured from {} \
             (the warm-up before is not counted), seed {}; variants: {}.</p>",
            escape(&experiment.name),
            clock(s.duration_us as f64 / 1e6),
            clock(s.warmup_us as f64 / 1e6),
            s.seed,
            variants.join(", ")
        );
    }
    out += "</header>\n";
    out += &lesson(&experiment.description);
    out
}

/// A variant's name with its colour, as in the charts.
pub(crate) fn variant_cell(c: crate::charts::model::Colour, name: &str) -> String {
    format!(
        "<span class=\"swatch\" style=\"background:#{:02x}{:02x}{:02x}\"></span>{}",
        c.0,
        c.1,
        c.2,
        escape(name)
    )
}

/// The comparison's columns after the variant: requests, the catalogue's [`COMPARED`] metrics,
/// then the per-request detail (failed authentications per authenticated request, errors) and
/// the users remapped (headers are the catalogue's labels).
pub(crate) fn compared() -> impl Iterator<Item = Metric> {
    std::iter::once(Metric::Requests).chain(COMPARED).chain([
        Metric::FailedAuthPct,
        Metric::Errors,
        Metric::UsersRemapped,
    ])
}

/// A metric of one run as the page writes it: counts with thousands separators, milliseconds
/// with about three significant digits, percentages and imbalances with their unit's decimals;
/// `–` where it does not exist.
fn value_text(m: Metric, r: &RunResult) -> String {
    let Some(x) = m.value(r) else {
        return "–".to_string();
    };
    match m.def().unit {
        Unit::Count => thousands(x as u64),
        Unit::Milliseconds => number(x),
        unit @ (Unit::Percent
        | Unit::MaxOverMean
        | Unit::MinOverMean
        | Unit::Hours
        | Unit::Money) => {
            format!("{x:.d$}", d = unit.shown_decimals())
        }
    }
}

fn comparison(look: &crate::charts::look::Look, results: &[RunResult]) -> String {
    let mut out = String::from(
        "<section id=\"results\">\n<h2>Comparison</h2>\n<table id=\"comparison\">\n<thead><tr>\
         <th scope=\"col\">variant</th>",
    );
    for m in compared() {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(m.def().label));
    }
    out += "</tr></thead>\n<tbody>\n";
    for (i, r) in results.iter().enumerate() {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th>",
            variant_cell(look.colour(i), &r.variant)
        );
        for m in compared() {
            let _ = write!(out, "<td>{}</td>", escape(&value_text(m, r)));
        }
        out += "</tr>\n";
    }
    out += "</tbody>\n</table>\n<p class=\"note\">Requests sent after the warm-up. Failed auth (%): \
            authenticated requests that found no valid session (a forced new login). Errors: \
            requests not served. Imbalance: requests of the busiest server over the mean, per \
            time bucket, averaged (1 is an even spread). Users remapped: users moved to another \
            server by changes of membership (– for policies that do not pin users). Cost: the web \
            servers (each from the start of its boot until its removal, crashed or not) and the \
            store machines rented over the measured period, at the prices of the parameters below \
            (price of a server-hour, of a store machine-hour).</p>\n</section>\n";
    out
}

fn what_happened(time: crate::charts::format::TimeFormat, results: &[RunResult]) -> String {
    let mut out =
        String::from("<section class=\"events\" id=\"what-happened\">\n<h2>What happened</h2>\n");
    for told in what_happened::paragraphs(results, time) {
        // The lead, then each variant's sentence on a line of its own (the text reads as prose
        // when copied).
        let _ = write!(out, "<p>{}", escape(&told.lead));
        if !told.sentences.is_empty() {
            out.push(':');
        }
        for line in told.lines() {
            let _ = write!(out, " <span>{}</span>", escape(&line));
        }
        out += "</p>\n";
    }
    out += "</section>\n";
    out
}

/// The caption of a chart outside a run's report (a sweep's), by its file name without
/// extension.
pub fn caption(stem: &str) -> String {
    captions::general(stem)
}

/// `s` with its first letter in upper case.
pub(crate) fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

/// Every SVG chart as a figure, the summary first, each with the caption `caption` gives for
/// its file name without extension.
pub(crate) fn figures(charts: &[ChartFile], caption: impl Fn(&str) -> String) -> String {
    let svgs: Vec<(&str, &ChartFile)> = charts
        .iter()
        .filter_map(|c| c.name.strip_suffix(".svg").map(|stem| (stem, c)))
        .collect();
    let ordered = svgs
        .iter()
        .filter(|(stem, _)| *stem == "summary")
        .chain(svgs.iter().filter(|(stem, _)| *stem != "summary"));
    // Each SVG is copied once, into a page allocated once (a run's charts can weigh 100 MB).
    let size: usize = svgs.iter().map(|(_, c)| c.bytes.len() + 512).sum();
    let mut out = String::with_capacity(64 + size);
    out += "<section id=\"charts\">\n<h2>Charts</h2>\n";
    // Ctrl-C stops the page between two figures; the command then writes nothing.
    for (stem, chart) in ordered.take_while(|_| !crate::interrupt::requested()) {
        let caption = caption(stem);
        let svg = String::from_utf8_lossy(&chart.bytes);
        let _ = writeln!(
            out,
            "<figure class=\"chart\" id=\"chart-{}\">",
            escape(stem)
        );
        push_labelled(&mut out, &svg, &caption);
        let _ = writeln!(
            out,
            "\n<figcaption>{}</figcaption>\n</figure>",
            escape(&caption)
        );
    }
    out += "</section>\n";
    out
}

/// Appends the SVG text without an XML declaration, its root labelled for screen readers
/// (nothing for a text that is not SVG).
fn push_labelled(out: &mut String, svg: &str, label: &str) {
    if let Some(i) = svg.find("<svg") {
        let _ = write!(out, "<svg role=\"img\" aria-label=\"{}\"", escape(label));
        out.push_str(&svg[i + "<svg".len()..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::render_all;
    use crate::charts::tests::sample;

    const SCENARIO: &str = r#"
name = "crash-demo"
title = "A crash & its <cost>"
description = """
First paragraph <script>alert("x")</script> with
a line break.

Second paragraph.
"""
duration = "2m"
warmup = "1m"
bucket = "10s"

[[events]]
at = "80s"
action = "crash"
server = 1

[[events]]
at = "100s"
action = "restart"
server = 1

[[variants]]
name = "sticky"
set = { "balancer.policy" = "sticky", "sessions.storage" = "server_memory" }

[[variants]]
name = "shared-store"
set = { "balancer.policy" = "round_robin", "sessions.storage" = "shared_store" }
"#;

    fn page() -> String {
        let experiment = crate::config::parse("demo.toml", SCENARIO, &[], None)
            .unwrap_or_else(|e| panic!("{e}"));
        let results = sample();
        let charts = render_all(&crate::charts::look::Look::plain(&results), &results).unwrap();
        html(&experiment, &results, &charts)
    }

    /// The page without its replay section, and the replay section.
    fn split_replay(page: &str) -> (String, &str) {
        let start = page
            .find("<section id=\"replay\"")
            .expect("a replay section");
        let end = start + page[start..].find("</section>").expect("its end") + "</section>".len();
        (
            format!("{}{}", &page[..start], &page[end..]),
            &page[start..end],
        )
    }

    #[test]
    fn text_from_the_scenario_is_escaped() {
        let whole = page();
        let (page, replay) = split_replay(&whole);
        assert!(
            !page.contains("<script"),
            "no script element outside the replay"
        );
        assert_eq!(
            replay.matches("<script").count(),
            2,
            "the replay's data and script"
        );
        assert!(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
        assert!(page.contains("<h1>A crash &amp; its &lt;cost&gt;</h1>"));
        // Hard-wrapped lines join; blank lines separate paragraphs.
        assert!(page.contains("with a line break.</p>\n<p>Second paragraph.</p>"));
    }

    #[test]
    fn the_comparison_has_one_row_per_variant() {
        let page = page();
        let table = &page[page.find("<table id=\"comparison\">").unwrap()..];
        let body = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
        assert_eq!(body.matches("<tr>").count(), 2);
        assert!(
            body.contains(
                "sticky</th><td>660</td><td>40</td><td>20.00</td><td>5</td><td>500</td><td>15</td>\
                 <td>110</td><td>1.200</td><td>0.250</td><td>6.11</td><td>5</td><td>40</td></tr>"
            ),
            "{body}"
        );
    }

    #[test]
    fn every_chart_is_an_inline_svg_figure_with_a_caption() {
        let page = page();
        assert_eq!(page.matches("<figure class=\"chart\"").count(), 8);
        assert_eq!(page.matches("<svg role=\"img\"").count(), 8);
        assert_eq!(page.matches("<figcaption>").count(), 8);
        assert!(
            page.find("id=\"chart-summary\"").unwrap()
                < page.find("id=\"chart-failed_auth\"").unwrap(),
            "the summary comes first"
        );
    }

    #[test]
    fn the_page_needs_nothing_from_outside() {
        let whole = page();
        let (page, replay) = split_replay(&whole);
        for needle in [
            "<script", "<link", "<img", " src=", " href=", "@import", "url(",
        ] {
            assert!(!page.contains(needle), "{needle}");
        }
        for needle in [
            "<link",
            "<img",
            " src=",
            "href",
            "@import",
            "url(",
            "fetch(",
            "XMLHttpRequest",
        ] {
            assert!(!replay.contains(needle), "the replay: {needle}");
        }
    }

    #[test]
    fn what_happened_tells_each_event() {
        let page = page();
        assert!(
            page.contains(
                "<p>At 1:20 server 1 crashed: <span>The sticky variant lost 500 sessions (50 % of \
                 live sessions); 40 users had to log in again in the next 20 seconds; 5 requests \
                 were not served in the next 20 seconds.</span> <span>The shared-store variant \
                 lost no sessions and nobody had to log in again; 5 requests were not served in \
                 the next 20 seconds.</span></p>"
            ),
            "{page}"
        );
    }

    #[test]
    fn the_parameters_table_marks_what_differs() {
        let page = page();
        assert!(page.contains(
            "<tr class=\"differs\"><th scope=\"row\">routing policy</th><td>sticky</td><td>round_robin</td></tr>"
        ));
        assert!(page.contains("<td>1:20 crash server 1; 1:40 restart server 1</td>"));
    }

    #[test]
    fn only_the_variants_that_ran_are_described() {
        let experiment = crate::config::parse("demo.toml", SCENARIO, &[], None).unwrap();
        let results = vec![sample().remove(1)];
        let charts = render_all(&crate::charts::look::Look::plain(&results), &results).unwrap();
        let page = html(&experiment, &results, &charts);
        let params = &page[page.find("<table class=\"parameters\">").unwrap()..];
        let head = &params[..params.find("</thead>").unwrap()];
        assert_eq!(
            head.matches("<th scope=\"col\">").count(),
            2,
            "key + shared-store"
        );
        assert!(head.contains("shared-store") && !head.contains("sticky"));
    }

    #[test]
    fn the_same_run_gives_the_same_page() {
        assert_eq!(page(), page());
    }
}
