//! A living cluster: `users.profile`, `[autoscale]` and `[failures]`, and how they constrain the
//! timed events.

use super::*;

#[test]
fn servers_outside_the_autoscaler_bounds_are_named_by_the_bound_they_pass() {
    // Regression: both were reported as `autoscale` at the line of `min`, even when `max` was
    // the bound that `servers.count` passed.
    check_exact(
        "name='x'\n[servers]\ncount = 4\n[autoscale]\nmin = 1\nmax = 3",
        &[],
        &[
            "t.toml:6:7: autoscale.max: servers.count (4) must be between autoscale.min (1) and autoscale.max (3)",
        ],
    );
    check_exact(
        "name='x'\n[servers]\ncount = 1\n[autoscale]\nmin = 2\nmax = 5",
        &[],
        &[
            "t.toml:5:7: autoscale.min: servers.count (1) must be between autoscale.min (2) and autoscale.max (5)",
        ],
    );
    // With the violated bound left at its default, the other one is the place.
    check_err(
        "name='x'\n[servers]\ncount = 12\n[autoscale]\nmin = 2",
        &[
            "t.toml:5:7: autoscale.max: servers.count (12) must be between autoscale.min (2) and autoscale.max (10)",
        ],
    );
}

#[test]
fn timed_events_under_an_autoscaler_point_at_the_key_concerned() {
    // Regression: a crash of a server the autoscaler may remove was reported at `action`, not at
    // `server` (docs/scenario-format.md: crashes and restarts are reported at `server`).
    check_exact(
        "name='x'\n[autoscale]\nmin = 2\n[[events]]\nat = '5m'\naction = 'crash'\nserver = 3",
        &[],
        &[
            "t.toml:7:10: events[0]: with [autoscale], timed crashes and restarts may only target servers the autoscaler never removes (ids below autoscale.min = 2), got server 3",
        ],
    );
    check_exact(
        "name='x'\n[autoscale]\nmax = 8\n[[events]]\nat = '5m'\naction = 'add_servers'\ncount = 1",
        &[],
        &[
            "t.toml:6:10: events[0]: `add_servers` cannot be used with [autoscale]: the autoscaler decides how many servers run",
        ],
    );
}
