//! `report.html`: one self-contained page a teacher can hand out, print or project.
//!
//! A pure function of the experiment, its results and its charts: no network, no external files
//! (the charts are inline SVG, the style sheet is inline), no clock (the same run gives the same
//! bytes). One inline script, the replay's (`replay.rs`), draws `<section id="replay">`;
//! everything else reads with scripts off. Every piece of text that comes from the scenario file
//! or the results is escaped. The page has, in order: the title and the lesson, the comparison table
//! (`<table id="comparison">`, one `<tr>` per variant in its `<tbody>`), what happened at each
//! timed event, the replay, every chart (`<figure class="chart">` with a caption that says what
//! to look at), and the parameters of every variant.

mod causes;
mod escape;
mod parameters;
pub mod replay;
pub mod sweep;
pub mod what_happened;

pub use escape::html as escape;

use crate::charts::ChartFile;
use crate::charts::format::{clock, number, thousands};
use crate::charts::palette;
use crate::metrics::RunResult;
use crate::metrics::catalogue::{COMPARED, Metric, Unit};
use crate::scenario::Experiment;
use std::fmt::Write;

const STYLE: &str = include_str!("style.css");

/// The whole page.
pub fn html(experiment: &Experiment, results: &[RunResult], charts: &[ChartFile]) -> String {
    let extra: usize = charts.iter().map(|c| c.bytes.len()).sum();
    let mut page = open_page(&experiment.title, extra);
    page += &header(experiment, results);
    page += &comparison(results);
    page += &causes::section(results);
    page += &what_happened(results);
    page += &replay::section_for(experiment, results);
    page += &figures(charts);
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
pub(crate) fn variant_cell(index: usize, name: &str) -> String {
    let c = palette::variant(index);
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
fn compared() -> impl Iterator<Item = Metric> {
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

fn comparison(results: &[RunResult]) -> String {
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
            variant_cell(i, &r.variant)
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

fn what_happened(results: &[RunResult]) -> String {
    let mut out =
        String::from("<section class=\"events\" id=\"what-happened\">\n<h2>What happened</h2>\n");
    for told in what_happened::paragraphs(results) {
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

/// What to look at in a chart, by its file name without extension.
pub fn caption(stem: &str) -> String {
    if let Some(variant) = stem.strip_prefix("servers-") {
        return format!(
            "Requests per second served by each server of the {variant} variant (s1 is server \
             1), and below, the servers in the balancer's rotation: look at how fast a new or \
             restarted server gets its share, and where the others carry a missing one's load."
        );
    }
    if let Some(variant) = stem.strip_prefix("sessions-") {
        return format!(
            "Live sessions of the {variant} variant, stacked by where they are kept: a band that \
             vanishes at an event line is sessions destroyed, and each of their users has to log \
             in again. The dashed line is the users in a visit: sessions outlive their visits, \
             so the bands are not the users online, and a session lost may belong to a user who \
             has left."
        );
    }
    if let Some(metric) = stem.strip_prefix("sweep-") {
        let label = crate::metrics::catalogue::get(metric).map_or(metric, |d| d.axis);
        return format!(
            "{} against the swept parameter, one line per variant, with its 95 % \
             confidence band when there are replications: look at how each design's cost grows \
             with the parameter, and where the lines part.",
            capitalised(label)
        );
    }
    match stem {
        "summary" => {
            "The whole measured period, one panel per metric with its own scale, one bar per \
             variant: lower is better in every panel (imbalance starts at 1, an even spread)."
                .into()
        }
        "failed_auth" => "Each failed authentication is a user sent back to the login page: look \
             for spikes just after the dashed event lines, and for the variants that stay at zero."
            .into(),
        "errors" => "Requests that were not served at all (server down, queue full, store down): \
             look at which variants an event hits and for how long."
            .into(),
        "latency" => "Median (solid) and 99th percentile (dashed) response time of served \
             requests: look for bumps after events, and for gaps where a variant served nothing."
            .into(),
        other => format!("Chart {other}."),
    }
}

/// `s` with its first letter in upper case.
pub(crate) fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

/// Every SVG chart as a figure, the summary first.
pub(crate) fn figures(charts: &[ChartFile]) -> String {
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
        let charts = render_all(&results).unwrap();
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
        let charts = render_all(&results).unwrap();
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
