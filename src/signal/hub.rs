//! Generations and listeners: how one delivery reaches every `Signal`.
//!
//! **Naive approach:** a queue of deliveries each listener pops. **Its
//! problem:** one delivery must be seen by *every* listener (in every
//! runtime), and deliveries nobody waits for would pile up.
//! **What this file does:** one counter per signal number, moved by
//! [`Hub::fire`]; a listener remembers the value it last reported and is
//! ready when the counter differs (any number of deliveries in between read
//! as one: coalescing). Listeners park their wakers in one locked slab.
//!
//! # The lost-wakeup argument (checked by the loom model below)
//! `fire` moves the counter *then* takes the wakers under the lock;
//! [`Hub::poll`] stores its waker under the lock *then* reads the counter.
//! If `fire` takes the lock first, the counter already moved when `poll`
//! reads it; if `poll` does, `fire` finds its waker. Either way the listener
//! hears of the delivery.

use std::task::{Context, Poll, Waker};

use slab::Slab;

use crate::loom::{AtomicUsize, Mutex, Ordering, lock};
use crate::waker_slot::WakerSlot;

/// One registered `Signal`: its number and the waker of its last poll.
struct Listener {
    signum: usize,
    waker: WakerSlot,
}

/// Per-signal generations and the listeners' wakers.
pub(crate) struct Hub {
    generations: Box<[AtomicUsize]>,
    listeners: Mutex<Slab<Listener>>,
}

impl Hub {
    /// A hub for signal numbers `0..slots` (`slots` ≤ 128).
    pub(crate) fn new(slots: usize) -> Hub {
        debug_assert!(slots <= 128, "fire takes a u128 mask");
        Hub {
            generations: (0..slots).map(|_| AtomicUsize::new(0)).collect(),
            listeners: Mutex::new(Slab::new()),
        }
    }

    /// Deliveries of `signum` dispatched so far (wrapping; only compared).
    pub(crate) fn generation(&self, signum: usize) -> usize {
        self.generations[signum].load(Ordering::SeqCst)
    }

    /// Counts one delivery for each signal in `mask` and wakes its listeners.
    pub(crate) fn fire(&self, mask: u128) {
        for (n, g) in self.generations.iter().enumerate() {
            if mask & (1 << n) != 0 {
                g.fetch_add(1, Ordering::SeqCst);
            }
        }
        let woken: Vec<Waker> = lock(&self.listeners)
            .iter_mut()
            .filter(|(_, l)| mask & (1 << l.signum) != 0)
            .filter_map(|(_, l)| l.waker.take())
            .collect();
        // Wake outside the lock: a waker may run arbitrary code.
        woken.into_iter().for_each(Waker::wake);
    }

    /// Wakes every listener (something may have happened; each re-checks).
    pub(crate) fn wake_all(&self) {
        let woken: Vec<Waker> = lock(&self.listeners)
            .iter_mut()
            .filter_map(|(_, l)| l.waker.take())
            .collect();
        woken.into_iter().for_each(Waker::wake);
    }

    /// Adds a listener for `signum`; returns its key.
    pub(crate) fn add(&self, signum: usize) -> usize {
        lock(&self.listeners).insert(Listener {
            signum,
            waker: WakerSlot::new(),
        })
    }

    /// Removes a listener (its `Signal` was dropped).
    pub(crate) fn remove(&self, key: usize) {
        let old = lock(&self.listeners).try_remove(key);
        drop(old); // a waker's drop outside the lock
    }

    /// `Ready` if `signum` moved past `*seen` (updating it); otherwise parks
    /// the waker, runs `refresh` (drain the pipe, dispatch), and looks again.
    pub(crate) fn poll(
        &self,
        signum: usize,
        key: usize,
        seen: &mut usize,
        cx: &Context<'_>,
        refresh: impl FnOnce(),
    ) -> Poll<()> {
        let check = |seen: &mut usize| {
            let now = self.generation(signum);
            if now != *seen {
                *seen = now;
                return Poll::Ready(());
            }
            Poll::Pending
        };
        if check(seen).is_ready() {
            return Poll::Ready(());
        }
        let old = lock(&self.listeners)
            .get_mut(key)
            .and_then(|l| l.waker.replace(cx.waker()));
        drop(old); // a waker's drop outside the lock
        refresh();
        check(seen)
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::{Arc, thread};

    // No `join` of the firing thread: its wake may unpark the main thread
    // while that one is blocked in `join`, which trips an assertion inside
    // loom itself. A model ends only when every thread has finished anyway.

    /// A delivery fired on another thread races a listener parking its
    /// waker: the listener completes either way (loom reports a deadlock if
    /// the wake were lost between "counter unchanged" and "waker parked").
    #[test]
    fn fire_races_a_parking_listener() {
        loom::model(|| {
            let hub = Arc::new(Hub::new(4));
            let key = hub.add(2);
            let mut seen = hub.generation(2);
            let h = hub.clone();
            thread::spawn(move || h.fire(1 << 2));
            crate::sync::loom_block_on(std::future::poll_fn(|cx| {
                hub.poll(2, key, &mut seen, cx, || {})
            }));
            assert_eq!(seen, 1, "exactly one delivery seen");
        });
    }

    /// A delivery of another signal does not satisfy a listener, and
    /// `wake_all` only wakes (the listener re-parks, then sees its own).
    #[test]
    fn other_signals_do_not_count() {
        loom::model(|| {
            let hub = Arc::new(Hub::new(4));
            let key = hub.add(1);
            let mut seen = hub.generation(1);
            let h = hub.clone();
            thread::spawn(move || {
                h.fire(1 << 3);
                h.wake_all();
                h.fire(1 << 1);
            });
            crate::sync::loom_block_on(std::future::poll_fn(|cx| {
                hub.poll(1, key, &mut seen, cx, || {})
            }));
            assert_eq!(seen, 1, "only its own signal's delivery counts");
        });
    }
}
