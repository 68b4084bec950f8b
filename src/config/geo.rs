//! Several data centres: `[[datacenters]]`, `[geo]` and the `[sessions]` keys of replication,
//! checked into a `scenario::Geo`.
//!
//! Without `[[datacenters]]` the scenario has one data centre (`geo = None`) and the keys of
//! `[geo]` and of replication are refused, since nothing would read them. With them, the parts
//! of the model that are not built for several data centres yet (the autoscaler, random
//! failures, `add_servers` and `remove_servers`, `server_replicated`) are refused, each naming
//! its key.

use toml::Spanned;

use super::check::{Checker, Least};
use super::raw::{Field, RawDatacenter, RawFile, RawValue};
use crate::scenario::{Datacenter, Geo, Micros, Replication, Storage};

/// One millisecond, in microseconds.
const MS: Micros = 1000;

/// Most data centres.
const MAX_DATACENTERS: usize = 16;

/// The names of the file's data centres, in file order (a bad one stands as `datacenters[i]`).
pub(super) fn names(raw: &RawFile) -> Vec<String> {
    raw.datacenters
        .iter()
        .enumerate()
        .map(
            |(i, dc)| match dc.get_ref().name.as_ref().map(Spanned::get_ref) {
                Some(RawValue::Str(name)) => name.clone(),
                _ => format!("datacenters[{i}]"),
            },
        )
        .collect()
}

/// The data centres of the scenario (`Some(None)`: one data centre), given the default servers
/// of each (`servers.count`) and the storage design.
pub(super) fn geo(
    c: &mut Checker<'_, '_>,
    raw: &RawFile,
    servers: Option<u32>,
    storage: Option<Storage>,
) -> Option<Option<Geo>> {
    if raw.datacenters.is_empty() {
        return one_datacenter(c, raw).then_some(None);
    }
    let dcs: Vec<Option<Datacenter>> = raw
        .datacenters
        .iter()
        .enumerate()
        .map(|(i, dc)| datacenter(c, i, dc, servers))
        .collect();
    let g = &raw.geo;
    let rtt_local_us = c.duration("geo.rtt_local", &g.rtt_local, 10 * MS, Least::Zero);
    let rtt_remote_us = c.duration("geo.rtt_remote", &g.rtt_remote, 90 * MS, Least::Zero);
    let detection_us = c.duration(
        "geo.detection_delay",
        &g.detection_delay,
        30_000 * MS,
        Least::Zero,
    );
    let dns_ttl_us = c.duration("geo.dns_ttl", &g.dns_ttl, 60_000 * MS, Least::Zero);
    let s = &raw.sessions;
    let replication = c.choice(
        "sessions.replication",
        &s.replication,
        Replication::None,
        &Replication::ALL,
        Replication::as_str,
    );
    let lag_us = c.duration(
        "sessions.replication_lag",
        &s.replication_lag,
        2000 * MS,
        Least::Zero,
    );
    let supported = supported_with_datacenters(c, raw, storage);
    let dcs: Vec<Datacenter> = dcs.into_iter().collect::<Option<_>>()?;
    let datacenters = checked_set(c, raw, dcs)?;
    let global_store = global_store(c, &s.global_store, &datacenters, replication?)?;
    supported?;
    Some(Some(Geo {
        datacenters,
        rtt_local_us: rtt_local_us?,
        rtt_remote_us: rtt_remote_us?,
        detection_delay_us: detection_us?,
        dns_ttl_us: dns_ttl_us?,
        replication: replication?,
        replication_lag_us: lag_us?,
        global_store,
    }))
}

/// Without `[[datacenters]]`: no key of `[geo]` or of replication (true if there is none).
fn one_datacenter(c: &mut Checker<'_, '_>, raw: &RawFile) -> bool {
    let g = &raw.geo;
    let s = &raw.sessions;
    let keys: [(&str, &Field); 7] = [
        ("geo.rtt_local", &g.rtt_local),
        ("geo.rtt_remote", &g.rtt_remote),
        ("geo.detection_delay", &g.detection_delay),
        ("geo.dns_ttl", &g.dns_ttl),
        ("sessions.replication", &s.replication),
        ("sessions.replication_lag", &s.replication_lag),
        ("sessions.global_store", &s.global_store),
    ];
    let mut fine = true;
    for (key, field) in keys {
        if let Some(value) = field {
            let message = "applies only with several data centres: add `[[datacenters]]` tables \
                           (name, users_share, servers), or remove this key";
            c.problem(value.span(), key, message);
            fine = false;
        }
    }
    fine
}

/// One `[[datacenters]]` table.
fn datacenter(
    c: &mut Checker<'_, '_>,
    index: usize,
    raw: &Spanned<RawDatacenter>,
    servers: Option<u32>,
) -> Option<Datacenter> {
    let place = format!("datacenters[{index}]");
    let dc = raw.get_ref();
    let name = match &dc.name {
        Some(value) => c.slug(&format!("{place}.name"), value),
        None => {
            let message = "missing `name`; every data centre needs one, e.g. name = \"us-east\"";
            c.problem(raw.span(), &place, message);
            None
        }
    };
    let share = match &dc.users_share {
        Some(_) => c.number(
            &format!("{place}.users_share"),
            &dc.users_share,
            0.0,
            Least::AboveZero,
            1.0,
        ),
        None => {
            let message = "missing `users_share`, the share of visits whose nearest data centre \
                           this is, e.g. users_share = 0.5";
            c.problem(raw.span(), &place, message);
            None
        }
    };
    let count = c.integer(
        &format!("{place}.servers"),
        &dc.servers,
        servers.unwrap_or(1),
        1,
        super::build::MAX_SERVERS.into(),
    );
    Some(Datacenter {
        name: name?,
        users_share: share?,
        servers: count?,
    })
}

/// The data centres together: at least two and at most [`MAX_DATACENTERS`], names unique,
/// shares summing to 1, servers within the tier's limit.
fn checked_set(
    c: &mut Checker<'_, '_>,
    raw: &RawFile,
    dcs: Vec<Datacenter>,
) -> Option<Vec<Datacenter>> {
    let span = raw.datacenters[0].span();
    if !(2..=MAX_DATACENTERS).contains(&dcs.len()) {
        let message = format!(
            "needs 2 to {MAX_DATACENTERS} data centres, got {} (without `[[datacenters]]` the \
             scenario is one data centre)",
            dcs.len()
        );
        c.problem(span, "datacenters", message);
        return None;
    }
    for (i, dc) in dcs.iter().enumerate() {
        if let Some(first) = dcs[..i].iter().position(|d| d.name == dc.name) {
            let message = format!(
                "duplicate data centre name `{}` (also datacenters[{first}])",
                dc.name
            );
            c.problem(
                raw.datacenters[i].span(),
                format!("datacenters[{i}].name"),
                message,
            );
            return None;
        }
    }
    let sum: f64 = dcs.iter().map(|d| d.users_share).sum();
    if (sum - 1.0).abs() > 1e-6 {
        let message = format!("the `users_share` of the data centres must sum to 1, got {sum}");
        c.problem(span, "datacenters", message);
        return None;
    }
    let total: u64 = dcs.iter().map(|d| u64::from(d.servers)).sum();
    if total > u64::from(super::build::MAX_SERVERS) {
        let message = format!(
            "the data centres have {total} servers together; at most {}",
            super::build::MAX_SERVERS
        );
        c.problem(span, "datacenters", message);
        return None;
    }
    Some(dcs)
}

/// `sessions.global_store`: the data centre whose store holds every session under `global`
/// (the first one if absent); refused with another replication.
fn global_store(
    c: &mut Checker<'_, '_>,
    field: &Field,
    dcs: &[Datacenter],
    replication: Replication,
) -> Option<usize> {
    let Some(value) = field else {
        return Some(0);
    };
    if replication != Replication::Global {
        let message = "applies only with `sessions.replication = \"global\"`";
        c.problem(value.span(), "sessions.global_store", message);
        return None;
    }
    let found = match value.get_ref() {
        RawValue::Str(text) => dcs.iter().position(|d| d.name == *text),
        _ => None,
    };
    if found.is_none() {
        let names: Vec<&str> = dcs.iter().map(|d| d.name.as_str()).collect();
        let message = format!("must name a data centre, one of: {}", names.join(", "));
        c.problem(value.span(), "sessions.global_store", message);
    }
    found
}

/// What the several-data-centre model does not cover yet, refused naming its key.
fn supported_with_datacenters(
    c: &mut Checker<'_, '_>,
    raw: &RawFile,
    storage: Option<Storage>,
) -> Option<()> {
    let mut fine = true;
    let span = raw.datacenters[0].span();
    let mut refuse = |c: &mut Checker<'_, '_>, key: &str, what: &str| {
        let message = format!(
            "{what} is not supported with several data centres (`[[datacenters]]`) yet; remove \
             it or the data centres"
        );
        c.problem(span.clone(), key, message);
        fine = false;
    };
    if raw.autoscale.is_some() {
        refuse(c, "autoscale", "the autoscaler");
    }
    let f = &raw.failures;
    if f.mtbf.is_some() || f.store_mtbf.is_some() {
        refuse(c, "failures", "random failures");
    }
    if storage == Some(Storage::ServerReplicated) {
        refuse(c, "sessions.storage", "`server_replicated`");
    }
    for (i, event) in raw.events.iter().enumerate() {
        let action = event.get_ref().action.as_ref().map(Spanned::get_ref);
        let resize = matches!(action, Some(RawValue::Str(a)) if a.ends_with("_servers"));
        if resize {
            refuse(
                c,
                &format!("events[{i}].action"),
                "adding or removing servers (crash, restart, store_crash, store_restart, dc_down \
                 and dc_up are)",
            );
        }
    }
    fine.then_some(())
}
