//! Timed events: their keys, and whether each fits the servers and the store of its time.

use super::*;

/// A file with the given events, 4 servers and 20 minutes.
fn with_events(events: &[&str]) -> String {
    let mut text = String::from("name = 'x'\nduration = '20m'\n");
    for event in events {
        text.push_str(&format!("[[events]]\n{}\n", event.replace("; ", "\n")));
    }
    text
}

#[test]
fn events_are_sorted_by_time_and_ties_keep_file_order() {
    let file = with_events(&[
        "at='5m'; action='restart'; server=0",
        "at='2m'; action='crash'; server=0",
        "at='5m'; action='crash'; server=0",
    ]);
    let actions: Vec<(u64, Action)> = check_ok(&file)
        .events
        .iter()
        .map(|event| (event.at_us, event.action))
        .collect();
    assert_eq!(
        actions,
        [
            (2 * MIN, Action::Crash { server: 0 }),
            (5 * MIN, Action::Restart { server: 0 }),
            (5 * MIN, Action::Crash { server: 0 })
        ]
    );
}

#[test]
fn events_that_fit_the_membership_of_their_time() {
    check_ok(&with_events(&[
        "at='1m'; action='add_servers'; count=2",
        "at='2m'; action='crash'; server=5",
    ]));
    check_ok(&with_events(&[
        "at='1m'; action='crash'; server=3",
        "at='2m'; action='remove_servers'; count=1",
    ]));
    check_ok(&with_events(&[
        "at='1m'; action='remove_servers'; count=3",
        "at='2m'; action='add_servers'; count=1",
        "at='3m'; action='crash'; server=1",
    ]));
    check_ok(&with_events(&[
        "at='1m'; action='store_crash'",
        "at='2m'; action='store_restart'",
        "at='3m'; action='store_crash'",
    ]));
    check_ok(&with_events(&[
        "at='0s'; action='crash'; server=0",
        "at='19m'; action='restart'; server=0",
    ]));
}

#[test]
fn events_that_do_not_fit_name_the_event_and_its_line() {
    let crash = |server: u32, at: &str| format!("at='{at}'; action='crash'; server={server}");
    check_exact(
        &with_events(&[&crash(5, "10m")]),
        &[],
        &["t.toml:6:8: events[0]: server 5 does not exist at 10m: 4 servers then (ids 0-3)"],
    );
    check_exact(
        &with_events(&[&crash(1, "5m"), &crash(1, "6m")]),
        &[],
        &["t.toml:10:8: events[1]: server 1 is already down at 6m (crashed by events[0] at 5m)"],
    );
    check_err(
        &with_events(&[&crash(1, "6m"), &crash(1, "5m")]),
        &["t.toml:6:8: events[0]: server 1 is already down at 6m (crashed by events[1] at 5m)"],
    );
    check_err(
        &with_events(&["at='7m'; action='restart'; server=2"]),
        &["t.toml:6:8: events[0]: server 2 is up at 7m; only a crashed server can restart"],
    );
    check_err(
        &with_events(&["at='7m'; action='restart'; server=4"]),
        &["events[0]: server 4 does not exist at 7m: 4 servers then (ids 0-3)"],
    );
    check_err(
        &with_events(&["at='8m'; action='remove_servers'; count=4"]),
        &["events[0]: removes 4 servers at 8m, but only 4 exist then; at least one must remain"],
    );
    check_err(
        &with_events(&["at='1m'; action='remove_servers'; count=1", &crash(3, "2m")]),
        &["events[1]: server 3 does not exist at 2m: 3 servers then (ids 0-2)"],
    );
    check_err(
        &with_events(&["at='1m'; action='remove_servers'; count=3", &crash(1, "2m")]),
        &["events[1]: server 1 does not exist at 2m: 1 server then (id 0)"],
    );
    check_err(
        &with_events(&["at='1m'; action='add_servers'; count=9997"]),
        &["events[0]: would make 10001 servers at 1m; at most 10000"],
    );
    check_exact(
        &with_events(&[
            "at='5m'; action='store_crash'",
            "at='6m'; action='store_crash'",
        ]),
        &[],
        &["t.toml:8:8: events[1]: the store is already down at 6m (crashed by events[0] at 5m)"],
    );
    check_err(
        &with_events(&["at='5m'; action='store_restart'"]),
        &["events[0]: the store is up at 5m; only a crashed store can restart"],
    );
}

#[test]
fn event_keys() {
    check_err(
        &with_events(&["action='crash'; server=1"]),
        &["t.toml:3:1: events[0]: needs `at`, the time it happens, e.g. at = \"10m\""],
    );
    check_err(
        &with_events(&["at='1m'"]),
        &[
            "events[0]: needs `action`, one of: crash, restart, add_servers, remove_servers, store_crash, store_restart, dc_down, dc_up",
        ],
    );
    check_err(
        &with_events(&["at='1m'; action='crash'"]),
        &["t.toml:3:1: events[0]: crash needs `server`, the 0-based id of the server"],
    );
    check_err(
        &with_events(&["at='1m'; action='remove_servers'"]),
        &["events[0]: remove_servers needs `count`, how many servers (at least 1)"],
    );
    check_exact(
        &with_events(&["at='1m'; action='add_servers'; count=1; server=1"]),
        &[],
        &[
            "t.toml:7:8: events[0].server: not a key of add_servers events (add_servers takes `count`)",
        ],
    );
    check_err(
        &with_events(&["at='1m'; action='crash'; server=1; count=1"]),
        &["events[0].count: not a key of crash events (crash takes `server`)"],
    );
    check_err(
        &with_events(&["at='1m'; action='store_crash'; server=1"]),
        &[
            "events[0].server: not a key of store_crash events (store_crash takes only `at`, `action` and an optional `node`)",
        ],
    );
    check_err(
        &with_events(&["at='1m'; action='add_servers'; count=0"]),
        &["events[0].count: must be at least 1, got 0"],
    );
    check_err(
        &with_events(&["at='1m'; action='crash'; server=-1"]),
        &["events[0].server: must be at least 0, got -1"],
    );
    check_err(
        &with_events(&["at='20m'; action='store_crash'"]),
        &["t.toml:4:4: events[0].at: must be before the end of the run (duration 20m), got 20m"],
    );
    check_err(
        &with_events(&["at='-1m'; action='store_crash'"]),
        &["events[0].at: invalid duration \"-1m\": a duration cannot be negative"],
    );
    check_err(
        &with_events(&["at=60; action='store_crash'"]),
        &["events[0].at: expected a duration string"],
    );
}
