//! The queue of tasks that are ready to be polled.
//!
//! **Naive approach:** poll every task in a loop and let the ones that are not
//! ready return `Pending`. **Its problem:** with 10,000 idle connections each
//! turn polls 10,000 futures to find the one that can move.
//! **What this file does:** only woken tasks enter the queue. An entry is a
//! slab key plus the task's unique id: if the task finished and its slot was
//! reused, the id no longer matches and the entry is skipped (a stale wake
//! costs one lookup, never a poll of the wrong task).
//!
//! # Invariant
//! A task has at most one entry here or in the [`Inbox`](crate::inbox::Inbox)
//! at any time: its header's `SCHEDULED` bit is set by whoever pushes and
//! cleared by the loop just before polling (see `waker.rs`).

use std::cell::RefCell;
use std::collections::VecDeque;

/// Names one task: where it lives (slab key) and which task it is (id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TaskRef {
    /// Index in the runtime's task slab (or `MAIN_KEY` for the `block_on` future).
    pub(crate) key: usize,
    /// Unique per runtime, never reused: tells a reused slot from the original.
    pub(crate) id: u64,
}

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
        self.queue.borrow().iter().map(|t| t.id).collect()
    }

    pub(crate) fn clear(&self) {
        self.queue.borrow_mut().clear();
    }
}
