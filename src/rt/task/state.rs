//! A task's state word: six flags and a reference count in one atomic `usize`.
//!
//! **Naive approach:** a `Cell<bool>` per fact (queued? running? finished?
//! handle dropped?) plus an `Arc` for the count. **Its problem:** wakers run on
//! any thread, so "queued?" must be atomic, and facts that change together
//! (the poll ends *and* the queue's reference is released; the task completes
//! *and* its join waker is taken) then take several atomic operations and can
//! be seen half-done by another thread.
//!
//! **What this file does:** one `AtomicUsize`. The low seven bits are flags, the
//! rest counts references (each reference adds [`REF_ONE`]). Every change is
//! one atomic read-modify-write that returns the word as it was before
//! ([`Snapshot`]), and every transition function checks its precondition
//! against that snapshot with `debug_assert!`.
//!
//! # The flags
//! | bit | set by | cleared by | meaning |
//! |---|---|---|---|
//! | `SCHEDULED` | [`State::new`], [`State::schedule_by_ref`], [`State::schedule_by_val`] | [`State::begin_poll`] | exactly one queue entry exists (run queue, inbox or yield list); meaningless once `COMPLETE` |
//! | `RUNNING` | [`State::begin_poll`] | [`State::end_poll`], [`State::complete`] | the loop is inside the future's `poll` (or finishing it) |
//! | `COMPLETE` | [`State::complete`] | never | the future is dropped; the output (or error) is stored or already gone |
//! | `HANDLE` | [`State::new`] | [`State::drop_handle`] | a `JoinHandle` exists and may read the output |
//! | `JOIN_WAKER` | [`State::set_join_waker`] | [`State::complete`], [`State::drop_handle`] | the handle stored its waker in the task's join-waker slot |
//!
//! `HANDLE` and `JOIN_WAKER` change only on the runtime thread (the handle is
//! `!Send`), so code there may read them with a plain [`State::load`].
//! | `CANCELLED` | [`State::cancel`] | never | `abort` was called: the next poll drops the future instead |
//! | `ESCAPED` | [`State::escape`] | never | an owning `Waker` was made: the block holds a reference on its runtime's inbox (given back by `raw::dealloc`) |
//!
//! # The lifecycle
//! ```text
//!  new ──► SCHEDULED ──begin_poll──► RUNNING ──end_poll (Pending)──► idle
//!             ▲                         │                             │
//!             │                         └──complete (Ready, panic,    │
//!             │                              cancel)──► COMPLETE      │
//!             └────────────── schedule_by_ref / schedule_by_val ──────┘
//! ```
//! A wake *during* a poll finds `SCHEDULED` clear (begin_poll cleared it) and
//! queues the task again: that wake is not lost. A wake after `COMPLETE` does
//! nothing.
//!
//! # References
//! Who holds one: the runtime's task list (until the task completes), the
//! `JoinHandle`, every owning `Waker`, and every queue entry. The one that
//! takes the count to zero frees the block ([`State::release`] returns
//! `true`), on whichever thread that happens: by then the future and the
//! output are gone (the task list's reference is held until `COMPLETE`, the
//! handle's until the output is read or dropped), so only memory is freed.
//!
//! # Orderings
//! `AcqRel` on every read-modify-write, as in `Arc`: the thread that sets
//! `SCHEDULED` published data first (a channel message), and the loop that
//! clears it in `begin_poll` then reads that data; the thread that frees the
//! block must see every other thread's last use of it. The loom models at the
//! bottom explore the races between a remote wake, completion and the last
//! release; each says which change to this file makes it fail.

use crate::loom::{AtomicUsize, Ordering};

/// One queue entry exists for this task.
pub(crate) const SCHEDULED: usize = 1 << 0;
/// The loop is polling the future right now.
pub(crate) const RUNNING: usize = 1 << 1;
/// The future is gone; set once, never cleared.
pub(crate) const COMPLETE: usize = 1 << 2;
/// A `JoinHandle` is alive.
pub(crate) const HANDLE: usize = 1 << 3;
/// The join-waker slot holds the handle's waker.
pub(crate) const JOIN_WAKER: usize = 1 << 4;
/// `abort` was called.
pub(crate) const CANCELLED: usize = 1 << 5;
/// An owning waker exists or existed: the block keeps its inbox alive.
pub(crate) const ESCAPED: usize = 1 << 6;
/// One reference, in the count above the flag bits.
pub(crate) const REF_ONE: usize = 1 << 7;
const FLAGS: usize = REF_ONE - 1;

/// The word as one atomic operation saw it (before its change).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(pub(crate) usize);

impl Snapshot {
    /// Whether every bit of `flag` is set.
    #[inline]
    pub(crate) fn has(self, flag: usize) -> bool {
        self.0 & flag == flag
    }

    /// How many references exist.
    #[inline]
    pub(crate) fn refs(self) -> usize {
        self.0 / REF_ONE
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = [
            (SCHEDULED, "SCHEDULED"),
            (RUNNING, "RUNNING"),
            (COMPLETE, "COMPLETE"),
            (HANDLE, "HANDLE"),
            (JOIN_WAKER, "JOIN_WAKER"),
            (CANCELLED, "CANCELLED"),
            (ESCAPED, "ESCAPED"),
        ];
        let set: Vec<&str> = names
            .iter()
            .filter(|(bit, _)| self.0 & bit != 0)
            .map(|(_, name)| *name)
            .collect();
        write!(f, "{} refs={}", set.join("|"), self.refs())
    }
}

/// What a wake should do, decided by one atomic operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wake {
    /// The caller now owns a queue entry (and its reference): push it.
    Push,
    /// Already queued or complete: nothing to push.
    Skip,
}

/// The atomic word itself.
pub(crate) struct State(AtomicUsize);

impl State {
    /// A new task: queued once, with a handle, and three references (the
    /// task list's, the handle's and the queue entry's). `refs` lets the
    /// `block_on` block start with its own count (`main_task`).
    pub(crate) fn new(flags: usize, refs: usize) -> State {
        debug_assert_eq!(flags & !FLAGS, 0, "flags only");
        State(AtomicUsize::new(flags | (refs * REF_ONE)))
    }

    /// The word now (a plain load: only a hint on other threads).
    #[inline]
    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.0.load(Ordering::Acquire))
    }

    /// `wake_by_ref`: set `SCHEDULED` and add the entry's reference, unless
    /// the task is queued or complete.
    ///
    /// Always one read-modify-write, also when the bit is already set: a
    /// waker that finds the task queued must still *release* what it wrote
    /// before waking, so that the loop's `begin_poll` (acquire) sees it. A
    /// compare-exchange that fails writes nothing and releases nothing; the
    /// loom model `two_remote_wakers_one_entry` loses a wake with one.
    #[inline]
    pub(crate) fn schedule_by_ref(&self) -> Wake {
        let before = Snapshot(self.0.fetch_or(SCHEDULED, Ordering::AcqRel));
        if before.0 & (SCHEDULED | COMPLETE) != 0 {
            return Wake::Skip;
        }
        // The caller's own reference keeps the count above zero meanwhile.
        self.acquire();
        Wake::Push
    }

    /// `wake` (by value): the waker's reference becomes the entry's if this
    /// call sets `SCHEDULED`; otherwise the caller must [`release`](State::release) it.
    #[inline]
    pub(crate) fn schedule_by_val(&self) -> Wake {
        let before = Snapshot(self.0.fetch_or(SCHEDULED, Ordering::AcqRel));
        if before.0 & (SCHEDULED | COMPLETE) != 0 {
            return Wake::Skip;
        }
        Wake::Push
    }

    /// The loop popped the task's entry and is about to poll it:
    /// `SCHEDULED → RUNNING`. From here on a wake queues it again.
    /// Returns the word before, so the caller sees `CANCELLED`/`COMPLETE`.
    #[inline]
    pub(crate) fn begin_poll(&self) -> Snapshot {
        // SCHEDULED is set and RUNNING clear (checked below), so adding the
        // difference flips both bits in one `lock xadd`.
        let before = Snapshot(self.0.fetch_add(RUNNING - SCHEDULED, Ordering::AcqRel));
        debug_assert!(
            before.has(SCHEDULED) && !before.has(RUNNING) && !before.has(COMPLETE),
            "begin_poll: a queued, idle, live task, got {before:?}"
        );
        before
    }

    /// The poll returned `Pending`: clear `RUNNING` and release the popped
    /// entry's reference in the same operation (the task list still holds
    /// one, so the count cannot reach zero here).
    #[inline]
    pub(crate) fn end_poll(&self) {
        let before = Snapshot(self.0.fetch_sub(RUNNING + REF_ONE, Ordering::AcqRel));
        debug_assert!(
            before.has(RUNNING) && !before.has(COMPLETE) && before.refs() >= 2,
            "end_poll: a running task with its list and entry references, got {before:?}"
        );
    }

    /// The `block_on` future's poll unwound (its stand-in block was
    /// `RUNNING`, `event_loop.rs`): clear `RUNNING` so it can be completed.
    /// Real tasks never need this: their polls run under `catch_unwind`.
    pub(crate) fn abandon_poll(&self) {
        let before = Snapshot(self.0.fetch_sub(RUNNING, Ordering::AcqRel));
        debug_assert!(before.has(RUNNING), "abandon_poll: only while RUNNING");
    }

    /// The future is gone (`Ready`, a panic, or cancellation) and its
    /// outcome is stored: set `COMPLETE`, clear `RUNNING` and `JOIN_WAKER`,
    /// and release `released` references (the task list's and the popped
    /// entry's, when a poll completes the task), all in one operation.
    /// `true` if that released the last reference: the caller frees the block.
    pub(crate) fn complete(&self, released: usize) -> bool {
        let mut cur = self.0.load(Ordering::Acquire);
        loop {
            debug_assert!(cur & COMPLETE == 0, "complete: a task completes once");
            debug_assert!(
                Snapshot(cur).refs() >= released,
                "complete: the released references were held"
            );
            let next = ((cur | COMPLETE) & !(RUNNING | JOIN_WAKER)) - released * REF_ONE;
            match self
                .0
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Snapshot(next).refs() == 0,
                Err(seen) => cur = seen,
            }
        }
    }

    /// The handle stored its waker in the task's slot (runtime thread, task
    /// not complete).
    #[inline]
    pub(crate) fn set_join_waker(&self) {
        let before = Snapshot(self.0.fetch_or(JOIN_WAKER, Ordering::AcqRel));
        debug_assert!(
            before.has(HANDLE) && !before.has(COMPLETE),
            "set_join_waker: only a live handle of a live task, got {before:?}"
        );
    }

    /// The `JoinHandle` is dropped: clear `HANDLE` and `JOIN_WAKER` and
    /// release its reference, in one operation. `true` if that was the last
    /// reference: the caller frees the block.
    pub(crate) fn drop_handle(&self) -> bool {
        let mut cur = self.0.load(Ordering::Acquire);
        loop {
            debug_assert!(cur & HANDLE != 0, "drop_handle: a task has one handle");
            debug_assert!(cur >= REF_ONE, "drop_handle: the handle holds a reference");
            let next = (cur & !(HANDLE | JOIN_WAKER)) - REF_ONE;
            match self
                .0
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Snapshot(cur).refs() == 1,
                Err(seen) => cur = seen,
            }
        }
    }

    /// `abort`: set `CANCELLED`; `false` if the task is already complete
    /// (then nothing happens).
    pub(crate) fn cancel(&self) -> bool {
        let before = Snapshot(self.0.fetch_or(CANCELLED, Ordering::AcqRel));
        !before.has(COMPLETE)
    }

    /// The first owning `Waker` of this task is being made: set `ESCAPED`.
    /// `true` if this call set it; the caller then takes the block's one
    /// reference on the runtime's inbox, which a waker on another thread
    /// may need after the runtime is gone (`rt/waker.rs`). A task whose
    /// waker is never cloned (it finishes at its first poll, or waits on
    /// something that keeps no waker) never pays for that reference.
    #[inline]
    pub(crate) fn escape(&self) -> bool {
        if self.0.load(Ordering::Acquire) & ESCAPED != 0 {
            return false;
        }
        self.0.fetch_or(ESCAPED, Ordering::AcqRel) & ESCAPED == 0
    }

    /// Adds one reference (`Waker::clone`, a new queue entry).
    #[inline]
    pub(crate) fn acquire(&self) {
        let before = self.0.fetch_add(REF_ONE, Ordering::Relaxed);
        // Like `Arc`: a count this large means references are leaked in a
        // loop; wrapping would free a live task, so stop the process.
        if before > usize::MAX / 2 {
            std::process::abort();
        }
    }

    /// Drops one reference; `true` if it was the last: the caller frees the block.
    #[inline]
    pub(crate) fn release(&self) -> bool {
        let before = Snapshot(self.0.fetch_sub(REF_ONE, Ordering::AcqRel));
        debug_assert!(before.refs() >= 1, "release: a reference was held");
        before.refs() == 1
    }
}

#[cfg(all(test, loom))]
#[path = "state_loom_models.rs"]
mod loom_models;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wake_during_a_poll_queues_again_and_one_after_completion_does_not() {
        let s = State::new(SCHEDULED | HANDLE, 3);
        let before = s.begin_poll();
        assert!(before.has(SCHEDULED | HANDLE));
        assert_eq!(s.schedule_by_ref(), Wake::Push, "woken while running");
        assert_eq!(s.schedule_by_ref(), Wake::Skip, "one entry at a time");
        assert_eq!(s.load().refs(), 4);
        assert!(s.load().has(RUNNING | SCHEDULED));
        assert!(!s.complete(2), "the list's and the popped entry's");
        assert!(s.load().has(COMPLETE) && !s.load().has(RUNNING));
        // The entry pushed during the poll is still queued; a later wake
        // of the complete task must not add another.
        assert_eq!(s.schedule_by_val(), Wake::Skip);
        assert!(!s.release()); // the stale entry
        assert!(!s.load().has(HANDLE) || s.load().refs() == 1);
        assert!(s.drop_handle(), "the handle held the last reference");
    }

    #[test]
    fn cancel_after_completion_does_nothing() {
        let s = State::new(SCHEDULED | HANDLE, 3);
        assert!(s.cancel());
        s.begin_poll();
        assert!(!s.complete(2));
        assert!(!s.cancel());
    }

    #[test]
    fn snapshot_debug_names_the_flags() {
        let s = State::new(SCHEDULED | HANDLE, 2);
        assert_eq!(format!("{:?}", s.load()), "SCHEDULED|HANDLE refs=2");
    }
}
