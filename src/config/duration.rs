//! Durations as scenario files write them: a number and a unit, such as `"250ms"` or `"1.5s"`.
//!
//! One spelling only: digits, an optional decimal part, then the unit, with no space, no sign and
//! no exponent. The value must be a whole number of microseconds (`"0.5us"` is refused, not
//! rounded) and at most [`MAX_DURATION`], so that sums of times in the engine cannot overflow.

use crate::scenario::{Micros, US_PER_S};

/// The units, largest first, with their length in microseconds. Days are read but never
/// written (a duration is written in hours at most, as before days were read).
const UNITS: [(&str, Micros); 6] = [
    ("d", 86_400 * US_PER_S),
    ("h", 3600 * US_PER_S),
    ("m", 60 * US_PER_S),
    ("s", US_PER_S),
    ("ms", 1000),
    ("us", 1),
];

/// The list of units as messages show it.
pub(super) const UNIT_LIST: &str = "us, ms, s, m, h, d";

/// The longest duration a scenario may name: 10000 hours (about 14 months of simulated time).
pub const MAX_DURATION: Micros = 10_000 * 3600 * US_PER_S;

/// Parses a duration such as `"250ms"`, `"5s"`, `"10m"`, `"1h"`, `"500us"` or `"1.5s"`.
///
/// The error is a complete sentence naming the text and the fix.
pub fn parse_duration(text: &str) -> Result<Micros, String> {
    let fail = |why: String| Err(format!("invalid duration \"{text}\": {why}"));
    if text.is_empty() {
        return fail(format!(
            "write a number and a unit, e.g. \"5s\" (units: {UNIT_LIST})"
        ));
    }
    if text.contains(char::is_whitespace) {
        return fail(format!(
            "write the number and the unit together, without spaces, e.g. \"5s\" (units: {UNIT_LIST})"
        ));
    }
    if text.starts_with('-') {
        return fail("a duration cannot be negative".into());
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return fail(format!(
            "expected a number first, e.g. \"5s\" (units: {UNIT_LIST})"
        ));
    }
    if unit.is_empty() {
        return fail(format!(
            "missing unit, e.g. \"{number}s\" (units: {UNIT_LIST})"
        ));
    }
    let Some(&(_, unit_us)) = UNITS.iter().find(|(name, _)| *name == unit) else {
        return fail(format!("unknown unit `{unit}` (units: {UNIT_LIST})"));
    };
    match exact_micros(number, unit_us) {
        Ok(us) => Ok(us),
        Err(why) => fail(why),
    }
}

/// `number` (digits with an optional decimal part) times `unit_us`, if that is a whole number of
/// microseconds no larger than [`MAX_DURATION`].
fn exact_micros(number: &str, unit_us: Micros) -> Result<Micros, String> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let malformed = whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || (number.contains('.') && fraction.is_empty());
    if malformed {
        return Err(
            "expected digits, with at most one `.` followed by digits, e.g. \"1.5s\"".into(),
        );
    }
    let too_long = || format!("longer than the maximum, {}", format_duration(MAX_DURATION));
    let whole = whole.trim_start_matches('0');
    // 20 digits already exceed any u64; checking the length first keeps the parse below exact.
    if whole.len() > 20 {
        return Err(too_long());
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| too_long())?
    };
    let fraction_us = fraction_micros(fraction, unit_us)?;
    let total = whole * u128::from(unit_us) + fraction_us;
    match Micros::try_from(total) {
        Ok(us) if us <= MAX_DURATION => Ok(us),
        _ => Err(too_long()),
    }
}

/// The microseconds in `0.<fraction>` of a unit, if that is a whole number.
fn fraction_micros(fraction: &str, unit_us: Micros) -> Result<u128, String> {
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        return Ok(0);
    }
    let too_fine = "finer than 1us; durations are whole microseconds".to_string();
    // An hour is 2^10 * 3^2 * 5^8 microseconds, so no fraction with more than 10 significant
    // digits can be whole; refusing them early keeps the arithmetic below in range.
    if fraction.len() > 10 {
        return Err(too_fine);
    }
    let digits: u128 = fraction.parse().map_err(|_| too_fine.clone())?;
    let scale = 10u128.pow(fraction.len() as u32);
    let scaled = digits * u128::from(unit_us);
    if scaled.is_multiple_of(scale) {
        Ok(scaled / scale)
    } else {
        Err(too_fine)
    }
}

/// Writes a duration in the largest unit that divides it exactly: `600000000` is `"10m"`,
/// `1500000` is `"1500ms"`. The result parses back to the same value.
pub fn format_duration(us: Micros) -> String {
    if us == 0 {
        return "0s".into();
    }
    let (name, unit_us) = UNITS[1..]
        .iter()
        .find(|(_, unit_us)| us.is_multiple_of(*unit_us))
        .copied()
        .unwrap_or(("us", 1));
    format!("{}{name}", us / unit_us)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str, expected_us: Micros) {
        assert_eq!(parse_duration(text), Ok(expected_us), "{text}");
    }

    fn err(text: &str, expected: &str) {
        match parse_duration(text) {
            Ok(us) => {
                panic!("{text:?} parsed as {us}us, expected an error containing {expected:?}")
            }
            Err(message) => assert!(
                message.contains(expected),
                "{text:?}: {message:?} lacks {expected:?}"
            ),
        }
    }

    #[test]
    fn every_unit() {
        ok("500us", 500);
        ok("250ms", 250_000);
        ok("5s", 5_000_000);
        ok("10m", 600_000_000);
        ok("1h", 3_600_000_000);
        ok("7d", 7 * 86_400_000_000);
    }

    #[test]
    fn decimals_that_are_whole_microseconds() {
        ok("1.5s", 1_500_000);
        ok("0.5ms", 500);
        ok("1.0us", 1);
        ok("0.001s", 1000);
        ok("0.000001s", 1);
        ok("2.50m", 150_000_000);
        ok("0.0000000025h", 9); // ten decimals: the finest fraction of an hour that is whole
    }

    #[test]
    fn zero_and_leading_zeros() {
        ok("0s", 0);
        ok("0us", 0);
        ok("007s", 7_000_000);
    }

    #[test]
    fn the_maximum_and_beyond() {
        ok("10000h", MAX_DURATION);
        err("10001h", "longer than the maximum, 10000h");
        err("1000000000h", "longer than the maximum");
        err(
            "99999999999999999999999999999999999999999h",
            "longer than the maximum",
        );
    }

    #[test]
    fn refused_spellings() {
        err("5", "missing unit, e.g. \"5s\" (units: us, ms, s, m, h, d)");
        err("5 s", "without spaces");
        err(" 5s", "without spaces");
        err("-1s", "cannot be negative");
        err("5sec", "unknown unit `sec` (units: us, ms, s, m, h, d)");
        err("5S", "unknown unit `S`");
        err("1e3s", "unknown unit `e3s`");
        err("s", "expected a number first");
        err("", "write a number and a unit");
        err(".5s", "expected digits");
        err("5.s", "expected digits");
        err("1.2.3s", "expected digits");
        err("+5s", "expected a number first");
    }

    #[test]
    fn finer_than_a_microsecond() {
        err("0.5us", "finer than 1us");
        err("1.0001ms", "finer than 1us");
        err("0.00000000001h", "finer than 1us");
        err("0.1234567890123456789s", "finer than 1us");
    }

    #[test]
    fn format_picks_the_largest_exact_unit_and_round_trips() {
        for (us, text) in [
            (0, "0s"),
            (1, "1us"),
            (1500, "1500us"),
            (1_500_000, "1500ms"),
            (600_000_000, "10m"),
        ] {
            assert_eq!(format_duration(us), text);
            assert_eq!(parse_duration(text), Ok(us));
        }
        assert_eq!(format_duration(MAX_DURATION), "10000h");
    }
}
