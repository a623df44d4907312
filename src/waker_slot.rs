//! The place where a waiting future leaves its task's waker.
//!
//! **Naive approach:** `slot = Some(cx.waker().clone())` on every `Pending`.
//! **Its problems:** a future is usually polled again by the *same* task, so
//! every poll pays a clone (an atomic increment or an allocation for foreign
//! wakers) and a drop of the previous waker for nothing; and the drop of the
//! old waker may run code (the last reference to another runtime's task),
//! which is wrong to do under a lock. Written out by hand at every site, the
//! "keep it if [`Waker::will_wake`]" check was copied eight times, and each
//! copy could forget it or get it backwards.
//!
//! **What this file does:** one small type, [`WakerSlot`], that stores a
//! waker unless the one it holds would already wake the same task
//! ([`register`](WakerSlot::register)), hands the old one back when the
//! caller must drop it outside a lock ([`replace`](WakerSlot::replace)),
//! and gives it up to be woken after unlocking ([`take`](WakerSlot::take)). Every "remember who to wake" field in the
//! crate is one of these; the FIFO of many waiters is `sync/wait_list.rs`,
//! whose entries hold a `WakerSlot` each.

use std::task::Waker;

/// At most one waker, replaced only when a different task registers.
#[derive(Default, Debug)]
pub(crate) struct WakerSlot(Option<Waker>);

impl WakerSlot {
    /// An empty slot.
    #[inline]
    pub(crate) const fn new() -> WakerSlot {
        WakerSlot(None)
    }

    /// A slot holding a clone of `waker`.
    #[inline]
    pub(crate) fn with(waker: &Waker) -> WakerSlot {
        WakerSlot(Some(waker.clone()))
    }

    /// Remembers `waker` (a clone), unless the stored one would wake the
    /// same task: then nothing is cloned or dropped.
    #[inline]
    pub(crate) fn register(&mut self, waker: &Waker) {
        drop(self.replace(waker));
    }

    /// [`register`](Self::register), returning the waker it displaced (if
    /// any) so the caller can drop it after releasing its lock.
    #[inline]
    #[must_use = "the displaced waker is returned to be dropped outside a lock"]
    pub(crate) fn replace(&mut self, waker: &Waker) -> Option<Waker> {
        match &self.0 {
            Some(w) if w.will_wake(waker) => None,
            _ => self.0.replace(waker.clone()),
        }
    }

    /// Empties the slot, returning the waker to wake (after unlocking).
    #[inline]
    pub(crate) fn take(&mut self) -> Option<Waker> {
        self.0.take()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn keeps_the_same_task_replaces_another_and_wakes_once() {
        let a = Arc::new(Count(AtomicUsize::new(0)));
        let b = Arc::new(Count(AtomicUsize::new(0)));
        let (wa, wb) = (Waker::from(a.clone()), Waker::from(b.clone()));
        let mut slot = WakerSlot::new();
        slot.register(&wa);
        assert_eq!(Arc::strong_count(&a), 3, "one clone stored");
        assert!(slot.replace(&wa).is_none(), "same task: kept, not cloned");
        assert_eq!(Arc::strong_count(&a), 3);
        let old = slot
            .replace(&wb)
            .expect("another task displaces the old waker");
        assert!(old.will_wake(&wa));
        drop(old);
        assert_eq!(Arc::strong_count(&a), 2, "the displaced clone is gone");
        slot.take().expect("b's waker is stored").wake();
        assert!(slot.take().is_none(), "taken once, then empty");
        assert_eq!(b.0.load(Ordering::SeqCst), 1);
        assert_eq!(a.0.load(Ordering::SeqCst), 0);
        assert!(WakerSlot::with(&wa).take().is_some());
    }
}
