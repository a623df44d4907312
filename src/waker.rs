//! The hand-written `Waker`: how a task says "poll me again".
//!
//! **Naive approach:** give each task an `Rc<Task>` and make the waker clone
//! it. **Its problem:** `std::task::Waker` is `Send + Sync` — the standard
//! library lets *any* thread hold and call it (a timer thread, a blocking job,
//! another runtime), even if every future in ramen stays on one thread. An
//! `Rc` or a `!Send` future inside a waker would be undefined behaviour the
//! moment a waker crosses threads, and the last waker dropped on another thread
//! would drop the future there.
//!
//! **What this file does:** a waker points at a small thread-safe [`Header`]:
//! an atomic state byte, the task's [`TaskRef`] (slab key + id), and an `Arc`
//! of its runtime's [`Inbox`]. It never points at the future, which lives in
//! the runtime's slab and is only touched on the runtime thread.
//!
//! # The waker contract, and where this file keeps it
//! - `clone` must produce a waker for the same task: [`clone_waker`] adds one
//!   `Arc` reference to the header.
//! - `wake` consumes the waker: [`wake`] schedules, then releases that reference.
//! - `wake_by_ref` schedules without consuming: [`wake_by_ref`].
//! - `drop` releases one reference: [`drop_waker`]. The header is freed when the
//!   last waker *and* the task are gone, on whichever thread that happens —
//!   harmless, because a header holds no user data.
//!
//! # Scheduling: at most once, never lost
//! `SCHEDULED` is set by whoever enqueues the task and cleared by the loop with
//! an atomic read-modify-write *just before* polling it. So:
//! - a wake while the task is queued sees `SCHEDULED` and does nothing (one
//!   entry per task);
//! - a wake *during* the poll finds the bit clear and enqueues it again, so an
//!   event that raced the poll is seen by a later poll (no lost wakeup);
//! - once the task completes the state becomes `SCHEDULED | DONE` for good, so
//!   stale wakers never enqueue anything.
//!
//! # Why cross-thread wakes need ordering
//! The waking thread publishes data (a channel message, a blocking job's
//! result) and then wakes; the runtime thread clears the bit and then polls,
//! reading that data. Two things can go wrong without care:
//! - **a lost wake:** if the waker saw `SCHEDULED` still set by the entry the
//!   loop is about to poll, it does nothing, so that poll *must* see its data.
//!   The read-modify-writes on one atomic form a single chain, and `AcqRel`
//!   on both ends (`fetch_or` in [`Header::schedule`], `fetch_and` in
//!   [`Header::begin_poll`]) make "write data → wake" happen-before
//!   "clear → poll → read data". With a `Relaxed` clear the poll may read old
//!   data and the task sleeps forever;
//! - **a double entry:** a check-then-set (`load`, then `store`) lets two
//!   wakers both see the bit clear and both enqueue. One `fetch_or` decides.
//!
//! The loom models at the bottom of this file explore every interleaving:
//! - `two_remote_wakers_one_entry`: a task woken from two threads while the
//!   loop drains is queued at most once and polled after the last wake
//!   (it fails if `begin_poll` is `Relaxed`, if `schedule` checks then sets,
//!   or if the bit is cleared *after* polling instead of before);
//! - `wake_racing_completion_and_slot_reuse`: a stale waker racing the task's
//!   completion and the reuse of its slab slot never queues the new task and
//!   never leaks (fails if `complete` leaves `SCHEDULED` clear, or if `wake`
//!   forgets to release its reference);
//! - `wake_after_shutdown`: wakers woken and dropped on other threads while
//!   the runtime shuts down queue nothing and free the header exactly once.
//!
//! # Local versus remote
//! On the runtime's own thread ([`context::current_id`] matches) a wake pushes
//! onto the [`RunQueue`](crate::run_queue::RunQueue): no lock, no syscall. From
//! anywhere else it goes through the [`Inbox`].

use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::task::{RawWaker, RawWakerVTable, Waker};

use crate::context;
use crate::inbox::Inbox;
use crate::loom::{Arc, AtomicU8, Ordering};
use crate::run_queue::TaskRef;

const SCHEDULED: u8 = 0b01;
const DONE: u8 = 0b10;

/// The thread-safe part of a task: all a waker can reach.
pub(crate) struct Header {
    state: AtomicU8,
    pub(crate) task: TaskRef,
    inbox: Arc<Inbox>,
}

impl Header {
    /// A header for a task that starts out queued (the spawner pushes it).
    pub(crate) fn new_scheduled(task: TaskRef, inbox: Arc<Inbox>) -> Header {
        Header {
            state: AtomicU8::new(SCHEDULED),
            task,
            inbox,
        }
    }

    /// Reuses a finished task's header for a new task. `&mut` proves no
    /// waker of the old task is left (the caller got it from `Arc::get_mut`).
    pub(crate) fn reuse(&mut self, task: TaskRef) {
        self.state = AtomicU8::new(SCHEDULED);
        self.task = task;
    }

    /// Enqueues the task unless it is already queued or finished.
    #[inline]
    pub(crate) fn schedule(&self) {
        if self.state.fetch_or(SCHEDULED, Ordering::AcqRel) & SCHEDULED != 0 {
            return;
        }
        if context::current_id() == self.inbox.runtime_id() {
            let queued = context::with_current(|core| core.schedule_local(self.task));
            debug_assert!(
                queued.is_some(),
                "current_id matched, so a runtime is current"
            );
        } else {
            self.inbox.push(self.task);
        }
    }

    /// Called by the loop right before polling: a wake from now on re-queues.
    #[inline]
    pub(crate) fn begin_poll(&self) {
        self.state.fetch_and(!SCHEDULED, Ordering::AcqRel);
    }

    /// The task finished or was dropped: every later wake is a no-op.
    #[inline]
    pub(crate) fn complete(&self) {
        self.state.store(SCHEDULED | DONE, Ordering::Release);
    }

    /// The runtime this task belongs to.
    #[inline]
    pub(crate) fn runtime_id(&self) -> usize {
        self.inbox.runtime_id()
    }

    /// Sets `SCHEDULED` if it was clear; `true` means the caller now owns the
    /// task's single queue slot and must enqueue it (used by `yield_now`).
    #[inline]
    pub(crate) fn try_claim(&self) -> bool {
        self.state.fetch_or(SCHEDULED, Ordering::AcqRel) & SCHEDULED == 0
    }

    #[cfg(all(test, loom))]
    fn is_scheduled(&self) -> bool {
        self.state.load(Ordering::Acquire) & SCHEDULED != 0
    }
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_waker, wake, wake_by_ref, drop_waker);

/// Makes an owning `Waker` for `header` (one more `Arc` reference).
/// (The runtime itself only borrows headers through [`waker_ref`]; owning
/// wakers are made by `clone`. The loom models build them directly.)
#[cfg_attr(not(loom), allow(dead_code))]
pub(crate) fn waker(header: Arc<Header>) -> Waker {
    let raw = RawWaker::new(Arc::into_raw(header).cast(), &VTABLE);
    // SAFETY: the vtable functions below treat the data pointer as an
    // `Arc<Header>` reference obtained from `Arc::into_raw`, which is what we
    // pass; `Header` is Send + Sync (atomics, Copy data, `Arc<Inbox>` whose
    // contents are behind a Mutex), so using it from any thread is sound.
    unsafe { Waker::from_raw(raw) }
}

/// The header behind `waker`, if it is one of ramen's task wakers.
///
/// Lets `yield_now` requeue its own task without cloning and waking a waker
/// (four atomic operations saved per yield).
#[inline]
pub(crate) fn header_of(waker: &Waker) -> Option<&Header> {
    if !std::ptr::eq(waker.vtable(), &VTABLE) {
        return None;
    }
    // SAFETY: every waker with our VTABLE was built by `waker` or `waker_ref`
    // from a live `Arc<Header>`; the borrowed `waker` keeps that reference
    // alive for the lifetime of the returned `&Header`.
    Some(unsafe { &*waker.data().cast::<Header>() })
}

/// A `Waker` that borrows `header` instead of owning a reference: used by
/// the loop to poll a task without touching the reference count.
pub(crate) struct WakerRef<'a> {
    waker: ManuallyDrop<Waker>,
    _header: std::marker::PhantomData<&'a Header>,
}

/// Borrows `header` as a waker for the duration of `'a`.
pub(crate) fn waker_ref(header: &Arc<Header>) -> WakerRef<'_> {
    let raw = RawWaker::new(Arc::as_ptr(header).cast(), &VTABLE);
    WakerRef {
        // SAFETY: the pointer comes from a live `Arc<Header>` that outlives
        // `'a`. The `ManuallyDrop` means this waker never runs `drop_waker`,
        // so it never gives back a reference it did not take; `clone` on it
        // takes a fresh reference, which is exactly right.
        waker: ManuallyDrop::new(unsafe { Waker::from_raw(raw) }),
        _header: std::marker::PhantomData,
    }
}

impl Deref for WakerRef<'_> {
    type Target = Waker;
    fn deref(&self) -> &Waker {
        &self.waker
    }
}

unsafe fn clone_waker(ptr: *const ()) -> RawWaker {
    // SAFETY: `ptr` came from `Arc::into_raw`/`Arc::as_ptr` of an
    // `Arc<Header>` that is alive: the waker being cloned holds (or borrows,
    // for `WakerRef`) a reference. Incrementing gives the clone its own.
    unsafe { Arc::increment_strong_count(ptr.cast::<Header>()) };
    RawWaker::new(ptr, &VTABLE)
}

unsafe fn wake(ptr: *const ()) {
    // SAFETY: an owning waker holds one reference; `wake` consumes the waker,
    // so we take that reference back and drop it after scheduling.
    let header = unsafe { Arc::from_raw(ptr.cast::<Header>()) };
    header.schedule();
}

unsafe fn wake_by_ref(ptr: *const ()) {
    // SAFETY: the waker is alive for this call, so its reference keeps the
    // header alive; we only borrow it.
    let header = unsafe { &*ptr.cast::<Header>() };
    header.schedule();
}

unsafe fn drop_waker(ptr: *const ()) {
    // SAFETY: an owning waker holds exactly one reference, given back here.
    // (A `WakerRef` is never dropped as a `Waker`: it is `ManuallyDrop`.)
    unsafe { Arc::decrement_strong_count(ptr.cast::<Header>()) };
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::inbox::{NoopUnpark, Unpark};
    use crate::loom::{AtomicBool, AtomicUsize, thread};

    struct NoUnpark;
    impl Unpark for NoUnpark {
        fn unpark(&self) {}
    }

    fn header(id: u64, inbox: &Arc<Inbox>) -> Arc<Header> {
        Arc::new(Header::new_scheduled(TaskRef { key: 0, id }, inbox.clone()))
    }

    /// Model 1: a task woken from two threads while the loop drains and polls
    /// it. It is queued at most once at a time, and a poll happens after the
    /// last wake (the "poll" reads the wakers' counter and must see both).
    #[test]
    fn two_remote_wakers_one_entry() {
        loom::model(|| {
            let inbox = Arc::new(Inbox::new(1, Box::new(NoUnpark), Box::new(NoopUnpark)));
            let h = header(1, &inbox);
            // The loop polls it once first (it starts scheduled).
            h.begin_poll();
            let events = Arc::new(AtomicUsize::new(0));
            let finished = Arc::new(AtomicUsize::new(0));
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let w = waker(h.clone());
                    let events = events.clone();
                    let finished = finished.clone();
                    thread::spawn(move || {
                        events.fetch_add(1, Ordering::Relaxed);
                        w.wake();
                        finished.fetch_add(1, Ordering::Release);
                    })
                })
                .collect();
            // The loop: drain and "poll" whatever arrives until both wakers
            // are done and nothing more is queued.
            let mut seen_by_last_poll = 0;
            let mut drained = Vec::new();
            loop {
                let both_done = finished.load(Ordering::Acquire) == 2;
                drained.clear();
                inbox.drain_into(&mut drained);
                assert!(drained.len() <= 1, "queued twice: {drained:?}");
                if drained.len() == 1 {
                    h.begin_poll();
                    seen_by_last_poll = events.load(Ordering::Relaxed);
                }
                if both_done && drained.is_empty() {
                    break;
                }
                thread::yield_now();
            }
            for t in threads {
                t.join().unwrap();
            }
            assert_eq!(
                seen_by_last_poll, 2,
                "a wake was lost: the last poll missed an event"
            );
        });
    }

    /// Model 2: a wake racing completion and slot reuse. Task 1 (slab slot
    /// 0) completes and slot 0 is reused by task 2 while a stale waker of
    /// task 1 wakes on another thread. Checks: at most one entry, and only
    /// for id 1 (the loop's id check in `Core::run_task` skips it), so task
    /// 2 is never polled by task 1's waker; a wake that *starts after*
    /// `complete` queues nothing; task 2's own wakes still work; the header
    /// is freed by whichever thread lets go last (loom fails on a leak).
    #[test]
    fn wake_racing_completion_and_slot_reuse() {
        loom::model(|| {
            let inbox = Arc::new(Inbox::new(1, Box::new(NoUnpark), Box::new(NoopUnpark)));
            let h1 = header(1, &inbox);
            h1.begin_poll();
            let completed = Arc::new(AtomicBool::new(false));
            let (w, c) = (waker(h1.clone()), completed.clone());
            let t = thread::spawn(move || {
                let after_complete = c.load(Ordering::SeqCst);
                w.wake();
                after_complete
            });
            h1.complete();
            completed.store(true, Ordering::SeqCst);
            drop(h1);
            // Slot 0 now holds task 2, polled once and waiting.
            let h2 = header(2, &inbox);
            h2.begin_poll();
            let woke_after_complete = t.join().unwrap();
            let mut drained = Vec::new();
            inbox.drain_into(&mut drained);
            assert!(drained.len() <= 1, "queued twice: {drained:?}");
            assert!(drained.iter().all(|t| t.id == 1), "{drained:?}");
            if woke_after_complete {
                assert!(drained.is_empty(), "a wake after completion queued it");
            }
            // The loop's stale check: poll only if the slot holds that id.
            let slot_id = h2.task.id;
            assert!(!drained.iter().any(|t| t.key == 0 && t.id == slot_id));
            h2.schedule();
            drained.clear();
            inbox.drain_into(&mut drained);
            assert_eq!(drained, [h2.task], "the new task's wakes still work");
        });
    }

    struct CountUnpark(Arc<AtomicUsize>);
    impl Unpark for CountUnpark {
        fn unpark(&self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Model 3: the runtime shuts down (`Runtime::drop`: close the inbox,
    /// complete every task, drop its references) while a waiting task's
    /// wakers are woken and dropped on two other threads. Nothing is queued
    /// after shutdown, a loop that is not parked is never unparked, nothing
    /// panics, and the header is freed by whichever thread drops last (loom
    /// fails the model on a leak or a use after free).
    #[test]
    fn wake_after_shutdown() {
        loom::model(|| {
            let unparks = Arc::new(AtomicUsize::new(0));
            let inbox = Arc::new(Inbox::new(
                1,
                Box::new(CountUnpark(unparks.clone())),
                Box::new(NoopUnpark),
            ));
            let h = header(1, &inbox);
            h.begin_poll();
            let w1 = waker(h.clone());
            let w2 = w1.clone();
            let t1 = thread::spawn(move || {
                w1.wake_by_ref();
                w1.wake();
            });
            let t2 = thread::spawn(move || drop(w2));
            inbox.close();
            h.complete();
            drop(h);
            t1.join().unwrap();
            t2.join().unwrap();
            let mut drained = Vec::new();
            inbox.drain_into(&mut drained);
            assert!(drained.is_empty(), "queued after shutdown: {drained:?}");
            assert_eq!(unparks.load(Ordering::Relaxed), 0);
        });
    }
}
