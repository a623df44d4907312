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
//! **What this file does:** a waker is a [`TaskRef`]: a pointer to the task
//! block's thread-safe [`Header`] (its atomic state word, its runtime's
//! [`Inbox`]) that owns one reference. Waking only flips bits in the state
//! word and pushes the pointer into a queue; the future itself is only ever
//! touched on the runtime thread (see "Who may touch what" in `task/raw.rs`).
//!
//! # The waker contract, and where this file keeps it
//! - `clone` must produce a waker for the same task: [`clone_waker`] adds one
//!   reference (`State::acquire`).
//! - `wake` consumes the waker: [`wake`] hands its reference to the queue
//!   entry it creates (`State::schedule_by_val`), or releases it.
//! - `wake_by_ref` schedules without consuming: [`wake_by_ref`] adds the
//!   entry's reference (`State::schedule_by_ref`).
//! - `drop` releases one reference: [`drop_waker`]. The block is freed when
//!   the last reference goes, on whichever thread that happens — harmless,
//!   because by then it holds no future and no output.
//!
//! # Scheduling: at most once, never lost
//! `SCHEDULED` is set by whoever enqueues the task and cleared by the loop with
//! an atomic read-modify-write *just before* polling it. So:
//! - a wake while the task is queued sees `SCHEDULED` and does nothing (one
//!   entry per task);
//! - a wake *during* the poll finds the bit clear and enqueues it again, so an
//!   event that raced the poll is seen by a later poll (no lost wakeup);
//! - once the task completes `COMPLETE` is set for good, so stale wakers
//!   never enqueue anything.
//!
//! # Why cross-thread wakes need ordering
//! The waking thread publishes data (a channel message, a blocking job's
//! result) and then wakes; the runtime thread clears the bit and then polls,
//! reading that data. Two things can go wrong without care:
//! - **a lost wake:** if the waker saw `SCHEDULED` still set by the entry the
//!   loop is about to poll, it does nothing, so that poll *must* see its data.
//!   The read-modify-writes on one atomic form a single chain, and `AcqRel`
//!   on both ends (the `fetch_or` in `State::schedule_by_*`, the
//!   `fetch_add` in `State::begin_poll`) make "write data → wake" happen-before
//!   "clear → poll → read data". With a `Relaxed` clear the poll may read old
//!   data and the task sleeps forever;
//! - **a double entry:** a check-then-set (`load`, then `store`) lets two
//!   wakers both see the bit clear and both enqueue. One `fetch_or` decides.
//!
//! The loom models in `task/state_loom_models.rs` explore every interleaving:
//! - `two_remote_wakers_one_entry`: a task woken from two threads while the
//!   loop drains is queued at most once and polled after the last wake
//!   (it fails if `begin_poll` is `Relaxed`, if `schedule` checks then sets,
//!   or if the bit is cleared *after* polling instead of before);
//! - `wake_racing_completion`: a stale waker racing the task's completion
//!   and the handle's drop never queues a complete task, never leaks and
//!   never frees twice (fails if `schedule_by_val` ignores `COMPLETE`, or if
//!   `wake` forgets to release its reference);
//! - `wake_after_shutdown`: wakers woken and dropped on other threads while
//!   the runtime shuts down queue nothing and free the block exactly once.
//!
//! # Local versus remote
//! On the runtime's own thread ([`context::current_id`] matches) a wake pushes
//! onto the [`RunQueue`](crate::rt::run_queue::RunQueue): no lock, no syscall. From
//! anywhere else it goes through the [`Inbox`].

use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::context;
use super::task::state::Wake;
use super::task::{Header, TaskRef};

/// Queues `task` (one entry, whose reference `task` owns) on its runtime:
/// the local run queue on the runtime's own thread, the inbox elsewhere.
#[inline]
pub(crate) fn schedule(task: TaskRef) {
    // SAFETY: the inbox outlives this call: either an owning waker exists
    // (`ESCAPED`: the block holds a reference on it, and `task` keeps the
    // block alive), or this runs on the runtime thread while the runtime is
    // alive (a borrowed `WakerRef` during a poll, `abort` of a live task,
    // `yield_now`), whose `Core` holds the inbox.
    let inbox = unsafe { task.header().scheduler.as_ref() };
    if context::current_id() == inbox.runtime_id() {
        let queued = context::with_current(move |core| core.schedule_local(task));
        debug_assert!(
            queued.is_some(),
            "current_id matched, so a runtime is current"
        );
    } else {
        // Refused after shutdown: the entry is dropped (its reference released).
        inbox.push(task);
    }
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_waker, wake, wake_by_ref, drop_waker);

/// Makes an owning `Waker` from a reference.
#[cfg_attr(not(all(test, loom)), allow(dead_code))]
pub(crate) fn waker(task: TaskRef) -> Waker {
    escape(&task);
    let raw = RawWaker::new(task.into_raw().as_ptr().cast_const().cast(), &VTABLE);
    // SAFETY: the vtable functions below treat the data pointer as a
    // `TaskRef` given up with `into_raw`, which is what we pass; only the
    // `Header` is touched through it, which is thread-safe (see `TaskRef`'s
    // `Send` argument), so using the waker from any thread is sound.
    unsafe { Waker::from_raw(raw) }
}

/// The task behind `waker`, if it is one of ramen's task wakers.
///
/// Lets `yield_now` requeue its own task without cloning and waking a waker,
/// and the diagnostics name the task a waker belongs to.
#[inline]
pub(crate) fn header_of(waker: &Waker) -> Option<&Header> {
    task_ptr_of(waker).map(|ptr| {
        // SAFETY: the borrowed `waker` holds (or borrows) a reference that
        // keeps the block alive for the lifetime of the returned `&Header`.
        unsafe { ptr.as_ref() }
    })
}

/// The block pointer behind `waker`, if it is one of ramen's task wakers.
#[inline]
pub(crate) fn task_ptr_of(waker: &Waker) -> Option<NonNull<Header>> {
    if !std::ptr::eq(waker.vtable(), &VTABLE) {
        return None;
    }
    NonNull::new(waker.data().cast_mut().cast())
}

/// A `Waker` that borrows a task instead of owning a reference: used by
/// the loop to poll a task without touching the reference count.
pub(crate) struct WakerRef<'a> {
    waker: ManuallyDrop<Waker>,
    _task: std::marker::PhantomData<&'a TaskRef>,
}

/// Borrows `task` as a waker for the duration of `'a`.
#[inline]
pub(crate) fn waker_ref(task: &TaskRef) -> WakerRef<'_> {
    let raw = RawWaker::new(task.as_ptr().as_ptr().cast_const().cast(), &VTABLE);
    WakerRef {
        // SAFETY: the pointer comes from a live `TaskRef` that outlives
        // `'a`. The `ManuallyDrop` means this waker never runs `drop_waker`,
        // so it never gives back a reference it did not take; `clone` on it
        // takes a fresh reference, which is exactly right.
        waker: ManuallyDrop::new(unsafe { Waker::from_raw(raw) }),
        _task: std::marker::PhantomData,
    }
}

impl Deref for WakerRef<'_> {
    type Target = Waker;
    fn deref(&self) -> &Waker {
        &self.waker
    }
}

/// The reference a waker's data pointer stands for, borrowed.
///
/// # Safety
/// `ptr` is the data pointer of one of our live wakers.
unsafe fn borrowed(ptr: *const ()) -> ManuallyDrop<TaskRef> {
    // SAFETY: the waker's data is a non-null block pointer holding (or, for
    // `WakerRef`, borrowing) a reference; `ManuallyDrop` gives nothing back.
    ManuallyDrop::new(unsafe { TaskRef::from_raw(NonNull::new_unchecked(ptr.cast_mut().cast())) })
}

/// An owning waker of `task` is being made: the first one takes the block's
/// reference on the runtime's inbox (`State::escape`), so that waking it
/// after the runtime is gone still finds the inbox (closed, harmless).
#[inline]
fn escape(task: &TaskRef) {
    let header = task.header();
    if header.state.escape() {
        // SAFETY: the first owning waker is made while the runtime is alive
        // (from a `WakerRef` during a poll, or from a `TaskRef` the runtime
        // or a loom model holds), so the inbox is alive; the pointer is
        // `Arc::as_ptr` of it (`raw::allocate`). `raw::dealloc` gives the
        // reference back, once, because `escape` returned `true` once.
        unsafe { crate::loom::Arc::increment_strong_count(header.scheduler.as_ptr().cast_const()) };
    }
}

unsafe fn clone_waker(ptr: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned holds or borrows a reference.
    let task = unsafe { borrowed(ptr) };
    escape(&task);
    task.header().state.acquire();
    RawWaker::new(ptr, &VTABLE)
}

unsafe fn wake(ptr: *const ()) {
    // SAFETY: an owning waker holds one reference; `wake` consumes the
    // waker, so we take that reference over.
    let task = ManuallyDrop::into_inner(unsafe { borrowed(ptr) });
    match task.header().state.schedule_by_val() {
        // The waker's reference is now the queue entry's.
        Wake::Push => schedule(task),
        // Queued already or complete: `task` drops, releasing the reference.
        Wake::Skip => drop(task),
    }
}

unsafe fn wake_by_ref(ptr: *const ()) {
    // SAFETY: the waker is alive for this call, so its reference keeps the
    // block alive; we only borrow it.
    let task = unsafe { borrowed(ptr) };
    if task.header().state.schedule_by_ref() == Wake::Push {
        // SAFETY: `schedule_by_ref` added one reference for the new entry.
        schedule(unsafe { TaskRef::from_raw(task.as_ptr()) });
    }
}

unsafe fn drop_waker(ptr: *const ()) {
    // SAFETY: an owning waker holds exactly one reference, given back here.
    // (A `WakerRef` is never dropped as a `Waker`: it is `ManuallyDrop`.)
    drop(ManuallyDrop::into_inner(unsafe { borrowed(ptr) }));
}
