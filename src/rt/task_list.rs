//! Every live task of a runtime, so shutdown can drop their futures.
//!
//! **Naive approach:** no list: a task lives as long as something refers to
//! it. **Its problem:** an idle task is referred to only by wakers parked in
//! the reactor, a timer or a channel, maybe on other threads. Dropping the
//! runtime would leave its future alive forever, or let the last waker drop
//! a `!Send` future on the wrong thread.
//!
//! **What this file does:** a `Vec` of [`TaskRef`]s, each holding the list's
//! reference until the task completes. Each block remembers its index
//! (`TaskRef::slot`), so removal is a `swap_remove` plus one index update:
//! O(1), and 8 bytes per live task (a slab entry would be 16, an intrusive
//! doubly linked list 16 inside every block).

use std::cell::RefCell;

use super::task::TaskRef;

/// The live tasks of one runtime (runtime thread only).
#[derive(Default)]
pub(crate) struct TaskList {
    tasks: RefCell<Vec<TaskRef>>,
}

impl TaskList {
    /// Adds a task (the list keeps `task`'s reference).
    #[inline]
    pub(crate) fn insert(&self, task: TaskRef) {
        let mut tasks = self.tasks.borrow_mut();
        task.set_slot(tasks.len());
        tasks.push(task);
    }

    /// Takes a completed task out; the returned reference is the list's.
    #[inline]
    pub(crate) fn remove(&self, task: &TaskRef) -> Option<TaskRef> {
        let mut tasks = self.tasks.borrow_mut();
        let slot = task.slot();
        if !tasks.get(slot).is_some_and(|t| t.ptr_eq(task)) {
            // Not listed: taken by the shutdown drain already.
            return None;
        }
        let removed = tasks.swap_remove(slot);
        if let Some(moved) = tasks.get(slot) {
            moved.set_slot(slot);
        }
        Some(removed)
    }

    /// How many tasks are alive.
    pub(crate) fn len(&self) -> usize {
        self.tasks.borrow().len()
    }

    /// Takes every task out (the shutdown drain).
    pub(crate) fn take_all(&self) -> Vec<TaskRef> {
        std::mem::take(&mut *self.tasks.borrow_mut())
    }

    /// Runs `f` on each live task (the stall explanation).
    pub(crate) fn for_each(&self, mut f: impl FnMut(&TaskRef)) {
        for task in self.tasks.borrow().iter() {
            f(task);
        }
    }
}
