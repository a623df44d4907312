//! The loop's diagnostics hooks: what runs only when a poll is timed or
//! the loop has been idle for the stall grace period.
//!
//! Kept apart from `event_loop.rs` so the loop itself reads straight through;
//! everything here is `#[cold]`: with diagnostics off, the loop pays one
//! branch per poll (`Diag::timing`) and never calls into this file.

use std::task::Context;
use std::time::{Duration, Instant};

use super::Core;
use crate::diag::EventKind;
use crate::diag::stall::Stuck;
use crate::reactor::ReactorNote;
use crate::rt::task::{TaskMeta, TaskRef};

impl Core {
    /// `run_task`'s poll with the slow-poll detector or the recorder on.
    #[cold]
    #[inline(never)]
    pub(super) fn run_timed(&self, task: &TaskRef, cx: &mut Context<'_>) -> bool {
        let id = task.id();
        if let Some(watchdog) = &self.diag.watchdog {
            watchdog.describe(id, || task.label());
        }
        let started = self.poll_started(id);
        let ready = task.poll(cx).is_ready();
        let meta = TaskMeta {
            id,
            name: task.name(),
            location: task.header().location,
        };
        self.poll_finished(started, id, Some(&meta), ready);
        ready
    }

    /// Wall-clock and recorder-clock time at the start of a timed poll, and
    /// how many tasks were already ready (they wait while this poll runs;
    /// tasks the poll itself wakes are not counted).
    pub(super) fn poll_started(&self, id: u64) -> (Instant, Duration, usize) {
        if let Some(watchdog) = &self.diag.watchdog {
            watchdog.poll_begin(id);
        }
        if let Some(narrator) = &self.diag.explain {
            narrator.poll_begin(id);
        }
        let waiting = self.run_queue.len()
            + self.deferred.borrow().len()
            + self.deferred_tasks.borrow().len();
        (Instant::now(), self.diag.now(), waiting)
    }

    /// After a timed poll: the slow-poll warning and the recorder's entry.
    #[cold]
    pub(super) fn poll_finished(
        &self,
        (wall, at, waiting): (Instant, Duration, usize),
        id: u64,
        meta: Option<&TaskMeta<'_>>,
        ready: bool,
    ) {
        if let Some(watchdog) = &self.diag.watchdog {
            watchdog.poll_end();
            self.diag.collect_watchdog();
        }
        let held = wall.elapsed();
        if let Some(slow) = &self.diag.slow {
            if held >= slow.threshold {
                let due = self.timers.count_due();
                if let Some(line) = slow.check(meta, id, held, waiting, due) {
                    self.diag.warn(line);
                }
            }
        }
        if let Some(rec) = &self.diag.recorder {
            let dur = self.diag.now().saturating_sub(at);
            let poll = EventKind::Poll {
                task: id,
                dur,
                ready,
            };
            if let Some(narrator) = &self.diag.explain {
                self.record_reactor_notes();
                narrator.on_event(&poll);
            }
            rec.borrow_mut().push(at, poll);
        }
    }

    /// Tells the narrator the loop is about to sleep, and on which timer.
    #[cold]
    pub(super) fn explain_wait(
        &self,
        timeout: Option<Duration>,
        in_reactor: bool,
        stall_probe: bool,
    ) {
        if let Some(narrator) = &self.diag.explain {
            let next = self.timers.next_task();
            narrator.before_wait(timeout, in_reactor, next, stall_probe);
        }
    }

    /// Hands what the reactor noted (wakers left with it, fds found ready)
    /// to the recorder and so to the narrator (`Builder::explain` only).
    #[cold]
    pub(super) fn record_reactor_notes(&self) {
        for (task, left) in self.timers.take_notes() {
            let what = format!(
                "its waker now waits in the timer map, due in {} ms",
                left.as_millis()
            );
            self.diag.record(EventKind::Waits { task, what });
        }
        for note in self.reactor.take_notes() {
            let kind = match note {
                ReactorNote::Waits { task, fd, readable } => EventKind::Waits {
                    task,
                    what: format!(
                        "its waker now waits in the reactor for fd {fd} to be {}",
                        if readable { "readable" } else { "writable" }
                    ),
                },
                ReactorNote::Ready { fd, readable, task } => {
                    EventKind::IoReady { fd, readable, task }
                }
            };
            self.diag.record(kind);
        }
    }

    /// Explains a stall (see `diag/stall.rs`) if nothing at all can wake
    /// the live tasks: called after an idle wait of the grace period.
    #[cold]
    pub(super) fn check_stall(&self, main: &TaskRef) {
        let Some(watch) = &self.diag.stall else {
            return;
        };
        let blocking_busy = self.blocking.get().is_some_and(|pool| {
            let (_, queued, running) = pool.stats();
            queued + running > 0
        });
        if !self.run_queue.is_empty()
            || !self.timers.is_empty()
            || blocking_busy
            || self.reactor.has_waiters()
        {
            return;
        }
        // A task's references beyond its owners' (the task list and its
        // handle, or `block_on` for the main future) are wakers.
        // Listed by task id, the block_on future among them under its own
        // number ("task 2 (the block_on future)"), so a learner can match
        // every line with the ids printed elsewhere.
        let mut by_id = vec![(
            main.id(),
            Stuck {
                who: format!("task {} (the block_on future)", main.id()),
                outside_wakers: main.header().state.load().refs() - 1,
            },
        )];
        self.tasks.for_each(|task| {
            let stuck = Stuck {
                who: task.label(),
                outside_wakers: task.outside_refs(),
            };
            by_id.push((task.id(), stuck));
        });
        by_id.sort_by_key(|(id, _)| *id);
        let stuck: Vec<Stuck> = by_id.into_iter().map(|(_, s)| s).collect();
        if let Some(line) = watch.report(self.metrics.polls.get(), &stuck) {
            self.diag.warn(line);
        }
    }
}
