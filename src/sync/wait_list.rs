//! The FIFO of waiting futures that every primitive in `sync/` shares.
//!
//! **Naive approach:** a `VecDeque<Waker>`; wake the front one when something
//! frees up. **Its problems:** a future that is dropped while waiting cannot
//! find and remove its own waker (removing from the middle of a `VecDeque` is
//! O(n) and the index moves), and a waker that was *popped* but whose future
//! is dropped before it runs takes the freed resource with it: a lost wakeup.
//!
//! **What this file does:** each waiting future owns one entry in a [`Slab`]
//! (its key never changes while the future lives), and the entries are linked
//! into a doubly linked list by key, so push, pop and unlink are O(1). Popping
//! an entry *unlinks* it but keeps it in the slab with a new state ("you were
//! granted a permit", "the channel closed"): only the owning future removes
//! it, either when it observes the state or in its `Drop`, where it can hand
//! an unobserved grant on to the next waiter: that owner is always a
//! [`Waiter`](super::waiter::Waiter) (`waiter.rs`). Each entry keeps its
//! waker in a [`WakerSlot`] (no clone when the same task polls again). The
//! list is plain data: each primitive keeps it inside its own
//! `crate::loom::Mutex`, and wakes the returned [`Waker`]s only after
//! unlocking (see [`Wakers`]).

use std::task::Waker;

use slab::Slab;

use crate::waker_slot::WakerSlot;

const NIL: usize = usize::MAX;

struct Entry<S> {
    waker: WakerSlot,
    state: S,
    prev: usize,
    next: usize,
    linked: bool,
}

/// An O(1) FIFO of waiters, each entry owned by one future (see module docs).
pub(crate) struct WaitList<S> {
    entries: Slab<Entry<S>>,
    head: usize,
    tail: usize,
}

impl<S> WaitList<S> {
    pub(crate) fn new() -> WaitList<S> {
        WaitList {
            entries: Slab::new(),
            head: NIL,
            tail: NIL,
        }
    }

    /// Whether some entry is still queued (linked), i.e. waiting its turn.
    #[inline]
    pub(crate) fn has_queued(&self) -> bool {
        self.head != NIL
    }

    /// Queues a new waiter at the back; returns its key.
    pub(crate) fn push_back(&mut self, waker: &Waker, state: S) -> usize {
        let key = self.entries.insert(Entry {
            waker: WakerSlot::with(waker),
            state,
            prev: self.tail,
            next: NIL,
            linked: true,
        });
        match self.tail {
            NIL => self.head = key,
            tail => self.entries[tail].next = key,
        }
        self.tail = key;
        key
    }

    /// Unlinks the front waiter, sets its state to `state` and returns its
    /// waker (to be woken after unlocking). `None` if nobody is queued.
    pub(crate) fn pop_front(&mut self, state: S) -> Option<Waker> {
        self.pop_at(self.head, state)
    }

    /// Unlinks the back waiter (the most recently queued), like
    /// [`pop_front`](Self::pop_front) otherwise. `None` if nobody is queued.
    pub(crate) fn pop_back(&mut self, state: S) -> Option<Waker> {
        self.pop_at(self.tail, state)
    }

    /// Unlinks `key` (the head or the tail, or `NIL`), sets its state and
    /// takes its waker.
    fn pop_at(&mut self, key: usize, state: S) -> Option<Waker> {
        if key == NIL {
            return None;
        }
        self.unlink(key);
        let entry = &mut self.entries[key];
        entry.state = state;
        entry.waker.take()
    }

    /// The state of the front waiter, to update it in place (a partial
    /// grant) without unlinking it. `None` if nobody is queued.
    pub(crate) fn front_mut(&mut self) -> Option<&mut S> {
        match self.head {
            NIL => None,
            key => Some(&mut self.entries[key].state),
        }
    }

    /// The state of `key` (which must be an entry of this list).
    #[cfg(all(test, not(loom)))]
    fn state(&self, key: usize) -> &S {
        &self.entries[key].state
    }

    /// Whether `key` is still queued: not yet popped (granted, woken, closed).
    #[inline]
    pub(crate) fn is_linked(&self, key: usize) -> bool {
        self.entries[key].linked
    }

    /// Replaces the stored waker if `waker` would wake a different task.
    #[inline]
    pub(crate) fn set_waker(&mut self, key: usize, waker: &Waker) {
        self.entries[key].waker.register(waker);
    }

    /// The state of the front (oldest queued) waiter, if any: lets a
    /// primitive check whether what it frees is enough for that waiter.
    #[inline]
    pub(crate) fn front_state(&self) -> Option<&S> {
        match self.head {
            NIL => None,
            key => Some(&self.entries[key].state),
        }
    }

    /// Unlinks every queued waiter (setting each state to `state`) and
    /// collects their wakers into `wakers`.
    pub(crate) fn drain_into(&mut self, state: S, wakers: &mut Wakers)
    where
        S: Copy,
    {
        while let Some(w) = self.pop_front(state) {
            wakers.push(w);
        }
    }

    /// Removes `key` (unlinking it if still queued) and returns its state.
    pub(crate) fn remove(&mut self, key: usize) -> S {
        if self.entries[key].linked {
            self.unlink(key);
        }
        self.entries.remove(key).state
    }

    fn unlink(&mut self, key: usize) {
        let (prev, next) = {
            let e = &mut self.entries[key];
            e.linked = false;
            (e.prev, e.next)
        };
        match prev {
            NIL => self.head = next,
            p => self.entries[p].next = next,
        }
        match next {
            NIL => self.tail = prev,
            n => self.entries[n].prev = prev,
        }
    }
}

/// "Wake everyone" lists (broadcast receivers, watch `changed`/`closed`):
/// state `false` = queued, `true` = woken by [`WaitList::drain_into`]; the
/// waiting side is [`Waiter::poll_until`](super::waiter::Waiter::poll_until).
impl WaitList<bool> {
    /// One handle of a kind (a sender, a receiver) is gone: `*count` goes
    /// down, and if that was the last one, everyone waiting for "all of them
    /// are gone" is woken (collected into `wakers`).
    pub(crate) fn release_handle(&mut self, count: &mut usize, wakers: &mut Wakers) {
        debug_assert!(*count > 0);
        *count -= 1;
        if *count == 0 {
            self.drain_into(true, wakers);
        }
    }
}

/// Wakers collected under a lock, woken after it is released.
///
/// Why after: a waker may run arbitrary code (another runtime's inbox lock,
/// a user's waker); calling it under our lock invites deadlock and lengthens
/// the critical section. One waker needs no allocation.
#[derive(Default)]
pub(crate) struct Wakers {
    one: Option<Waker>,
    more: Vec<Waker>,
}

impl Wakers {
    pub(crate) fn push(&mut self, waker: Waker) {
        if self.one.is_none() {
            self.one = Some(waker);
        } else {
            self.more.push(waker);
        }
    }

    /// [`push`](Self::push) if there is a waker.
    pub(crate) fn push_some(&mut self, waker: Option<Waker>) {
        if let Some(w) = waker {
            self.push(w);
        }
    }

    /// Wakes everything collected. Call with no lock held.
    pub(crate) fn wake_all(self) {
        if let Some(w) = self.one {
            w.wake();
        }
        for w in self.more {
            w.wake();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn fifo_with_removal_from_the_middle() {
        let w = futures_task::noop_waker();
        let mut list = WaitList::new();
        let a = list.push_back(&w, 0);
        let b = list.push_back(&w, 0);
        let c = list.push_back(&w, 0);
        assert_eq!(list.remove(b), 0);
        assert!(list.pop_front(1).is_some());
        assert_eq!(*list.state(a), 1);
        assert!(list.pop_front(2).is_some());
        assert_eq!(*list.state(c), 2);
        assert!(!list.has_queued());
        assert!(list.pop_front(3).is_none());
        assert!(list.pop_back(3).is_none());
        assert!(list.front_mut().is_none());
        list.remove(a);
        list.remove(c);
        let d = list.push_back(&w, 5);
        let e = list.push_back(&w, 6);
        assert!(list.has_queued());
        *list.front_mut().unwrap() = 7;
        assert_eq!(*list.state(d), 7);
        assert!(list.pop_back(8).is_some());
        assert_eq!(*list.state(e), 8);
        assert_eq!(list.remove(d), 7);
        assert!(!list.has_queued());
        assert_eq!(list.remove(e), 8);
    }
}
