//! Living clusters: traffic profiles, the autoscaler, draining and random failures, each against
//! an expectation worked out by hand.

use crate::support::run;
use tiersim::events::EventAction;

#[test]
fn a_step_profile_brings_the_visits_its_integral_says() {
    // Diurnal over 24 h with a peak of 2 visits/s: the hourly points follow
    // 2 * (0.6 - 0.4 cos(2 pi (h - 4) / 24)), linear in between; over whole days the cosine
    // averages out, so the mean rate is 1.2 visits/s: about 103,680 visits, Poisson sd ~ 322.
    let text = r#"
        name = "profile"
        duration = "24h"
        warmup = "0s"
        bucket = "1h"
        [users]
        visits_per_s = 2
        profile = "diurnal"
        requests_per_visit = 0
    "#;
    let r = run(text, None);
    let logins = r.summary.counts.logins as f64;
    assert!((logins - 103_680.0).abs() < 1_500.0, "{logins} visits");
    // Quietest hour around 4:00 (0.4 visits/s), busiest around 16:00 (2 visits/s).
    let per_hour: Vec<u64> = r.buckets.iter().map(|b| b.counts.ended()).collect();
    let (min_h, max_h) = (
        (0..24).min_by_key(|&h| per_hour[h]).unwrap(),
        (0..24).max_by_key(|&h| per_hour[h]).unwrap(),
    );
    assert!(
        (3..=4).contains(&min_h) && (15..=16).contains(&max_h),
        "{min_h} {max_h}"
    );
}

/// A steady load of 5 Erlangs (50 logins/s of 100 ms) on one-worker servers, with an autoscaler.
fn autoscaled(scale_in: &str, ttl: &str) -> String {
    format!(
        r#"
        name = "steady"
        duration = "3h"
        warmup = "30m"
        bucket = "10m"
        [users]
        visits_per_s = 5
        requests_per_visit = 9
        think_time = "5s"
        session_ttl = "{ttl}"
        [servers]
        count = 2
        workers = 1
        service_time = "100ms"
        login_time = "100ms"
        [autoscale]
        min = 2
        max = 20
        target_busy = 0.6
        interval = "1m"
        cooldown = "3m"
        boot_time = "1m"
        scale_in = "{scale_in}"
        drain_timeout = "1h"
        "#
    )
}

#[test]
fn the_autoscaler_holds_the_target_busy_fraction_at_steady_load() {
    // 50 requests/s x 0.1 s = 5 busy workers. Target tracking wants ceil(5 / 0.6) = 9 servers,
    // busy 5/9 = 0.56; with the noise of one-minute measurements it moves around that.
    let r = run(&autoscaled("abrupt", "5m"), None);
    assert!(r.audit.is_empty(), "{:?}", r.audit);
    let rows: Vec<_> = r.servers.iter().filter(|s| s.up).collect();
    let mean_busy = rows.iter().map(|s| s.busy_fraction).sum::<f64>() / rows.len() as f64;
    assert!(
        (0.45..=0.70).contains(&mean_busy),
        "mean busy {mean_busy:.3}"
    );
    let in_rotation: Vec<u32> = r.buckets.iter().map(|b| b.servers_in_rotation).collect();
    let mean_servers = in_rotation.iter().sum::<u32>() as f64 / in_rotation.len() as f64;
    assert!(
        (7.0..=11.0).contains(&mean_servers),
        "mean servers {mean_servers:.2}"
    );
    assert!(r.events.iter().any(|e| e.action == EventAction::ScaleOut));
}

#[test]
fn draining_loses_no_session_when_the_timeout_exceeds_the_session_lifetime() {
    // Sessions live 5 min after their last use; visits last about a minute; the drain waits up to
    // an hour, so every session on a draining server expires before it stops.
    let drain = run(&autoscaled("drain", "5m"), None);
    assert!(
        drain
            .events
            .iter()
            .any(|e| e.action == EventAction::ScaleIn),
        "it scaled in"
    );
    assert_eq!(drain.summary.sessions_lost, 0);
    assert_eq!(drain.summary.counts.failed_auth(), 0);
    // The same world scaled in abruptly logs users out.
    let abrupt = run(&autoscaled("abrupt", "5m"), None);
    assert!(abrupt.summary.sessions_lost > 0);
}

#[test]
fn servers_fail_about_as_often_as_their_mtbf_says() {
    // 6 servers for 168 h, each failing after 12 h up on average and repaired after 10 min:
    // 6 * 168 / 12.17 = 82.8 failures expected (Poisson, sd ~ 9).
    let text = r#"
        name = "failures"
        duration = "168h"
        warmup = "1h"
        bucket = "1h"
        [users]
        visits_per_s = 0.2
        [servers]
        count = 6
        [failures]
        mtbf = "12h"
        mttr = "10m"
    "#;
    let r = run(text, None);
    let failures = r
        .events
        .iter()
        .filter(|e| e.action == EventAction::Failure)
        .count() as f64;
    let repairs = r
        .events
        .iter()
        .filter(|e| e.action == EventAction::Repair)
        .count() as f64;
    assert!((55.0..=110.0).contains(&failures), "{failures} failures");
    assert!(
        failures - repairs <= 6.0,
        "every failure but the last ones is repaired"
    );
    assert!(r.audit.is_empty(), "{:?}", r.audit);
}

#[test]
fn a_profile_of_points_brings_the_visits_its_integral_says() {
    // 5 visits/s for 30 min, a step to 20 visits/s, a linear ramp down to 0 at 1 h, then none:
    // 5 * 1,800 + 20 * 1,800 / 2 = 27,000 visits (Poisson sd ~ 164). A variant sets its own
    // list: 10 visits/s for the first hour only, 36,000 visits.
    let text = r#"
        name = "points"
        duration = "90m"
        warmup = "0s"
        bucket = "15m"
        [users]
        requests_per_visit = 0
        profile = [
            { at = "0s", visits_per_s = 5 },
            { at = "30m", visits_per_s = 5 },
            { at = "30m", visits_per_s = 20 },
            { at = "1h", visits_per_s = 0 },
        ]
        [[variants]]
        name = "ramp"
        [[variants]]
        name = "flat"
        set = { "users.profile" = [{ at = "0s", visits_per_s = 10 }, { at = "1h", visits_per_s = 10 }, { at = "1h", visits_per_s = 0 }] }
    "#;
    let ramp = run(text, Some("ramp"));
    let logins = ramp.summary.counts.logins as f64;
    assert!((logins - 27_000.0).abs() < 700.0, "{logins} visits");
    // Quarter-hours: 4,500 and 4,500 at 5/s; the ramp's first quarter (20 -> 10 visits/s) brings
    // 15 * 900 = 13,500 and its second (10 -> 0) 4,500; nothing in the last half hour.
    let per_bucket: Vec<u64> = ramp.buckets.iter().map(|b| b.counts.ended()).collect();
    assert_eq!(per_bucket[4..], [0, 0], "{per_bucket:?}");
    let third = per_bucket[2] as f64;
    assert!((third - 13_500.0).abs() < 500.0, "{per_bucket:?}");
    let flat = run(text, Some("flat"));
    let logins = flat.summary.counts.logins as f64;
    assert!((logins - 36_000.0).abs() < 800.0, "{logins} visits");
}
