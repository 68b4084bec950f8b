//! Progress bars while simulating: one per variant, showing simulated time and events per second.
//!
//! Hidden with `--quiet`, and by indicatif itself when standard error is not a terminal. This is
//! the only place that draws progress; the engine only calls back with the simulated time.

use crate::scenario::{Micros, Variant};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Instant;

/// The bars of one run.
pub struct Progress {
    multi: MultiProgress,
    bars: Vec<ProgressBar>,
}

impl Progress {
    /// One bar per variant, in order; all hidden if `quiet`.
    pub fn new(variants: &[&Variant], quiet: bool) -> Self {
        let target = if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let multi = MultiProgress::with_draw_target(target);
        let width = variants.iter().map(|v| v.name.len()).max().unwrap_or(0);
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:30.cyan/blue}] {pos:>6}/{len} s simulated  {msg}",
        )
        .expect("a valid template")
        .progress_chars("=> ");
        let bars = variants
            .iter()
            .map(|v| {
                let bar = multi.add(ProgressBar::new(v.scenario.duration_us / 1_000_000));
                bar.set_style(style.clone());
                bar.set_prefix(format!("{:width$}", v.name));
                bar
            })
            .collect();
        Progress { multi, bars }
    }

    /// A callback for the engine for variant number `i`: moves its bar and says whether to go on.
    pub fn callback<'a>(
        &'a self,
        i: usize,
        go_on: impl Fn() -> bool + 'a,
    ) -> impl FnMut(Micros) -> bool + 'a {
        let bar = &self.bars[i];
        let started = Instant::now();
        let mut calls: u64 = 0;
        move |now| {
            calls += 1;
            bar.set_position(now / 1_000_000);
            let elapsed = started.elapsed().as_secs_f64();
            if elapsed > 0.0 {
                let rate = calls as f64 * crate::engine::PROGRESS_EVERY as f64 / elapsed;
                bar.set_message(format!("{:.1} M events/s", rate / 1e6));
            }
            go_on()
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
