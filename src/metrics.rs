//! Runtime counters: what the loop has done, cheap enough to keep always on.
//!
//! Each counter is a `Cell<u64>` bumped on the runtime thread (no atomics:
//! nothing else touches them). [`Runtime::metrics`](crate::Runtime::metrics)
//! copies them into a plain [`Metrics`] value.

use std::cell::Cell;

use crate::event_loop::Core;

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) spawned: Cell<u64>,
    pub(crate) polls: Cell<u64>,
    pub(crate) local_wakes: Cell<u64>,
    pub(crate) remote_wakes: Cell<u64>,
    pub(crate) reactor_waits: Cell<u64>,
    pub(crate) parks: Cell<u64>,
    pub(crate) forced_yields: Cell<u64>,
}

impl Counters {
    pub(crate) fn snapshot(&self, core: &Core) -> Metrics {
        let (blocking_threads, blocking_jobs_queued, blocking_jobs_running) =
            core.blocking.get().map_or((0, 0, 0), |pool| pool.stats());
        Metrics {
            tasks_alive: core.live_tasks(),
            tasks_spawned: self.spawned.get(),
            polls: self.polls.get(),
            local_wakes: self.local_wakes.get(),
            remote_wakes: self.remote_wakes.get(),
            reactor_waits: self.reactor_waits.get(),
            thread_parks: self.parks.get(),
            forced_yields: self.forced_yields.get(),
            timers_pending: core.timers.len(),
            timers_fired: core.timers.fired(),
            io_sources: core.reactor.len(),
            blocking_threads,
            blocking_jobs_queued,
            blocking_jobs_running,
        }
    }
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
