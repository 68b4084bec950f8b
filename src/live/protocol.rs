//! The live cluster's HTTP protocol: every path, header, cookie, cause and format the users, the
//! balancer and the servers exchange, written once, each with the function that writes it and
//! the one that reads it back.
//!
//! - `POST /login`, `GET /app`, `GET /health` ([`LOGIN`], [`APP`], [`HEALTH`]).
//! - Request headers: `x-user` (the user's id, what hashing policies route on) and `x-draw` (the
//!   user's service, store read and store write draws, standard exponential samples).
//! - Response headers: `x-server` (who answered), `x-inside-us` and `x-late-us` (wall
//!   microseconds inside the server, and beyond the model's times), `x-cause` on a 502 or 503
//!   (`server_down`, `queue_full`, `store_down`).
//! - Cookies: `sid` (the session, set by a server) and `lb` (the balancer's affinity pin).
//! - Session ids: `m<server>-<generation>-<n>` in a server's memory, `s<store
//!   generation>-<server>-<generation>-<n>` in the store: the client reads from its id which
//!   incarnation of the holder created it, to tell a lost session from one alive elsewhere.
//!
//! Leaves out: HTTP itself (hyper speaks it) and the store's protocol (`store.rs`).

use crate::events::ErrorCause;
use hyper::HeaderMap;

/// A user's login.
pub const LOGIN: &str = "/login";
/// An authenticated request.
pub const APP: &str = "/app";
/// The balancer's health probe.
pub const HEALTH: &str = "/health";

/// The `Host` every request names (everything is on loopback).
pub const HOST: &str = "127.0.0.1";
/// The user's id.
pub const USER: &str = "x-user";
/// The user's draws for this request.
pub const DRAW: &str = "x-draw";
/// The server that answered.
pub const SERVER: &str = "x-server";
/// Why a request failed with an error.
pub const CAUSE: &str = "x-cause";
/// Wall microseconds the request spent inside the server.
pub const INSIDE_US: &str = "x-inside-us";
/// Wall microseconds beyond the model's service and store times.
pub const LATE_US: &str = "x-late-us";
/// The request headers the balancer passes on to a server.
pub const FORWARDED: [&str; 2] = ["cookie", DRAW];

/// The session cookie.
pub const SID: &str = "sid";
/// The balancer's affinity cookie.
pub const PIN: &str = "lb";

/// The cause an `x-cause` names; a missing or unknown one is a server that did not answer.
pub fn parse_cause(name: Option<&str>) -> ErrorCause {
    [
        ErrorCause::QueueFull,
        ErrorCause::StoreDown,
        ErrorCause::StoreBusy,
    ]
    .into_iter()
    .find(|&c| name == Some(c.name()))
    .unwrap_or(ErrorCause::ServerDown)
}

/// The draws a request carries: service, store read, store write (standard exponential samples).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Draws {
    /// Scales the service time.
    pub service: f64,
    /// Scales the store read.
    pub read: f64,
    /// Scales the store write.
    pub write: f64,
}

/// The value of `x-draw` for a user's draws.
pub fn format_draws(d: &crate::model::users::Draws) -> String {
    format!("{},{},{}", d.service, d.read, d.write)
}

/// The largest draw a request may carry. A standard exponential sample exceeds 64 with
/// probability e^-64 (about 1.6·10^-28), so no user of the model ever draws one; a larger value
/// (or one not a number from 0 to this) comes from a client that is not the load generator, and
/// would hold a worker for as long as it likes.
pub const MAX_DRAW: f64 = 64.0;

/// The draws of an `x-draw` value; a missing one is 1 (the mean). A value that is not a number
/// from 0 to [`MAX_DRAW`], or more than three, is refused with what was wrong.
pub fn parse_draws(value: Option<&str>) -> Result<Draws, String> {
    let draws: Vec<f64> = match value {
        Some(v) => v
            .split(',')
            .map(|d| match d.trim().parse::<f64>() {
                Ok(x) if (0.0..=MAX_DRAW).contains(&x) => Ok(x),
                _ => Err(format!(
                    "{DRAW}: {d:?} is not a number from 0 to {MAX_DRAW}"
                )),
            })
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    if draws.len() > 3 {
        return Err(format!("{DRAW}: at most 3 draws (service, read, write)"));
    }
    let at = |i: usize| draws.get(i).copied().unwrap_or(1.0);
    Ok(Draws {
        service: at(0),
        read: at(1),
        write: at(2),
    })
}

/// A session id: which incarnation of its holder created it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionId {
    /// Kept in the memory of `server` in its incarnation `generation`.
    Memory {
        /// The server.
        server: u32,
        /// Its incarnation.
        generation: u64,
        /// Number among the sessions of that incarnation.
        n: u64,
    },
    /// Kept in the store in its incarnation `store_generation`, created by `server`.
    Store {
        /// The store's incarnation.
        store_generation: u64,
        /// The server that created it.
        server: u32,
        /// That server's incarnation.
        generation: u64,
        /// Number among the sessions of that incarnation.
        n: u64,
    },
}

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            SessionId::Memory {
                server,
                generation,
                n,
            } => write!(f, "m{server}-{generation}-{n}"),
            SessionId::Store {
                store_generation,
                server,
                generation,
                n,
            } => write!(f, "s{store_generation}-{server}-{generation}-{n}"),
        }
    }
}

impl SessionId {
    /// Reads a session id back (`None` for anything a server did not write).
    pub fn parse(text: &str) -> Option<Self> {
        let (kind, rest) = (text.get(..1)?, text.get(1..)?);
        let parts: Vec<u64> = rest
            .split('-')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        match (kind, parts.as_slice()) {
            ("m", &[server, generation, n]) => Some(SessionId::Memory {
                server: u32::try_from(server).ok()?,
                generation,
                n,
            }),
            ("s", &[store_generation, server, generation, n]) => Some(SessionId::Store {
                store_generation,
                server: u32::try_from(server).ok()?,
                generation,
                n,
            }),
            _ => None,
        }
    }
}

/// A `Set-Cookie` value for cookie `name`.
pub fn set_cookie(name: &str, value: &str) -> String {
    format!("{name}={value}; HttpOnly; Path=/")
}

/// The cookie name and value a `Set-Cookie` value sets.
pub fn parse_set_cookie(value: &str) -> Option<(&str, &str)> {
    let (name, rest) = value.split_once('=')?;
    Some((name, rest.split(';').next().unwrap_or("")))
}

/// The `Cookie` header of a request carrying these cookies (`None` when it carries none).
pub fn cookie_header(cookies: &[(&str, Option<&str>)]) -> Option<String> {
    let pairs: Vec<String> = cookies
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
        .collect();
    (!pairs.is_empty()).then(|| pairs.join("; "))
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The text of header `name`, if it is there and printable.
pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_read_back_as_written() {
        let ids = [
            SessionId::Memory {
                server: 3,
                generation: 2,
                n: 17,
            },
            SessionId::Store {
                store_generation: 1,
                server: 0,
                generation: 4,
                n: 9,
            },
        ];
        let texts: Vec<String> = ids.iter().map(ToString::to_string).collect();
        assert_eq!(texts, ["m3-2-17", "s1-0-4-9"]);
        for (id, text) in ids.iter().zip(&texts) {
            assert_eq!(SessionId::parse(text), Some(*id));
        }
        for bad in ["", "m", "m1-2", "s1-2-3", "x1-2-3", "m1-a-3", "m1-2-3-4"] {
            assert_eq!(SessionId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn causes_read_back_as_written_and_anything_else_is_a_server_down() {
        for cause in [
            ErrorCause::ServerDown,
            ErrorCause::QueueFull,
            ErrorCause::StoreDown,
            ErrorCause::StoreBusy,
        ] {
            assert_eq!(parse_cause(Some(cause.name())), cause);
        }
        assert_eq!(ErrorCause::QueueFull.name(), "queue_full");
        assert_eq!(parse_cause(None), ErrorCause::ServerDown);
        assert_eq!(parse_cause(Some("teapot")), ErrorCause::ServerDown);
    }

    #[test]
    fn a_draw_beyond_what_the_model_draws_is_refused() {
        for bad in ["1e300", "65", "-1", "NaN", "inf", "x", "1,,2", "1,1,1,1"] {
            let why = parse_draws(Some(bad)).unwrap_err();
            assert!(why.starts_with("x-draw: "), "{bad}: {why}");
        }
        assert_eq!(parse_draws(Some("64,0,1")).unwrap().service, MAX_DRAW);
    }

    #[test]
    fn draws_and_cookies_read_back_as_written() {
        let d = crate::model::users::Draws {
            think: 9.0,
            service: 0.5,
            read: 1.25,
            write: 2.0,
        };
        let text = format_draws(&d);
        assert_eq!(text, "0.5,1.25,2");
        assert_eq!(
            parse_draws(Some(&text)),
            Ok(Draws {
                service: 0.5,
                read: 1.25,
                write: 2.0
            })
        );
        assert_eq!(parse_draws(None).unwrap().service, 1.0);
        let set = set_cookie(SID, "m0-0-1");
        assert_eq!(set, "sid=m0-0-1; HttpOnly; Path=/");
        assert_eq!(parse_set_cookie(&set), Some((SID, "m0-0-1")));
        let sent = cookie_header(&[(SID, Some("m0-0-1")), (PIN, None)]).unwrap();
        assert_eq!(sent, "sid=m0-0-1");
        let mut headers = HeaderMap::new();
        headers.insert("cookie", sent.parse().unwrap());
        assert_eq!(cookie(&headers, SID).as_deref(), Some("m0-0-1"));
        assert_eq!(cookie(&headers, PIN), None);
        assert_eq!(cookie_header(&[(SID, None)]), None);
    }
}
