//! The one place where a raw file becomes domain types: every default and every range is here.
//!
//! Each builder reads all its values first (so every mistake is recorded), then combines them;
//! a `None` always comes with at least one recorded problem.

use std::ops::Range;

use toml::Spanned;

use super::check::{Checker, Least, show_duration};
use super::duration::format_duration;
use super::error::Report;
use super::living;
use super::raw::{Field, RawBalancer, RawFile, RawServers, RawUsers, RawVariant};
use super::timeline;
use crate::scenario::{
    Balancer, Micros, Policy, Popularity, Scenario, Servers, Storage, US_PER_S, Users,
};

/// Most servers at any time (at the start, and after `add_servers`).
pub(super) const MAX_SERVERS: u32 = 10_000;

/// The highest visit rate: one visit per microsecond, the resolution of simulated time. Beyond
/// it the gaps between visits round to zero and the clock would never move.
pub(super) const MAX_VISITS_PER_S: f64 = 1_000_000.0;

/// Most registered users (`users.population`); the resource guard refuses what will not fit
/// this machine's memory long before.
pub(super) const MAX_POPULATION: i128 = 4_000_000_000;

/// Largest Zipf exponent (`users.zipf_s`): beyond it nearly every visit is by user 1.
const MAX_ZIPF_S: f64 = 10.0;

/// One minute, in microseconds.
const MINUTE: Micros = 60 * US_PER_S;

/// One millisecond, in microseconds.
const MS: Micros = 1000;

/// What the file says about the experiment as a whole.
pub(super) struct Head {
    /// `name`.
    pub name: String,
    /// `title`, or the name.
    pub title: String,
    /// `description`, or empty.
    pub description: String,
}

/// Reads `name`, `title` and `description`.
pub(super) fn head(raw: &RawFile, report: &mut Report<'_>) -> Option<Head> {
    let mut c = Checker::new(report);
    let name = match &raw.name {
        Some(value) => c.slug("name", value),
        None => {
            c.problem(0..0, "name", "missing; every scenario needs one, e.g. name = \"server-crash\" (it names the output folder)");
            None
        }
    };
    let title = c.text("title", &raw.title, name.as_deref().unwrap_or_default());
    let description = c.text("description", &raw.description, "");
    Some(Head {
        name: name?,
        title: title?,
        description: description?,
    })
}

/// The variants' names, in file order (`base` if there is no variant). A bad name is reported
/// and replaced by the variant's place (`variants[1]`), so the other checks can still name it.
pub(super) fn variant_names(raw: &RawFile, report: &mut Report<'_>) -> Vec<String> {
    if raw.variants.is_empty() {
        return vec!["base".to_string()];
    }
    let mut c = Checker::new(report);
    let mut names: Vec<String> = Vec::new();
    for (index, variant) in raw.variants.iter().enumerate() {
        let name = variant_name(&mut c, index, variant, &names);
        names.push(name.unwrap_or_else(|| format!("variants[{index}]")));
    }
    names
}

/// The name of variant `index`, if it is present, well formed, and not one of the `earlier`.
fn variant_name(
    c: &mut Checker<'_, '_>,
    index: usize,
    variant: &Spanned<RawVariant>,
    earlier: &[String],
) -> Option<String> {
    let place = format!("variants[{index}]");
    let Some(value) = &variant.get_ref().name else {
        let message = "missing `name`; every variant needs one, e.g. name = \"sticky\"";
        c.problem(variant.span(), place, message);
        return None;
    };
    let path = format!("{place}.name");
    let name = c.slug(&path, value)?;
    if let Some(first) = earlier.iter().position(|known| *known == name) {
        let message = format!("duplicate variant name `{name}` (also variants[{first}])");
        c.problem(value.span(), path, message);
        return None;
    }
    Some(name)
}

/// Builds one variant's scenario; `seed` (the command line's `--seed`) replaces the file's.
pub(super) fn scenario(
    raw: &RawFile,
    seed: Option<u64>,
    report: &mut Report<'_>,
) -> Option<Scenario> {
    let mut c = Checker::new(report);
    let file_seed = c.integer("seed", &raw.seed, 1u64, 0, u64::MAX.into());
    let clock_start = match &raw.clock_start {
        None => Some(None),
        Some(value) => c
            .integer_value::<u32>("clock_start", value, 0, 23)
            .map(Some),
    };
    let times = times(&mut c, raw);
    let users = users(&mut c, &raw.users);
    let servers = servers(&mut c, &raw.servers);
    let balancer = balancer(&mut c, &raw.balancer);
    let storage = c.choice(
        "sessions.storage",
        &raw.sessions.storage,
        Storage::ServerMemory,
        &Storage::ALL,
        Storage::as_str,
    );
    let store = super::store::store(&mut c, &raw.store);
    let session_costs = super::store::session_costs(&mut c, &raw.sessions);
    let duration = times.as_ref().map(|times| times.duration_us);
    let count = servers.as_ref().map(|servers| servers.count);
    let shape = store.as_ref().map(|s| timeline::StoreShape {
        nodes: s.nodes,
        replicas: s.replicas,
    });
    let geo = super::geo::geo(&mut c, raw, count, storage);
    let total = match &geo {
        Some(Some(g)) => Some(g.datacenters.iter().map(|d| d.servers).sum()),
        _ => count,
    };
    let names = super::geo::names(raw);
    let sites = timeline::Sites {
        names: &names,
        servers: match &geo {
            Some(Some(g)) => Some(g.datacenters.iter().map(|d| d.servers).collect()),
            _ => None,
        },
        nodes: shape.map(|s| s.nodes),
    };
    let events = timeline::events(&mut c, &raw.events, duration, total, shape, &sites);
    let autoscale = living::autoscale(&mut c, &raw.autoscale, count, MAX_SERVERS);
    if let Some(Some(a)) = &autoscale {
        living::check_events_with_autoscaler(&mut c, &raw.events, a.min);
    }
    let failures = living::failures(&mut c, &raw.failures);
    let cost = super::cost::cost(&mut c, &raw.cost);
    let mut users = users;
    if let (Some(u), Some(duration_us)) = (users.as_mut(), duration) {
        u.profile = living::profile(&mut c, &raw.users.profile, u.visits_per_s, duration_us)?;
    }
    let times = times?;
    let mut servers = servers?;
    servers.count = total?;
    Some(Scenario {
        seed: seed.or(file_seed)?,
        duration_us: times.duration_us,
        warmup_us: times.warmup_us,
        bucket_us: times.bucket_us,
        clock_start_hour: clock_start?,
        users: users?,
        servers,
        balancer: balancer?,
        storage: storage?,
        session_costs: session_costs?,
        store: store?,
        events: events?,
        autoscale: autoscale?,
        failures: failures?,
        cost: cost?,
        geo: geo?,
    })
}

/// The run's clock settings.
struct Times {
    duration_us: Micros,
    warmup_us: Micros,
    bucket_us: Micros,
}

/// `duration`, `warmup` and `bucket`, and how they fit together.
fn times(c: &mut Checker<'_, '_>, raw: &RawFile) -> Option<Times> {
    let duration_us = c.duration("duration", &raw.duration, 10 * MINUTE, Least::AboveZero);
    let warmup_us = c.duration("warmup", &raw.warmup, MINUTE, Least::Zero);
    let bucket_us = c.duration("bucket", &raw.bucket, 10 * US_PER_S, Least::AboveZero);
    let (duration_us, warmup_us, bucket_us) = (duration_us?, warmup_us?, bucket_us?);
    if warmup_us >= duration_us {
        let span = first_span(&[&raw.warmup, &raw.duration]);
        let duration = show_duration(duration_us, &raw.duration);
        let warmup = show_duration(warmup_us, &raw.warmup);
        let message = format!("must be less than duration ({duration}), got {warmup}");
        c.problem(span, "warmup", message);
        return None;
    }
    let room_us = duration_us - warmup_us;
    if bucket_us > room_us {
        let span = first_span(&[&raw.bucket, &raw.warmup, &raw.duration]);
        let room = [duration_us, warmup_us, room_us].map(format_duration);
        let bucket = show_duration(bucket_us, &raw.bucket);
        let message = format!(
            "must be at most duration - warmup ({} - {} = {}), got {bucket}",
            room[0], room[1], room[2]
        );
        c.problem(span, "bucket", message);
        return None;
    }
    Some(Times {
        duration_us,
        warmup_us,
        bucket_us,
    })
}

/// The span of the first field present, or the start of the file.
fn first_span(fields: &[&Field]) -> Range<usize> {
    fields
        .iter()
        .find_map(|field| field.as_ref())
        .map_or(0..0, |value| value.span())
}

/// `[users]`.
fn users(c: &mut Checker<'_, '_>, raw: &RawUsers) -> Option<Users> {
    let visits_per_s = c.number(
        "users.visits_per_s",
        &raw.visits_per_s,
        10.0,
        Least::AboveZero,
        MAX_VISITS_PER_S,
    );
    let requests_per_visit = c.number(
        "users.requests_per_visit",
        &raw.requests_per_visit,
        10.0,
        Least::Zero,
        f64::MAX,
    );
    let think_time_us = c.duration(
        "users.think_time",
        &raw.think_time,
        2 * US_PER_S,
        Least::Zero,
    );
    let session_ttl_us = c.duration(
        "users.session_ttl",
        &raw.session_ttl,
        30 * MINUTE,
        Least::AboveZero,
    );
    let (population, popularity) = population(c, raw)?;
    Some(Users {
        visits_per_s: visits_per_s?,
        requests_per_visit: requests_per_visit?,
        think_time_us: think_time_us?,
        session_ttl_us: session_ttl_us?,
        population,
        popularity,
        profile: Vec::new(),
    })
}

/// `users.population`, `users.popularity` and `users.zipf_s`: the registered users and how a
/// visit draws one. A popularity needs a population, and `zipf_s` the Zipf popularity.
fn population(c: &mut Checker<'_, '_>, raw: &RawUsers) -> Option<(u64, Popularity)> {
    let population = c.integer("users.population", &raw.population, 0u64, 0, MAX_POPULATION);
    let zipf = c.choice(
        "users.popularity",
        &raw.popularity,
        false,
        &[false, true],
        |zipf| Popularity::NAMES[usize::from(zipf)],
    );
    let s = c.number(
        "users.zipf_s",
        &raw.zipf_s,
        1.0,
        Least::AboveZero,
        MAX_ZIPF_S,
    );
    let (population, zipf, s) = (population?, zipf?, s?);
    if let (Some(value), 0) = (&raw.popularity, population) {
        let message = "needs `users.population` > 0 (with no population every visit is a new user)";
        c.problem(value.span(), "users.popularity", message);
        return None;
    }
    if let (Some(value), false) = (&raw.zipf_s, zipf) {
        let message = "applies only with `users.popularity = \"zipf\"`";
        c.problem(value.span(), "users.zipf_s", message);
        return None;
    }
    let popularity = match zipf {
        true => Popularity::Zipf { s },
        false => Popularity::Uniform,
    };
    Some((population, popularity))
}

/// `[servers]`.
fn servers(c: &mut Checker<'_, '_>, raw: &RawServers) -> Option<Servers> {
    let count = c.integer("servers.count", &raw.count, 4, 1, MAX_SERVERS.into());
    let workers = c.integer("servers.workers", &raw.workers, 8, 1, 100_000);
    let service_time_us = c.duration(
        "servers.service_time",
        &raw.service_time,
        20 * MS,
        Least::AboveZero,
    );
    let login_default = service_time_us.unwrap_or(20 * MS);
    let login_time_us = c.duration(
        "servers.login_time",
        &raw.login_time,
        login_default,
        Least::AboveZero,
    );
    let queue_limit = c.integer("servers.queue_limit", &raw.queue_limit, 1000, 0, 10_000_000);
    Some(Servers {
        count: count?,
        workers: workers?,
        service_time_us: service_time_us?,
        login_time_us: login_time_us?,
        queue_limit: queue_limit?,
    })
}

/// `[balancer]`.
fn balancer(c: &mut Checker<'_, '_>, raw: &RawBalancer) -> Option<Balancer> {
    let policy = c.choice(
        "balancer.policy",
        &raw.policy,
        Policy::Sticky,
        &Policy::ALL,
        Policy::as_str,
    );
    let virtual_nodes = c.integer("balancer.virtual_nodes", &raw.virtual_nodes, 128, 1, 10_000);
    let detection_delay_us = c.duration(
        "balancer.detection_delay",
        &raw.detection_delay,
        5 * US_PER_S,
        Least::Zero,
    );
    Some(Balancer {
        policy: policy?,
        virtual_nodes: virtual_nodes?,
        detection_delay_us: detection_delay_us?,
    })
}
