//! Byte spans to places a user can find: `file:line:column`, or the `--set` argument.
//!
//! Values given with `--set` are parsed on their own, then carry synthetic spans past the end of
//! the file: argument `i` occupies the offsets from [`Locator::flag_start`]`(i)` on, one byte per
//! byte of the argument. So every value keeps one span, and a problem with it points to where the
//! user wrote it.

use std::ops::Range;

use super::error::Origin;

/// Resolves spans of one parse.
pub(super) struct Locator<'a> {
    source: &'a str,
    text: &'a str,
    flags: &'a [String],
}

impl<'a> Locator<'a> {
    /// A locator for the file `text` named `source`, parsed with the `--set` arguments `flags`.
    pub(super) fn new(source: &'a str, text: &'a str, flags: &'a [String]) -> Self {
        Locator {
            source,
            text,
            flags,
        }
    }

    /// The first synthetic offset of `--set` argument `index` (one past the end of the file, then
    /// each argument after the previous one and a gap of one).
    pub(super) fn flag_start(&self, index: usize) -> usize {
        let before: usize = self.flags[..index].iter().map(|flag| flag.len() + 1).sum();
        self.text.len() + 1 + before
    }

    /// Where the span starts.
    pub(super) fn origin(&self, span: Range<usize>) -> Origin {
        if span.start <= self.text.len() {
            let (line, column) = line_column(self.text, span.start);
            return Origin::File {
                source: self.source.to_string(),
                line,
                column,
            };
        }
        let index = (0..self.flags.len())
            .rev()
            .find(|&i| self.flag_start(i) <= span.start)
            .unwrap_or(0);
        let text = self.flags.get(index).cloned().unwrap_or_default();
        Origin::Flag { index, text }
    }
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let column = match text.get(line_start..offset) {
        Some(head) => head.chars().count() + 1,
        None => offset - line_start + 1,
    };
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based_and_count_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 4), (1, 5));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 12), (2, 6)); // the quote after `bé = `: é is two bytes, one column
        assert_eq!(line_column(text, text.len()), (3, 1));
    }

    #[test]
    fn spans_past_the_file_are_flags() {
        let flags = ["a=1".to_string(), "bb=2".to_string()];
        let locator = Locator::new("f.toml", "x = 1", &flags);
        assert_eq!(locator.flag_start(0), 6);
        assert_eq!(locator.flag_start(1), 10);
        let flag = |span| match locator.origin(span) {
            Origin::Flag { text, .. } => text,
            other => panic!("{other:?}"),
        };
        assert_eq!(flag(6..7), "a=1");
        assert_eq!(flag(8..9), "a=1");
        assert_eq!(flag(12..14), "bb=2");
        assert!(matches!(
            locator.origin(5..5),
            Origin::File {
                line: 1,
                column: 6,
                ..
            }
        ));
    }
}
