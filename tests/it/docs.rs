//! The documentation's own links: every Markdown link to a local file of README.md,
//! ARCHITECTURE.md, CONTRIBUTING.md and `docs/*.md` names a file that exists, and every
//! `#anchor` a heading of its target (as GitHub spells heading anchors); and the README's sample
//! outputs are what the binary prints.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The Markdown files whose links are checked.
fn documents() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = ["README.md", "ARCHITECTURE.md", "CONTRIBUTING.md"]
        .iter()
        .map(|name| root.join(name))
        .collect();
    let docs = std::fs::read_dir(root.join("docs")).expect("docs/ exists");
    let mut pages: Vec<PathBuf> = docs
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|x| x == "md"))
        .collect();
    pages.sort();
    files.extend(pages);
    files
}

/// The lines of `text` outside fenced code blocks, with their 1-based numbers.
fn prose(text: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            lines.push((i + 1, line));
        }
    }
    lines
}

/// The targets of the inline links and images of one line (`[text](target)`,
/// `![alt](target)`), and of a reference definition (`[name]: target`).
fn link_targets(line: &str) -> Vec<&str> {
    let mut targets: Vec<&str> = line
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .map(|target| target.split_whitespace().next().unwrap_or(""))
        .collect();
    if let Some(definition) = line.strip_prefix('[').and_then(|l| l.split_once("]: ")) {
        targets.extend(definition.1.split_whitespace().next());
    }
    targets
}

/// The anchor GitHub gives a heading: lower case, punctuation other than `-` and `_` dropped,
/// each space a `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown file's headings (a repeated one gets `-1`, `-2`, ... as on GitHub).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut anchors = BTreeSet::new();
    for (_, line) in prose(text) {
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        let base = slug(heading.trim_start_matches('#'));
        let mut anchor = base.clone();
        let mut n = 0;
        while !anchors.insert(anchor.clone()) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
    }
    anchors
}

/// What is wrong with one link of `file`, if anything.
fn broken(file: &Path, target: &str) -> Option<String> {
    if target.contains("://") || target.starts_with("mailto:") {
        return None;
    }
    let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
    let dest = match path {
        "" => file.to_path_buf(),
        _ => file.parent().unwrap().join(path),
    };
    if !dest.exists() {
        return Some(format!("{target}: no file {}", dest.display()));
    }
    if anchor.is_empty() {
        return None;
    }
    let text = std::fs::read_to_string(&dest).ok()?;
    let known = anchors(&text);
    (!known.contains(anchor)).then(|| format!("{target}: no heading #{anchor} (has {known:?})"))
}

#[test]
fn headings_get_the_anchors_github_gives_them() {
    assert_eq!(slug(" Session stores"), "session-stores");
    assert_eq!(slug(" `[users]`"), "users");
    assert_eq!(
        slug(" `events.csv` — one row per variant and timed event"),
        "eventscsv--one-row-per-variant-and-timed-event"
    );
    let text = "# A\n```\n# not a heading\n```\n## A\n### The presets: values, sources\n";
    let expected = ["a", "a-1", "the-presets-values-sources"];
    assert_eq!(anchors(text), expected.map(String::from).into());
    assert_eq!(
        link_targets("see [`x`](model.md#a) and ![p](img/p.png \"title\")"),
        ["model.md#a", "img/p.png"]
    );
    assert_eq!(
        link_targets("[ref]: ../CONTRIBUTING.md"),
        ["../CONTRIBUTING.md"]
    );
}

#[test]
fn every_local_link_of_the_docs_resolves() {
    let mut checked = 0;
    let mut problems = Vec::new();
    for file in documents() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in prose(&text) {
            for target in link_targets(line) {
                checked += 1;
                if let Some(problem) = broken(&file, target) {
                    problems.push(format!("{}:{number}: {problem}", file.display()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked >= 30, "links checked: {checked}");
}

/// The README's sample outputs, with their commands.
fn readme_samples() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("README.md")).unwrap();
    crate::support::doc_samples(&text)
        .into_iter()
        .map(|(command, block)| (command, block.join("\n")))
        .collect()
}

/// `text` with every run of whitespace made one space.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_readme_samples_are_what_the_binary_prints() {
    let samples = readme_samples();
    let commands: Vec<&str> = samples.iter().map(|(c, _)| c.as_str()).collect();
    assert!(
        commands.iter().any(|c| c.starts_with("run "))
            && commands.iter().any(|c| c.starts_with("sweep ")),
        "the README shows a run and a sweep: {commands:?}"
    );
    let out = crate::support::scratch_dir("readme_samples");
    for (command, shown) in &samples {
        let mut args: Vec<&str> = command.split_whitespace().collect();
        // Where it writes and whether it draws change nothing on standard output.
        args.extend(["--out", out.to_str().unwrap(), "--no-charts"]);
        let ran = crate::support::Cli::new(&args).expect_code(0);
        assert_eq!(
            words(&ran.stdout),
            words(shown),
            "the README's sample of `tiersim {command}` is stale; it prints:\n{}",
            ran.stdout
        );
    }
}
