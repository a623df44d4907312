//! Runtime counters: what the loop has done, cheap enough to keep always on.
//!
//! **Naive approach:** let the metrics code read the loop's structures when
//! asked (the task slab, the timer map, the reactor). **Its problem:** the
//! instrument then depends on the core's internals, and every change to the
//! core breaks it.
//!
//! **What this file does:** the loop pushes each event through the small
//! [`Counters`] API (`polled`, `local_wake`, …: one `Cell<u64>` bump on the
//! runtime thread, no atomics: nothing else touches them), and for
//! [`Runtime::metrics`](crate::Runtime::metrics) hands over its current
//! sizes as a plain [`Gauges`] value; [`Counters::snapshot`] joins the two
//! into the public [`Metrics`].

use std::cell::Cell;

/// The loop's event counters (one set per runtime).
#[derive(Default)]
pub(crate) struct Counters {
    spawned: Cell<u64>,
    polls: Cell<u64>,
    local_wakes: Cell<u64>,
    remote_wakes: Cell<u64>,
    reactor_waits: Cell<u64>,
    parks: Cell<u64>,
    forced_yields: Cell<u64>,
}

/// Adds `n` to a counter.
#[inline]
fn bump(counter: &Cell<u64>, n: u64) {
    counter.set(counter.get() + n);
}

impl Counters {
    /// A task was spawned.
    #[inline]
    pub(crate) fn spawned(&self) {
        bump(&self.spawned, 1);
    }

    /// A task or a `block_on` future was polled.
    #[inline]
    pub(crate) fn polled(&self) {
        bump(&self.polls, 1);
    }

    /// A task was woken on the runtime thread.
    #[inline]
    pub(crate) fn local_wake(&self) {
        bump(&self.local_wakes, 1);
    }

    /// `n` wakes arrived from other threads through the inbox.
    #[inline]
    pub(crate) fn remote_wakes(&self, n: u64) {
        bump(&self.remote_wakes, n);
    }

    /// The loop asked the reactor for events.
    #[inline]
    pub(crate) fn reactor_wait(&self) {
        bump(&self.reactor_waits, 1);
    }

    /// The loop slept in `thread::park`.
    #[inline]
    pub(crate) fn park(&self) {
        bump(&self.parks, 1);
    }

    /// The budget ran out with tasks still ready.
    #[inline]
    pub(crate) fn forced_yield(&self) {
        bump(&self.forced_yields, 1);
    }

    /// Polls so far (the stall check reports once per stretch without one).
    pub(crate) fn polls(&self) -> u64 {
        self.polls.get()
    }

    /// The counters so far, with the loop's current `gauges`.
    pub(crate) fn snapshot(&self, gauges: Gauges) -> Metrics {
        Metrics {
            tasks_alive: gauges.tasks_alive,
            tasks_spawned: self.spawned.get(),
            polls: self.polls.get(),
            local_wakes: self.local_wakes.get(),
            remote_wakes: self.remote_wakes.get(),
            reactor_waits: self.reactor_waits.get(),
            thread_parks: self.parks.get(),
            forced_yields: self.forced_yields.get(),
            timers_pending: gauges.timers_pending,
            timers_fired: gauges.timers_fired,
            io_sources: gauges.io_sources,
            blocking_threads: gauges.blocking_threads,
            blocking_jobs_queued: gauges.blocking_jobs_queued,
            blocking_jobs_running: gauges.blocking_jobs_running,
        }
    }
}

/// Sizes the loop reads off its structures when a snapshot is asked for
/// (the fields mean what the same fields of [`Metrics`] mean).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Gauges {
    pub(crate) tasks_alive: usize,
    pub(crate) timers_pending: usize,
    pub(crate) timers_fired: u64,
    pub(crate) io_sources: usize,
    pub(crate) blocking_threads: usize,
    pub(crate) blocking_jobs_queued: usize,
    pub(crate) blocking_jobs_running: usize,
}

/// A snapshot of a runtime's counters (see [`Runtime::metrics`](crate::Runtime::metrics)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// Tasks spawned and not yet finished.
    pub tasks_alive: usize,
    /// Tasks spawned since the runtime was built.
    pub tasks_spawned: u64,
    /// Polls of tasks and of `block_on` futures.
    pub polls: u64,
    /// Wakes on the runtime thread (lock-free path).
    pub local_wakes: u64,
    /// Wakes that arrived from other threads through the inbox.
    pub remote_wakes: u64,
    /// Times the loop asked the reactor for events (each is an `epoll_wait`).
    pub reactor_waits: u64,
    /// Times the loop slept in `thread::park` instead: nothing to wait for
    /// but timers and other threads, no fd registered.
    pub thread_parks: u64,
    /// Times the budget ran out with tasks still ready (the loop checked I/O
    /// and timers before polling more: fairness at work).
    pub forced_yields: u64,
    /// Timers waiting.
    pub timers_pending: usize,
    /// Timers fired since the runtime was built.
    pub timers_fired: u64,
    /// File descriptors registered with the reactor.
    pub io_sources: usize,
    /// `spawn_blocking` threads alive (running a job or idle).
    pub blocking_threads: usize,
    /// `spawn_blocking` jobs waiting for a free thread.
    pub blocking_jobs_queued: usize,
    /// `spawn_blocking` jobs running right now.
    pub blocking_jobs_running: usize,
}

#[cfg(test)]
mod tests {
    use super::{Counters, Gauges};

    #[test]
    fn a_snapshot_joins_the_pushed_counts_and_the_handed_over_gauges() {
        let counters = Counters::default();
        counters.spawned();
        counters.polled();
        counters.polled();
        counters.local_wake();
        counters.remote_wakes(3);
        counters.reactor_wait();
        counters.park();
        counters.forced_yield();
        let gauges = Gauges {
            tasks_alive: 1,
            timers_pending: 2,
            timers_fired: 3,
            io_sources: 4,
            blocking_threads: 5,
            blocking_jobs_queued: 6,
            blocking_jobs_running: 7,
        };
        let m = counters.snapshot(gauges);
        assert_eq!(counters.polls(), 2);
        assert_eq!(
            (m.tasks_spawned, m.polls, m.local_wakes, m.remote_wakes),
            (1, 2, 1, 3)
        );
        assert_eq!(
            (m.reactor_waits, m.thread_parks, m.forced_yields),
            (1, 1, 1)
        );
        assert_eq!(
            (
                m.tasks_alive,
                m.timers_pending,
                m.timers_fired,
                m.io_sources
            ),
            (1, 2, 3, 4)
        );
        assert_eq!(
            (
                m.blocking_threads,
                m.blocking_jobs_queued,
                m.blocking_jobs_running
            ),
            (5, 6, 7)
        );
    }
}
