//! The integration tests: one binary, one module per concern.
//!
//! - `theory`: the model against queueing theory and probability (Erlang C, (N-1)/N, hash
//!   remapping, Little's law, what a crash costs);
//! - `scenarios`: every shipped scenario runs, keeps its books and is deterministic;
//! - `cli`: the command line's exit codes, messages and files;
//! - `shards`: sweeps and runs split into shards and merged back into the same bytes;
//! - `recipes`: the GNU parallel and Slurm recipes of docs/scaling.md, run for real;
//! - `hardening`: what a hostile user tried (huge sweep ranges, failed writes, long names,
//!   hostile HTTP, few file descriptors) and what the program now answers;
//! - `interrupt`: Ctrl-C and SIGTERM while simulating, drawing and writing: exit 130 at once,
//!   the previous results kept;
//! - `refusals`: what is refused before anything runs (event storms, sweeps priced whole, an
//!   unreachable store, an output folder that cannot be written, a `--set` deep in a list);
//! - `browser`: the lab and report.html's replay in headless Chromium through WebDriver (loads,
//!   re-runs, shows a bad value, the address, the keyboard, the replay played, no console errors);
//! - `lab`: `tiersim lab`'s JSON API over loopback (the numbers of `tiersim run`, 400 and 422)
//!   and its life (first line, Ctrl-C);
//! - `docs`: every local link of the documentation resolves, anchors included;
//! - `live`: the live cluster on loopback (why-sticky, a crash with the embedded store and Redis);
//! - `report`: charts and the report of every shipped scenario, and the page in headless Chromium;
//! - `malformed`: every file of `tests/malformed/` is refused with its key and line;
//! - `properties`: random valid scenarios keep the program's invariants and are deterministic.
//! - `cost`: machine-hours and the least loaded server's share against arithmetic;
//! - `datacenters`: several data centres against theory (round trips, failover under each
//!   replication, the requests lost while the DNS catches up);
//! - `living`, `stores`: living clusters, session stores and the other ways to keep state, each
//!   against a number worked out by hand.

mod browser;
mod charts;
mod cli;
mod cost;
mod datacenters;
mod docs;
mod hardening;
mod interrupt;
mod lab;
mod live;
mod living;
mod malformed;
mod properties;
mod recipes;
mod refusals;
mod report;
mod scenarios;
mod shards;
mod stores;
mod support;
mod theory;
