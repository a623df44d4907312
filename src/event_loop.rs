//! The event loop: the one loop that drives tasks, I/O and timers.
//!
//! **Naive approach:** `loop { for each task { poll it } }`. **Its problems:**
//! it polls tasks that cannot progress, burns a core while everything waits,
//! and never notices a socket becoming readable.
//!
//! **What this file does:** the loop drawn in `lib.rs`. Tasks live in a
//! `Slab` (`Core::tasks`); only *woken* tasks are in the [`RunQueue`]; when
//! none are left (or the budget is spent) the loop asks the [`Reactor`] to wait
//! for I/O until the next timer deadline, fires due timers, moves remote wakes
//! from the [`Inbox`] into the run queue, and releases the tasks that called
//! `yield_now`. Then it polls again.
//!
//! # Invariants
//! - Only this thread touches `Core`: it is reached through `Rc` and the
//!   thread-local in `context.rs`, never from a waker.
//! - A task is polled only via a [`TaskRef`] whose id matches its slot.
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
use std::time::Duration;

use slab::Slab;

use crate::builder::Config;
use crate::diag::{Diag, EventKind};
use crate::inbox::{Inbox, Sleep, ThreadUnpark};
use crate::loom::Arc;
use crate::reactor::Reactor;
use crate::run_queue::{RunQueue, TaskRef};
use crate::task::{JoinHandle, Runnable, TaskCell, TaskMeta};
use crate::time::Timers;
use crate::waker::{Header, waker_ref};

mod timed;

/// Slab key reserved for the `block_on` future (never a slab index).
const MAIN_KEY: usize = usize::MAX;

/// Runtime ids start at 1: 0 means "no runtime" in `context.rs`.
static NEXT_RUNTIME_ID: AtomicUsize = AtomicUsize::new(1);

/// The state of one runtime; lives in an `Rc` on its thread.
pub(crate) struct Core {
    id: usize,
    pub(crate) config: Config,
    tasks: RefCell<Slab<Rc<dyn Runnable>>>,
    run_queue: RunQueue,
    /// Wakers of tasks that called `yield_now`: released after the next reactor turn.
    deferred: RefCell<Vec<Waker>>,
    /// Same, for this runtime's own tasks: their queue slot is already
    /// claimed, so releasing them is a plain push (no atomics).
    deferred_tasks: RefCell<Vec<TaskRef>>,
    inbox: Arc<Inbox>,
    pub(crate) reactor: Rc<Reactor>,
    pub(crate) timers: Rc<Timers>,
    next_task_id: Cell<u64>,
    phase: Cell<Phase>,
    remote_buf: RefCell<Vec<TaskRef>>,
    /// Headers of finished tasks, reused by `spawn` (see `recycle_header`).
    header_pool: RefCell<Vec<Arc<Header>>>,
    /// The `spawn_blocking` pool, created by the first call (see `blocking.rs`).
    pub(crate) blocking: std::cell::OnceCell<crate::blocking::Pool>,
    pub(crate) metrics: crate::metrics::Counters,
    /// Slow-poll detector, stall explanation, recorder (see `diag/`).
    pub(crate) diag: Diag,
    weak_self: std::rc::Weak<Core>,
}

impl Core {
    /// Creates the core of a runtime: its poller (an epoll or kqueue fd plus
    /// a notify fd) is the only OS resource it opens up front.
    pub(crate) fn new(config: Config) -> io::Result<Rc<Core>> {
        let poller = polling::Poller::new().map_err(|e| {
            io::Error::new(e.kind(), format!("ramen: cannot create the poller: {e}"))
        })?;
        let poller = Arc::new(poller);
        let id = NEXT_RUNTIME_ID.fetch_add(1, StdOrdering::Relaxed);
        let unpark = Box::new(PollerUnpark(poller.clone()));
        // A `Runtime` is `!Send`: it is driven on the thread that built it.
        let unpark_thread = Box::new(ThreadUnpark(std::thread::current()));
        let diag = Diag::new(&config.diag);
        let timers = Rc::new(Timers::new(config.start_paused));
        let core = Rc::new_cyclic(|weak_self| Core {
            weak_self: weak_self.clone(),
            id,
            config,
            tasks: RefCell::new(Slab::new()),
            run_queue: RunQueue::default(),
            deferred: RefCell::new(Vec::new()),
            deferred_tasks: RefCell::new(Vec::new()),
            inbox: Arc::new(Inbox::new(id, unpark, unpark_thread)),
            reactor: Rc::new(Reactor::new(poller)),
            timers,
            next_task_id: Cell::new(1),
            phase: Cell::new(Phase::Running),
            remote_buf: RefCell::new(Vec::new()),
            header_pool: RefCell::new(Vec::new()),
            blocking: std::cell::OnceCell::new(),
            metrics: Default::default(),
            diag,
        });
        if core.diag.explain.is_some() {
            core.reactor.narrate();
            core.timers.narrate();
        }
        Ok(core)
    }

    pub(crate) fn live_tasks(&self) -> usize {
        self.tasks.borrow().len()
    }

    /// The loop: runs until `future` (the `block_on` future) completes.
    ///
    /// Loop invariant: every task that can make progress is in the run
    /// queue, in the inbox, or will be woken by the reactor, a timer, or a
    /// `yield_now` deferral released at the end of `turn`.
    pub(crate) fn run<F: Future + ?Sized>(&self, mut future: Pin<&mut F>) -> F::Output {
        let core = self;
        let main = Arc::new(Header::new_scheduled(
            TaskRef {
                key: MAIN_KEY,
                id: core.next_id(),
            },
            core.inbox.clone(),
        ));
        core.run_queue.push(main.task);
        let main_waker = waker_ref(&main);
        if core.diag.recorder.is_some() {
            let label = String::from("block_on");
            core.diag.record(EventKind::Spawn {
                task: main.task.id,
                label,
            });
        }
        let _coop = crate::coop::enter(); // unconstrained again after block_on
        loop {
            let mut budget = core.config.budget;
            while budget > 0 {
                let Some(task) = core.run_queue.pop() else {
                    break;
                };
                budget -= 1;
                crate::coop::reset(); // a fresh cooperative budget per task poll (coop.rs)
                if task.key != MAIN_KEY {
                    core.run_task(task);
                    continue;
                }
                if task.id != main.task.id {
                    continue; // a stale entry from an earlier block_on
                }
                main.begin_poll();
                core.metrics.polls.set(core.metrics.polls.get() + 1);
                let started = core.diag.timing.then(|| core.poll_started(main.task.id));
                let poll = future.as_mut().poll(&mut Context::from_waker(&main_waker));
                if let Some(started) = started {
                    core.poll_finished(started, main.task.id, None, poll.is_ready());
                }
                if let Poll::Ready(output) = poll {
                    main.complete();
                    return output;
                }
            }
            if budget == 0 && !core.run_queue.is_empty() {
                core.metrics
                    .forced_yields
                    .set(core.metrics.forced_yields.get() + 1);
                if core.diag.recorder.is_some() {
                    let ready = core.run_queue.len();
                    core.diag.record(EventKind::ForcedYield { ready });
                }
            }
            core.turn(&main);
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

    /// Local wake path (see `waker.rs`): no lock, no syscall.
    #[inline]
    pub(crate) fn schedule_local(&self, task: TaskRef) {
        if self.diag.recorder.is_some() {
            self.diag.record(EventKind::Wake {
                task: task.id,
                remote: false,
            });
        }
        self.metrics
            .local_wakes
            .set(self.metrics.local_wakes.get() + 1);
        self.run_queue.push(task);
    }

    /// A header for a new task: a recycled one if the pool has one.
    fn new_header(&self, task: TaskRef) -> Arc<Header> {
        if let Some(mut header) = self.header_pool.borrow_mut().pop() {
            if let Some(h) = Arc::get_mut(&mut header) {
                h.reuse(task);
                return header;
            }
        }
        Arc::new(Header::new_scheduled(task, self.inbox.clone()))
    }

    /// Keeps a finished task's header for reuse if no waker still points at
    /// it (a header still shared is simply dropped).
    pub(crate) fn recycle_header(&self, header: Arc<Header>) {
        const MAX_POOLED: usize = 16 * 1024;
        if header.runtime_id() != self.id || self.phase.get() != Phase::Running {
            return;
        }
        let mut pool = self.header_pool.borrow_mut();
        if pool.len() < MAX_POOLED && Arc::strong_count(&header) == 1 {
            pool.push(header);
        }
    }

    /// Parks `waker` until after the next reactor turn (`yield_now`).
    pub(crate) fn defer(&self, waker: &Waker) {
        match crate::waker::header_of(waker) {
            Some(header) if header.runtime_id() == self.id => {
                // If the bit was already set, the task was woken during this
                // poll and is queued already: nothing to add.
                if header.try_claim() {
                    self.deferred_tasks.borrow_mut().push(header.task);
                }
                if self.diag.explain.is_some() {
                    let what = "yield_now: it runs again after the next reactor turn".into();
                    let task = header.task.id;
                    self.diag.record(EventKind::Waits { task, what });
                }
            }
            _ => self.deferred.borrow_mut().push(waker.clone()),
        }
    }

    /// Creates a task and queues it; it first runs at the next scheduling point.
    pub(crate) fn spawn<F>(
        &self,
        future: F,
        name: Option<Box<str>>,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        let id = self.next_id();
        let mut tasks = self.tasks.borrow_mut();
        let entry = tasks.vacant_entry();
        let task = TaskRef {
            key: entry.key(),
            id,
        };
        let header = self.new_header(task);
        let cell = TaskCell::new(header, TaskMeta { id, name, location }, future);
        entry.insert(cell.clone());
        drop(tasks);
        match self.phase.get() {
            Phase::Running => {}
            // A destructor spawned during shutdown: the drain loop in
            // `shutdown` cancels it in a later batch. Never cancelled right
            // here: a chain of such spawns would recurse once per link.
            Phase::ShuttingDown => return JoinHandle::new(cell, id),
            // Spawned after shutdown (from a destructor of the core's own
            // fields): cancel it, through the same loop.
            Phase::Closed => {
                self.cancel_all();
                return JoinHandle::new(cell, id);
            }
        }
        if self.diag.recorder.is_some() {
            let label = cell.meta().to_string();
            self.diag.record(EventKind::Spawn { task: id, label });
        }
        self.run_queue.push(task);
        self.metrics.spawned.set(self.metrics.spawned.get() + 1);
        JoinHandle::new(cell, id)
    }

    /// Polls one queued task, if `task` still names a live one.
    fn run_task(&self, task: TaskRef) {
        let runnable = match self.tasks.borrow().get(task.key) {
            Some(r) if r.meta().id == task.id => r.clone(),
            // Stale entry: the task finished and its slot may be reused.
            _ => return,
        };
        let header = runnable.header();
        header.begin_poll();
        let waker = waker_ref(header);
        let mut cx = Context::from_waker(&waker);
        self.metrics.polls.set(self.metrics.polls.get() + 1);
        // Diagnostics off costs this one predictable branch per poll.
        let ready = if self.diag.timing {
            self.run_timed(&*runnable, &mut cx, task.id)
        } else {
            runnable.run(&mut cx).is_ready()
        };
        if ready {
            self.tasks.borrow_mut().try_remove(task.key);
        }
    }

    /// One reactor turn: wait for I/O (not at all if work is ready), fire
    /// timers, collect remote wakes, release yielders.
    fn turn(&self, main: &Arc<Header>) {
        let work_ready = !self.run_queue.is_empty()
            || !self.deferred.borrow().is_empty()
            || !self.deferred_tasks.borrow().is_empty();
        // A paused clock may auto-advance instead of sleeping (time/clock.rs).
        let (timeout, auto_advance) = if work_ready {
            (Some(Duration::ZERO), None)
        } else {
            let blocking = self.blocking.get().is_some_and(|p| p.in_flight() > 0);
            self.timers.idle_wait(blocking)
        };
        // Nothing to wait for but I/O and other threads: sleep at most the
        // stall grace period, then check whether anything can still happen.
        let stall_probe = timeout.is_none() && self.diag.stall.is_some();
        let timeout = match (&self.diag.stall, stall_probe) {
            (Some(watch), true) => Some(watch.grace),
            _ => timeout,
        };
        let blocking_wait = timeout != Some(Duration::ZERO);
        let mut io_events = 0;
        // With work ready and no fd registered there is nothing to ask the
        // kernel: skip the syscall (yield-heavy code stays cheap).
        let no_fds = self.reactor.len() == 0;
        if blocking_wait || !no_fds {
            // No fd registered: epoll has nothing to report, so sleep on a
            // futex (`thread::park`, one syscall) instead of `Poller::wait`
            // (five with polling's timerfd and notifier re-arming).
            let how = if no_fds {
                Sleep::Thread
            } else {
                Sleep::Reactor
            };
            if blocking_wait && self.diag.explain.is_some() {
                self.explain_wait(timeout, how == Sleep::Reactor, stall_probe);
            }
            let parked = blocking_wait && self.inbox.park(how);
            let timeout = if blocking_wait && !parked {
                Some(Duration::ZERO)
            } else {
                timeout
            };
            if how == Sleep::Thread {
                if parked {
                    self.metrics.parks.set(self.metrics.parks.get() + 1);
                    match timeout {
                        Some(d) => std::thread::park_timeout(d),
                        None => std::thread::park(),
                    }
                }
            } else {
                self.metrics
                    .reactor_waits
                    .set(self.metrics.reactor_waits.get() + 1);
                match self.reactor.wait(timeout) {
                    Ok(n) => io_events = n,
                    // epoll_wait fails only on a broken poller (EBADF/EINVAL)
                    // or out of memory; say so instead of spinning silently.
                    Err(e) => eprintln!("ramen: reactor wait failed: {e}"),
                }
                if io_events > 0 && self.diag.recorder.is_some() {
                    self.diag.record(EventKind::Io { fds: io_events });
                    if self.diag.explain.is_some() {
                        self.record_reactor_notes();
                    }
                }
            }
            if parked {
                self.inbox.unparked();
            }
        }
        if let Some(deadline) = auto_advance {
            self.drain_inbox();
            if self.run_queue.is_empty() {
                self.timers.clock.set_paused(deadline); // nothing woke: jump
            }
        }
        if !self.timers.is_empty() {
            let mut due = Vec::new();
            let fired = self.timers.fire_due(&mut due);
            if fired > 0 && self.diag.recorder.is_some() {
                self.diag.record(EventKind::Timers { fired });
            }
        }
        self.drain_inbox();
        if stall_probe && io_events == 0 && self.run_queue.is_empty() {
            self.check_stall(main);
        }
        self.run_queue
            .extend(self.deferred_tasks.borrow_mut().drain(..));
        let deferred = std::mem::take(&mut *self.deferred.borrow_mut());
        for w in deferred {
            w.wake();
        }
        if blocking_wait && let Some(narrator) = &self.diag.explain {
            narrator.after_turn(&self.run_queue.task_ids());
        }
    }

    /// Moves remote wakes into the run queue. Their `SCHEDULED` bit was set
    /// by the waker, so each is a single entry.
    fn drain_inbox(&self) {
        let mut spawns = Vec::new();
        let mut buf = self.remote_buf.borrow_mut();
        self.inbox.drain_all(&mut buf, &mut spawns);
        if !buf.is_empty() {
            let n = buf.len() as u64;
            if self.diag.recorder.is_some() {
                for t in buf.iter() {
                    self.diag.record(EventKind::Wake {
                        task: t.id,
                        remote: true,
                    });
                }
            }
            self.metrics
                .remote_wakes
                .set(self.metrics.remote_wakes.get() + n);
            self.run_queue.extend(buf.drain(..));
        }
        drop(buf);
        // Tasks spawned through a `Handle` (see `handle.rs`): each spawns
        // itself onto this runtime, which is current here.
        for spawn in spawns {
            spawn();
        }
    }

    /// Cancels every task (dropping its future here), timer and waiter.
    pub(crate) fn shutdown(&self) {
        self.inbox.close();
        // Queued blocking jobs are cancelled; running ones are not waited for.
        // A pool is made if absent (it has no threads) so that a destructor
        // calling spawn_blocking from here on gets a cancelled handle.
        let config = &self.config;
        let pool = self
            .blocking
            .get_or_init(|| crate::blocking::Pool::new(config));
        pool.close();
        self.cancel_all();
        self.run_queue.clear();
        self.deferred.borrow_mut().clear();
        self.deferred_tasks.borrow_mut().clear();
        self.header_pool.borrow_mut().clear();
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
            let batch: Vec<Rc<dyn Runnable>> = self.tasks.borrow_mut().drain().collect();
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

/// A runtime's phase, for `spawn` and the header pool. Transitions:
/// `Running → ShuttingDown → Closed` (`Runtime::drop`), and
/// `Closed → ShuttingDown → Closed` (a spawn after shutdown, cancelled at
/// once). Nothing returns to `Running`: a dropped runtime stays dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// The loop may run: spawned tasks are queued.
    Running,
    /// The drain loop is cancelling tasks: spawned tasks wait in the slab
    /// for its next batch.
    ShuttingDown,
    /// Every task has been cancelled.
    Closed,
}

impl Core {
    /// A `Send` handle to this runtime (its inbox), for `Handle`.
    pub(crate) fn handle(&self) -> crate::Handle {
        crate::Handle::new(self.inbox.clone())
    }

    pub(crate) fn spawner(&self) -> crate::Spawner {
        // The thread-local holds a plain pointer, not the `Rc`; spawners
        // reach the core through a weak self-reference made at build time.
        crate::Spawner::new(self.weak_self.clone())
    }
}

/// The poller's `notify`, shared with wakers through the inbox.
pub(crate) struct PollerUnpark(pub(crate) Arc<polling::Poller>);

impl crate::inbox::Unpark for PollerUnpark {
    fn unpark(&self) {
        self.0.unpark();
    }
}
