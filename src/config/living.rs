//! The keys of a living cluster: `users.profile`, `[autoscale]` and `[failures]`, checked and
//! turned into their domain types, with the rules that tie them to the timed events.

use super::check::{Checker, Least};
use super::raw::{Field, RawAutoscale, RawEvent, RawFailures, RawProfile, RawValue};
use crate::scenario::{Autoscale, Failures, Micros, RatePoint, ScaleIn, US_PER_S};
use toml::Spanned;

const MINUTE: Micros = 60 * US_PER_S;
const HOUR: Micros = 60 * MINUTE;

/// The traffic profile presets, by name.
pub(super) const PROFILES: [&str; 3] = ["constant", "diurnal", "flash_crowd"];

/// Most points of a `users.profile` list.
pub(super) const MAX_POINTS: usize = 10_000;

/// `users.profile`: a preset expanded into rate points over the run (`visits_per_s` is the peak
/// of `diurnal` and the base of `flash_crowd`), or the file's own list of points.
pub(super) fn profile(
    c: &mut Checker<'_, '_>,
    field: &Option<Spanned<RawProfile>>,
    visits_per_s: f64,
    duration_us: Micros,
) -> Option<Vec<RatePoint>> {
    let (span, value) = match field {
        None => return Some(Vec::new()),
        Some(profile) => (profile.span(), profile.get_ref()),
    };
    let value = match value {
        RawProfile::Points(points) => return profile_points(c, span, points, duration_us),
        RawProfile::Value(RawValue::Str(name)) => RawValue::Str(name.clone()),
        RawProfile::Value(other) => {
            let message = format!(
                "expected a preset name ({}) or a list of points like \
                 [{{ at = \"0s\", visits_per_s = 10 }}, {{ at = \"1h\", visits_per_s = 50 }}], got {}",
                PROFILES.join(", "),
                other.kind()
            );
            c.problem(span, "users.profile", message);
            return None;
        }
    };
    let field = Some(Spanned::new(span, value));
    let name = c.choice("users.profile", &field, "constant", &PROFILES, |p| p)?;
    Some(match name {
        "diurnal" => diurnal(visits_per_s, duration_us),
        "flash_crowd" => flash_crowd(visits_per_s, duration_us),
        _ => Vec::new(),
    })
}

/// The file's own points: each `{ at, visits_per_s }`, in order of time (a step is two points at
/// the same time), every time before the end of the run.
fn profile_points(
    c: &mut Checker<'_, '_>,
    span: std::ops::Range<usize>,
    points: &[Spanned<super::raw::RawPoint>],
    duration_us: Micros,
) -> Option<Vec<RatePoint>> {
    if points.is_empty() || points.len() > MAX_POINTS {
        let message = format!(
            "a list of points needs 1 to {MAX_POINTS} points, got {}",
            points.len()
        );
        c.problem(span, "users.profile", message);
        return None;
    }
    let mut out = Vec::with_capacity(points.len());
    let mut ok = true;
    for (i, point) in points.iter().enumerate() {
        let place = format!("users.profile[{i}]");
        let p = point.get_ref();
        let (Some(at), Some(_)) = (&p.at, &p.visits_per_s) else {
            let message = "a point needs `at` (a duration) and `visits_per_s` (a number), \
                           e.g. { at = \"30m\", visits_per_s = 50 }";
            c.problem(point.span(), place, message);
            ok = false;
            continue;
        };
        let at_us = c.duration_value(&format!("{place}.at"), at, Least::Zero);
        let rate = c.number(
            &format!("{place}.visits_per_s"),
            &p.visits_per_s,
            0.0,
            Least::Zero,
            super::build::MAX_VISITS_PER_S,
        );
        let (Some(at_us), Some(visits_per_s)) = (at_us, rate) else {
            ok = false;
            continue;
        };
        if at_us >= duration_us {
            let message = format!(
                "must be before the end of the run ({}), got {}",
                super::duration::format_duration(duration_us),
                super::duration::format_duration(at_us)
            );
            c.problem(at.span(), format!("{place}.at"), message);
            ok = false;
            continue;
        }
        if let Some(prev) = out.last().filter(|p: &&RatePoint| p.at_us > at_us) {
            let message = format!(
                "points must be in order of time: {} comes after {}",
                super::duration::format_duration(at_us),
                super::duration::format_duration(prev.at_us)
            );
            c.problem(at.span(), format!("{place}.at"), message);
            ok = false;
            continue;
        }
        out.push(RatePoint {
            at_us,
            visits_per_s,
        });
    }
    ok.then_some(out)
}

/// A day of traffic, hour by hour, repeated: lowest (20 % of the peak) at 4:00, peak at 16:00.
fn diurnal(peak: f64, duration_us: Micros) -> Vec<RatePoint> {
    let hours = duration_us.div_ceil(HOUR);
    (0..=hours)
        .map(|h| {
            let phase = 2.0 * std::f64::consts::PI * (h as f64 - 4.0) / 24.0;
            RatePoint {
                at_us: h * HOUR,
                visits_per_s: peak * (0.6 - 0.4 * phase.cos()),
            }
        })
        .collect()
}

/// A flash crowd: the base rate, then at 40 % of the run a ramp over one minute to five times
/// the base, held for a tenth of the run, and a five-minute ramp back down.
fn flash_crowd(base: f64, duration_us: Micros) -> Vec<RatePoint> {
    let start = duration_us / 10 * 4;
    let hold = duration_us / 10;
    let point = |at_us, visits_per_s| RatePoint {
        at_us,
        visits_per_s,
    };
    vec![
        point(0, base),
        point(start, base),
        point(start + MINUTE, 5.0 * base),
        point(start + MINUTE + hold, 5.0 * base),
        point(start + 6 * MINUTE + hold, base),
    ]
}

/// `[failures]`.
pub(super) fn failures(c: &mut Checker<'_, '_>, raw: &RawFailures) -> Option<Failures> {
    let optional = |c: &mut Checker<'_, '_>, path: &str, field: &Field| match field {
        None => Some(None),
        Some(value) => c.duration_value(path, value, Least::AboveZero).map(Some),
    };
    let server_mtbf_us = optional(c, "failures.mtbf", &raw.mtbf);
    let server_mttr_us = c.duration("failures.mttr", &raw.mttr, 5 * MINUTE, Least::AboveZero);
    let store_mtbf_us = optional(c, "failures.store_mtbf", &raw.store_mtbf);
    let store_mttr_us = c.duration(
        "failures.store_mttr",
        &raw.store_mttr,
        MINUTE,
        Least::AboveZero,
    );
    Some(Failures {
        server_mtbf_us: server_mtbf_us?,
        server_mttr_us: server_mttr_us?,
        store_mtbf_us: store_mtbf_us?,
        store_mttr_us: store_mttr_us?,
    })
}

/// `[autoscale]`, if the file has the section. `count` is `servers.count`.
pub(super) fn autoscale(
    c: &mut Checker<'_, '_>,
    raw: &Option<RawAutoscale>,
    count: Option<u32>,
    max_servers: u32,
) -> Option<Option<Autoscale>> {
    let Some(raw) = raw else {
        return Some(None);
    };
    let min = c.integer("autoscale.min", &raw.min, 1u32, 1, max_servers.into());
    let max = c.integer("autoscale.max", &raw.max, 10u32, 1, max_servers.into());
    let target_busy = c.number(
        "autoscale.target_busy",
        &raw.target_busy,
        0.6,
        Least::AboveZero,
        0.99,
    );
    let interval_us = c.duration(
        "autoscale.interval",
        &raw.interval,
        30 * US_PER_S,
        Least::AboveZero,
    );
    let cooldown_us = c.duration("autoscale.cooldown", &raw.cooldown, 2 * MINUTE, Least::Zero);
    let boot_time_us = c.duration("autoscale.boot_time", &raw.boot_time, MINUTE, Least::Zero);
    let all = [ScaleIn::Abrupt, ScaleIn::Drain];
    let scale_in = c.choice(
        "autoscale.scale_in",
        &raw.scale_in,
        ScaleIn::Abrupt,
        &all,
        ScaleIn::as_str,
    );
    let drain_timeout_us = c.duration(
        "autoscale.drain_timeout",
        &raw.drain_timeout,
        10 * MINUTE,
        Least::Zero,
    );
    let (min, max) = (min?, max?);
    if max < min {
        let span = raw.max.as_ref().map_or(0..0, Spanned::span);
        c.problem(
            span,
            "autoscale.max",
            format!("must be at least autoscale.min ({min}), got {max}"),
        );
        return None;
    }
    if let Some(count) = count.filter(|&n| n < min || n > max) {
        // Named by the bound that `servers.count` passes (at the other bound if it is a default).
        let (key, bound, other) = match count < min {
            true => ("autoscale.min", &raw.min, &raw.max),
            false => ("autoscale.max", &raw.max, &raw.min),
        };
        let span = bound
            .as_ref()
            .or(other.as_ref())
            .map_or(0..0, Spanned::span);
        c.problem(
            span,
            key,
            format!("servers.count ({count}) must be between autoscale.min ({min}) and autoscale.max ({max})"),
        );
        return None;
    }
    Some(Some(Autoscale {
        min,
        max,
        target_busy: target_busy?,
        interval_us: interval_us?,
        cooldown_us: cooldown_us?,
        boot_time_us: boot_time_us?,
        scale_in: scale_in?,
        drain_timeout_us: drain_timeout_us?,
    }))
}

/// With an autoscaler, timed events may not add or remove servers, and may crash or restart only
/// the servers it never removes (ids below `autoscale.min`).
pub(super) fn check_events_with_autoscaler(
    c: &mut Checker<'_, '_>,
    events: &[Spanned<RawEvent>],
    min: u32,
) {
    for (i, event) in events.iter().enumerate() {
        let action = match event.get_ref().action.as_ref().map(Spanned::get_ref) {
            Some(RawValue::Str(action)) => action.as_str(),
            _ => continue,
        };
        let span = event
            .get_ref()
            .action
            .as_ref()
            .map_or(event.span(), Spanned::span);
        let path = format!("events[{i}]");
        match action {
            "add_servers" | "remove_servers" => c.problem(
                span,
                path,
                format!("`{action}` cannot be used with [autoscale]: the autoscaler decides how many servers run"),
            ),
            "crash" | "restart" => {
                let Some(field) = event.get_ref().server.as_ref() else {
                    continue;
                };
                let RawValue::Int(server) = *field.get_ref() else {
                    continue;
                };
                if server >= i128::from(min) {
                    c.problem(
                        field.span(),
                        path,
                        format!("with [autoscale], timed crashes and restarts may only target servers the autoscaler never removes (ids below autoscale.min = {min}), got server {server}"),
                    );
                }
            }
            _ => {}
        }
    }
}
