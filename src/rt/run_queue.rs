//! The queue of tasks that are ready to be polled.
//!
//! **Naive approach:** poll every task in a loop and let the ones that are not
//! ready return `Pending`. **Its problem:** with 10,000 idle connections each
//! turn polls 10,000 futures to find the one that can move.
//! **What this file does:** only woken tasks enter the queue. An entry is a
//! [`TaskRef`]: the task block's pointer, owning one reference, so a task
//! that completes while queued stays allocated until its entry is popped
//! and skipped (`TaskRef::is_complete`).
//!
//! # Invariant
//! A live task has at most one entry here, in the [`Inbox`](crate::rt::inbox::Inbox)
//! or in the loop's yield list at any time: its `SCHEDULED` bit is set by
//! whoever pushes and cleared by the loop just before polling (see
//! `task/state.rs`).

use std::cell::RefCell;
use std::collections::VecDeque;

use super::task::TaskRef;

/// A queue whose buffer grew past this many entries (512 KiB) gives the
/// memory back as it drains: a burst of 100,000 spawns would otherwise keep
/// ~1 MiB per runtime forever. Smaller buffers are kept as they are:
/// shrinking and regrowing them on every burst would cost a `mremap` and
/// fresh page faults each time.
const TRIM_ABOVE: usize = 64 * 1024;

/// What a trimmed buffer keeps (at least).
const KEEP_CAPACITY: usize = 4096;

/// FIFO of ready tasks, touched only by the runtime thread.
#[derive(Default)]
pub(crate) struct RunQueue {
    queue: RefCell<VecDeque<TaskRef>>,
    /// The buffer outgrew `TRIM_ABOVE`: shrink it as it drains, down to
    /// `KEEP_CAPACITY`, then stop.
    shrinking: std::cell::Cell<bool>,
}

impl RunQueue {
    #[inline]
    pub(crate) fn push(&self, task: TaskRef) {
        self.queue.borrow_mut().push_back(task);
    }

    #[inline]
    pub(crate) fn pop(&self) -> Option<TaskRef> {
        self.queue.borrow_mut().pop_front()
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.queue.borrow().len()
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.borrow().is_empty()
    }

    pub(crate) fn extend(&self, tasks: impl IntoIterator<Item = TaskRef>) {
        self.queue.borrow_mut().extend(tasks);
    }

    /// The ids of the queued tasks, front first (for the narrator).
    pub(crate) fn task_ids(&self) -> Vec<u64> {
        self.queue.borrow().iter().map(TaskRef::id).collect()
    }

    /// Gives back the memory of a burst (a buffer that outgrew
    /// `TRIM_ABOVE`) as the queue drains: each time it is down to a quarter
    /// of its buffer, the buffer halves (or more), until `KEEP_CAPACITY`.
    /// Called once per loop turn, so a copy is paid at most once per halving.
    #[inline]
    pub(crate) fn trim(&self) {
        let mut queue = self.queue.borrow_mut();
        if queue.capacity() > TRIM_ABOVE {
            self.shrinking.set(true);
        }
        if self.shrinking.get() && queue.len() <= queue.capacity() / 4 {
            let keep = (queue.len() * 2).max(KEEP_CAPACITY);
            queue.shrink_to(keep);
            self.shrinking.set(queue.capacity() > 2 * KEEP_CAPACITY);
        }
    }

    /// Empties the queue; the entries are dropped after the borrow ends
    /// (releasing a reference may free a block, whose drop may run code).
    pub(crate) fn clear(&self) {
        let entries = std::mem::take(&mut *self.queue.borrow_mut());
        drop(entries);
    }
}
