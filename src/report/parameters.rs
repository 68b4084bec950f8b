//! The "Scenario" section's table: the main keys of every variant side by side, one column per
//! variant, values that differ between variants marked.

use super::escape::html;
use crate::charts::format::clock;
use crate::config::format_duration;
use crate::scenario::{Action, ExtraWork, Micros, Policy, Scenario, TimedEvent, Variant};

/// A duration as a handout writes it: `20 ms`, `2 s`, `30 m`, `500 µs`.
pub fn duration(us: Micros) -> String {
    let text = format_duration(us);
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit = match unit {
        "us" => "µs",
        "m" => "min",
        other => other,
    };
    format!("{number} {unit}")
}

/// One timed event of scenario `sc` in words: `10:00 crash server 1`, `10:00 us-east down`.
pub fn event(e: &TimedEvent, sc: &Scenario) -> String {
    let dc = |d: u32| match &sc.geo {
        Some(g) => g.datacenters[d as usize].name.clone(),
        None => format!("data centre {d}"),
    };
    let what = match e.action {
        Action::Crash { server } => format!("crash server {server}"),
        Action::Restart { server } => format!("restart server {server}"),
        Action::AddServers { count } => format!("add {count} server{}", plural(count)),
        Action::RemoveServers { count } => format!("remove {count} server{}", plural(count)),
        Action::StoreCrash { node: None } => "store crash".into(),
        Action::StoreRestart { node: None } => "store restart".into(),
        Action::StoreCrash { node: Some(n) } => format!("store node {n} crash"),
        Action::StoreRestart { node: Some(n) } => format!("store node {n} restart"),
        Action::DcDown { dc: d } => format!("{} down", dc(d)),
        Action::DcUp { dc: d } => format!("{} up", dc(d)),
    };
    format!("{} {what}", clock(e.at_us as f64 / 1e6))
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The time of the extra work `kind` per request in `s`, or a dash if its design does not do it.
fn extra(s: &Scenario, kind: ExtraWork) -> String {
    match s.storage.extra_work() {
        Some(work) if work == kind => duration(work.time_us(&s.session_costs)),
        _ => "–".into(),
    }
}

/// A row of the table: its name and how to read it from a scenario.
type Row = (&'static str, fn(&Scenario) -> String);

/// The rows of the session store, shown when some variant keeps sessions in it.
fn store_rows() -> Vec<Row> {
    vec![
        (
            "store kind",
            (|s| store(s, s.store.kind.as_str().into())) as fn(&Scenario) -> String,
        ),
        ("store nodes × copies", |s| {
            store(s, format!("{} × {}", s.store.nodes, s.store.replicas))
        }),
        ("store workers per node", |s| {
            store(s, s.store.workers.to_string())
        }),
        ("store read time (mean)", |s| {
            store(s, duration(s.store.read_time_us))
        }),
        ("store write time (mean)", |s| {
            store(s, duration(s.store.write_time_us))
        }),
        ("store network round trip", |s| {
            store(s, duration(s.store.network_time_us))
        }),
        ("store durable", |s| {
            store(s, if s.store.durable { "yes" } else { "no" }.into())
        }),
        ("store sessions per node", |s| {
            store(
                s,
                s.store
                    .max_sessions
                    .map_or("no limit".into(), |n| n.to_string()),
            )
        }),
        ("store queue per node", |s| {
            store(
                s,
                s.store
                    .queue_limit
                    .map_or("no limit".into(), |n| n.to_string()),
            )
        }),
    ]
}

/// The rows, grouped as a reader looks for them.
fn rows(variants: &[&Variant]) -> Vec<Row> {
    let uses = |p: fn(&Scenario) -> bool| variants.iter().any(|v| p(&v.scenario));
    let mut rows: Vec<Row> = vec![
        ("routing policy", |s| s.balancer.policy.as_str().into()),
        ("sessions kept in", |s| s.storage.as_str().into()),
        ("servers at start", |s| s.servers.count.to_string()),
        ("workers per server", |s| s.servers.workers.to_string()),
        ("service time (mean)", |s| {
            duration(s.servers.service_time_us)
        }),
        ("login time (mean)", |s| duration(s.servers.login_time_us)),
        ("queue limit per server", |s| {
            s.servers.queue_limit.to_string()
        }),
        ("new visits per second", |s| fmt_f64(s.users.visits_per_s)),
        ("requests per visit (mean)", |s| {
            fmt_f64(s.users.requests_per_visit)
        }),
        ("think time (mean)", |s| duration(s.users.think_time_us)),
        ("session TTL", |s| duration(s.users.session_ttl_us)),
        ("crash detection delay", |s| {
            duration(s.balancer.detection_delay_us)
        }),
    ];
    if uses(|s| s.balancer.policy == Policy::ConsistentHash) {
        rows.push(("virtual nodes per server", |s| {
            s.balancer.virtual_nodes.to_string()
        }));
    }
    if uses(|s| s.storage.extra_work() == Some(ExtraWork::CopyToBackup)) {
        rows.push((ExtraWork::CopyToBackup.label(), |s| {
            extra(s, ExtraWork::CopyToBackup)
        }));
    }
    if uses(|s| s.storage.extra_work() == Some(ExtraWork::CookieCheck)) {
        rows.push((ExtraWork::CookieCheck.label(), |s| {
            extra(s, ExtraWork::CookieCheck)
        }));
    }
    if uses(|s| s.storage.uses_store()) {
        rows.extend(store_rows());
    }
    rows.extend([
        (
            "duration",
            (|s| duration(s.duration_us)) as fn(&Scenario) -> String,
        ),
        ("warm-up (not counted)", |s| duration(s.warmup_us)),
        ("time bucket", |s| duration(s.bucket_us)),
        ("seed", |s| s.seed.to_string()),
        ("timed events", |s| {
            if s.events.is_empty() {
                "none".into()
            } else {
                s.events
                    .iter()
                    .map(|e| event(e, s))
                    .collect::<Vec<_>>()
                    .join("; ")
            }
        }),
        ("price of a server-hour", |s| {
            price(s.cost.server_per_hour, &s.cost.currency)
        }),
        ("price of a store machine-hour", |s| {
            store(s, price(s.cost.store_per_hour, &s.cost.currency))
        }),
    ]);
    rows
}

/// A store setting, or a dash for variants that do not use the store.
fn store(s: &Scenario, value: String) -> String {
    if s.storage.uses_store() {
        value
    } else {
        "–".into()
    }
}

/// A price with its currency: `0.0416 USD`.
fn price(x: f64, currency: &str) -> String {
    format!("{} {currency}", fmt_f64(x))
}

fn fmt_f64(x: f64) -> String {
    let text = format!("{x}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_string)
}

/// The table of `variants` as HTML.
pub fn table(variants: &[&Variant]) -> String {
    let mut out =
        String::from("<table class=\"parameters\">\n<thead><tr><th scope=\"col\">key</th>");
    for v in variants {
        out += &format!("<th scope=\"col\">{}</th>", html(&v.name));
    }
    out += "</tr></thead>\n<tbody>\n";
    for (name, read) in rows(variants) {
        let values: Vec<String> = variants.iter().map(|v| read(&v.scenario)).collect();
        let differs = values.iter().any(|v| *v != values[0]);
        let class = if differs { " class=\"differs\"" } else { "" };
        out += &format!("<tr{class}><th scope=\"row\">{}</th>", html(name));
        for value in &values {
            out += &format!("<td>{}</td>", html(value));
        }
        out += "</tr>\n";
    }
    out += "</tbody>\n</table>\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_a_handout_writes_them() {
        assert_eq!(duration(20_000), "20 ms");
        assert_eq!(duration(500), "500 µs");
        assert_eq!(duration(1_800_000_000), "30 min");
        assert_eq!(duration(5_000_000), "5 s");
    }

    #[test]
    fn events_read_with_their_clock_time() {
        let text = "name = \"t\"\nduration = \"1h\"\n[[datacenters]]\nname = \"us-east\"\n\
                    users_share = 0.5\n[[datacenters]]\nname = \"eu-west\"\nusers_share = 0.5\n";
        let experiment = crate::config::parse("t.toml", text, &[], None).expect("valid");
        let sc = &experiment.variants[0].scenario;
        let e = TimedEvent {
            at_us: 600_000_000,
            action: Action::Crash { server: 1 },
        };
        assert_eq!(event(&e, sc), "10:00 crash server 1");
        let e = TimedEvent {
            at_us: 500_000_000,
            action: Action::AddServers { count: 2 },
        };
        assert_eq!(event(&e, sc), "8:20 add 2 servers");
        let e = TimedEvent {
            at_us: 600_000_000,
            action: Action::DcDown { dc: 1 },
        };
        assert_eq!(event(&e, sc), "10:00 eu-west down");
    }
}
