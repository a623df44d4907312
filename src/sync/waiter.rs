//! The one waiting future's handle, shared by every primitive in `sync/`.
//!
//! **Naive approach:** each primitive's future keeps an `Option<usize>` key
//! into its [`WaitList`] and writes its own "register on the first poll,
//! check the entry on later polls, remove it in `Drop`, hand an unobserved
//! grant on" — the semaphore, the mpsc senders, their `closed()`, `Notify`,
//! `CancellationToken`, `watch` and `broadcast` each had a copy. **Its
//! problem:** the copies drift: one forgets to remove its entry on an early
//! return, another hands on the grant under a second lock, a third forgets
//! the `Drop` altogether, and each is a place for a lost wakeup.
//!
//! **What this file does:** [`Waiter`] is that handle, once. It pairs the
//! key with a [`WaitQueue`]: the primitive (or a reference to it) says where
//! its lock and list are and what a dropped waiter must pass on. Two ways
//! of waiting cover every primitive:
//! - [`Waiter::poll_grant`], *handed over*: the first poll tries to take
//!   what it wants at once, else queues with a state; whoever frees the
//!   resource writes the grant into the entry and unlinks it; the next poll
//!   sees it unlinked and removes it (semaphore, mpsc slots, `Notify`, a
//!   sender's `closed()`);
//! - [`Waiter::poll_until`], *woken to look again*: each poll checks a
//!   condition under the lock, and queues (again, if a wake came but the
//!   condition is still false) only while it is false (`watch`, `broadcast`).
//!
//! Dropping a `Waiter` that still owns an entry removes it and calls
//! [`WaitQueue::pass_on`] with the entry's state under the same lock, so a
//! grant the future never observed reaches the next waiter; wakers are
//! woken after the lock is released.
//!
//! States of a `Waiter`: *idle* (`key: None`: never queued, or done) →
//! *queued* (`key: Some`, entry linked) → *granted/woken* (entry unlinked,
//! still owned) → *idle* again when a poll removes the entry; from queued or
//! granted, `Drop` (or [`cancel`](Waiter::cancel)) → idle.

use std::fmt;
use std::task::{Poll, Waker};

use super::wait_list::{WaitList, Wakers};
use crate::loom::{Mutex, lock};

/// A primitive whose waiters queue in a [`WaitList`] under its lock.
/// Implemented by the handle a [`Waiter`] holds (`&Semaphore`, `&Chan<T>`,
/// …), so an owning handle (an `Arc`) works too.
pub(crate) trait WaitQueue {
    /// What a queued entry records (what it wants, what it was granted).
    type Entry: Copy;
    /// The state behind the lock, which holds the list.
    type Locked;
    /// The lock guarding the state and the list.
    fn mutex(&self) -> &Mutex<Self::Locked>;
    /// The list inside the locked state.
    fn list<'l>(&self, locked: &'l mut Self::Locked) -> &'l mut WaitList<Self::Entry>;
    /// A waiter owning an entry in state `entry` is dropped: give back what
    /// it was handed and never observed (collect any wakers into `wakers`).
    /// Called under the lock; the entry is already removed. Default: nothing.
    fn pass_on(&self, locked: &mut Self::Locked, entry: Self::Entry, wakers: &mut Wakers) {
        let _ = (locked, entry, wakers);
    }
}

/// One waiting future's place in a [`WaitQueue`] (see the module docs):
/// registered on its first `Pending` poll, removed when observed or dropped.
pub(crate) struct Waiter<Q: WaitQueue> {
    queue: Q,
    key: Option<usize>,
}

impl<Q: WaitQueue> Waiter<Q> {
    /// A waiter not queued yet.
    #[inline]
    pub(crate) fn new(queue: Q) -> Waiter<Q> {
        Waiter { queue, key: None }
    }

    /// The primitive this waiter waits on.
    #[inline]
    pub(crate) fn queue(&self) -> &Q {
        &self.queue
    }

    /// Whether it owns an entry (queued, or granted and not yet polled).
    #[inline]
    pub(crate) fn is_queued(&self) -> bool {
        self.key.is_some()
    }

    /// The *handed over* wait. Not queued yet: `try_now` (given the queue
    /// and the locked state) either takes what is wanted (`Ok`, ready) or
    /// returns the entry to queue with (`Err`).
    /// Queued and still linked: refresh the waker, `Pending`. Unlinked (a
    /// grant arrived): remove the entry and turn it into the output with
    /// `observe`. Both closures run under the lock.
    #[inline]
    pub(crate) fn poll_grant<R>(
        &mut self,
        waker: &Waker,
        try_now: impl FnOnce(&Q, &mut Q::Locked) -> Result<R, Q::Entry>,
        observe: impl FnOnce(&mut Q::Locked, Q::Entry) -> R,
    ) -> Poll<R> {
        let mut guard = lock(self.queue.mutex());
        let locked = &mut *guard;
        let Some(key) = self.key else {
            return match try_now(&self.queue, locked) {
                Ok(r) => Poll::Ready(r),
                Err(entry) => {
                    self.key = Some(self.queue.list(locked).push_back(waker, entry));
                    Poll::Pending
                }
            };
        };
        let list = self.queue.list(locked);
        if list.is_linked(key) {
            list.set_waker(key, waker);
            return Poll::Pending;
        }
        let entry = list.remove(key);
        self.key = None;
        Poll::Ready(observe(locked, entry))
    }

    /// Removes the entry, if any, passing an unobserved grant on; the
    /// future gives up (a timeout) or is dropped.
    pub(crate) fn cancel(&mut self) {
        let Some(key) = self.key.take() else { return };
        let mut wakers = Wakers::default();
        {
            let mut guard = lock(self.queue.mutex());
            let locked = &mut *guard;
            let entry = self.queue.list(locked).remove(key);
            self.queue.pass_on(locked, entry, &mut wakers);
        }
        wakers.wake_all();
    }
}

/// "Wake everyone" lists: entry `false` = queued, `true` = woken by
/// [`WaitList::drain_into`].
impl<Q: WaitQueue<Entry = bool>> Waiter<Q> {
    /// The *woken to look again* wait: `Ready` once `check` (run under the
    /// lock) says so, removing the entry; otherwise keeps one linked entry
    /// with `waker` (refreshed while still queued, queued afresh if a wake
    /// came but `check` still says no) and returns `Pending`.
    pub(crate) fn poll_until<R>(
        &mut self,
        waker: &Waker,
        check: impl FnOnce(&mut Q::Locked) -> Option<R>,
    ) -> Poll<R> {
        let mut guard = lock(self.queue.mutex());
        let locked = &mut *guard;
        let out = check(locked);
        let list = self.queue.list(locked);
        match (out, self.key) {
            (Some(r), key) => {
                if let Some(k) = key {
                    list.remove(k);
                    self.key = None;
                }
                Poll::Ready(r)
            }
            (None, Some(k)) if list.is_linked(k) => {
                list.set_waker(k, waker);
                Poll::Pending
            }
            (None, key) => {
                if let Some(k) = key {
                    list.remove(k);
                }
                self.key = Some(list.push_back(waker, false));
                Poll::Pending
            }
        }
    }
}

impl<Q: WaitQueue> Drop for Waiter<Q> {
    #[inline]
    fn drop(&mut self) {
        if self.key.is_some() {
            self.cancel();
        }
    }
}

impl<Q: WaitQueue> fmt::Debug for Waiter<Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waiter")
            .field("queued", &self.key.is_some())
            .finish_non_exhaustive()
    }
}
