//! Results to bytes, and bytes to files.
//!
//! `csv` holds pure serializers (results in, bytes out; the column lists are the public contract
//! documented in `docs/outputs.md`); `files` is the one place that writes the output folder, all
//! at once or not at all; `table` formats the terminal comparison table.

pub mod csv;
pub mod files;
pub mod table;
