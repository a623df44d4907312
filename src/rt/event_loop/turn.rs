//! One turn of the loop between two batches of polls: wait for I/O (not at
//! all if work is ready), fire timers, collect remote wakes, release the
//! tasks that yielded.
//!
//! Kept apart from `event_loop.rs` so each step has a name: [`Core::turn`]
//! reads as the four steps it takes.

use std::time::Duration;

use super::Core;
use crate::rt::inbox::Park;
use crate::rt::task::TaskRef;

/// How long this turn may sleep, decided before sleeping.
struct WaitPlan {
    /// `Some(ZERO)`: only look; `None`: until woken.
    timeout: Option<Duration>,
    /// A paused clock jumps to this deadline if nothing else wakes the loop.
    auto_advance: Option<crate::time::Instant>,
    /// The sleep is the stall detector's grace period (nothing else to wait for).
    stall_probe: bool,
}

impl WaitPlan {
    fn blocks(&self) -> bool {
        self.timeout != Some(Duration::ZERO)
    }
}

impl Core {
    /// One reactor turn: the loop calls it when the run queue is empty or
    /// the budget is spent.
    pub(super) fn turn(&self, main: &TaskRef) {
        self.run_queue.trim();
        let plan = self.plan_wait();
        let io_events = self.wait_for_events(&plan);
        self.fire_timers(&plan);
        self.drain_inbox();
        if plan.stall_probe && io_events == 0 && self.run_queue.is_empty() {
            self.check_stall(main);
        }
        self.release_yielders();
        self.diag
            .on_turn_end(plan.blocks(), || self.run_queue.task_ids());
    }

    /// Work ready: only look. Otherwise until the next timer (a paused
    /// clock may auto-advance instead, `time/clock.rs`), or, with nothing
    /// to wait for but I/O and other threads, at most the stall grace
    /// period, after which the stall check asks whether anything can still
    /// happen.
    fn plan_wait(&self) -> WaitPlan {
        let work_ready = !self.run_queue.is_empty()
            || !self.deferred.borrow().is_empty()
            || !self.deferred_tasks.borrow().is_empty();
        let (timeout, auto_advance) = if work_ready {
            (Some(Duration::ZERO), None)
        } else {
            let blocking = self.blocking.get().is_some_and(|p| p.in_flight() > 0);
            self.timers.idle_wait(blocking)
        };
        let stall_grace = self.diag.stall_grace();
        let stall_probe = timeout.is_none() && stall_grace.is_some();
        WaitPlan {
            timeout: if stall_probe { stall_grace } else { timeout },
            auto_advance,
            stall_probe,
        }
    }

    /// Sleeps in the reactor (or, with no fd registered, in `thread::park`:
    /// epoll would have nothing to report and a futex sleep is one syscall).
    /// With work ready and no fd registered there is nothing to ask the
    /// kernel at all: the syscall is skipped. Returns the I/O events seen.
    fn wait_for_events(&self, plan: &WaitPlan) -> usize {
        let no_fds = self.reactor.len() == 0;
        if !plan.blocks() && no_fds {
            return 0;
        }
        let how = if no_fds { Park::Thread } else { Park::Reactor };
        let next = || self.timers.next_task();
        self.diag
            .on_sleep(plan.timeout, how == Park::Reactor, plan.stall_probe, next);
        let parked = plan.blocks() && self.inbox.park(how);
        // Work arrived while announcing the sleep: only look.
        let timeout = if plan.blocks() && !parked {
            Some(Duration::ZERO)
        } else {
            plan.timeout
        };
        let mut io_events = 0;
        if how == Park::Thread {
            if parked {
                self.counters.park();
                match timeout {
                    Some(d) => std::thread::park_timeout(d),
                    None => std::thread::park(),
                }
            }
        } else {
            self.counters.reactor_wait();
            match self.reactor.wait(timeout) {
                Ok(n) => io_events = n,
                // epoll_wait fails only on a broken poller (EBADF/EINVAL)
                // or out of memory; say so instead of spinning silently.
                Err(e) => eprintln!("ramen: reactor wait failed: {e}"),
            }
            self.diag.on_io(io_events, self);
        }
        if parked {
            self.inbox.unparked();
        }
        io_events
    }

    /// Wakes the sleeps that are due; a paused clock that nothing else woke
    /// first jumps to the next deadline.
    fn fire_timers(&self, plan: &WaitPlan) {
        if let Some(deadline) = plan.auto_advance {
            self.drain_inbox();
            if self.run_queue.is_empty() {
                self.timers.clock.set_paused(deadline); // nothing woke: jump
            }
        }
        if !self.timers.is_empty() {
            let mut due = Vec::new();
            let fired = self.timers.fire_due(&mut due);
            self.diag.on_timers(fired);
        }
    }

    /// Moves remote wakes into the run queue. Their `SCHEDULED` bit was set
    /// by the waker, so each is a single entry.
    pub(super) fn drain_inbox(&self) {
        let mut spawns = Vec::new();
        let mut buf = self.remote_buf.borrow_mut();
        self.inbox.drain_all(&mut buf, &mut spawns);
        if !buf.is_empty() {
            let n = buf.len() as u64;
            self.diag.on_remote_wakes(buf.iter().map(TaskRef::id));
            self.counters.remote_wakes(n);
            self.run_queue.extend(buf.drain(..));
        }
        drop(buf);
        // Tasks spawned through a `Handle` (see `handle.rs`): each spawns
        // itself onto this runtime, which is current here.
        for spawn in spawns {
            spawn();
        }
    }

    /// The tasks that called `yield_now` run again, after everything else
    /// that was ready.
    fn release_yielders(&self) {
        self.run_queue
            .extend(self.deferred_tasks.borrow_mut().drain(..));
        let deferred = std::mem::take(&mut *self.deferred.borrow_mut());
        for w in deferred {
            w.wake();
        }
    }
}
