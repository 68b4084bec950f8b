//! Results to bytes, and bytes to files.
//!
//! `columns` holds the output contracts (the columns of every CSV file, documented in
//! `docs/outputs.md`); `csv` the pure serializers (results in, bytes out), which read the metrics
//! from [`crate::metrics::catalogue`]; `files` is the one place that writes the output folder,
//! all at once or not at all; `table` formats the terminal tables; `json` the results of `run`
//! and `sweep` for `--format json`, from the same cells as `summary.csv`.

pub mod columns;
pub mod csv;
pub mod files;
pub mod json;
pub mod table;
