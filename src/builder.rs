//! Runtime settings: [`Builder`] and the `Config` it produces (`rt/config.rs`).
//!
//! Every knob has a default chosen for a single-threaded server and is
//! documented with *why*; `Runtime::new()` is `Builder::new().build()`.

use std::io;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use crate::reactor::ReactorBackend;
use crate::runtime::Runtime;

use crate::rt::config::Config;
pub use crate::rt::config::{
    DEFAULT_BLOCKING_KEEP_ALIVE, DEFAULT_BUDGET, DEFAULT_MAX_BLOCKING_THREADS,
};

/// Builds a [`Runtime`] with non-default settings.
///
/// ```
/// let rt = ramen::Runtime::builder().budget(32).build().unwrap();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Builder {
    pub(crate) config: Config,
}

impl Builder {
    /// Default settings (see the constants in this module).
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Tasks polled per loop turn before I/O and timers are checked
    /// ([`DEFAULT_BUDGET`]). Values below 1 are treated as 1.
    pub fn budget(mut self, polls: u32) -> Builder {
        self.config.budget = polls.max(1);
        self
    }

    /// Upper bound on `spawn_blocking` threads ([`DEFAULT_MAX_BLOCKING_THREADS`]);
    /// jobs beyond it queue. Values below 1 are treated as 1.
    pub fn max_blocking_threads(mut self, n: usize) -> Builder {
        self.config.blocking.max_threads = n.max(1);
        self
    }

    /// How long an idle blocking thread lingers before exiting
    /// ([`DEFAULT_BLOCKING_KEEP_ALIVE`]).
    pub fn blocking_keep_alive(mut self, d: Duration) -> Builder {
        self.config.blocking.keep_alive = d;
        self
    }

    /// Warn on stderr when a single poll holds the thread longer than
    /// `threshold` (`None` turns the detector off). Default: 100 ms in debug
    /// builds, off in release; env `RAMEN_SLOW_POLL_MS` (`off` or ms).
    /// When off, the loop pays one branch per poll.
    pub fn slow_poll_threshold(mut self, threshold: Option<Duration>) -> Builder {
        self.config.diag.slow_poll = threshold;
        self
    }

    /// Explain on stderr when tasks are alive but nothing can wake them for
    /// `grace` (`None` turns it off). Default: 1 s in debug builds, off in
    /// release; env `RAMEN_STALL_MS` (`off` or ms). It only warns; see the
    /// `diag` module docs for why.
    pub fn stall_warning(mut self, grace: Option<Duration>) -> Builder {
        self.config.diag.stall_grace = grace;
        self
    }

    /// Record every poll, wake, I/O event and timer firing, and write them to
    /// `path` when the runtime is dropped — also when `block_on` ends in a
    /// panic. A path ending in `.html` gets a self-contained offline page
    /// (inline SVG: a row per task, a bar per poll; open it in any browser);
    /// any other path gets Chrome Trace Event JSON (Perfetto,
    /// chrome://tracing). Env `RAMEN_TRACE=run.html` or `RAMEN_TRACE=run.json`.
    pub fn trace_file(mut self, path: impl Into<PathBuf>) -> Builder {
        self.config.diag.trace_path = Some(path.into());
        self
    }

    /// Start a watchdog thread that warns *while* a poll has held the thread
    /// longer than the slow-poll threshold (100 ms if the detector is off) —
    /// for blocking calls that never return. Off by default; env
    /// `RAMEN_WATCHDOG=1`. Costs two relaxed atomic stores per poll when on.
    pub fn watchdog(mut self, on: bool) -> Builder {
        self.config.diag.watchdog = on;
        self
    }

    /// Narrate the runtime's decisions in plain words on stderr, one line per
    /// step: each poll and where the task's waker went, why and how long the
    /// loop sleeps, which fd or timer woke which task, the run queue after a
    /// wait. Bounded (300 lines, then a count of what was not told); for
    /// small programs and learning. Env `RAMEN_EXPLAIN=1` (or a number of
    /// lines). Off by default; see the `diag` module's `explain.rs`.
    pub fn explain(mut self, on: bool) -> Builder {
        self.config.diag.explain = on.then_some(crate::diag::EXPLAIN_LINES);
        self
    }

    /// Keep the recording in memory for [`Runtime::timeline`] (the ASCII
    /// Gantt chart) and [`Runtime::trace_json`].
    pub fn record_timeline(mut self, on: bool) -> Builder {
        self.config.diag.record = on;
        self
    }

    /// Replaces the recorder's clock (time since start) with `clock`, for
    /// deterministic timelines in tests. Slow-poll detection keeps using the
    /// real clock.
    pub fn trace_clock(mut self, clock: impl Fn() -> Duration + 'static) -> Builder {
        self.config.diag.clock = Some(Rc::new(clock));
        self
    }

    /// Creates the runtime: its reactor (an epoll or kqueue fd plus a notify
    /// fd) is the only OS resource it opens up front.
    pub fn build(self) -> io::Result<Runtime> {
        Runtime::with_config(self.config)
    }

    /// Start with the clock paused, as if [`time::pause`](crate::time::pause)
    /// were the first thing the runtime did (tokio's `start_paused`): timers
    /// then fire by auto-advance and [`time::advance`](crate::time::advance)
    /// only, never by waiting. Default: false. Meant for tests.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = ramen::Runtime::builder().start_paused(true).build().unwrap();
    /// let r = rt.block_on(ramen::time::timeout(
    ///     Duration::from_secs(30),
    ///     std::future::pending::<()>(),
    /// ));
    /// assert!(r.is_err()); // at once: the clock jumped 30 s
    /// ```
    pub fn start_paused(mut self, paused: bool) -> Builder {
        self.config.start_paused = paused;
        self
    }

    /// The kernel interface the reactor waits with. Default: `RAMEN_REACTOR`
    /// (`epoll` or `polling`) if set when the runtime is built, else
    /// [`ReactorBackend::Epoll`] on Linux and [`ReactorBackend::Polling`]
    /// elsewhere (where `Epoll` is not available and `Polling` is used
    /// instead). This setting wins over the environment variable.
    pub fn reactor_backend(mut self, backend: ReactorBackend) -> Builder {
        self.config.reactor_backend = Some(backend);
        self
    }
}
