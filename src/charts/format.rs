//! Numbers and times as people read them on a slide: `10:00`, `3,027`, `0.04 %`.
//!
//! Shared by the charts and the report so that both write a value the same way.

/// Seconds of simulated time as `m:ss`, or `h:mm:ss` from one hour on, rounded to the second
/// (`600.0` → `10:00`, `3725.0` → `1:02:05`).
pub fn clock(seconds: f64) -> String {
    let total = seconds.max(0.0).round() as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A whole number with thousands separators (`3027` → `3,027`).
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A decimal number as written by `format!` (`3002.67`, `-12.5`), with thousands separators in
/// its whole part (`3,002.67`); the digits are kept, so a value reads the same as in a CSV file.
pub fn grouped(text: &str) -> String {
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (unsigned, None),
    };
    let Ok(n) = whole.parse::<u64>() else {
        return text.to_string();
    };
    let mut out = format!("{sign}{}", thousands(n));
    if let Some(f) = fraction {
        out = format!("{out}.{f}");
    }
    out
}

/// A non-negative number with about three significant digits, thousands separators and no
/// trailing zeros (`0.0413` → `0.0413`, `1.0737` → `1.07`, `108.67` → `109`, `3027` → `3,027`).
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let decimals = match x.abs() {
        a if a == 0.0 || a >= 100.0 => 0,
        a if a >= 10.0 => 1,
        a if a >= 1.0 => 2,
        a if a >= 0.1 => 3,
        _ => 4,
    };
    if decimals == 0 {
        let rounded = x.abs().round() as u64;
        let sign = if x < 0.0 && rounded > 0 { "-" } else { "" };
        return format!("{sign}{}", thousands(rounded));
    }
    let text = format!("{x:.decimals$}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

/// A percentage: `0.041` → `0.041 %`, `25.0` → `25 %`.
pub fn percent(p: f64) -> String {
    format!("{} %", number(p))
}

/// Microseconds as milliseconds: `108_671` → `109 ms`, `14_639` → `14.6 ms`.
pub fn millis(us: u64) -> String {
    format!("{} ms", number(us as f64 / 1e3))
}

/// A tick label of a value axis whose ticks are `step` apart: no more decimals than the step
/// needs, thousands separators.
pub fn tick(x: f64, step: f64) -> String {
    let decimals = if step >= 1.0 || step <= 0.0 {
        0
    } else {
        (-step.log10()).ceil().clamp(0.0, 6.0) as usize
    };
    if decimals == 0 {
        let rounded = x.round();
        let sign = if rounded < 0.0 { "-" } else { "" };
        return format!("{sign}{}", thousands(rounded.abs() as u64));
    }
    let text = format!("{x:.decimals$}");
    if text
        .trim_start_matches('-')
        .trim_matches(['0', '.'])
        .is_empty()
    {
        "0".into()
    } else {
        text
    }
}

/// A length of time in words for prose: `120 s` → `2 minutes`, `20 s` → `20 seconds`,
/// `90 s` → `1.5 minutes`.
pub fn span(seconds: f64) -> String {
    if seconds >= 60.0 && (seconds / 60.0 * 2.0).fract() == 0.0 {
        let minutes = seconds / 60.0;
        let unit = if minutes == 1.0 { "minute" } else { "minutes" };
        return format!("{} {unit}", number(minutes));
    }
    let unit = if seconds == 1.0 { "second" } else { "seconds" };
    format!("{} {unit}", number(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_shows_minutes_and_seconds_or_hours() {
        assert_eq!(clock(0.0), "0:00");
        assert_eq!(clock(600.0), "10:00");
        assert_eq!(clock(500.0), "8:20");
        assert_eq!(clock(3725.0), "1:02:05");
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(3027), "3,027");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn numbers_keep_about_three_significant_digits() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(0.0413), "0.0413");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(1.0737), "1.07");
        assert_eq!(number(1.0), "1");
        assert_eq!(number(14.639), "14.6");
        assert_eq!(number(108.67), "109");
        assert_eq!(number(235_871.0), "235,871");
        assert_eq!(percent(25.0), "25 %");
        assert_eq!(millis(108_671), "109 ms");
    }

    #[test]
    fn ticks_have_the_decimals_of_their_step() {
        assert_eq!(tick(2000.0, 500.0), "2,000");
        assert_eq!(tick(0.5, 0.5), "0.5");
        assert_eq!(tick(0.25, 0.05), "0.25");
        assert_eq!(tick(-0.0, 0.5), "0");
    }

    #[test]
    fn spans_read_as_words() {
        assert_eq!(span(120.0), "2 minutes");
        assert_eq!(span(60.0), "1 minute");
        assert_eq!(span(90.0), "1.5 minutes");
        assert_eq!(span(20.0), "20 seconds");
    }
}
