//! tiersim: a deterministic discrete-event simulator of a web tier, to compare keeping sessions in
//! each server's memory (stateful, sticky sessions) with keeping them in a shared store
//! (stateless).
//!
//! See `ARCHITECTURE.md` for the map: `config` turns a scenario file into a validated
//! [`scenario::Experiment`]; [`engine::simulate`] runs one variant and returns
//! [`metrics::RunResult`]; `output` turns results into CSV bytes and writes them; `cli` is the
//! command line.
#![warn(missing_docs)]

pub mod charts;
pub mod cli;
pub mod config;
pub mod engine;
pub mod events;
pub mod guard;
pub mod interrupt;
pub mod lab;
pub mod live;
pub mod metrics;
pub mod model;
pub mod output;
pub mod queue;
pub mod report;
pub mod rng;
pub mod runner;
pub mod scenario;
pub mod shard;
pub mod stats;
pub mod sweep;
pub mod theory;
pub mod warmup;
pub mod worksheet;
