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

/// A queue this long, once drained, gives its memory back (a burst of
/// 100,000 spawns would otherwise keep ~1 MiB per runtime forever).
const KEEP_CAPACITY: usize = 4096;

/// FIFO of ready tasks, touched only by the runtime thread.
#[derive(Default)]
pub(crate) struct RunQueue {
    queue: RefCell<VecDeque<TaskRef>>,
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

    /// Gives back the memory of a burst once the queue is down to a
    /// quarter of it (called once per loop turn, so the copy this may cost
    /// is paid at most once per halving).
    #[inline]
    pub(crate) fn trim(&self) {
        let mut queue = self.queue.borrow_mut();
        if queue.capacity() > KEEP_CAPACITY && queue.len() <= queue.capacity() / 4 {
            let keep = (queue.len() * 2).max(KEEP_CAPACITY);
            queue.shrink_to(keep);
        }
    }

    /// Empties the queue; the entries are dropped after the borrow ends
    /// (releasing a reference may free a block, whose drop may run code).
    pub(crate) fn clear(&self) {
        let entries = std::mem::take(&mut *self.queue.borrow_mut());
        drop(entries);
    }
}
