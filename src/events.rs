//! The vocabulary of the model: every event the engine schedules, and the states and outcomes of
//! requests and sessions. A reader should learn the whole model from this file.
//!
//! Events that the engine knows in advance (bucket boundaries and the scenario's timed events) and
//! the next visit arrival are not in the queue: the engine merges them with the queue in a fixed
//! order (bucket boundary, then timed event, then arrival, then queued events) so that equal-time
//! events always run in the same order.

use crate::model::ids::{ServerId, StoreNodeId, UserSlot};
use serde::{Deserialize, Serialize};

/// A scheduled event: what the engine must do at some future simulated time.
///
/// Events carry indices, never references, and are small (16 bytes) so that the queue stays
/// cache-friendly. Stale events (for a server that has crashed since, or a request that has
/// already ended) are recognised by their epoch or attempt number and ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A user's think time is over: it sends its next request.
    Send {
        /// Slot of the user.
        user: UserSlot,
    },
    /// A worker of a server finished the service of a request.
    ServiceDone {
        /// The server.
        server: ServerId,
        /// The worker slot on that server.
        slot: u32,
        /// The server's epoch when the service started (a crash bumps it).
        epoch: u32,
    },
    /// A store node finished an operation.
    StoreDone {
        /// The store node.
        node: StoreNodeId,
        /// The node's worker slot.
        slot: u32,
        /// The node's epoch when the operation started (a crash of its serving machine bumps it).
        epoch: u32,
    },
    /// The answer of a finished store operation reaches the web server, one network round trip
    /// after the operation (only when `store.network_time` is not zero).
    StoreReply {
        /// Slot of the user.
        user: UserSlot,
        /// Low 32 bits of the request's number; a reply to another request is stale.
        request: u32,
    },
    /// The balancer's health checks notice that a crashed server is down.
    Detect {
        /// The server.
        server: ServerId,
        /// The server's epoch just after the crash; a restart before detection bumps it.
        epoch: u32,
    },
    /// A server fails at random.
    Fail {
        /// The server.
        server: ServerId,
        /// Its epoch when the failure was drawn; any stop or start since makes this stale.
        epoch: u32,
    },
    /// A server that failed at random is repaired and restarts.
    Repair {
        /// The server.
        server: ServerId,
        /// Its epoch just after the failure.
        epoch: u32,
    },
    /// A store machine fails at random.
    StoreFail {
        /// The machine (`node * replicas + copy`).
        machine: u32,
        /// The machine's life (bumped by every start and random failure) when it was drawn.
        life: u32,
    },
    /// A store machine is repaired after a random failure.
    StoreRepair {
        /// The machine.
        machine: u32,
        /// The machine's life just after the failure.
        life: u32,
    },
    /// A copy of a session reaches its backup server, which takes a worker for `copy_time`
    /// (`server_replicated`).
    CopyDone {
        /// The backup server.
        server: ServerId,
        /// The worker slot on that server.
        slot: u32,
        /// The server's epoch when the copy started.
        epoch: u32,
    },
    /// The autoscaler looks at the tier.
    Evaluate,
    /// A server the autoscaler asked for has booted and joins the rotation.
    Boot,
    /// A draining server's `drain_timeout` has passed: it stops.
    DrainEnd {
        /// The server.
        server: ServerId,
        /// Its epoch when the drain began.
        epoch: u32,
    },
}

/// How one request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Served normally: a login, or an authenticated request whose session was valid.
    Ok,
    /// An authenticated request whose session was not valid where it was served; it was served as
    /// a forced re-login, which created a new session.
    FailedAuth(AuthFailure),
    /// Not served; the user retries after a think time.
    Error(ErrorCause),
}

/// Why an authentication failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    /// The user's session was alive, but on another server.
    Elsewhere,
    /// The user's session was destroyed by a crash, a removal or a non-durable store crash.
    Lost,
    /// The user's session had expired (unused for longer than `session_ttl`).
    Expired,
    /// The store evicted the user's session to make room (its node reached `max_sessions`).
    Evicted,
    /// The user's session is not in the data centre that served the request (several data
    /// centres: geo routing moved the user, and the session did not travel with them).
    OtherDc,
}

/// Why a request failed with an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCause {
    /// Routed to a crashed server not yet detected, or lost with a server's queue or workers.
    ServerDown,
    /// The server's queue was full.
    QueueFull,
    /// The session store was down when the request needed it.
    StoreDown,
    /// The store node's queue was full (`store.queue_limit`).
    StoreBusy,
    /// Sent to a data centre that is down, before the geo DNS and the client's cached answer
    /// sent the user elsewhere.
    DcDown,
}

impl ErrorCause {
    /// The cause's name, as the replay trace and the live mode's `x-cause` header spell it.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCause::ServerDown => "server_down",
            ErrorCause::QueueFull => "queue_full",
            ErrorCause::StoreDown => "store_down",
            ErrorCause::StoreBusy => "store_busy",
            ErrorCause::DcDown => "dc_down",
        }
    }
}

/// Where a request is in its life, from the user's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The user is thinking (or has not sent anything yet); no request is in flight.
    Idle,
    /// Waiting in a server's queue.
    Queued,
    /// Holding a server worker, waiting for the store to read the session.
    StoreRead,
    /// Holding a server worker, being served.
    Service,
    /// Holding a server worker, waiting for the store to write a new session.
    StoreWrite,
}

/// What kind of work a request turned out to be once a server looked at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    /// A login the user asked for: served with `login_time`, creates a session.
    Login,
    /// An authenticated request with a valid session: served with `service_time`.
    Authenticated,
    /// An authenticated request whose session was not valid: served as a login.
    ForcedLogin(AuthFailure),
}

/// The life of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionState {
    /// Valid until `last_use + session_ttl`.
    Alive,
    /// Unused for `session_ttl`.
    Expired,
    /// Destroyed with the memory that held it (crash, removal, non-durable store crash).
    Lost,
    /// Evicted by its store node to make room for a newer session.
    Evicted,
}

/// What a row of `events.csv` records: a timed event of the scenario, or a change the simulator
/// decided (the autoscaler, random failures and repairs).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum EventAction {
    /// A timed crash of a server (the default only fills a row being built).
    #[default]
    Crash,
    /// A timed restart of a server, empty.
    Restart,
    /// Servers added by the scenario.
    AddServers,
    /// Servers removed by the scenario.
    RemoveServers,
    /// A timed crash of the store (or of one store node's machine).
    StoreCrash,
    /// A timed restart of the store (or of one store node's machine).
    StoreRestart,
    /// The autoscaler added servers.
    ScaleOut,
    /// The autoscaler removed servers.
    ScaleIn,
    /// A server failed at random.
    Failure,
    /// A failed server was repaired and restarted.
    Repair,
    /// The store (or a machine of a store node) failed at random.
    StoreFailure,
    /// The store (or a machine of a store node) was repaired.
    StoreRepair,
    /// A timed failure of a whole data centre.
    DcDown,
    /// A timed return of a data centre.
    DcUp,
}

impl EventAction {
    /// The spelling in `events.csv` (and, for timed events, in scenario files).
    pub fn as_str(self) -> &'static str {
        match self {
            EventAction::Crash => "crash",
            EventAction::Restart => "restart",
            EventAction::AddServers => "add_servers",
            EventAction::RemoveServers => "remove_servers",
            EventAction::StoreCrash => "store_crash",
            EventAction::StoreRestart => "store_restart",
            EventAction::ScaleOut => "scale_out",
            EventAction::ScaleIn => "scale_in",
            EventAction::Failure => "failure",
            EventAction::Repair => "repair",
            EventAction::StoreFailure => "store_failure",
            EventAction::StoreRepair => "store_repair",
            EventAction::DcDown => "dc_down",
            EventAction::DcUp => "dc_up",
        }
    }

    /// Whether the row records one of the scenario's timed events (the others are changes the
    /// simulator decides: random failures and repairs, the autoscaler's actions).
    pub fn is_timed(self) -> bool {
        match self {
            EventAction::Crash
            | EventAction::Restart
            | EventAction::AddServers
            | EventAction::RemoveServers
            | EventAction::StoreCrash
            | EventAction::StoreRestart
            | EventAction::DcDown
            | EventAction::DcUp => true,
            EventAction::ScaleOut
            | EventAction::ScaleIn
            | EventAction::Failure
            | EventAction::Repair
            | EventAction::StoreFailure
            | EventAction::StoreRepair => false,
        }
    }
}

use crate::scenario::Action;

impl From<Action> for EventAction {
    fn from(action: Action) -> Self {
        match action {
            Action::Crash { .. } => EventAction::Crash,
            Action::Restart { .. } => EventAction::Restart,
            Action::AddServers { .. } => EventAction::AddServers,
            Action::RemoveServers { .. } => EventAction::RemoveServers,
            Action::StoreCrash { .. } => EventAction::StoreCrash,
            Action::StoreRestart { .. } => EventAction::StoreRestart,
            Action::DcDown { .. } => EventAction::DcDown,
            Action::DcUp { .. } => EventAction::DcUp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::EventAction;

    #[test]
    fn event_actions_are_spelled_as_in_scenario_files() {
        use crate::scenario::Action;
        assert_eq!(
            EventAction::from(Action::AddServers { count: 2 }).as_str(),
            "add_servers"
        );
        assert_eq!(EventAction::StoreRepair.as_str(), "store_repair");
    }

    #[test]
    fn events_stay_small() {
        // The pending-event set holds millions of these: keep them at 16 bytes.
        assert!(std::mem::size_of::<super::Event>() <= 16);
    }
}
