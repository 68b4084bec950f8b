//! Progress bars while simulating, and while the live mode runs: one per variant, showing
//! simulated time (over all its replications) and, when simulating, events per second.
//!
//! Hidden with `--quiet`, and by indicatif itself when standard error is not a terminal. This is
//! the only place that draws progress; the engine only calls back with the simulated time.

use crate::engine::PROGRESS_EVERY;
use crate::scenario::{Micros, Variant};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The bars of one run.
pub struct Progress {
    multi: MultiProgress,
    bars: Vec<ProgressBar>,
    calls: Vec<AtomicU64>,
    started: Instant,
}

impl Progress {
    /// One bar per variant, in order, for `replications` runs each; all hidden if `quiet`.
    pub fn new(variants: &[&Variant], replications: usize, quiet: bool) -> Self {
        let bars = variants.iter().map(|v| {
            (
                v.name.clone(),
                v.scenario.duration_us / 1_000_000 * replications as u64,
            )
        });
        Self::with_bars(bars.collect(), quiet)
    }

    /// One bar per (label, simulated seconds); all hidden if `quiet`.
    pub fn with_bars(bars: Vec<(String, u64)>, quiet: bool) -> Self {
        let target = if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let multi = MultiProgress::with_draw_target(target);
        let width = bars.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:30.cyan/blue}] {pos:>7}/{len} s simulated  {msg}",
        )
        .expect("a valid template")
        .progress_chars("=> ");
        let calls = bars.iter().map(|_| AtomicU64::new(0)).collect();
        let bars = bars
            .into_iter()
            .map(|(name, seconds)| {
                let bar = multi.add(ProgressBar::new(seconds));
                bar.set_style(style.clone());
                bar.set_prefix(format!("{name:width$}"));
                bar
            })
            .collect();
        Progress {
            multi,
            bars,
            calls,
            started: Instant::now(),
        }
    }

    /// A run of variant `v` moved from `before` to `now` in simulated time.
    pub fn advance(&self, v: usize, before: Micros, now: Micros) {
        let bar = &self.bars[v];
        bar.inc(now / 1_000_000 - before / 1_000_000);
        let calls = self.calls[v].fetch_add(1, Ordering::Relaxed) + 1;
        let elapsed = self.started.elapsed().as_secs_f64();
        if elapsed > 0.0 {
            let rate = calls as f64 * PROGRESS_EVERY as f64 / elapsed;
            bar.set_message(format!("{:.1} M events/s", rate / 1e6));
        }
    }

    /// Variant `v` has reached simulated time `now` (the live mode, where time is the wall's).
    pub fn set(&self, v: usize, now: Micros) {
        self.bars[v].set_position(now / 1_000_000);
    }

    /// Prints a line above the bars (as-is where they are hidden).
    pub fn println(&self, text: &str) {
        if self.multi.is_hidden() {
            super::status(text);
        } else {
            let _ = self.multi.println(text.trim_end());
        }
    }

    /// Removes the bars from the terminal.
    pub fn clear(&self) {
        for bar in &self.bars {
            bar.finish_and_clear();
        }
        let _ = self.multi.clear();
    }
}
