//! Timer workload: `n` tasks each sleep a random 1–100 ms (seeded xorshift,
//! the same durations for every contender); the result is the wall time from
//! the first spawn until the last task is done. The ideal is the longest
//! sleep (100 ms); everything above it is overhead.
//!
//! [`Deadline`] says when each deadline is taken. With `sleep(d)`
//! ([`Deadline::AtCreation`], what user code writes) it is taken inside the
//! spawn loop, so the last deadline lies 100 ms after the *end* of that loop:
//! the row then also counts the time to spawn `n` tasks. With
//! `sleep_until(start + d)` ([`Deadline::FromStart`]) every deadline counts
//! from one instant before the loop, as the floor's do: what is left above
//! 100 ms is the timers' own cost and the tail (firing the last timers,
//! completing their tasks, joining the handles left).
//!
//! The floor is a sorted deadline list on one thread: sort, then
//! `thread::sleep` until the earliest deadline and pop everything due.

use std::time::{Duration, Instant};

use crate::XorShift;

/// When each task's deadline is taken (see the module docs).
#[derive(Clone, Copy, Debug)]
pub enum Deadline {
    /// `sleep(d)`: when the sleep is created, inside the spawn loop.
    AtCreation,
    /// `sleep_until(start + d)`: from one instant taken before the spawn loop.
    FromStart,
}

/// The seeded sleep durations: `n` values in 1..=100 ms.
pub fn durations(n: usize) -> Vec<Duration> {
    let mut rng = XorShift::new(0x5EED_0001);
    (0..n)
        .map(|_| Duration::from_millis(rng.range(1, 100)))
        .collect()
}

/// ramen: one task per `ramen::time::sleep` (or `sleep_until`); returns the wall time.
pub fn timers_ramen(rt: &ramen::Runtime, ds: &[Duration], when: Deadline) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        let handles: Vec<_> = ds
            .iter()
            .map(|&d| {
                ramen::spawn(match when {
                    Deadline::AtCreation => ramen::time::sleep(d),
                    Deadline::FromStart => ramen::time::sleep_until(start + d),
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
        start.elapsed()
    })
}

/// tokio: one `spawn_local` task per `tokio::time::sleep`.
pub fn timers_tokio(rt: &tokio::runtime::Runtime, ds: &[Duration], when: Deadline) -> Duration {
    use tokio::time::{Instant as At, sleep, sleep_until};
    crate::tokio_local(rt, async {
        let start = Instant::now();
        let handles: Vec<_> = ds
            .iter()
            .map(|&d| {
                tokio::task::spawn_local(match when {
                    Deadline::AtCreation => sleep(d),
                    Deadline::FromStart => sleep_until(At::from_std(start + d)),
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
        start.elapsed()
    })
}

/// smol: one `LocalExecutor` task per `async_io::Timer::after`.
pub fn timers_smol<'a>(
    ex: &'a async_executor::LocalExecutor<'a>,
    ds: &[Duration],
    when: Deadline,
) -> Duration {
    use async_io::Timer;
    crate::smol_run(ex, async {
        let start = Instant::now();
        let handles: Vec<_> = ds
            .iter()
            .map(|&d| {
                ex.spawn(match when {
                    Deadline::AtCreation => Timer::after(d),
                    Deadline::FromStart => Timer::at(start + d),
                })
            })
            .collect();
        for h in handles {
            h.await;
        }
        start.elapsed()
    })
}

/// monoio (either driver): one `monoio::spawn` task per `monoio::time::sleep`.
pub fn timers_monoio(rt: &crate::Monoio, ds: &[Duration], when: Deadline) -> Duration {
    use monoio::time::{Instant as At, sleep, sleep_until};
    rt.block_on(async {
        let start = Instant::now();
        let handles: Vec<_> = ds
            .iter()
            .map(|&d| {
                monoio::spawn(match when {
                    Deadline::AtCreation => sleep(d),
                    Deadline::FromStart => sleep_until(At::from_std(start + d)),
                })
            })
            .collect();
        for h in handles {
            h.await;
        }
        start.elapsed()
    })
}

/// The floor: a sorted deadline list and `thread::sleep`.
pub fn timers_floor(ds: &[Duration]) -> Duration {
    let start = Instant::now();
    let mut deadlines: Vec<Instant> = ds.iter().map(|&d| start + d).collect();
    deadlines.sort_unstable();
    let mut next = 0;
    while next < deadlines.len() {
        let now = Instant::now();
        if deadlines[next] > now {
            std::thread::sleep(deadlines[next] - now);
            continue;
        }
        while next < deadlines.len() && deadlines[next] <= now {
            next += 1;
        }
    }
    start.elapsed()
}
