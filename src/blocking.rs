//! [`spawn_blocking`]: run blocking code on a pool of OS threads, await the result.
//!
//! **Naive approach:** call the blocking function (a `std::fs` read, a DNS
//! lookup, a heavy computation) right inside a task. **Its problem:** ramen
//! has one thread; while it blocks, no other task, timer or socket makes
//! progress. Spawning a fresh `std::thread` per call fixes that, but an
//! accidental loop of a million calls then creates a million threads.
//!
//! **What this file does:** each runtime owns (lazily: no thread exists until
//! the first `spawn_blocking`) a bounded pool of OS threads named
//! `ramen-blocking-N`:
//! - a job goes to an idle thread if there is one, else to a new thread while
//!   fewer than [`Builder::max_blocking_threads`](crate::Builder::max_blocking_threads)
//!   exist, else it waits in a FIFO queue;
//! - a thread idle for [`Builder::blocking_keep_alive`](crate::Builder::blocking_keep_alive)
//!   exits;
//! - the result goes into a small `Arc<Mutex<..>>` slot shared by the worker
//!   and the [`JoinHandle`]; the worker stores it, takes the awaiting task's
//!   `Waker` *under* the lock and wakes it *after* releasing the lock (a waker
//!   may do arbitrary work; never call foreign code while holding a lock). The
//!   wake crosses threads through the runtime's inbox (see `inbox.rs`);
//! - a panic in the job is caught on the worker (which survives) and becomes
//!   [`JoinError::is_panic`].
//!
//! # Shutdown (when the runtime is dropped, or `block_on` returns)
//! - jobs still **queued** are cancelled: their handles report
//!   [`JoinError::is_cancelled`] and their closures are dropped unrun;
//! - jobs already **running** cannot be interrupted (there is no safe way to
//!   stop an OS thread) and are **not waited for**: their threads finish the
//!   job, drop its result on that thread (why `T: Send`), see the pool closed
//!   and exit. Dropping a runtime therefore never hangs on a blocking job;
//!   [`Runtime::shutdown_timeout`](crate::Runtime::shutdown_timeout) waits a
//!   bounded time for them when that matters (flushing a file, say).
//!
//! # Why the hand-off needs ordering
//! The worker writes the result and then wakes; the runtime thread is woken
//! and then reads the result. Both sides go through the slot's mutex, so the
//! write happens-before the read; and the waker is registered and the result
//! checked under that same lock, so a result that arrives between "check"
//! and "register" cannot be missed. The loom models at the bottom of this file
//! (`blocking_result_wakes_joiner`, `idle_worker_is_reused_then_exits`,
//! `shutdown_cancels_queued_jobs`) check this and the pool's idle/shutdown path.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::context;
use crate::loom::{Arc, AtomicUsize, Condvar, Mutex, MutexGuard, Ordering, lock, thread};
use crate::rt::task::{JoinError, JoinHandle, Joinable};
use crate::waker_slot::WakerSlot;

const OUTSIDE: &str = "ramen::spawn_blocking called outside a ramen runtime: the result could \
                       never be awaited; call it inside ramen::block_on(async { ... })";

/// Runs `f` on the current runtime's blocking thread pool; the returned
/// [`JoinHandle`] completes with its result.
///
/// Use it for work that blocks the thread (file I/O, a blocking library,
/// long computations) so the runtime's other tasks keep running meanwhile.
/// Inside `f`, [`Handle::current`](crate::Handle::current) is the runtime
/// that spawned it: `Handle::current().spawn_with(|| async { .. })` hands
/// async work (a sleep, a socket) back to it.
///
/// # Cancellation
/// Dropping the handle (or a pending `.await` on it) does not stop the job:
/// it runs to completion and its result is dropped on the worker thread.
/// [`JoinHandle::abort`] cancels a job that has **not started yet** (it is
/// removed from the queue and the handle reports
/// [`JoinError::is_cancelled`]); a job already running cannot be stopped, and
/// the handle then still yields its result. When the runtime shuts down,
/// queued jobs are cancelled and running ones are left to finish on their
/// threads, unwaited (see [`Runtime::shutdown_timeout`](crate::Runtime::shutdown_timeout)).
///
/// # Panics
/// Outside a ramen runtime. A panic inside `f` does not propagate: it is
/// caught on the worker and returned as [`JoinError::is_panic`].
///
/// ```
/// let n = ramen::block_on(async {
///     ramen::spawn_blocking(|| (1..=10u64).product::<u64>()).await.unwrap()
/// });
/// assert_eq!(n, 3_628_800);
/// ```
pub fn spawn_blocking<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let spawned = context::with_current(|core| {
        let id = core.next_id();
        let pool = core.blocking_pool();
        // Inside the job, `Handle::current()` is this runtime (handle.rs).
        let handle = crate::Handle::new(core.inbox().clone());
        pool.spawn(id, move || handle.enter_blocking(f))
    });
    spawned.unwrap_or_else(|| panic!("{OUTSIDE}"))
}

/// The pool's settings: all it reads of the runtime's configuration.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PoolConfig {
    /// [`Builder::max_blocking_threads`](crate::Builder::max_blocking_threads).
    pub(crate) max_threads: usize,
    /// [`Builder::blocking_keep_alive`](crate::Builder::blocking_keep_alive).
    pub(crate) keep_alive: Duration,
}

/// One runtime's pool of blocking threads (cheap to clone: one `Arc`).
#[derive(Clone)]
pub(crate) struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Idle workers wait here for a job (or for the pool to close).
    work: Condvar,
    /// `shutdown_timeout` waits here for the last worker to exit.
    exited: Condvar,
    max_threads: usize,
    keep_alive: Duration,
    /// Jobs spawned and not yet finished or dropped (a paused clock does not
    /// auto-advance while any is: see `time/clock.rs`). Decremented before
    /// the joiner is woken, so the woken loop sees it.
    in_flight: AtomicUsize,
}

/// Counts one job in `Shared::in_flight` from `spawn` until it is dropped
/// (after the job ran or was cancelled, before its joiner is woken).
struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Release);
    }
}

struct State {
    queue: VecDeque<Queued>,
    /// Worker threads alive (running a job, idle, or about to start).
    threads: usize,
    /// Workers waiting for work that no `submit` has claimed yet.
    idle: usize,
    /// Wake-ups sent to idle workers and not yet consumed: a worker that
    /// wakes finds one here, or knows it timed out or woke spuriously.
    notified: usize,
    running: usize,
    closed: bool,
    next_name: usize,
}

/// A job waiting in the queue, with the id its `JoinHandle` uses to abort it.
struct Queued {
    id: u64,
    run: Box<dyn FnOnce() + Send>,
}

impl Pool {
    pub(crate) fn new(config: PoolConfig) -> Pool {
        Pool::with_limits(config.max_threads, config.keep_alive)
    }

    fn with_limits(max_threads: usize, keep_alive: Duration) -> Pool {
        Pool {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    threads: 0,
                    idle: 0,
                    notified: 0,
                    running: 0,
                    closed: false,
                    next_name: 1,
                }),
                work: Condvar::new(),
                exited: Condvar::new(),
                max_threads: max_threads.max(1),
                keep_alive,
                in_flight: AtomicUsize::new(0),
            }),
        }
    }

    /// Queues `f` and returns the handle that awaits its result.
    fn spawn<F, T>(&self, id: u64, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let slot = Arc::new(Mutex::new(Slot {
            stage: Stage::Pending,
            waker: WakerSlot::new(),
            detached: false,
        }));
        self.shared.in_flight.fetch_add(1, Ordering::Relaxed);
        let in_flight = InFlight(self.shared.clone());
        let f = move || {
            let _in_flight = in_flight; // dropped when `f` returns or unwinds
            f()
        };
        let job = Job {
            id,
            f: Some(f),
            slot: slot.clone(),
        };
        let queued = Queued {
            id,
            run: Box::new(move || job.run()),
        };
        if let Err(rejected) = Shared::submit(&self.shared, queued) {
            // The runtime is shutting down: dropping the job unrun marks it
            // cancelled (see `Job::drop`).
            drop(rejected);
        }
        let join = BlockingJoin {
            slot,
            pool: self.shared.clone(),
            id,
        };
        JoinHandle::new(Rc::new(join), id)
    }

    /// Closes the pool: queued jobs are cancelled, idle workers exit, running
    /// jobs finish on their threads and their workers exit. Idempotent.
    pub(crate) fn close(&self) {
        let cancelled = {
            let mut state = lock(&self.shared.state);
            state.closed = true;
            std::mem::take(&mut state.queue)
        };
        self.shared.work.notify_all();
        // Outside the lock: each dropped job wakes its joiner.
        drop(cancelled);
    }

    /// Waits until every worker has exited, at most `timeout`. Returns
    /// whether they all did. Meant for after [`Pool::close`].
    pub(crate) fn wait_exit(&self, timeout: Duration) -> bool {
        let deadline = Instant::now().checked_add(timeout);
        let mut state = lock(&self.shared.state);
        while state.threads > 0 {
            let left = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => Duration::MAX,
            };
            if left.is_zero() {
                return false;
            }
            state = wait_timeout(&self.shared.exited, state, left).0;
        }
        true
    }

    /// Jobs spawned and not yet finished (or cancelled).
    pub(crate) fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::Acquire)
    }

    /// (threads alive, jobs queued, jobs running), for `Metrics`.
    pub(crate) fn stats(&self) -> (usize, usize, usize) {
        let state = lock(&self.shared.state);
        (state.threads, state.queue.len(), state.running)
    }
}

impl Shared {
    /// Queues `job` and makes sure a worker will take it. Gives the job back
    /// if the pool is closed.
    fn submit(this: &Arc<Shared>, job: Queued) -> Result<(), Queued> {
        let mut state = lock(&this.state);
        if state.closed {
            return Err(job);
        }
        state.queue.push_back(job);
        if state.idle > 0 {
            // Claim one idle worker now, so that two quick submits never
            // both count on the same sleeper.
            state.idle -= 1;
            state.notified += 1;
            drop(state);
            this.work.notify_one();
        } else if state.threads < this.max_threads {
            state.threads += 1;
            let name = format!("ramen-blocking-{}", state.next_name);
            state.next_name += 1;
            drop(state);
            let shared = this.clone();
            let spawned = thread::Builder::new()
                .name(name)
                .spawn(move || shared.worker());
            if let Err(e) = spawned {
                let mut state = lock(&this.state);
                state.threads -= 1;
                if state.threads == 0 {
                    // No worker will ever take the queue: fail loudly rather
                    // than leave the caller awaiting forever.
                    let stranded = std::mem::take(&mut state.queue);
                    drop(state);
                    drop(stranded);
                    panic!("ramen::spawn_blocking: cannot start a blocking thread: {e}");
                }
            }
        }
        // else: every thread is busy; the job waits its turn (FIFO).
        Ok(())
    }

    /// A worker thread's life: run queued jobs; when none are left, wait up
    /// to `keep_alive` for more; exit on timeout or when the pool closes.
    fn worker(&self) {
        let mut state = lock(&self.state);
        'work: loop {
            while let Some(job) = state.queue.pop_front() {
                state.running += 1;
                drop(state);
                // `Job::run` already catches the job's own panic; this catches
                // a panicking foreign `Waker`, so the worker always survives.
                let _ = catch_unwind(AssertUnwindSafe(job.run));
                state = lock(&self.state);
                state.running -= 1;
            }
            if state.closed {
                break;
            }
            state.idle += 1;
            loop {
                let timed_out;
                (state, timed_out) = wait_timeout(&self.work, state, self.keep_alive);
                if state.notified > 0 {
                    // A submit claimed us (or another sleeper; any one will do).
                    state.notified -= 1;
                    continue 'work;
                }
                if state.closed || timed_out {
                    state.idle -= 1;
                    break 'work;
                }
                // A spurious wake-up: wait again.
            }
        }
        state.threads -= 1;
        drop(state);
        self.exited.notify_all();
    }
}

/// `Condvar::wait_timeout` that ignores poisoning (see `loom::lock`);
/// returns whether it timed out. (Under loom it never does: no clock.)
fn wait_timeout<'a, T>(
    cv: &Condvar,
    guard: MutexGuard<'a, T>,
    d: Duration,
) -> (MutexGuard<'a, T>, bool) {
    let (guard, result) = cv
        .wait_timeout(guard, d)
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    (guard, result.timed_out())
}

/// Where a job's result waits for its `JoinHandle`.
struct Slot<T> {
    stage: Stage<T>,
    /// The task awaiting the handle, woken when the result arrives.
    waker: WakerSlot,
    /// The handle is gone: the result is dropped on arrival.
    detached: bool,
}

enum Stage<T> {
    Pending,
    Done(Result<T, JoinError>),
    Taken,
}

/// Stores `result` and wakes the joiner; both the waker call and the drop of
/// an unwanted result happen outside the lock.
fn complete<T>(slot: &Mutex<Slot<T>>, result: Result<T, JoinError>) {
    let (waker, unwanted) = {
        let mut s = lock(slot);
        if s.detached {
            (None, Some(result))
        } else {
            s.stage = Stage::Done(result);
            (s.waker.take(), None)
        }
    };
    drop(unwanted);
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// A job and its result slot. Dropped unrun (queue cleared at shutdown, or
/// aborted), it reports cancellation.
struct Job<F, T> {
    id: u64,
    f: Option<F>,
    slot: Arc<Mutex<Slot<T>>>,
}

impl<F: FnOnce() -> T, T> Job<F, T> {
    fn run(mut self) {
        let f = self.f.take().expect("a job runs once");
        let result = catch_unwind(AssertUnwindSafe(f)).map_err(|p| JoinError::panic(self.id, p));
        complete(&self.slot, result);
    }
}

impl<F, T> Drop for Job<F, T> {
    fn drop(&mut self) {
        if self.f.take().is_some() {
            complete(&self.slot, Err(JoinError::cancelled(self.id)));
        }
    }
}

/// The `JoinHandle`'s side: the slot, plus the pool to abort a queued job.
struct BlockingJoin<T> {
    slot: Arc<Mutex<Slot<T>>>,
    pool: Arc<Shared>,
    id: u64,
}

impl<T> Joinable<T> for BlockingJoin<T> {
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        // Check and register under one lock: a result stored in between
        // would otherwise wake nobody.
        let mut s = lock(&self.slot);
        match std::mem::replace(&mut s.stage, Stage::Taken) {
            Stage::Done(result) => Poll::Ready(result),
            Stage::Taken => panic!("ramen: JoinHandle polled after it returned Ready"),
            Stage::Pending => {
                s.stage = Stage::Pending;
                // The displaced waker (if any) is dropped after unlocking.
                let old = s.waker.replace(cx.waker());
                drop(s);
                drop(old);
                Poll::Pending
            }
        }
    }

    /// Removes the job from the queue if it has not started; a running job
    /// cannot be stopped and keeps its result.
    fn abort(&self) {
        let removed = {
            let mut state = lock(&self.pool.state);
            let at = state.queue.iter().position(|q| q.id == self.id);
            at.and_then(|i| state.queue.remove(i))
        };
        // Dropping it unrun marks the slot cancelled and wakes the joiner.
        drop(removed);
    }

    fn is_finished(&self) -> bool {
        !matches!(lock(&self.slot).stage, Stage::Pending)
    }

    fn detach(&self) {
        let (waker, result) = {
            let mut s = lock(&self.slot);
            s.detached = true;
            (
                s.waker.take(),
                std::mem::replace(&mut s.stage, Stage::Taken),
            )
        };
        drop((waker, result));
    }
}

#[cfg(all(test, loom))]
mod loom_models;
