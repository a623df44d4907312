//! The std/loom seam: every thread-touching type the runtime uses comes from here.
//!
//! **Naive approach:** use `std::sync::{Arc, Mutex}` and atomics directly.
//! **Its problem:** the orderings between the runtime thread and a thread that
//! wakes a task can only be *tested* by luck; a lost wakeup may show once a month.
//! **What this file does:** under `--cfg loom` the same names resolve to
//! [loom](https://docs.rs/loom)'s instrumented versions, so the model tests in
//! `inbox.rs`, `waker.rs`, `blocking.rs` and `sync/` can explore every
//! interleaving. A normal build never compiles loom.

// Not every build uses every name (some only appear in models or tests).
#[allow(unused_imports)]
#[cfg(not(loom))]
pub(crate) use std::sync::{
    Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
    atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering},
};
#[cfg(not(loom))]
pub(crate) use std::thread;

#[allow(unused_imports)]
#[cfg(loom)]
pub(crate) use loom::sync::{
    Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
    atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering},
};
#[cfg(loom)]
pub(crate) use loom::thread;

/// Locks a mutex, ignoring poisoning.
///
/// Why ignoring is sound here: every critical section in ramen only pushes or
/// pops plain data and cannot panic halfway through an update, so a poisoned
/// lock still guards consistent data. Treating poison as fatal would turn one
/// user panic on another thread into a runtime-wide failure.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    #[cfg(not(loom))]
    {
        m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
    #[cfg(loom)]
    {
        m.lock().unwrap()
    }
}

/// Read-locks an `RwLock`, ignoring poisoning (same reasoning as [`lock`]).
pub(crate) fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Write-locks an `RwLock`, ignoring poisoning (same reasoning as [`lock`]).
pub(crate) fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}
