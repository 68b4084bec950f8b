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

/// How a run's times read, on the time axis, in the story and in the lesson: the one convention
/// of a scenario.
///
/// `Elapsed` counts simulated time from the start of the run; `Clock` shows the time of day,
/// the run starting at `start_hour` o'clock (the scenario's `clock_start`, for daily profiles:
/// `diurnal` puts its low at 4:00 and its peak at 16:00 of that clock when it starts at 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeFormat {
    /// Time since the start of the run: `m:ss`, `h:mm` or days.
    #[default]
    Elapsed,
    /// Time of day, the run starting at `start_hour:00`.
    Clock {
        /// The hour of the day at which the run starts, 0 to 23.
        start_hour: u32,
    },
}

/// Seconds in a day.
pub const DAY_S: f64 = 86_400.0;

impl TimeFormat {
    /// The convention of a scenario.
    pub fn of(scenario: &crate::scenario::Scenario) -> TimeFormat {
        match scenario.clock_start_hour {
            Some(start_hour) => TimeFormat::Clock { start_hour },
            None => TimeFormat::Elapsed,
        }
    }

    /// A moment for prose: `12:30` (elapsed, as [`clock`]) or `16:00` (clock), with `on day 2`
    /// past the first day of a clock.
    pub fn moment(self, seconds: f64) -> String {
        match self {
            TimeFormat::Elapsed => clock(seconds),
            TimeFormat::Clock { start_hour } => {
                let at = (seconds.max(0.0) + f64::from(start_hour) * 3600.0).round();
                let day = (at / DAY_S).floor() as u64;
                let of_day = hh_mm(at - day as f64 * DAY_S);
                match day {
                    0 => of_day,
                    d => format!("{of_day} on day {}", d + 1),
                }
            }
        }
    }

    /// The time axis's title for ticks `step_s` apart on an axis that ends at `range_s`.
    pub fn axis_title(self, step_s: f64, range_s: f64) -> &'static str {
        match (self, axis_unit(step_s, range_s)) {
            (TimeFormat::Clock { .. }, AxisUnit::Days) => "time of day (day and hh:mm)",
            (TimeFormat::Clock { .. }, _) => "time of day (hh:mm)",
            (TimeFormat::Elapsed, AxisUnit::MinSec) => "simulated time (m:ss)",
            (TimeFormat::Elapsed, AxisUnit::HourMin) => "simulated time (h:mm)",
            (TimeFormat::Elapsed, AxisUnit::HourMinSec) => "simulated time (h:mm:ss)",
            (TimeFormat::Elapsed, AxisUnit::Days) => "simulated time (days)",
        }
    }

    /// A tick of the time axis at `t` seconds, ticks `step_s` apart on an axis that ends at `range_s`.
    pub fn tick(self, t: f64, step_s: f64, range_s: f64) -> String {
        let unit = axis_unit(step_s, range_s);
        match self {
            TimeFormat::Clock { start_hour } => {
                let at = (t.max(0.0) + f64::from(start_hour) * 3600.0).round();
                let day = (at / DAY_S).floor();
                let of_day = hh_mm(at - day * DAY_S);
                match unit {
                    AxisUnit::Days if of_day == "00:00" => format!("day {}", day + 1.0),
                    _ => of_day,
                }
            }
            TimeFormat::Elapsed => {
                let total = t.max(0.0).round() as u64;
                match unit {
                    AxisUnit::MinSec => format!("{}:{:02}", total / 60, total % 60),
                    AxisUnit::HourMin => format!("{}:{:02}", total / 3600, total / 60 % 60),
                    AxisUnit::HourMinSec => clock(total as f64),
                    AxisUnit::Days => number(total as f64 / DAY_S),
                }
            }
        }
    }
}

/// What the ticks of a time axis show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AxisUnit {
    /// Minutes and seconds (runs under an hour).
    MinSec,
    /// Hours and minutes (whole-minute ticks from an hour on).
    HourMin,
    /// Hours, minutes and seconds (ticks under a minute apart in a run of an hour or more).
    HourMinSec,
    /// Days (ticks a day or more apart).
    Days,
}

fn axis_unit(step_s: f64, range_s: f64) -> AxisUnit {
    if step_s >= DAY_S {
        AxisUnit::Days
    } else if range_s < 3600.0 {
        AxisUnit::MinSec
    } else if step_s % 60.0 == 0.0 {
        AxisUnit::HourMin
    } else {
        AxisUnit::HourMinSec
    }
}

/// Seconds into a day as `hh:mm`.
fn hh_mm(seconds: f64) -> String {
    let total = seconds.max(0.0).round() as u64;
    format!("{:02}:{:02}", total / 3600 % 24, total / 60 % 60)
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
    fn time_ticks_match_their_axis_title() {
        let e = TimeFormat::Elapsed;
        // 18 minutes, ticks every 2 minutes.
        assert_eq!(e.axis_title(120.0, 1080.0), "simulated time (m:ss)");
        assert_eq!(e.tick(600.0, 120.0, 1080.0), "10:00");
        // 26 hours, ticks every 3 hours: h:mm, never h:mm:ss.
        assert_eq!(e.axis_title(10_800.0, 93_600.0), "simulated time (h:mm)");
        assert_eq!(e.tick(97_200.0, 10_800.0, 93_600.0), "27:00");
        // A week, ticks every day.
        assert_eq!(e.axis_title(DAY_S, 7.0 * DAY_S), "simulated time (days)");
        assert_eq!(e.tick(2.0 * DAY_S, DAY_S, 7.0 * DAY_S), "2");
        let c = TimeFormat::Clock { start_hour: 8 };
        assert_eq!(c.tick(8.0 * 3600.0, 7200.0, DAY_S), "16:00");
        assert_eq!(c.axis_title(7200.0, DAY_S), "time of day (hh:mm)");
        assert_eq!(c.moment(8.0 * 3600.0), "16:00");
        assert_eq!(c.moment(20.0 * 3600.0), "04:00 on day 2");
        assert_eq!(e.moment(900.0), "15:00");
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
