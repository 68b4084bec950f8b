//! The parts of the simulated system, one file each: users, the balancer, the web servers, the
//! session store, and the sessions themselves. Each part is plain state with small operations;
//! the engine moves requests between them. `ids` holds the identifiers they share (server,
//! user slot, session slot, store node).

pub mod balancer;
pub mod ids;
pub mod server;
pub mod sessions;
pub mod store;
pub mod users;
