//! What the loop tells the instruments beyond its hooks: the answers to
//! their questions during a timed poll, and the stall check.
//!
//! Kept apart from `event_loop.rs` so the loop itself reads straight through.
//! The instruments (`diag/`) never see the core: they ask through the
//! [`LoopProbe`] trait implemented here, and get plain data (counts, ids,
//! [`Note`]s, [`Stuck`] lines). With diagnostics off the loop pays one
//! branch per poll (inside `Diag::on_poll`) and never calls into this file.

use super::Core;
use crate::diag::{LoopProbe, Note, Stuck};
use crate::reactor::ReactorNote;
use crate::rt::task::TaskRef;

impl LoopProbe for Core {
    fn ready_tasks(&self) -> usize {
        self.run_queue.len() + self.deferred.borrow().len() + self.deferred_tasks.borrow().len()
    }

    fn due_timers(&self) -> usize {
        self.timers.count_due()
    }

    /// What the reactor noted (wakers left with it, fds found ready) and the
    /// timers (wakers left in the map), timers first (`Builder::explain` only).
    fn take_notes(&self, out: &mut dyn FnMut(Note)) {
        for (task, left) in self.timers.take_notes() {
            out(Note::TimerWait { task, left });
        }
        for note in self.reactor.take_notes() {
            out(match note {
                ReactorNote::Waits { task, fd, readable } => Note::IoWait { task, fd, readable },
                ReactorNote::Ready { fd, readable, task } => Note::IoReady { fd, readable, task },
            });
        }
    }
}

impl Core {
    /// Explains a stall (see `diag/stall.rs`) if nothing at all can wake
    /// the live tasks: called after an idle wait of the grace period.
    #[cold]
    pub(super) fn check_stall(&self, main: &TaskRef) {
        if self.diag.stall_grace().is_none() {
            return;
        }
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
        self.diag.on_stall(self.counters.polls(), &stuck);
    }
}
