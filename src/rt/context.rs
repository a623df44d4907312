//! Which runtime is running on this thread right now.
//!
//! **Naive approach:** a global `static RUNTIME`. **Its problem:** ramen allows
//! one runtime per thread (many threads may each run their own), and `spawn` or
//! a waker must find *this* thread's runtime without being handed it.
//! **What this file does:** a thread-local pointer, set by `block_on` for the
//! duration of the loop (an [`Enter`] guard restores it, even on panic).
//! `spawn`, `yield_now`, timers and sockets reach their runtime through
//! [`with_current`]; a waker compares [`current_id`] with its own runtime's id
//! to decide between the lock-free local path and the cross-thread inbox.

use std::cell::Cell;
use std::ptr;

use super::event_loop::Core;

// Under loom, "threads" are loom's and so must the thread-locals be: std's
// thread_local would be shared between loom threads (they are green threads).
#[cfg(not(loom))]
std::thread_local! {
    static CURRENT: Cell<*const Core> = const { Cell::new(ptr::null()) };
    static CURRENT_ID: Cell<usize> = const { Cell::new(0) };
}
#[cfg(loom)]
loom::thread_local! {
    static CURRENT: Cell<*const Core> = Cell::new(ptr::null());
    static CURRENT_ID: Cell<usize> = Cell::new(0);
}

/// The id of the runtime running on this thread, or 0 if none is.
///
/// Runtime ids start at 1, so 0 never matches a waker's runtime.
#[inline]
pub(crate) fn current_id() -> usize {
    CURRENT_ID.try_with(Cell::get).unwrap_or(0)
}

/// Runs `f` with the runtime running on this thread, if any.
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(&Core) -> R) -> Option<R> {
    let ptr = CURRENT.try_with(Cell::get).unwrap_or(ptr::null());
    if ptr.is_null() {
        return None;
    }
    // SAFETY: the pointer is only non-null between `enter` and the drop of
    // the `Enter<'a>` guard it returned, and that guard borrows the `Core`
    // for `'a`: the borrow checker keeps the `Core` alive and unmoved while
    // the pointer is set (and the guard restores the previous one on drop,
    // also during unwinding).
    // Only shared references are created; `Core`'s mutable parts are Cells.
    Some(f(unsafe { &*ptr }))
}

/// Restores the previous "current runtime" when dropped.
///
/// It borrows the `Core` for `'a`, so the compiler — not only the callers —
/// guarantees the pointer stored in `CURRENT` stays valid while it is set.
pub(crate) struct Enter<'a> {
    prev: *const Core,
    prev_id: usize,
    _core: std::marker::PhantomData<&'a Core>,
}

/// Makes `core` the current runtime of this thread until the guard drops.
///
/// # Panics
/// If `allow_nested` is false and another runtime is already running here:
/// a nested `block_on` would block the outer runtime's thread forever.
pub(crate) fn enter(core: &Core, allow_nested: bool) -> Enter<'_> {
    let prev = CURRENT.with(Cell::get);
    if !prev.is_null() && !allow_nested {
        panic!(
            "ramen: cannot call block_on inside a running ramen runtime: the inner \
             loop would block this thread and the outer runtime would deadlock; \
             spawn the future with ramen::spawn or .await it instead"
        );
    }
    let prev_id = CURRENT_ID.with(Cell::get);
    CURRENT.with(|c| c.set(core as *const Core));
    CURRENT_ID.with(|c| c.set(core.id()));
    Enter {
        prev,
        prev_id,
        _core: std::marker::PhantomData,
    }
}

impl Drop for Enter<'_> {
    fn drop(&mut self) {
        let (prev, prev_id) = (self.prev, self.prev_id);
        let _ = CURRENT.try_with(|c| c.set(prev));
        let _ = CURRENT_ID.try_with(|c| c.set(prev_id));
    }
}
