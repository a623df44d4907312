//! The event loop: the one loop that drives tasks, I/O and timers.
//!
//! **Naive approach:** `loop { for each task { poll it } }`. **Its problems:**
//! it polls tasks that cannot progress, burns a core while everything waits,
//! and never notices a socket becoming readable.
//!
//! **What this file does:** the loop drawn in `lib.rs`. Every live task is
//! in the [`TaskList`]; only *woken* tasks are in the [`RunQueue`]; when
//! none are left (or the budget is spent) the loop asks the [`Reactor`] to wait
//! for I/O until the next timer deadline, fires due timers, moves remote wakes
//! from the [`Inbox`] into the run queue, and releases the tasks that called
//! `yield_now`. Then it polls again.
//!
//! # Invariants
//! - Only this thread touches `Core`: it is reached through `Rc` and the
//!   thread-local in `context.rs`, never from a waker.
//! - A task is polled only through a queue entry (a [`TaskRef`] owning a
//!   reference), only while its state says `SCHEDULED`, and never after
//!   `COMPLETE` (a stale entry is skipped and released).
//! - When a `Runtime` drops, every task's future is dropped here, on this
//!   thread — also tasks that destructors spawn meanwhile, which the drain
//!   loop in `cancel_all` takes in later batches (never a nested call).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering as StdOrdering};
use std::task::{Context, Poll, Waker};

use super::config::Config;
use super::inbox::{Inbox, ThreadUnpark};
use super::run_queue::RunQueue;
use super::task::raw::{self, Spawned, TaskName};
use super::task::state::{HANDLE, SCHEDULED};
use super::task::{JoinHandle, TaskRef};
use super::task_list::TaskList;
use super::waker::waker_ref;
use crate::diag::{Diag, TaskInfo};
use crate::loom::Arc;
use crate::reactor::Reactor;
use crate::time::Timers;

mod timed;
mod turn;

/// Runtime ids start at 1: 0 means "no runtime" in `context.rs`.
static NEXT_RUNTIME_ID: AtomicUsize = AtomicUsize::new(1);

/// The state of one runtime; lives in an `Rc` on its thread.
///
/// Every field is private: other modules go through the methods below
/// (`reactor()`, `timers()`, `blocking_pool()`, `diag()`, `spawn`, …).
pub(crate) struct Core {
    /// This runtime's id (from 1; 0 means "none" in `context.rs`), compared
    /// with a waker's inbox to pick the local or the remote wake path.
    id: usize,
    /// What the `Builder` set: budget, blocking pool limits, diagnostics.
    config: Config,
    /// Every live task (holds one reference each until it completes).
    tasks: TaskList,
    /// Tasks ready to be polled, FIFO (one entry per `SCHEDULED` task).
    run_queue: RunQueue,
    /// Wakers of tasks that called `yield_now`: released after the next reactor turn.
    deferred: RefCell<Vec<Waker>>,
    /// Same, for this runtime's own tasks: their queue entry is already
    /// claimed, so releasing them is a plain push (no atomics).
    deferred_tasks: RefCell<Vec<TaskRef>>,
    /// Wakes and spawns from other threads, and how to unpark this loop.
    inbox: Arc<Inbox>,
    /// Registered fds and their waiters; `wait` sleeps in the kernel.
    reactor: Rc<Reactor>,
    /// The deadline map and the runtime's clock (`time/`).
    timers: Rc<Timers>,
    /// The next task id (ids are never reused).
    next_task_id: Cell<u64>,
    /// Running, shutting down or closed (see [`Phase`]).
    phase: Cell<Phase>,
    /// Scratch space for draining the inbox, kept to reuse its allocation.
    remote_buf: RefCell<Vec<TaskRef>>,
    /// The `spawn_blocking` pool, created by the first call (see `blocking.rs`).
    blocking: std::cell::OnceCell<crate::blocking::Pool>,
    /// Event counters for `Runtime::metrics` (see `metrics.rs`).
    counters: crate::metrics::Counters,
    /// Slow-poll detector, stall explanation, recorder (see `diag/`).
    diag: Diag,
    /// This core's own `Rc`, for `Spawner`s (the thread-local holds a plain pointer).
    weak_self: std::rc::Weak<Core>,
}

impl Core {
    /// Creates the core of a runtime: its reactor (an epoll or kqueue fd plus
    /// a notify fd) is the only OS resource it opens up front.
    pub(crate) fn new(config: Config) -> io::Result<Rc<Core>> {
        let (reactor, unpark) = Reactor::new(&config)?;
        let id = NEXT_RUNTIME_ID.fetch_add(1, StdOrdering::Relaxed);
        // A `Runtime` is `!Send`: it is driven on the thread that built it.
        let unpark_thread = Box::new(ThreadUnpark(std::thread::current()));
        let diag = Diag::new(&config.diag);
        let timers = Rc::new(Timers::new(config.start_paused));
        let core = Rc::new_cyclic(|weak_self| Core {
            weak_self: weak_self.clone(),
            id,
            config,
            tasks: TaskList::default(),
            run_queue: RunQueue::default(),
            deferred: RefCell::new(Vec::new()),
            deferred_tasks: RefCell::new(Vec::new()),
            inbox: Arc::new(Inbox::new(id, unpark, unpark_thread)),
            reactor: Rc::new(reactor),
            timers,
            next_task_id: Cell::new(1),
            phase: Cell::new(Phase::Running),
            remote_buf: RefCell::new(Vec::new()),
            blocking: std::cell::OnceCell::new(),
            counters: Default::default(),
            diag,
        });
        if core.diag.explains() {
            core.reactor.narrate();
            core.timers.narrate();
        }
        Ok(core)
    }

    pub(crate) fn live_tasks(&self) -> usize {
        self.tasks.len()
    }

    /// The counters, with the sizes of the core's structures (`Runtime::metrics`).
    pub(crate) fn metrics(&self) -> crate::Metrics {
        let (blocking_threads, blocking_jobs_queued, blocking_jobs_running) =
            self.blocking.get().map_or((0, 0, 0), |pool| pool.stats());
        self.counters.snapshot(crate::metrics::Gauges {
            tasks_alive: self.live_tasks(),
            timers_pending: self.timers.len(),
            timers_fired: self.timers.fired(),
            io_sources: self.reactor.len(),
            blocking_threads,
            blocking_jobs_queued,
            blocking_jobs_running,
        })
    }

    /// The reactor: sockets register their fds here (`io/fd.rs`).
    pub(crate) fn reactor(&self) -> &Rc<Reactor> {
        &self.reactor
    }

    /// The timers and the clock (`time/`).
    pub(crate) fn timers(&self) -> &Rc<Timers> {
        &self.timers
    }

    /// The instruments, for `Runtime`'s reports (`diag/`).
    pub(crate) fn diag(&self) -> &Diag {
        &self.diag
    }

    /// The blocking pool if `spawn_blocking` was ever called.
    pub(crate) fn blocking_pool_if_any(&self) -> Option<&crate::blocking::Pool> {
        self.blocking.get()
    }

    /// The `spawn_blocking` pool, created by the first call (see `blocking.rs`).
    pub(crate) fn blocking_pool(&self) -> &crate::blocking::Pool {
        self.blocking
            .get_or_init(|| crate::blocking::Pool::new(self.config.blocking))
    }

    /// The loop: runs until `future` (the `block_on` future) completes.
    ///
    /// Loop invariant: every task that can make progress is in the run
    /// queue, in the inbox, or will be woken by the reactor, a timer, or a
    /// `yield_now` deferral released at the end of `turn`.
    pub(crate) fn run<F: Future + ?Sized>(&self, mut future: Pin<&mut F>) -> F::Output {
        let core = self;
        let main = MainTask(core.main_task());
        let main = &main.0;
        core.run_queue.push(main.clone()); // the entry's reference
        let main_waker = waker_ref(main);
        let main_id = main.id();
        core.diag.on_spawn(main_id, || "block_on".into());
        let _coop = crate::coop::enter(); // unconstrained again after block_on
        loop {
            let mut budget = core.config.budget;
            while budget > 0 {
                let Some(task) = core.run_queue.pop() else {
                    break;
                };
                budget -= 1;
                crate::coop::reset(); // a fresh cooperative budget per task poll (coop.rs)
                if !task.ptr_eq(main) {
                    core.run_task(task);
                    continue;
                }
                main.header().state.begin_poll();
                core.counters.polled();
                let mut cx = Context::from_waker(&main_waker);
                let info = TaskInfo::block_on(main_id);
                let poll = core
                    .diag
                    .on_poll(info, core, || future.as_mut().poll(&mut cx));
                task.end_poll();
                if let Poll::Ready(output) = poll {
                    return output;
                }
            }
            if budget == 0 && !core.run_queue.is_empty() {
                core.counters.forced_yield();
                core.diag.on_forced_yield(core.run_queue.len());
            }
            core.turn(main);
        }
    }

    pub(crate) fn id(&self) -> usize {
        self.id
    }

    pub(crate) fn next_id(&self) -> u64 {
        let id = self.next_task_id.get();
        self.next_task_id.set(id + 1);
        id
    }

    /// The `block_on` future's stand-in block: a task that is never in the
    /// task list and whose "future" is never polled (the loop recognises
    /// its entries by pointer and polls the real future instead). Starts
    /// `SCHEDULED` with two references: the loop's and the first entry's.
    fn main_task(&self) -> TaskRef {
        let id = self.next_id();
        let how = Spawned {
            id,
            location: std::panic::Location::caller(),
            scheduler: &self.inbox,
            flags: SCHEDULED,
            refs: 1,
        };
        // SAFETY: `allocate` made one reference for us.
        unsafe { TaskRef::from_raw(raw::allocate(std::future::pending::<()>(), (), how)) }
    }

    /// Local wake path (see `waker.rs`): no lock, no syscall.
    #[inline]
    pub(crate) fn schedule_local(&self, task: TaskRef) {
        self.diag.on_wake(task.id(), false);
        self.counters.local_wake();
        self.run_queue.push(task);
    }

    /// Parks `waker` until after the next reactor turn (`yield_now`).
    pub(crate) fn defer(&self, waker: &Waker) {
        let ours = super::waker::task_ptr_of(waker).filter(|ptr| {
            // SAFETY: the borrowed waker keeps the block alive.
            let header = unsafe { ptr.as_ref() };
            // SAFETY: as above; the scheduler lives as long as the block.
            unsafe { header.scheduler.as_ref() }.runtime_id() == self.id
        });
        let Some(ptr) = ours else {
            self.deferred.borrow_mut().push(waker.clone());
            return;
        };
        // SAFETY: as above.
        let header = unsafe { ptr.as_ref() };
        // If the bit was already set, the task was woken during this poll
        // and is queued already: nothing to add.
        if header.state.schedule_by_ref() == super::task::state::Wake::Push {
            // SAFETY: `schedule_by_ref` added the entry's reference.
            let task = unsafe { TaskRef::from_raw(ptr) };
            self.deferred_tasks.borrow_mut().push(task);
        }
        self.diag.on_yield_now(header.id);
    }

    /// Creates a task and queues it; it first runs at the next scheduling point.
    pub(crate) fn spawn<F, N>(
        &self,
        future: F,
        name: N,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        N: TaskName,
    {
        let id = self.next_id();
        // During shutdown a task is only listed (the drain loop cancels it
        // in a later batch; never here: a chain of such spawns would recurse
        // once per link). Otherwise it is also queued: one more reference.
        let queued = self.phase.get() == Phase::Running;
        let how = Spawned {
            id,
            location,
            scheduler: &self.inbox,
            flags: HANDLE | if queued { SCHEDULED } else { 0 },
            refs: 2 + usize::from(queued),
        };
        let ptr = raw::allocate(future, name, how);
        // SAFETY: `allocate` made the references handed out below: the
        // list's, the handle's, and (if queued) the entry's.
        let (listed, handle) = unsafe { (TaskRef::from_raw(ptr), JoinHandle::from_task(ptr)) };
        self.diag.on_spawn(id, || listed.label());
        self.tasks.insert(listed);
        match self.phase.get() {
            Phase::Running => {
                // SAFETY: the entry's reference (see above).
                self.run_queue.push(unsafe { TaskRef::from_raw(ptr) });
                self.counters.spawned();
            }
            Phase::ShuttingDown => {}
            // Spawned after shutdown (from a destructor of the core's own
            // fields): cancel it, through the same loop.
            Phase::Closed => self.cancel_all(),
        }
        handle
    }

    /// Polls one queued task (`task` is its popped entry), unless it
    /// already completed.
    #[inline]
    fn run_task(&self, task: TaskRef) {
        if task.is_complete() {
            return; // stale: dropping the entry releases its reference
        }
        let waker = waker_ref(&task);
        let mut cx = Context::from_waker(&waker);
        self.counters.polled();
        // Diagnostics off costs one predictable branch per poll (in the hook).
        let info = TaskInfo::task(task.id(), || task.label());
        if self
            .diag
            .on_poll(info, self, || task.poll(&mut cx))
            .is_ready()
        {
            // COMPLETE, and the list's and this entry's references
            // released, in one atomic operation.
            let listed = self.tasks.remove(&task);
            task.complete(listed);
        } else {
            task.end_poll();
        }
    }

    /// Cancels every task (dropping its future here), timer and waiter.
    pub(crate) fn shutdown(&self) {
        self.inbox.close();
        // Queued blocking jobs are cancelled; running ones are not waited for.
        // A pool is made if absent (it has no threads) so that a destructor
        // calling spawn_blocking from here on gets a cancelled handle.
        self.blocking_pool().close();
        self.cancel_all();
        self.run_queue.clear();
        self.deferred.borrow_mut().clear();
        let deferred = std::mem::take(&mut *self.deferred_tasks.borrow_mut());
        drop(deferred);
        self.timers.clear();
        self.reactor.clear_wakers();
    }

    /// The shutdown drain loop: `Running`/`Closed` → `ShuttingDown` →
    /// `Closed`. Tasks' destructors may wake or spawn; a task spawned
    /// meanwhile lands in the slab and is cancelled by a later batch, so a
    /// chain of n spawns costs n iterations, not n nested calls. Batches
    /// keep it O(n).
    fn cancel_all(&self) {
        debug_assert!(
            self.phase.get() != Phase::ShuttingDown,
            "the drain loop is not re-entered"
        );
        self.phase.set(Phase::ShuttingDown);
        loop {
            let batch = self.tasks.take_all();
            if batch.is_empty() {
                break;
            }
            for task in &batch {
                task.cancel();
            }
        }
        self.phase.set(Phase::Closed);
    }
}

/// The `block_on` stand-in (`Core::main_task`), completed when `run` returns
/// or unwinds, so later wakes of the `block_on` waker queue nothing.
struct MainTask(TaskRef);

impl Drop for MainTask {
    fn drop(&mut self) {
        let state = &self.0.header().state;
        if state.load().has(super::task::state::RUNNING) {
            state.abandon_poll(); // the block_on future panicked
        }
        self.0.cancel();
    }
}

/// A runtime's phase, for `spawn`. Transitions:
/// `Running → ShuttingDown → Closed` (`Runtime::drop`), and
/// `Closed → ShuttingDown → Closed` (a spawn after shutdown, cancelled at
/// once). Nothing returns to `Running`: a dropped runtime stays dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// The loop may run: spawned tasks are queued.
    Running,
    /// The drain loop is cancelling tasks: spawned tasks wait in the task
    /// list for its next batch.
    ShuttingDown,
    /// Every task has been cancelled.
    Closed,
}

impl Core {
    /// This runtime's inbox: what a `Handle` holds to reach it.
    pub(crate) fn inbox(&self) -> &Arc<Inbox> {
        &self.inbox
    }

    /// This core's own `Rc`, weakly: what a `Spawner` holds.
    pub(crate) fn weak_self(&self) -> std::rc::Weak<Core> {
        self.weak_self.clone()
    }
}
