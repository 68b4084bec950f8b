//! Precise sleeps for the live cluster.
//!
//! tokio's timer counts whole milliseconds: a sleep of 0.3 ms lasts 1 to 2 ms. At `--time-scale
//! 20` that rounding alone is 20 to 40 simulated milliseconds on every service time, more than
//! the service times themselves. This timer keeps the deadlines in a heap and arms one Linux
//! `timerfd` (nanosecond resolution) for the earliest; the runtime's own reactor watches it, so a
//! wake-up costs one read on the runtime's thread and no thread switch. Each sleeper is a oneshot
//! channel the driver task completes. Elsewhere than Linux it falls back to tokio's timer.
//!
//! Leaves out: anything finer than the kernel's wake-up precision (timer slack, about 50 µs on
//! Linux) and the scheduling delay of the task that was woken.

use std::time::{Duration, Instant};

#[cfg(target_os = "linux")]
pub use precise::Timer;

/// tokio's own timer (millisecond resolution), where no timerfd exists.
#[cfg(not(target_os = "linux"))]
pub struct Timer;

#[cfg(not(target_os = "linux"))]
impl Timer {
    /// The timer (nothing to start).
    pub fn start() -> std::io::Result<Self> {
        Ok(Timer)
    }

    /// Waits until `at`.
    pub async fn sleep_until(&self, at: Instant) {
        tokio::time::sleep_until(at.into()).await;
    }

    /// Waits for `d`.
    pub async fn sleep(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }
}

#[cfg(target_os = "linux")]
mod precise {
    use super::{Duration, Instant};
    use rustix::fd::OwnedFd;
    use rustix::time::{Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, Timespec};
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    use std::sync::{Arc, Mutex};
    use tokio::io::unix::AsyncFd;
    use tokio::sync::oneshot;

    /// One pending wake-up, in order of deadline (then of arrival).
    struct Entry {
        at: Instant,
        seq: u64,
        wake: oneshot::Sender<()>,
    }

    impl PartialEq for Entry {
        fn eq(&self, other: &Self) -> bool {
            (self.at, self.seq) == (other.at, other.seq)
        }
    }
    impl Eq for Entry {}
    impl PartialOrd for Entry {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Entry {
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            (self.at, self.seq).cmp(&(other.at, other.seq))
        }
    }

    #[derive(Default)]
    struct Pending {
        heap: BinaryHeap<Reverse<Entry>>,
        seq: u64,
    }

    struct Shared {
        pending: Mutex<Pending>,
        fd: AsyncFd<OwnedFd>,
    }

    /// The heap of deadlines and the task that wakes them; dropping it stops the task.
    pub struct Timer {
        shared: Arc<Shared>,
        driver: tokio::task::JoinHandle<()>,
    }

    impl Timer {
        /// Creates the timerfd and starts the driver task (on the current tokio runtime).
        pub fn start() -> std::io::Result<Self> {
            let fd = rustix::time::timerfd_create(
                TimerfdClockId::Monotonic,
                TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
            )?;
            // `AsyncFd::new` is deprecated because an arbitrary `AsRawFd` may hand out a
            // descriptor it does not own; an `OwnedFd` owns its descriptor and keeps it open until
            // dropped, which is the condition `AsyncFd::register` asks for (the crate forbids
            // `unsafe`, so the safe spelling is used here).
            #[allow(deprecated)]
            let fd = AsyncFd::new(fd)?;
            let shared = Arc::new(Shared {
                pending: Mutex::new(Pending::default()),
                fd,
            });
            let driver = tokio::spawn(drive(shared.clone()));
            Ok(Timer { shared, driver })
        }

        /// Waits until `at` (at once if it has passed).
        pub async fn sleep_until(&self, at: Instant) {
            if at <= Instant::now() {
                return;
            }
            let (wake, woken) = oneshot::channel();
            {
                let mut p = self.shared.pending.lock().expect("timer lock");
                p.seq += 1;
                let seq = p.seq;
                let earliest = p.heap.peek().is_none_or(|Reverse(e)| at < e.at);
                p.heap.push(Reverse(Entry { at, seq, wake }));
                if earliest {
                    arm(&self.shared.fd, Some(at));
                }
            }
            let _ = woken.await;
        }

        /// Waits for `d`.
        pub async fn sleep(&self, d: Duration) {
            self.sleep_until(Instant::now() + d).await;
        }
    }

    impl Drop for Timer {
        fn drop(&mut self) {
            self.driver.abort();
        }
    }

    /// Arms the timerfd to fire at `at` (disarms it for `None`). Called with the heap locked, so
    /// the armed time is always the earliest pending deadline.
    fn arm(fd: &AsyncFd<OwnedFd>, at: Option<Instant>) {
        let zero = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        let value = match at {
            None => zero,
            Some(at) => {
                // A zero value would disarm the timer: a deadline already past fires in 1 ns.
                let d = at
                    .saturating_duration_since(Instant::now())
                    .max(Duration::from_nanos(1));
                Timespec {
                    tv_sec: d.as_secs() as _,
                    tv_nsec: d.subsec_nanos() as _,
                }
            }
        };
        let spec = Itimerspec {
            it_interval: zero,
            it_value: value,
        };
        // Cannot fail for a valid timerfd and a relative time below a second count of i64.
        let _ = rustix::time::timerfd_settime(fd.get_ref(), TimerfdTimerFlags::empty(), &spec);
    }

    /// Wakes every sleeper whose deadline has come, each time the timerfd fires.
    async fn drive(shared: Arc<Shared>) {
        let mut expirations = [0u8; 8];
        loop {
            let Ok(mut ready) = shared.fd.readable().await else {
                return;
            };
            let read = ready.try_io(|fd| {
                rustix::io::read(fd.get_ref(), &mut expirations).map_err(std::io::Error::from)
            });
            if read.is_err() {
                // Not readable after all (readiness cleared): wait again.
                continue;
            }
            let mut p = shared.pending.lock().expect("timer lock");
            let now = Instant::now();
            while p.heap.peek().is_some_and(|Reverse(e)| e.at <= now) {
                if let Some(Reverse(e)) = p.heap.pop() {
                    let _ = e.wake.send(());
                }
            }
            arm(&shared.fd, p.heap.peek().map(|Reverse(e)| e.at));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    #[test]
    fn sleepers_wake_in_order_of_deadline_and_not_early() {
        let asked = [3_000u64, 500, 1_500, 200, 700];
        let order = Arc::new(Mutex::new(Vec::new()));
        runtime().block_on(async {
            let timer = Arc::new(Timer::start().expect("timer"));
            let start = Instant::now();
            let mut tasks = tokio::task::JoinSet::new();
            for (i, us) in asked.into_iter().enumerate() {
                let (timer, order) = (timer.clone(), order.clone());
                tasks.spawn(async move {
                    timer.sleep(Duration::from_micros(us)).await;
                    order.lock().unwrap().push((i, start.elapsed()));
                });
            }
            while tasks.join_next().await.is_some() {}
        });
        let order = order.lock().unwrap();
        let ids: Vec<usize> = order.iter().map(|&(i, _)| i).collect();
        assert_eq!(ids, [3, 1, 4, 2, 0]);
        for &(i, waited) in order.iter() {
            let want = Duration::from_micros(asked[i]);
            assert!(
                waited >= want,
                "sleeper {i} woke early: {waited:?} < {want:?}"
            );
        }
    }

    #[test]
    fn a_deadline_in_the_past_returns_at_once() {
        runtime().block_on(async {
            let timer = Timer::start().expect("timer");
            let past = Instant::now();
            tokio::time::timeout(Duration::from_secs(5), timer.sleep_until(past))
                .await
                .expect("a past deadline does not wait");
        });
    }
}
