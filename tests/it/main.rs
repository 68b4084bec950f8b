//! The integration tests: one binary, one module per concern.
//!
//! - `theory`: the model against queueing theory and probability (Erlang C, (N-1)/N, hash
//!   remapping, Little's law, what a crash costs);
//! - `scenarios`: every shipped scenario runs, keeps its books and is deterministic;
//! - `cli`: the command line's exit codes, messages and files.

mod cli;
mod scenarios;
mod support;
mod theory;
