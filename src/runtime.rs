//! The public face of the runtime: [`Runtime`], its [`Builder`] entry point,
//! and [`block_on`].
//!
//! **Naive approach:** a global runtime started on first use. **Its
//! problem:** hidden threads and hidden state; a program cannot say when the
//! runtime starts, which thread it owns, or when its tasks are dropped.
//!
//! **What this file does:** a `Runtime` is a value you create, use and drop
//! on one thread. `block_on` makes it current (see `context.rs`) and runs the
//! loop in `event_loop.rs` until the given future completes; dropping the
//! runtime cancels its tasks on this thread and closes its fds.

use std::future::Future;
use std::io;
use std::panic::Location;
use std::pin::pin;
use std::rc::Rc;
use std::time::Duration;

use crate::builder::Builder;
use crate::context;
use crate::event_loop::Core;
use crate::rt::config::Config;
use crate::task::JoinHandle;

/// A ramen runtime: one thread's event loop with its tasks, timers and I/O.
///
/// Most programs use [`crate::block_on`]; build a `Runtime` to keep tasks
/// across several `block_on` calls, to spawn before running, or to change
/// settings through [`Runtime::builder`].
///
/// A `Runtime` is `!Send`: its tasks may hold `Rc`s and stay on this thread.
///
/// ```
/// let rt = ramen::Runtime::new().unwrap();
/// let handle = rt.spawn(async { 6 * 7 });
/// assert_eq!(rt.block_on(handle).unwrap(), 42);
/// ```
pub struct Runtime {
    core: Rc<Core>,
}

impl Runtime {
    /// A runtime with default settings.
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// Settings: budget, blocking pool size and more.
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn with_config(config: Config) -> io::Result<Runtime> {
        Ok(Runtime {
            core: Core::new(config)?,
        })
    }

    /// The warnings this runtime printed (slow polls, stalls), oldest first;
    /// the last 100 are kept.
    pub fn warnings(&self) -> Vec<String> {
        self.core.diag().warnings()
    }

    /// The ASCII timeline of every poll so far, `width` columns wide: one row
    /// per task, `█` while it held the thread, `·` while it was alive but
    /// not running. `None` unless built with
    /// [`Builder::record_timeline`] or [`Builder::trace_file`].
    pub fn timeline(&self, width: usize) -> Option<String> {
        self.core.diag().timeline(width)
    }

    /// The recording so far as Chrome Trace Event JSON (`None` unless
    /// recording is on; see [`Runtime::timeline`]).
    pub fn trace_json(&self) -> Option<String> {
        self.core.diag().trace_json()
    }

    /// The recording so far as one self-contained HTML page: inline SVG, a
    /// row per task, a bar per poll, wake and reactor marks, no scripts
    /// (`None` unless recording is on; see [`Runtime::timeline`]).
    pub fn trace_html(&self) -> Option<String> {
        self.core.diag().trace_html()
    }

    /// Spawns a task on this runtime; it runs during the next `block_on`.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        self.core.spawn(future, (), Location::caller())
    }

    /// A cloneable handle that spawns onto this runtime from anywhere on its
    /// thread, including through `futures::task::LocalSpawnExt`.
    pub fn spawner(&self) -> crate::Spawner {
        crate::Spawner::new(Rc::downgrade(&self.core))
    }

    /// A `Send + Sync` handle that spawns onto this runtime from any thread
    /// (see [`Handle`](crate::Handle)).
    pub fn handle(&self) -> crate::Handle {
        crate::Handle::new(self.core.inbox().clone())
    }

    /// Counters of what this runtime has done so far.
    pub fn metrics(&self) -> crate::Metrics {
        self.core.metrics()
    }

    /// Drops the runtime (cancelling its tasks and queued blocking jobs, as
    /// dropping it does), then waits up to `timeout` for blocking jobs that
    /// were already running to finish. Returns whether they all did.
    ///
    /// A plain drop never waits for running blocking jobs: their threads
    /// finish on their own and exit (see [`crate::spawn_blocking`]).
    pub fn shutdown_timeout(self, timeout: Duration) -> bool {
        let pool = self.core.blocking_pool_if_any().cloned();
        drop(self);
        pool.is_none_or(|pool| pool.wait_exit(timeout))
    }

    /// Runs `future` to completion on this thread, driving every spawned
    /// task, timer and socket meanwhile. Tasks still alive when it returns
    /// stay in the runtime (they run again at the next `block_on`) until the
    /// `Runtime` is dropped.
    ///
    /// # Panics
    /// Inside another running ramen runtime (it would deadlock). A panic in
    /// `future` itself propagates to the caller.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _enter = context::enter(&self.core, false);
        let mut future = pin!(future);
        self.core.run(future.as_mut())
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Destructors of tasks may call `spawn` or wake: make this runtime
        // current while they run (nested: we may be dropped inside another
        // runtime's task).
        let _enter = context::enter(&self.core, true);
        self.core.shutdown();
        self.core.diag().finish();
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("id", &self.core.id())
            .field("tasks", &self.core.live_tasks())
            .finish()
    }
}

/// Runs `future` to completion on a new runtime on this thread.
///
/// Spawned tasks, timers and I/O are driven meanwhile. When it returns, every
/// task still alive is cancelled (its future dropped here) and the runtime's
/// fds are closed.
///
/// # Panics
/// If called inside a running ramen runtime (it would block that runtime's
/// thread: a deadlock), or if the OS refuses to create a poller.
/// A panic in `future` propagates after the runtime is cleaned up.
///
/// ```
/// let v = ramen::block_on(async {
///     let h = ramen::spawn(async { "hello" });
///     h.await.unwrap()
/// });
/// assert_eq!(v, "hello");
/// ```
#[track_caller]
pub fn block_on<F: Future>(future: F) -> F::Output {
    if context::current_id() != 0 {
        // Checked before building a runtime so the message names the mistake.
        panic!(
            "ramen: cannot call block_on inside a running ramen runtime: the inner \
             loop would block this thread and the outer runtime would deadlock; \
             spawn the future with ramen::spawn or .await it instead"
        );
    }
    let rt = Runtime::new().unwrap_or_else(|e| panic!("ramen::block_on: {e}"));
    rt.block_on(future)
}
