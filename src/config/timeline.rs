//! Timed events: each is checked on its own (its time, its action and the keys that action
//! takes), then all of them in time order against the world they imply.
//!
//! The world is the list of servers, ids `0..n`, each up or down, and the store's machines
//! (`store.nodes` × `store.replicas`), each up or down. `add_servers` appends ids after the
//! highest, `remove_servers` removes the highest (down ones included: they just leave). A crash or
//! restart must target a server that exists and is in the other state; a store event without
//! `node` needs a machine of the store in the other state, one with `node` a machine of that
//! node; at least one server must remain. With data centres, a server or store event names its
//! `datacenter` and counts its `server` or `node` within it (turned here into the tier's ids),
//! and at least one data centre must stay up. Events at the same time apply in file order. This runs per variant, since `servers.count` and `duration`
//! may be overridden.

use std::ops::Range;

use toml::Spanned;

use super::build::MAX_SERVERS;
use super::check::{Checker, Least};
use super::duration::format_duration;
use super::raw::{Field, RawEvent, RawValue};
use crate::scenario::{Action, Micros, TimedEvent};

/// The actions, as files spell them.
const ACTIONS: [&str; 8] = [
    "crash",
    "restart",
    "add_servers",
    "remove_servers",
    "store_crash",
    "store_restart",
    "dc_down",
    "dc_up",
];

/// An event that passed its own checks, with its place in the file.
struct Placed {
    /// 0-based index among the file's `[[events]]`.
    index: usize,
    /// The key a problem with the event concerns (`server`, `count`, or `action`).
    span: Range<usize>,
    /// The event itself.
    event: TimedEvent,
}

/// The file's data centres as the events see them.
pub(super) struct Sites<'a> {
    /// Their names, in file order (empty: one data centre).
    pub names: &'a [String],
    /// Each one's servers (`None` if the data centres were invalid: checks that need them are
    /// skipped).
    pub servers: Option<Vec<u32>>,
    /// `store.nodes`, the nodes of each one's store (`None` if invalid).
    pub nodes: Option<u32>,
}

/// Checks the events of one variant (`duration_us` and `servers` are `None` if they were invalid:
/// then the checks that need them are skipped). With data centres, a server or store event's
/// `server` or `node` counts within its `datacenter` and is translated to the tier's ids (servers
/// numbered data centre after data centre, store nodes `dc × store.nodes + node`). Returns them
/// sorted by time.
pub(super) fn events(
    c: &mut Checker<'_, '_>,
    raw: &[Spanned<RawEvent>],
    duration_us: Option<Micros>,
    servers: Option<u32>,
    store: Option<StoreShape>,
    sites: &Sites<'_>,
) -> Option<Vec<TimedEvent>> {
    let checked: Vec<Option<Placed>> = raw
        .iter()
        .enumerate()
        .map(|(index, event)| check_event(c, index, event, duration_us, sites))
        .collect();
    let mut placed: Vec<Placed> = checked.into_iter().collect::<Option<_>>()?;
    placed.sort_by_key(|placed| placed.event.at_us);
    let store = store.map(|s| StoreShape {
        nodes: s.nodes * sites.names.len().max(1) as u32,
        ..s
    });
    replay(c, &placed, servers?, store?, sites.names)?;
    Some(placed.into_iter().map(|placed| placed.event).collect())
}

/// Checks one event on its own.
fn check_event(
    c: &mut Checker<'_, '_>,
    index: usize,
    raw: &Spanned<RawEvent>,
    duration_us: Option<Micros>,
    sites: &Sites<'_>,
) -> Option<Placed> {
    let (place, span, event) = (format!("events[{index}]"), raw.span(), raw.get_ref());
    let at_us = match &event.at {
        None => missing(
            c,
            &span,
            &place,
            "needs `at`, the time it happens, e.g. at = \"10m\"",
        ),
        Some(value) => check_at(c, &format!("{place}.at"), value, duration_us),
    };
    let action = match &event.action {
        None => missing(
            c,
            &span,
            &place,
            &format!("needs `action`, one of: {}", ACTIONS.join(", ")),
        ),
        Some(value) => c.choice_value(&format!("{place}.action"), value, &ACTIONS, |name| name),
    };
    let action =
        action.and_then(|name| action_with_keys(c, &place, &span, event, name, sites.names))?;
    let action = in_datacenter(c, &place, &span, event, action, sites)?;
    // A problem with the world points at the key it concerns: `server = 9`, not `[[events]]`.
    let key = match action {
        Action::Crash { .. } | Action::Restart { .. } => &event.server,
        Action::AddServers { .. } | Action::RemoveServers { .. } => &event.count,
        Action::StoreCrash { node } | Action::StoreRestart { node } => match node {
            Some(_) => &event.node,
            None => &event.action,
        },
        Action::DcDown { .. } | Action::DcUp { .. } => &event.datacenter,
    };
    Some(Placed {
        index,
        span: key.as_ref().map_or(span, Spanned::span),
        event: TimedEvent {
            at_us: at_us?,
            action,
        },
    })
}

/// The time of an event: a duration, before the end of the run (if that is known).
fn check_at(
    c: &mut Checker<'_, '_>,
    path: &str,
    value: &Spanned<RawValue>,
    duration_us: Option<Micros>,
) -> Option<Micros> {
    let at_us = c.duration_value(path, value, Least::Zero)?;
    match duration_us {
        Some(duration_us) if at_us >= duration_us => {
            let (duration, at) = (format_duration(duration_us), format_duration(at_us));
            c.problem(
                value.span(),
                path,
                format!("must be before the end of the run (duration {duration}), got {at}"),
            );
            None
        }
        _ => Some(at_us),
    }
}

/// Records a missing key of an event.
fn missing<T>(
    c: &mut Checker<'_, '_>,
    span: &Range<usize>,
    place: &str,
    message: &str,
) -> Option<T> {
    c.problem(span.clone(), place, message);
    None
}

/// Reports every key of `event` that its action `name` does not take (`takes`: the one it does,
/// if any); returns whether there was one. A server or store event may also name its data
/// centre (`in_datacenter` checks it).
fn refuse_other_keys(
    c: &mut Checker<'_, '_>,
    place: &str,
    event: &RawEvent,
    name: &str,
    takes: Option<&str>,
) -> bool {
    let keys = [
        ("server", &event.server),
        ("count", &event.count),
        ("node", &event.node),
        ("datacenter", &event.datacenter),
    ];
    let in_dc = |key: &str| key == "datacenter" && takes != Some("count");
    let mut refused = false;
    for (key, field) in keys {
        if let Some(value) = field.as_ref().filter(|_| takes != Some(key) && !in_dc(key)) {
            let takes = match takes {
                Some("node") => "only `at`, `action` and an optional `node`".to_string(),
                Some(key) => format!("`{key}`"),
                None => "only `at` and `action`".to_string(),
            };
            c.problem(
                value.span(),
                format!("{place}.{key}"),
                format!("not a key of {name} events ({name} takes {takes})"),
            );
            refused = true;
        }
    }
    refused
}

/// The action `name` with the one key it takes (`server` or `count`), refusing the other.
fn action_with_keys(
    c: &mut Checker<'_, '_>,
    place: &str,
    span: &Range<usize>,
    event: &RawEvent,
    name: &str,
    datacenters: &[String],
) -> Option<Action> {
    let takes = match name {
        "crash" | "restart" => Some("server"),
        "add_servers" | "remove_servers" => Some("count"),
        "dc_down" | "dc_up" => Some("datacenter"),
        _ => Some("node"),
    };
    let refused = refuse_other_keys(c, place, event, name, takes);
    let server = |c: &mut Checker<'_, '_>, field: &Field| match field {
        None => missing(
            c,
            span,
            place,
            &format!("{name} needs `server`, the 0-based id of the server"),
        ),
        Some(value) => c.integer_value(&format!("{place}.server"), value, 0, u32::MAX.into()),
    };
    // A store event's node is optional: without it, the event concerns the whole store.
    let node = |c: &mut Checker<'_, '_>, field: &Field| match field {
        None => Some(None),
        Some(value) => c
            .integer_value(&format!("{place}.node"), value, 0, u32::MAX.into())
            .map(Some),
    };
    let count = |c: &mut Checker<'_, '_>, field: &Field| match field {
        None => missing(
            c,
            span,
            place,
            &format!("{name} needs `count`, how many servers (at least 1)"),
        ),
        Some(value) => c.integer_value(&format!("{place}.count"), value, 1, MAX_SERVERS.into()),
    };
    let action = match name {
        "crash" => Action::Crash {
            server: server(c, &event.server)?,
        },
        "restart" => Action::Restart {
            server: server(c, &event.server)?,
        },
        "add_servers" => Action::AddServers {
            count: count(c, &event.count)?,
        },
        "remove_servers" => Action::RemoveServers {
            count: count(c, &event.count)?,
        },
        "store_crash" => Action::StoreCrash {
            node: node(c, &event.node)?,
        },
        "dc_down" => Action::DcDown {
            dc: datacenter(c, place, span, name, &event.datacenter, datacenters)?,
        },
        "dc_up" => Action::DcUp {
            dc: datacenter(c, place, span, name, &event.datacenter, datacenters)?,
        },
        _ => Action::StoreRestart {
            node: node(c, &event.node)?,
        },
    };
    (!refused).then_some(action)
}

/// A server or store event with data centres: its data centre (`datacenter`, required) and its
/// `server` or `node` within it, turned into the tier's ids. Without data centres, `datacenter`
/// is refused.
fn in_datacenter(
    c: &mut Checker<'_, '_>,
    place: &str,
    span: &Range<usize>,
    event: &RawEvent,
    action: Action,
    sites: &Sites<'_>,
) -> Option<Action> {
    let name = action.name();
    let local = match action {
        Action::Crash { server } | Action::Restart { server } => Some(server),
        Action::StoreCrash { node } | Action::StoreRestart { node } => node,
        _ => return Some(action),
    };
    if sites.names.is_empty() && event.datacenter.is_none() {
        return Some(action);
    }
    let dc = datacenter(c, place, span, name, &event.datacenter, sites.names)?;
    let (Some(servers), Some(nodes)) = (&sites.servers, sites.nodes) else {
        return Some(action); // The data centres' own problems are reported already.
    };
    let dc_name = &sites.names[dc as usize];
    let (key, size) = match action {
        Action::Crash { .. } | Action::Restart { .. } => ("server", servers[dc as usize]),
        _ => ("node", nodes),
    };
    let Some(local) = local.filter(|&n| n < size) else {
        let at = event.node.as_ref().or(event.server.as_ref());
        let message = match local {
            None => format!(
                "with data centres, {name} needs `node`, a store node of data centre                  {dc_name} (0..{size})"
            ),
            Some(n) => format!(
                "{key} {n} does not exist in data centre {dc_name}, which has {size} (0..{size});                  with data centres `{key}` counts within `datacenter`"
            ),
        };
        c.problem(
            at.map_or(span.clone(), Spanned::span),
            format!("{place}.{key}"),
            message,
        );
        return None;
    };
    let first: u32 = servers[..dc as usize].iter().sum();
    Some(match action {
        Action::Crash { .. } => Action::Crash {
            server: first + local,
        },
        Action::Restart { .. } => Action::Restart {
            server: first + local,
        },
        Action::StoreCrash { .. } => Action::StoreCrash {
            node: Some(dc * nodes + local),
        },
        _ => Action::StoreRestart {
            node: Some(dc * nodes + local),
        },
    })
}

/// The index of the data centre an event names (`dc_down`, `dc_up`, or a server or store event
/// with data centres).
fn datacenter(
    c: &mut Checker<'_, '_>,
    place: &str,
    span: &Range<usize>,
    name: &str,
    field: &Field,
    datacenters: &[String],
) -> Option<u32> {
    let path = format!("{place}.datacenter");
    let Some(value) = field else {
        return missing(
            c,
            span,
            place,
            &format!(
                "{name} needs `datacenter`, the name of one of the `[[datacenters]]`: {}",
                datacenters.join(", ")
            ),
        );
    };
    let RawValue::Str(text) = value.get_ref() else {
        c.problem(
            value.span(),
            path,
            "expected a string, the name of a data centre",
        );
        return None;
    };
    if let Some(index) = datacenters.iter().position(|d| d == text) {
        return Some(index as u32);
    }
    let message = match datacenters {
        [] => format!("{name} needs several data centres: add `[[datacenters]]` tables"),
        _ => format!(
            "unknown data centre \"{text}\"; the `[[datacenters]]` are: {}",
            datacenters.join(", ")
        ),
    };
    c.problem(value.span(), path, message);
    None
}

/// What brought something down: the event's index and time.
type Downed = (usize, Micros);

/// The store's machines: `nodes` × `replicas`.
#[derive(Clone, Copy, Debug)]
pub(super) struct StoreShape {
    /// `store.nodes`.
    pub nodes: u32,
    /// `store.replicas`.
    pub replicas: u32,
}

/// The membership and health implied by the events so far.
struct World<'a> {
    /// One entry per server id: `None` if up, else the crash that took it down.
    servers: Vec<Option<Downed>>,
    /// One entry per store machine, by node: `None` if up, else the crash that took it down.
    store: Vec<Vec<Option<Downed>>>,
    /// One entry per data centre: `None` if up, else the `dc_down` that took it down.
    datacenters: Vec<Option<Downed>>,
    /// The data centres' names, in file order (messages name them).
    names: &'a [String],
}

/// Applies the events in order, recording each one that does not fit the world of its time.
fn replay(
    c: &mut Checker<'_, '_>,
    placed: &[Placed],
    servers: u32,
    store: StoreShape,
    datacenters: &[String],
) -> Option<()> {
    let mut world = World {
        servers: vec![None; servers as usize],
        store: vec![vec![None; store.replicas as usize]; store.nodes as usize],
        datacenters: vec![None; datacenters.len()],
        names: datacenters,
    };
    let mut fits = true;
    for placed in placed {
        if let Err(message) = world.apply(placed) {
            c.problem(
                placed.span.clone(),
                format!("events[{}]", placed.index),
                message,
            );
            fits = false;
        }
    }
    fits.then_some(())
}

impl World<'_> {
    /// Applies one event, or says why it cannot happen (leaving the world as it was).
    fn apply(&mut self, placed: &Placed) -> Result<(), String> {
        let at_us = placed.event.at_us;
        let (at, downed) = (format_duration(at_us), (placed.index, at_us));
        match placed.event.action {
            Action::Crash { server } => self.crash(server, downed, &at),
            Action::Restart { server } => self.restart(server, &at),
            Action::AddServers { count } => self.add_servers(count, &at),
            Action::RemoveServers { count } => self.remove_servers(count, &at),
            Action::StoreCrash { node: None } => self.store_crash(downed, &at),
            Action::StoreCrash { node: Some(node) } => self.store_node_crash(node, downed, &at),
            Action::StoreRestart { node: None } => self.store_restart(&at),
            Action::StoreRestart { node: Some(node) } => self.store_node_restart(node, &at),
            Action::DcDown { dc } => self.dc_down(dc as usize, downed, &at),
            Action::DcUp { dc } => self.dc_up(dc as usize, &at),
        }
    }

    fn crash(&mut self, server: u32, downed: Downed, at: &str) -> Result<(), String> {
        let id = self.existing(server, at)?;
        if let Some(earlier) = self.servers[id] {
            return Err(format!(
                "server {server} is already down at {at}{}",
                by(earlier)
            ));
        }
        self.servers[id] = Some(downed);
        Ok(())
    }

    fn restart(&mut self, server: u32, at: &str) -> Result<(), String> {
        let id = self.existing(server, at)?;
        if self.servers[id].take().is_none() {
            return Err(format!(
                "server {server} is up at {at}; only a crashed server can restart"
            ));
        }
        Ok(())
    }

    fn add_servers(&mut self, count: u32, at: &str) -> Result<(), String> {
        let total = self.servers.len() + count as usize;
        if total > MAX_SERVERS as usize {
            return Err(format!(
                "would make {total} servers at {at}; at most {MAX_SERVERS}"
            ));
        }
        self.servers.resize(total, None);
        Ok(())
    }

    fn remove_servers(&mut self, count: u32, at: &str) -> Result<(), String> {
        let (count, now) = (count as usize, self.servers.len());
        if count >= now {
            return Err(format!(
                "removes {count} servers at {at}, but only {now} exist then; at least one must remain"
            ));
        }
        self.servers.truncate(now - count);
        Ok(())
    }

    /// The whole store crashes: every machine still up.
    fn store_crash(&mut self, downed: Downed, at: &str) -> Result<(), String> {
        let up = self.store.iter_mut().flatten().filter(|m| m.is_none());
        let mut crashed = 0;
        for machine in up {
            *machine = Some(downed);
            crashed += 1;
        }
        if crashed == 0 {
            let earlier = self.store[0][0].expect("every machine is down");
            return Err(format!("the store is already down at {at}{}", by(earlier)));
        }
        Ok(())
    }

    /// One copy of store node `node` crashes (the first still up).
    fn store_node_crash(&mut self, node: u32, downed: Downed, at: &str) -> Result<(), String> {
        let machines = self.store_node(node, at)?;
        match machines.iter_mut().find(|m| m.is_none()) {
            Some(machine) => *machine = Some(downed),
            None => {
                let earlier = machines[0].expect("every machine is down");
                return Err(format!(
                    "every copy of store node {node} is already down at {at}{}",
                    by(earlier)
                ));
            }
        }
        Ok(())
    }

    /// The whole store restarts: every machine down.
    fn store_restart(&mut self, at: &str) -> Result<(), String> {
        let down = self.store.iter_mut().flatten().filter(|m| m.is_some());
        let mut restarted = 0;
        for machine in down {
            *machine = None;
            restarted += 1;
        }
        if restarted == 0 {
            return Err(format!(
                "the store is up at {at}; only a crashed store can restart"
            ));
        }
        Ok(())
    }

    /// One copy of store node `node` restarts (the first down).
    fn store_node_restart(&mut self, node: u32, at: &str) -> Result<(), String> {
        let machines = self.store_node(node, at)?;
        match machines.iter_mut().find(|m| m.is_some()) {
            Some(machine) => *machine = None,
            None => {
                return Err(format!(
                    "every copy of store node {node} is up at {at}; only a crashed one can restart"
                ));
            }
        }
        Ok(())
    }

    fn dc_down(&mut self, dc: usize, downed: Downed, at: &str) -> Result<(), String> {
        if let Some((index, at_us)) = self.datacenters[dc] {
            return Err(format!(
                "data centre \"{}\" is already down at {at} (taken down by events[{index}] at {})",
                self.names[dc],
                format_duration(at_us)
            ));
        }
        if self.datacenters.iter().filter(|d| d.is_none()).count() == 1 {
            return Err(format!(
                "would take the last data centre up down at {at}; at least one must stay up"
            ));
        }
        self.datacenters[dc] = Some(downed);
        Ok(())
    }

    fn dc_up(&mut self, dc: usize, at: &str) -> Result<(), String> {
        if self.datacenters[dc].take().is_none() {
            return Err(format!(
                "data centre \"{}\" is up at {at}; only a data centre that went down can come back",
                self.names[dc]
            ));
        }
        Ok(())
    }

    /// The machines of store node `node`, if it exists.
    fn store_node(&mut self, node: u32, at: &str) -> Result<&mut Vec<Option<Downed>>, String> {
        let nodes = self.store.len();
        match self.store.get_mut(node as usize) {
            Some(machines) => Ok(machines),
            None => Err(format!(
                "store node {node} does not exist at {at}: the store has {nodes} node{} (store.nodes)",
                if nodes == 1 { "" } else { "s" }
            )),
        }
    }

    /// The index of server `server`, if it exists at `at`.
    fn existing(&self, server: u32, at: &str) -> Result<usize, String> {
        let now = self.servers.len();
        match usize::try_from(server) {
            Ok(id) if id < now => Ok(id),
            _ => Err(format!(
                "server {server} does not exist at {at}: {}",
                servers_then(now)
            )),
        }
    }
}

/// ` (crashed by events[0] at 5m)`.
fn by((index, at_us): Downed) -> String {
    format!(
        " (crashed by events[{index}] at {})",
        format_duration(at_us)
    )
}

/// `4 servers then (ids 0-3)`, `1 server then (id 0)`.
fn servers_then(count: usize) -> String {
    match count {
        0 => "no server then".to_string(),
        1 => "1 server then (id 0)".to_string(),
        _ => format!("{count} servers then (ids 0-{})", count - 1),
    }
}
