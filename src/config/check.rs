//! Typed reads of raw values: each checks the TOML type, the unit and the range of one value and
//! either returns it or records a problem naming the key, what is allowed and what was found.
//!
//! A read that fails returns `None` after recording its problem, never before: so a caller can
//! read everything first (collecting every problem) and only then combine the results with `?`.

use std::ops::Range;

use toml::Spanned;

use super::duration::{UNIT_LIST, format_duration, parse_duration};
use super::error::Report;
use super::raw::{Field, RawValue, approximate};
use super::schema::suggest;
use crate::scenario::Micros;

/// Longest name (of a scenario or a variant), in bytes: the scenario's names a folder, and the
/// output writer's temporary name for it, `.<name>-sweep.tmp-<pid>` (12 bytes beside the name
/// and a process id of up to 10 digits), must fit the 255 bytes of a file name.
pub const MAX_NAME_BYTES: usize = 255 - ".-sweep.tmp-".len() - 10;

/// The least value a number or duration may take.
#[derive(Clone, Copy, Debug)]
pub(super) enum Least {
    /// Zero is allowed.
    Zero,
    /// It must be more than zero.
    AboveZero,
}

/// Reads values and records their problems.
pub(super) struct Checker<'r, 'a> {
    report: &'r mut Report<'a>,
}

impl<'r, 'a> Checker<'r, 'a> {
    /// A checker recording into `report`.
    pub(super) fn new(report: &'r mut Report<'a>) -> Self {
        Checker { report }
    }

    /// Records a problem.
    pub(super) fn problem(
        &mut self,
        span: Range<usize>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.report.add(span, path, message);
    }

    /// Records that `value` has the wrong type.
    fn wrong_type<T>(
        &mut self,
        path: &str,
        value: &Spanned<RawValue>,
        expected: &str,
    ) -> Option<T> {
        let message = format!("expected {expected}, got {}", value.get_ref().kind());
        self.problem(value.span(), path, message);
        None
    }

    /// Records a value out of range, then gives up.
    fn out_of_range<T>(
        &mut self,
        path: &str,
        value: &Spanned<RawValue>,
        message: String,
    ) -> Option<T> {
        self.problem(value.span(), path, message);
        None
    }

    /// An integer in `min..=max`, or `default` if absent.
    pub(super) fn integer<T: TryFrom<i128>>(
        &mut self,
        path: &str,
        field: &Field,
        default: T,
        min: i128,
        max: i128,
    ) -> Option<T> {
        match field {
            None => Some(default),
            Some(value) => self.integer_value(path, value, min, max),
        }
    }

    /// An integer in `min..=max`.
    pub(super) fn integer_value<T: TryFrom<i128>>(
        &mut self,
        path: &str,
        value: &Spanned<RawValue>,
        min: i128,
        max: i128,
    ) -> Option<T> {
        let number = match value.get_ref() {
            RawValue::Int(number) => *number,
            RawValue::TooLarge { text, float: false } => {
                let message = match text.starts_with('-') {
                    true => format!("must be at least {min}, got {text}"),
                    false => format!("must be at most {max}, got {text}"),
                };
                return self.out_of_range(path, value, message);
            }
            _ => return self.wrong_type(path, value, "an integer"),
        };
        if number < min {
            return self.out_of_range(path, value, format!("must be at least {min}, got {number}"));
        }
        if number > max {
            return self.out_of_range(path, value, format!("must be at most {max}, got {number}"));
        }
        match T::try_from(number) {
            Ok(number) => Some(number),
            Err(_) => self.out_of_range(path, value, format!("out of range, got {number}")),
        }
    }

    /// A finite number (an integer is taken as a float) of at least `least` and at most `most`,
    /// or `default`.
    pub(super) fn number(
        &mut self,
        path: &str,
        field: &Field,
        default: f64,
        least: Least,
        most: f64,
    ) -> Option<f64> {
        let Some(value) = field else {
            return Some(default);
        };
        let (number, shown) = match value.get_ref() {
            RawValue::Int(number) => (*number as f64, show_number(*number as f64)),
            RawValue::Float(number) => (*number, show_number(*number)),
            RawValue::TooLarge { text, float } => (approximate(text, *float), text.clone()),
            _ => return self.wrong_type(path, value, "a number"),
        };
        if !number.is_finite() {
            return self.out_of_range(path, value, format!("must be a finite number, got {shown}"));
        }
        if number > most {
            let most = show_number(most);
            return self.out_of_range(path, value, format!("must be at most {most}, got {shown}"));
        }
        match least {
            Least::AboveZero if number <= 0.0 => {
                self.out_of_range(path, value, format!("must be greater than 0, got {shown}"))
            }
            Least::Zero if number < 0.0 => {
                self.out_of_range(path, value, format!("must be at least 0, got {shown}"))
            }
            _ => Some(number),
        }
    }

    /// A duration string of at least `least`, or `default` if absent.
    pub(super) fn duration(
        &mut self,
        path: &str,
        field: &Field,
        default: Micros,
        least: Least,
    ) -> Option<Micros> {
        match field {
            None => Some(default),
            Some(value) => self.duration_value(path, value, least),
        }
    }

    /// A duration string of at least `least`.
    pub(super) fn duration_value(
        &mut self,
        path: &str,
        value: &Spanned<RawValue>,
        least: Least,
    ) -> Option<Micros> {
        let RawValue::Str(text) = value.get_ref() else {
            let expected = format!("a duration string such as \"5s\" (units: {UNIT_LIST})");
            return self.wrong_type(path, value, &expected);
        };
        match (parse_duration(text), least) {
            (Err(message), _) => self.out_of_range(path, value, message),
            (Ok(0), Least::AboveZero) => self.out_of_range(
                path,
                value,
                format!("must be greater than 0, got \"{text}\""),
            ),
            (Ok(us), _) => Some(us),
        }
    }

    /// A string, or `default` if absent.
    pub(super) fn text(&mut self, path: &str, field: &Field, default: &str) -> Option<String> {
        match field {
            None => Some(default.to_string()),
            Some(value) => match value.get_ref() {
                RawValue::Str(text) => Some(text.clone()),
                _ => self.wrong_type(path, value, "a string"),
            },
        }
    }

    /// A name for a folder: `[a-z0-9-]+`.
    pub(super) fn slug(&mut self, path: &str, value: &Spanned<RawValue>) -> Option<String> {
        let RawValue::Str(text) = value.get_ref() else {
            return self.wrong_type(path, value, "a string");
        };
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if text.is_empty() || !text.chars().all(allowed) {
            let message = format!(
                "must be lowercase letters, digits and `-` ([a-z0-9-]+, it names a folder), got \"{text}\""
            );
            return self.out_of_range(path, value, message);
        }
        if text.len() > MAX_NAME_BYTES {
            let message = format!(
                "is {} bytes long; at most {MAX_NAME_BYTES} (it names a folder, and the folder's \
                 temporary name `.<name>-sweep.tmp-<pid>` must fit a file name's 255 bytes)",
                text.len()
            );
            return self.out_of_range(path, value, message);
        }
        Some(text.clone())
    }

    /// A boolean, or `default` if absent.
    pub(super) fn boolean(&mut self, path: &str, field: &Field, default: bool) -> Option<bool> {
        match field {
            None => Some(default),
            Some(value) => match *value.get_ref() {
                RawValue::Bool(flag) => Some(flag),
                _ => self.wrong_type(path, value, "a boolean (true or false)"),
            },
        }
    }

    /// One of `all` by its `spelling`, or `default` if absent.
    pub(super) fn choice<T: Copy>(
        &mut self,
        path: &str,
        field: &Field,
        default: T,
        all: &[T],
        spelling: fn(T) -> &'static str,
    ) -> Option<T> {
        match field {
            None => Some(default),
            Some(value) => self.choice_value(path, value, all, spelling),
        }
    }

    /// One of `all` by its `spelling`.
    pub(super) fn choice_value<T: Copy>(
        &mut self,
        path: &str,
        value: &Spanned<RawValue>,
        all: &[T],
        spelling: fn(T) -> &'static str,
    ) -> Option<T> {
        let RawValue::Str(text) = value.get_ref() else {
            return self.wrong_type(path, value, "a string");
        };
        if let Some(&choice) = all.iter().find(|&&choice| spelling(choice) == text) {
            return Some(choice);
        }
        let names: Vec<&str> = all.iter().map(|&choice| spelling(choice)).collect();
        let mut message = format!("unknown value \"{text}\"; allowed: {}", names.join(", "));
        if let Some(close) = suggest(text, &names) {
            message.push_str(&format!(" (did you mean `{close}`?)"));
        }
        self.out_of_range(path, value, message)
    }
}

/// A number as TOML writes it: `nan`, `inf`, `-inf`, `2.5`, `-1`.
fn show_number(number: f64) -> String {
    if number.is_nan() {
        "nan".into()
    } else if number.is_infinite() {
        if number > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else if number != 0.0 && !(1e-6..1e16).contains(&number.abs()) {
        format!("{number:e}")
    } else {
        number.to_string()
    }
}

/// A duration for messages, noting when it is the default: `1m (the default)`.
pub(super) fn show_duration(us: Micros, field: &Field) -> String {
    match field {
        Some(_) => format_duration(us),
        None => format!("{} (the default)", format_duration(us)),
    }
}
