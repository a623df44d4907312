//! The deadline map: which wakers are due when.
//!
//! **Naive approach:** a thread per sleep (`std::thread::sleep` then wake).
//! **Its problem:** 100,000 sleeping tasks would be 100,000 threads.
//! **Second naive approach:** a `Vec` scanned on every loop turn — O(n) per turn.
//!
//! **What this file does:** a `BTreeMap` ordered by `(deadline, id)`: the
//! earliest deadline is the first entry (it becomes the reactor's wait
//! timeout), insert and cancel are O(log n), and firing pops from the front
//! until the first deadline still in the future. The `id` makes equal
//! deadlines distinct and fires them in the order they were created.
//!
//! (A key of two `u64`s, nanoseconds since an epoch instead of an `Instant`,
//! was tried too: 3 % fewer instructions, no difference in CPU time, so the
//! simpler key stayed.)
//!
//! # Why not a binary heap, or a timer wheel
//! A binary heap (`Vec`, insert at the bottom, sift up; pop the top, sift
//! down) was tried here, on a copy of the `compare` timers workload (100,000
//! tasks sleeping 1–100 ms) run on a paused clock so that only work counts:
//! callgrind counted 22 % *fewer* instructions for the whole workload (a
//! random-order insert sifts up about two levels instead of searching five
//! B-tree nodes), yet `perf stat` measured 15–45 % *more* CPU time. Every pop
//! sifts down ~17 levels of a 2.4 MB array, a cache miss per level below the
//! cached top, while the B-tree pops from its leftmost leaf, which stays in
//! cache. Instruction counts are not time.
//!
//! A hierarchical timer wheel (tokio's: levels of 64 slots, O(1) insert and
//! cancel) files a timer under its millisecond (or coarser) slot; firing at
//! the exact deadline, in registration order, and auto-advancing a paused
//! clock to *exactly* the next deadline (`clock.rs`) would then need sorting
//! inside a slot. Nor is this map what that `compare` row mostly measures:
//! each `sleep` takes its deadline when it is created, inside the spawn loop,
//! so the last deadline lies 100 ms after the *end* of the spawn loop; the
//! inserts run later, on each task's first poll, while the runtime would
//! otherwise wait.

//! The map also owns the runtime's [`Clock`] (real or paused, see
//! `clock.rs`): deadlines are instants on that clock, and `fire_due` reads it.
//!
//! # Invariant
//! An entry exists exactly while a `Sleep` is waiting on it: firing removes
//! it (that is how the `Sleep` learns it is due) and dropping the `Sleep`
//! removes it (so a cancelled sleep leaves nothing behind).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::task::Waker;
use std::time::Duration;

use crate::time::{Clock, Instant};

/// Identifies one timer entry: its deadline and a unique sequence number.
pub(crate) type TimerKey = (Instant, u64);

/// The runtime's timers and clock; single-threaded.
pub(crate) struct Timers {
    map: RefCell<BTreeMap<TimerKey, Waker>>,
    next_id: Cell<u64>,
    fired: Cell<u64>,
    pub(crate) clock: Clock,
    /// With `Builder::explain`: (task, time left) of each new registration,
    /// for the core to hand to the narrator (timers do not know `diag`).
    narrating: Cell<bool>,
    notes: RefCell<Vec<(u64, Duration)>>,
}

impl Timers {
    /// An empty map on a real clock, or a paused one (`Builder::start_paused`).
    pub(crate) fn new(start_paused: bool) -> Timers {
        Timers {
            map: RefCell::default(),
            next_id: Cell::new(0),
            fired: Cell::new(0),
            clock: Clock::new(start_paused),
            narrating: Cell::new(false),
            notes: RefCell::new(Vec::new()),
        }
    }

    /// Keep notes of new registrations from now on (`Builder::explain`).
    pub(crate) fn narrate(&self) {
        self.narrating.set(true);
    }

    /// The registrations noted since the last call: (task, time left).
    pub(crate) fn take_notes(&self) -> Vec<(u64, Duration)> {
        std::mem::take(&mut *self.notes.borrow_mut())
    }

    /// Registers `waker` to be woken at `deadline`.
    pub(crate) fn insert(&self, deadline: Instant, waker: Waker) -> TimerKey {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        if self.narrating.get() {
            if let Some(h) = crate::waker::header_of(&waker) {
                let left = deadline.saturating_duration_since(self.clock.now());
                self.notes.borrow_mut().push((h.id, left));
            }
        }
        self.map.borrow_mut().insert((deadline, id), waker);
        (deadline, id)
    }

    /// Whether `key` is still waiting (false once it fired or was removed).
    /// If it is, its waker is replaced by `waker` unless both wake the same task.
    pub(crate) fn refresh(&self, key: TimerKey, waker: &Waker) -> bool {
        match self.map.borrow_mut().get_mut(&key) {
            Some(stored) => {
                // `Waker::clone_from` is "store unless `will_wake`" itself.
                stored.clone_from(waker);
                true
            }
            None => false,
        }
    }

    /// Cancels `key` (no-op if it already fired).
    pub(crate) fn remove(&self, key: TimerKey) {
        // `try_borrow_mut`: a Sleep dropped while `fire_due` holds the map
        // (impossible today, since wakers are called after the borrow ends)
        // must not panic.
        if let Ok(mut map) = self.map.try_borrow_mut() {
            map.remove(&key);
        }
    }

    /// The earliest deadline, if any timer is waiting.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.map.borrow().first_key_value().map(|(k, _)| k.0)
    }

    /// The task whose waker waits on the earliest timer, if it is a ramen
    /// task (for the narrator).
    pub(crate) fn next_task(&self) -> Option<u64> {
        let map = self.map.borrow();
        let (_, waker) = map.iter().next()?;
        crate::waker::header_of(waker).map(|h| h.id)
    }

    /// How long the idle loop may wait for I/O, and whether it should then
    /// auto-advance the paused clock to the earliest deadline (see
    /// `time/clock.rs`; `blocking`: a `spawn_blocking` job is in flight).
    pub(crate) fn idle_wait(&self, blocking: bool) -> (Option<Duration>, Option<Instant>) {
        let next = self.next_deadline();
        match self.clock.auto_advance(next, blocking) {
            Some(deadline) => (Some(Duration::ZERO), Some(deadline)),
            None => (
                next.map(|d| d.saturating_duration_since(self.clock.now())),
                None,
            ),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.map.borrow().is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.map.borrow().len()
    }

    /// How many timers are due now (for the slow-poll warning).
    pub(crate) fn count_due(&self) -> usize {
        let now = self.clock.now();
        self.map.borrow().keys().take_while(|k| k.0 <= now).count()
    }

    /// How many timers have fired since the runtime started.
    pub(crate) fn fired(&self) -> u64 {
        self.fired.get()
    }

    /// Removes every timer due at or before the clock's now and wakes it, in
    /// deadline order. A deadline equal to now is due. Returns how many fired.
    pub(crate) fn fire_due(&self, due: &mut Vec<Waker>) -> usize {
        let now = self.clock.now();
        {
            let mut map = self.map.borrow_mut();
            while let Some(entry) = map.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                due.push(entry.remove());
            }
        }
        let n = due.len();
        self.fired.set(self.fired.get() + n as u64);
        // Wake after the borrow ends: a waker may run arbitrary code.
        for waker in due.drain(..) {
            waker.wake();
        }
        n
    }

    /// Drops every entry (runtime shutdown).
    pub(crate) fn clear(&self) {
        let map = std::mem::take(&mut *self.map.borrow_mut());
        drop(map);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::Mutex;
    use std::task::Wake;

    use super::*;

    /// A waker that appends its label to a shared log when woken.
    struct Log(Arc<Mutex<Vec<u32>>>, u32);

    impl Wake for Log {
        fn wake(self: Arc<Self>) {
            self.0.lock().unwrap().push(self.1);
        }
    }

    fn waker(log: &Arc<Mutex<Vec<u32>>>, label: u32) -> Waker {
        Waker::from(Arc::new(Log(log.clone(), label)))
    }

    fn paused() -> (Timers, Instant) {
        let t = Timers::new(true);
        let now = t.clock.now();
        (t, now)
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn fires_in_deadline_order_then_registration_order() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let (t, now) = paused();
        for (label, d) in [(1, 30), (2, 10), (3, 20), (4, 10), (5, 0)] {
            t.insert(now + ms(d), waker(&log, label));
        }
        assert_eq!(t.next_deadline(), Some(now));
        t.clock.set_paused(now + ms(20));
        assert_eq!(t.fire_due(&mut Vec::new()), 4);
        assert_eq!(*log.lock().unwrap(), [5, 2, 4, 3]);
        assert_eq!((t.len(), t.next_deadline()), (1, Some(now + ms(30))));
        assert_eq!(t.fired(), 4);
    }

    #[test]
    fn a_removed_timer_never_fires_and_removing_it_twice_is_harmless() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let (t, now) = paused();
        let a = t.insert(now + ms(5), waker(&log, 1));
        t.remove(a);
        t.insert(now + ms(10), waker(&log, 2));
        assert!(!t.refresh(a, &waker(&log, 9)));
        t.remove(a);
        assert_eq!(t.len(), 1);
        assert_eq!(t.next_deadline(), Some(now + ms(10)));
        t.clock.set_paused(now + ms(10));
        assert_eq!(t.fire_due(&mut Vec::new()), 1);
        assert_eq!(*log.lock().unwrap(), [2]);
        assert!(t.is_empty() && t.next_deadline().is_none());
    }

    #[test]
    fn refresh_replaces_the_waker_and_reports_a_fired_timer() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let (t, now) = paused();
        let k = t.insert(now + ms(1), waker(&log, 1));
        assert!(t.refresh(k, &waker(&log, 2)));
        t.clock.set_paused(now + ms(1));
        t.fire_due(&mut Vec::new());
        assert_eq!(*log.lock().unwrap(), [2]);
        assert!(!t.refresh(k, &waker(&log, 3)));
    }

    #[test]
    fn cancelled_timers_leave_nothing_behind() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let (t, now) = paused();
        let keep = t.insert(now + ms(1), waker(&log, 0));
        for i in 0..10_000 {
            let k = t.insert(now + ms(1_000 + i), waker(&log, 1));
            t.remove(k);
        }
        assert_eq!(t.map.borrow().len(), 1);
        assert_eq!(t.count_due(), 0);
        t.clock.set_paused(now + ms(1));
        assert_eq!(t.count_due(), 1);
        assert_eq!(t.fire_due(&mut Vec::new()), 1);
        assert!(!t.refresh(keep, &waker(&log, 2)));
        assert_eq!(*log.lock().unwrap(), [0]);
    }
}
